package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

func init() { gin.SetMode(gin.TestMode) }

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func newTestServer(t *testing.T, checks ...Check) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	return New(Deps{Log: log, Checks: checks}), &logs
}

func do(t *testing.T, h http.Handler, method, path string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	var body map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec, body
}

func TestHealthAndReadiness(t *testing.T) {
	ok := pingFunc(func(context.Context) error { return nil })
	down := pingFunc(func(context.Context) error { return errors.New("dial tcp 10.1.2.3:5432: connection refused") })

	s, _ := newTestServer(t, Check{"database", ok}, Check{"blob", ok})
	if rec, _ := do(t, s.Handler(), "GET", "/healthz"); rec.Code != 200 {
		t.Fatalf("healthz = %d", rec.Code)
	}
	if rec, _ := do(t, s.Handler(), "GET", "/readyz"); rec.Code != 200 {
		t.Fatalf("readyz with all up = %d", rec.Code)
	}

	s, _ = newTestServer(t, Check{"database", ok}, Check{"blob", down})
	rec, body := do(t, s.Handler(), "GET", "/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with blob down = %d", rec.Code)
	}
	checks := body["checks"].(map[string]any)
	if checks["blob"] != "unreachable" || checks["database"] != "ok" {
		t.Fatalf("readyz checks = %v", checks)
	}
	if strings.Contains(rec.Body.String(), "10.1.2.3") {
		t.Fatalf("readyz leaks the cause: %s", rec.Body.String())
	}
}

func TestErrorMappingAndPanicRecovery(t *testing.T) {
	s, logs := newTestServer(t)
	s.router.GET("/boom", func(c *gin.Context) { panic("secret internal state") })
	s.router.GET("/bad", func(c *gin.Context) {
		writeError(c, s.log, atelier.FieldErrorf("n", "must be between 1 and 16"))
	})
	s.router.GET("/db", func(c *gin.Context) {
		writeError(c, s.log, errors.New("pq: password authentication failed for user atelier"))
	})

	rec, body := do(t, s.Handler(), "GET", "/boom")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "secret internal state") {
		t.Fatal("panic not logged")
	}
	if id := rec.Header().Get("X-Request-Id"); id == "" || body["error"].(map[string]any)["request_id"] != id {
		t.Fatalf("request id missing or mismatched: %q %v", id, body)
	}

	rec, body = do(t, s.Handler(), "GET", "/bad")
	e := body["error"].(map[string]any)
	if rec.Code != 400 || e["field"] != "n" || e["kind"] != "invalid" {
		t.Fatalf("invalid answered %d %v", rec.Code, body)
	}

	rec, _ = do(t, s.Handler(), "GET", "/db")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "password") {
		t.Fatalf("internal error leaked: %d %s", rec.Code, rec.Body.String())
	}

	rec, body = do(t, s.Handler(), "GET", "/api/v1/nope")
	if rec.Code != 404 || body["error"].(map[string]any)["kind"] != "not_found" {
		t.Fatalf("unknown route answered %d %v", rec.Code, body)
	}
	rec, _ = do(t, s.Handler(), "DELETE", "/healthz")
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("wrong method answered %d", rec.Code)
	}
}

func TestStatusOfCoversEveryKind(t *testing.T) {
	want := map[atelier.Kind]int{
		atelier.KindInvalid: 400, atelier.KindUnauthorized: 401, atelier.KindForbidden: 403,
		atelier.KindNotFound: 404, atelier.KindConflict: 409, atelier.KindTooLarge: 413,
		atelier.KindInternal: 500, atelier.KindUnavailable: 503, atelier.KindNoSpace: 507,
	}
	for k, code := range want {
		if got := statusOf(k); got != code {
			t.Errorf("statusOf(%s) = %d, want %d", k, got, code)
		}
	}
}

// A dependency that is down answers 503 with a Retry-After, like a rate
// limit, so clients back off and retry instead of giving up.
func TestUnavailableAnswersRetryAfter(t *testing.T) {
	s, _ := newTestServer(t)
	s.router.GET("/down", func(c *gin.Context) {
		writeError(c, s.log, atelier.Wrap(atelier.KindUnavailable, errors.New("dial tcp: connection refused"), "the database is unavailable; retry later"))
	})
	rec, body := do(t, s.Handler(), "GET", "/down")
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("unavailable answered %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if msg := body["error"].(map[string]any)["message"]; strings.Contains(msg.(string), "refused") {
		t.Fatalf("cause leaked to the client: %v", msg)
	}
	// What lasts until an operator acts is 503 without Retry-After: a
	// client told to retry in a second would poll for nothing.
	s.router.GET("/no-model", func(c *gin.Context) {
		writeError(c, s.log, fmt.Errorf("recommend: %w", atelier.Lastingf("no recommender model is active yet")))
	})
	if rec, _ = do(t, s.Handler(), "GET", "/no-model"); rec.Code != 503 || rec.Header().Get("Retry-After") != "" {
		t.Fatalf("a lasting unavailable answered %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestMetricsUseRouteTemplates(t *testing.T) {
	s, _ := newTestServer(t)
	s.router.GET("/api/v1/items/:id", func(c *gin.Context) { c.Status(204) })
	for _, id := range []string{"a", "b", "c"} {
		do(t, s.Handler(), "GET", "/api/v1/items/"+id)
	}
	rec, _ := do(t, s.Handler(), "GET", "/metrics")
	out := rec.Body.String()
	if !strings.Contains(out, `atelier_http_request_duration_seconds_count{method="GET",route="/api/v1/items/:id",status="204"} 3`) {
		t.Fatalf("metrics lack the templated route:\n%s", grep(out, "atelier_http"))
	}
	if strings.Contains(out, `route="/api/v1/items/a"`) {
		t.Fatal("metrics use raw paths")
	}
}

func grep(s, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestServeShutsDownGracefully(t *testing.T) {
	s, _ := newTestServer(t)
	slow := make(chan struct{})
	s.router.GET("/slow", func(c *gin.Context) {
		close(slow)
		time.Sleep(200 * time.Millisecond)
		c.String(200, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 5*time.Second) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-slow
	cancel() // shutdown while /slow is in flight
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
