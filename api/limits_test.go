package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/ratelimit"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
}

// sqliteEnv is a server on SQLite and a local folder with opts applied.
func sqliteEnv(t *testing.T, opts ...func(*Deps)) *env {
	t.Helper()
	return newEnv(t, storagetest.OpenStore(t, storagetest.SQLiteURL(t)), storagetest.OpenBlob(t, storagetest.LocalBlobURL(t)), opts...)
}

// from sends a request from a client address (and with an API key).
func (e *env) from(t *testing.T, addr, method, path, key string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = addr
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec, _ := e.send(t, req, key)
	return rec
}

// wantLimited checks a 429 with its Retry-After in seconds.
func wantLimited(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	want(t, rec, http.StatusTooManyRequests)
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
	if _, kind := errField(bodyOf(t, rec)); kind != "rate_limited" {
		t.Fatalf("error kind %q, want rate_limited: %s", kind, rec.Body.String())
	}
}

func bodyOf(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("bad JSON %q: %v", rec.Body.String(), err)
	}
	return out
}

// TestRateLimitPerAddress: requests without a key share their address's
// bucket; the 429 says when to retry; other addresses are not affected;
// X-Forwarded-For is believed only from a trusted proxy; IPv6 clients
// count by /64.
func TestRateLimitPerAddress(t *testing.T) {
	clock := newFakeClock()
	e := sqliteEnv(t, func(d *Deps) {
		d.Limits.RateAnon = ratelimit.Rate{PerSecond: 0.5, Burst: 3}
		d.Now = clock.Now
	})
	const path = "/api/v1/choice-sessions/0190a0a0-0000-7000-8000-000000000000"
	for range 3 {
		want(t, e.from(t, "203.0.113.5:4000", "GET", path, ""), http.StatusNotFound)
	}
	wantLimited(t, e.from(t, "203.0.113.5:4001", "GET", path, ""), "2")
	// A forged X-Forwarded-For from an untrusted peer changes nothing.
	wantLimited(t, e.from(t, "203.0.113.5:4002", "GET", path, "", "X-Forwarded-For", "198.51.100.9"), "2")
	// Another address has its own bucket.
	want(t, e.from(t, "203.0.113.6:4000", "GET", path, ""), http.StatusNotFound)
	// Unlimited routes stay open: the probes and the API index.
	want(t, e.from(t, "203.0.113.5:4000", "GET", "/healthz", ""), http.StatusOK)
	want(t, e.from(t, "203.0.113.5:4000", "GET", "/api/v1", ""), http.StatusOK)
	// After Retry-After, one more request goes through.
	clock.Add(2 * time.Second)
	want(t, e.from(t, "203.0.113.5:4000", "GET", path, ""), http.StatusNotFound)
	wantLimited(t, e.from(t, "203.0.113.5:4000", "GET", path, ""), "2")

	// IPv6: one /64 is one client.
	for range 3 {
		want(t, e.from(t, "[2001:db8:1:2::1]:80", "GET", path, ""), http.StatusNotFound)
	}
	wantLimited(t, e.from(t, "[2001:db8:1:2:ffff::9]:80", "GET", path, ""), "2")
	want(t, e.from(t, "[2001:db8:1:3::1]:80", "GET", path, ""), http.StatusNotFound)
}

func TestRateLimitTrustedProxy(t *testing.T) {
	clock := newFakeClock()
	e := sqliteEnv(t, func(d *Deps) {
		d.Limits.RateAnon = ratelimit.Rate{PerSecond: 1, Burst: 1}
		d.TrustedProxies = []string{"10.0.0.0/8"}
		d.Now = clock.Now
	})
	const path = "/api/v1/choice-sessions/0190a0a0-0000-7000-8000-000000000000"
	// Behind the proxy, each client named by X-Forwarded-For has its own
	// bucket; the rightmost address not of a trusted proxy counts.
	want(t, e.from(t, "10.1.1.1:80", "GET", path, "", "X-Forwarded-For", "198.51.100.1"), http.StatusNotFound)
	want(t, e.from(t, "10.1.1.1:80", "GET", path, "", "X-Forwarded-For", "198.51.100.2"), http.StatusNotFound)
	wantLimited(t, e.from(t, "10.1.1.2:80", "GET", path, "", "X-Forwarded-For", "198.51.100.1"), "1")
	wantLimited(t, e.from(t, "10.1.1.1:80", "GET", path, "", "X-Forwarded-For", "1.2.3.4, 198.51.100.1"), "1")
}

