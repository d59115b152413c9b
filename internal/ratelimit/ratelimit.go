// Package ratelimit keeps a token bucket per key (a client address, a
// seller) in bounded memory: keys are forgotten once their bucket is full
// again, and the least recently seen key makes room when the table is full.
package ratelimit

import (
	"container/list"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a sustained rate of requests per second with a burst: a key may
// make Burst requests at once, then one every 1/PerSecond.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Off reports whether the rate is "no limit".
func (r Rate) Off() bool { return r.PerSecond <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return "0"
	}
	return strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + ":" + strconv.Itoa(r.Burst)
}

// Parse reads "RATE:BURST" (requests per second, a number; burst, an
// integer of at least 1), "RATE" (burst: RATE rounded up, at least 1) or
// "0" (no limit).
func Parse(s string) (Rate, error) {
	raw, burst, hasBurst := strings.Cut(strings.TrimSpace(s), ":")
	per, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(per) || per < 0 || per > 1e6 {
		return Rate{}, fmt.Errorf("want RATE:BURST (requests per second, e.g. 10:40) or 0 for no limit")
	}
	if per == 0 {
		if hasBurst {
			return Rate{}, fmt.Errorf("a rate of 0 means no limit and takes no burst")
		}
		return Rate{}, nil
	}
	r := Rate{PerSecond: per, Burst: max(1, int(math.Ceil(per)))}
	if hasBurst {
		b, err := strconv.Atoi(burst)
		if err != nil || b < 1 || b > 1e6 {
			return Rate{}, fmt.Errorf("want a burst between 1 and 1000000 after the colon, e.g. 10:40")
		}
		r.Burst = b
	}
	return r, nil
}

// DefaultMaxKeys is the size of a Limiter's table unless told otherwise:
// about 200 bytes each, 20 MB in all.
const DefaultMaxKeys = 100_000

// Limiter is a table of token buckets, one per key, all at one Rate. It is
// safe for concurrent use.
type Limiter struct {
	rate    Rate
	maxKeys int
	now     func() time.Time
	// refill is how long an untouched bucket takes to fill up: an entry
	// idle that long is the same as a new one, so it can be forgotten.
	refill time.Duration

	mu   sync.Mutex
	keys map[string]*list.Element // of *entry
	lru  list.List                // most recently seen first
}

type entry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter at r for at most maxKeys keys at once
// (DefaultMaxKeys when 0). now is the clock (time.Now when nil). A rate
// that is Off lets everything through.
func New(r Rate, maxKeys int, now func() time.Time) *Limiter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	l := &Limiter{rate: r, maxKeys: maxKeys, now: now, keys: map[string]*list.Element{}}
	if !r.Off() {
		l.refill = time.Duration(float64(r.Burst) / r.PerSecond * float64(time.Second))
	}
	return l
}

// Allow takes a token from key's bucket. When there is none it takes
// nothing and says how long until there is one.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.rate.Off() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(now)
	var e *entry
	if el, found := l.keys[key]; found {
		e = el.Value.(*entry)
		l.lru.MoveToFront(el)
	} else {
		if len(l.keys) >= l.maxKeys {
			// Every key is busy: the least recently seen one starts
			// afresh if it comes back. That is lenient to it, but
			// memory stays bounded however many keys a client uses.
			l.remove(l.lru.Back())
		}
		e = &entry{key: key, lim: rate.NewLimiter(rate.Limit(l.rate.PerSecond), l.rate.Burst)}
		l.keys[key] = l.lru.PushFront(e)
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forgetIdle drops the entries whose buckets are full again, oldest
// first: a few per call, so the table shrinks as traffic does.
func (l *Limiter) forgetIdle(now time.Time) {
	for i := 0; i < 8; i++ {
		el := l.lru.Back()
		if el == nil || now.Sub(el.Value.(*entry).seen) < l.refill {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*entry).key)
	l.lru.Remove(el)
}

// Len is the number of keys remembered.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
