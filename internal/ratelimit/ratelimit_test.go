package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// clock is a fake clock that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func allowN(l *Limiter, key string, n int) (allowed int) {
	for range n {
		if ok, _ := l.Allow(key); ok {
			allowed++
		}
	}
	return allowed
}

func TestBurstThenRate(t *testing.T) {
	c := newClock()
	l := New(Rate{PerSecond: 2, Burst: 5}, 0, c.now)
	if got := allowN(l, "a", 10); got != 5 {
		t.Fatalf("allowed %d of 10 at once, want the burst of 5", got)
	}
	ok, retry := l.Allow("a")
	if ok || retry != 500*time.Millisecond {
		t.Fatalf("after the burst: ok %v, retry after %v; want refused, 500ms", ok, retry)
	}
	// Another key has its own bucket.
	if got := allowN(l, "b", 5); got != 5 {
		t.Fatalf("key b: allowed %d, want 5", got)
	}
	// A refused request takes no token: after the wait it goes through.
	c.add(retry)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after waiting Retry-After")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a second request went through on one token")
	}
	// Ten seconds refill 20 tokens, capped at the burst.
	c.add(10 * time.Second)
	if got := allowN(l, "a", 10); got != 5 {
		t.Fatalf("after a long pause: allowed %d, want the burst of 5", got)
	}
}

func TestOffAllowsAll(t *testing.T) {
	l := New(Rate{}, 0, nil)
	if got := allowN(l, "a", 1000); got != 1000 {
		t.Fatalf("allowed %d of 1000 with no limit", got)
	}
	if l.Len() != 0 {
		t.Fatalf("an unlimited limiter remembers %d keys", l.Len())
	}
}

// TestMemoryBounded: a client that uses a new key for each request (many
// addresses) never grows the table past its size, and idle keys are
// forgotten once their bucket is full again.
func TestMemoryBounded(t *testing.T) {
	c := newClock()
	l := New(Rate{PerSecond: 1, Burst: 2}, 100, c.now)
	for i := range 10_000 {
		if ok, _ := l.Allow(fmt.Sprint("k", i)); !ok {
			t.Fatalf("first request of key %d refused", i)
		}
		if l.Len() > 100 {
			t.Fatalf("%d keys remembered, more than the 100 allowed", l.Len())
		}
	}
	// The busiest key keeps its state while it stays recent.
	allowN(l, "hot", 2)
	if ok, _ := l.Allow("hot"); ok {
		t.Fatal("hot key not limited")
	}
	// After the refill time (2 s) every entry is the same as a new one;
	// they go as traffic comes in.
	c.add(3 * time.Second)
	for range 20 {
		l.Allow("hot")
	}
	if l.Len() >= 100 {
		t.Fatalf("idle keys not forgotten: %d remembered", l.Len())
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"10:40", Rate{10, 40}, true},
		{"0.5:3", Rate{0.5, 3}, true},
		{"2.5", Rate{2.5, 3}, true},
		{"0.1", Rate{0.1, 1}, true},
		{"0", Rate{}, true},
		{"0:5", Rate{}, false},
		{"-1:5", Rate{}, false},
		{"10:0", Rate{}, false},
		{"10:x", Rate{}, false},
		{"ten", Rate{}, false},
		{"NaN", Rate{}, false},
		{"", Rate{}, false},
	} {
		got, err := Parse(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