// TestRateLimitPerSeller: a seller's requests count against the seller,
// whatever the address; operators are not limited; failed keys pay from
// the address's anonymous bucket.
func TestRateLimitPerSeller(t *testing.T) {
	clock := newFakeClock()
	e := sqliteEnv(t, func(d *Deps) {
		d.Limits.RateSeller = ratelimit.Rate{PerSecond: 0.1, Burst: 2}
		d.Limits.RateAnon = ratelimit.Rate{PerSecond: 1, Burst: 2}
		d.Now = clock.Now
	})
	want(t, e.from(t, "203.0.113.1:1", "GET", "/api/v1/items", e.aliceKey), http.StatusOK)
	want(t, e.from(t, "203.0.113.2:1", "GET", "/api/v1/items", e.aliceKey), http.StatusOK)
	wantLimited(t, e.from(t, "203.0.113.3:1", "GET", "/api/v1/items", e.aliceKey), "10")
	// On a consumer route too: the key, not the address, counts.
	wantLimited(t, e.from(t, "203.0.113.3:1", "GET", "/api/v1/consumers/x/recommendations", e.aliceKey), "10")
	want(t, e.from(t, "203.0.113.1:1", "GET", "/api/v1/items", e.bobKey), http.StatusOK)
	for range 5 {
		want(t, e.from(t, "203.0.113.1:1", "GET", "/api/v1/jobs", e.adminKey), http.StatusOK)
	}
	// Guessing keys: two wrong ones get 401, then the address waits.
	want(t, e.from(t, "203.0.113.9:1", "GET", "/api/v1/items", "atl_wrong-1"), http.StatusUnauthorized)
	want(t, e.from(t, "203.0.113.9:1", "GET", "/api/v1/items", "atl_wrong-2"), http.StatusUnauthorized)
	wantLimited(t, e.from(t, "203.0.113.9:1", "GET", "/api/v1/items", "atl_wrong-3"), "1")
}

// TestScenario6SessionFlood is scenario 6: one anonymous client creates
// choice sessions as fast as it can, from several connections at once.
// It gets 429s with Retry-After (the rate limit, then the cap on the
// sessions it holds); the cap holds exactly; and once its sessions have
// been idle for the TTL the sweep deletes them, so the database holds at
// most the cap per client, however long the flood goes on.
func TestScenario6SessionFlood(t *testing.T) {
	clock := newFakeClock()
	const perClient, ttl = 5, 2 * time.Second
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		ctx := context.Background()
		flood := func(requests int) (created, limited int) {
			t.Helper()
			var mu sync.Mutex
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range requests / 4 {
						req := httptest.NewRequest("POST", "/api/v1/choice-sessions", nil)
						req.RemoteAddr = fmt.Sprintf("203.0.113.77:%d", 5000+w)
						rec := httptest.NewRecorder()
						e.h.ServeHTTP(rec, req)
						mu.Lock()
						switch rec.Code {
						case http.StatusCreated:
							created++
						case http.StatusTooManyRequests:
							limited++
							if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > int(ttl/time.Second) {
								t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
							}
						default:
							t.Errorf("status %d: %s", rec.Code, rec.Body.String())
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return created, limited
		}
		created, limited := flood(400)
		if created != perClient || limited != 400-perClient {
			t.Fatalf("%d created, %d refused; want %d and %d", created, limited, perClient, 400-perClient)
		}
		if n, err := e.store.CountChoiceSessions(ctx, ""); err != nil || n != perClient {
			t.Fatalf("%d sessions stored (%v), want the cap of %d", n, err, perClient)
		}
		// Another client is not affected by the flood.
		want(t, e.from(t, "198.51.100.4:1", "POST", "/api/v1/choice-sessions", ""), http.StatusCreated)

		// The flood's sessions expire and are swept; the client may start
		// again, up to the cap.
		time.Sleep(ttl + 100*time.Millisecond)
		if n, err := e.store.SweepChoiceSessions(ctx, ttl, 1000); err != nil || n != perClient+1 {
			t.Fatalf("swept %d (%v), want %d", n, err, perClient+1)
		}
		clock.Add(time.Minute) // the rate limit's buckets refill
		created, _ = flood(40)
		if created != perClient {
			t.Fatalf("%d created after the sweep, want %d", created, perClient)
		}
		if n, err := e.store.CountChoiceSessions(ctx, ""); err != nil || n != perClient {
			t.Fatalf("%d sessions stored (%v), want %d", n, err, perClient)
		}
	}, func(d *Deps) {
		d.Limits.RateAnon = ratelimit.Rate{PerSecond: 10, Burst: 20}
		d.Limits.SessionsPerClient, d.Limits.SessionTTL = perClient, ttl
		d.Now = clock.Now
	})
}

// TestRequestDeadline: every API request carries a deadline into the
// calls it makes; one that runs out answers 503, not 500.
func TestRequestDeadline(t *testing.T) {
	e := sqliteEnv(t, func(d *Deps) { d.Limits.RequestTimeout = 50 * time.Millisecond })
	var left time.Duration
	e.srv.router.GET("/api/v1/test/slow", e.srv.requestLimits, func(c *gin.Context) {
		dl, ok := c.Request.Context().Deadline()
		if !ok {
			t.Error("no deadline on the request context")
		}
		left = time.Until(dl)
		// A database call under the deadline, as a handler makes it.
		if _, err := e.store.GetChoiceSession(c.Request.Context(), "x"); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("a call within the deadline: %v", err)
		}
		<-c.Request.Context().Done()
		_, err := e.store.GetChoiceSession(c.Request.Context(), "x")
		writeError(c, e.srv.log, err)
	})
	rec, body := e.call(t, "GET", "/api/v1/test/slow", "", nil)
	want(t, rec, http.StatusServiceUnavailable)
	if _, kind := errField(body); kind != "unavailable" || left <= 0 || left > 50*time.Millisecond {
		t.Fatalf("kind %q, deadline in %s: %s", kind, left, rec.Body.String())
	}
}
