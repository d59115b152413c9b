package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// request is one request of a load and how it was answered.
type request struct {
	what       string // "session" or "pick"
	start, end time.Time
	status     int // 0: no answer
	retryAfter bool
	body       string // of a 5xx, for the report
	err        error
}

type pick struct {
	session string
	round   int
}

// choiceLoad drives the choice flow: each of its clients creates an
// anonymous session, picks the first option of each round until the
// session is done, and starts another; a failed request abandons its
// session (the client cannot know whether a pick that failed was
// recorded). Picks answered 2xx are acknowledged.
type choiceLoad struct {
	base    string
	clients int
	rate    float64 // requests per second, all clients together
	http    *http.Client

	mu    sync.Mutex
	reqs  []request
	picks []pick
}

func newChoiceLoad(base string, clients int, rate float64) *choiceLoad {
	return &choiceLoad{base: base, clients: clients, rate: rate,
		http: &http.Client{Timeout: 15 * time.Second}}
}

func (l *choiceLoad) run(ctx context.Context) {
	var wg sync.WaitGroup
	interval := time.Duration(float64(l.clients) / l.rate * float64(time.Second))
	for i := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleep(ctx, interval*time.Duration(i)/time.Duration(l.clients))
			l.client(ctx, interval)
		}()
	}
	wg.Wait()
}

type roundView struct {
	ID      string `json:"id"`
	Round   int    `json:"round"`
	Done    bool   `json:"done"`
	Options []struct {
		ItemID string `json:"item_id"`
	} `json:"options"`
}

func (l *choiceLoad) client(ctx context.Context, interval time.Duration) {
	var cur roundView
	next := time.Now()
	for ctx.Err() == nil {
		sleep(ctx, time.Until(next))
		next = next.Add(interval)
		if ctx.Err() != nil {
			return
		}
		if cur.ID == "" {
			var v roundView
			if l.post(ctx, "session", "/api/v1/choice-sessions", `{}`, &v) && len(v.Options) > 0 {
				cur = v
			}
			continue
		}
		var v roundView
		body := fmt.Sprintf(`{"round":%d,"item_id":%q}`, cur.Round, cur.Options[0].ItemID)
		if !l.post(ctx, "pick", "/api/v1/choice-sessions/"+cur.ID+"/choices", body, &v) {
			cur = roundView{}
			continue
		}
		l.mu.Lock()
		l.picks = append(l.picks, pick{cur.ID, cur.Round})
		l.mu.Unlock()
		if v.Done || len(v.Options) == 0 {
			cur = roundView{}
		} else {
			v.ID = cur.ID
			cur = v
		}
	}
}

// post sends one request and records it; true if it was answered 2xx
// (and out decoded).
func (l *choiceLoad) post(ctx context.Context, what, path, body string, out any) bool {
	q := request{what: what, start: time.Now()}
	req, _ := http.NewRequest("POST", l.base+path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(req)
	q.end = time.Now()
	if err != nil {
		if ctx.Err() != nil {
			return false // the load stopped; not an answer
		}
		q.err = err
	} else {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		q.status = resp.StatusCode
		q.retryAfter = resp.Header.Get("Retry-After") != ""
		if q.status >= 500 {
			q.body = string(data)
		}
		if q.status/100 == 2 {
			if err := json.Unmarshal(data, out); err != nil {
				q.status, q.err = 0, err
			}
		}
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, q)
	l.mu.Unlock()
	return q.status/100 == 2
}

func (l *choiceLoad) snapshot() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]request(nil), l.reqs...)
}

func (l *choiceLoad) acked() []pick {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pick(nil), l.picks...)
}
