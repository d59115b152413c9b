package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHostileIdentifiers sends ids, query values and JSON strings that no
// record can have (invalid UTF-8, NUL, very long): each must get a 4xx,
// never a database error passed on as a 500.
func TestHostileIdentifiers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		long := strings.Repeat("x", 5000)
		for _, bad := range []string{"%ff%fe", "%00", "a%00b", long, "%c3%28"} {
			for _, c := range []struct{ method, path, key string }{
				{"GET", "/api/v1/items/" + bad, e.aliceKey},
				{"GET", "/api/v1/items/" + bad + "/similar", ""},
				{"GET", "/api/v1/items/" + bad + "/thumbnail", ""},
				{"GET", "/api/v1/items/" + e.catalog["red"].ID + "/thumbnail?consumer=" + bad, ""},
				{"GET", "/api/v1/redesigns/" + bad, e.aliceKey},
				{"DELETE", "/api/v1/redesigns/" + bad, e.aliceKey},
				{"GET", "/api/v1/choice-sessions/" + bad, ""},
				{"GET", "/api/v1/choice-sessions/" + bad + "/recommendations", ""},
				{"GET", "/api/v1/consumers/" + bad + "/recommendations", ""},
				{"POST", "/api/v1/models/" + bad + "/activate", e.adminKey},
				{"GET", "/api/v1/items?after=" + bad, e.aliceKey},
				{"GET", "/api/v1/items?category=" + bad, e.aliceKey},
				{"GET", "/api/v1/redesigns?item_id=" + bad, e.aliceKey},
				{"GET", "/api/v1/segments?after=" + bad, e.aliceKey},
			} {
				rec, _ := e.send(t, httptest.NewRequest(c.method, c.path, nil), c.key)
				if rec.Code >= 500 || rec.Code < 400 {
					t.Errorf("%s %.80s: %d %.200s", c.method, c.path, rec.Code, rec.Body.String())
				}
			}
		}
		for _, c := range []struct{ path, key, body string }{
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"a\u0000b"}`},
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"` + long + `"}`},
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"` + sg.ID + `","seed":-1}`},
			{"/api/v1/sellers", e.adminKey, `{"name":"a\u0000b"}`},
			{"/api/v1/choice-sessions", "", `{"consumer_id":"a\u0000b"}`},
			{"/api/v1/imports", e.adminKey, `{"dir":"/tmp/a\u0000b"}`},
			{"/api/v1/imports", e.adminKey, `{"dir":"/tmp","category":"a\u0000b"}`},
		} {
			rec, _ := e.call(t, "POST", c.path, c.key, c.body)
			if rec.Code >= 500 {
				t.Errorf("POST %s %.60s: %d %s", c.path, c.body, rec.Code, rec.Body.String())
			}
		}
		// A valid, negative seed is a seed like any other.
		rec, _ := e.call(t, "POST", "/api/v1/items/"+item+"/redesigns", e.aliceKey, `{"segment_id":"`+sg.ID+`","seed":-1}`)
		want(t, rec, http.StatusAccepted)
	})
}

// TestHostileBodies: bodies too large, too deep or in too many parts are
// refused by a documented limit (docs/limits.md) before they cost memory
// or a database call.
func TestHostileBodies(t *testing.T) {
	e := sqliteEnv(t)
	huge := `{"consumer_id":"` + strings.Repeat("x", 25<<20) + `"}` // 25 MB
	post := func(path, key, ct string, body string, chunked bool) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if chunked {
			req.ContentLength = -1 // the size is not announced: the limit cuts the read
		}
		return e.send(t, req, key)
	}
	for _, chunked := range []bool{false, true} {
		rec, body := post("/api/v1/choice-sessions", "", "application/json", huge, chunked)
		want(t, rec, http.StatusRequestEntityTooLarge)
		if _, kind := errField(body); kind != "too_large" {
			t.Fatalf("25 MB JSON (chunked %v): kind %q", chunked, kind)
		}
		rec, _ = post("/api/v1/sellers", e.adminKey, "application/json", huge, chunked)
		want(t, rec, http.StatusRequestEntityTooLarge)
	}
	// Deep nesting: a million brackets, and valid JSON one level too deep.
	for _, deep := range []string{
		`{"consumer_id":` + strings.Repeat("[", 1_000_000),
		`{"consumer_id":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
	} {
		rec, body := post("/api/v1/choice-sessions", "", "application/json", deep, false)
		want(t, rec, http.StatusBadRequest)
		if msg := body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "nests deeper") {
			t.Fatalf("deep JSON: %s", msg)
		}
	}
	// Brackets inside strings are not nesting.
	rec, _ := post("/api/v1/choice-sessions", "", "application/json", `{"consumer_id":"`+strings.Repeat("[", 100)+`"}`, false)
	if strings.Contains(rec.Body.String(), "nests deeper") {
		t.Fatalf("brackets in a string counted as nesting: %s", rec.Body.String())
	}

	// A multipart bomb: many small parts, under the size limit; the part
	// limit stops it at the first part over.
	var bomb strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&bomb, "--B\r\nContent-Disposition: form-data; name=\"attr.a%d\"\r\n\r\nx\r\n", i)
	}
	bomb.WriteString("--B--\r\n")
	rec, body := post("/api/v1/items", e.aliceKey, "multipart/form-data; boundary=B", bomb.String(), false)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "fields") {
		t.Fatalf("multipart bomb: %d %v", rec.Code, body)
	}
	// And one over the upload's size limit is refused unread.
	rec, _ = post("/api/v1/items", e.aliceKey, "multipart/form-data; boundary=B", strings.Repeat(bomb.String(), 3), false)
	want(t, rec, http.StatusRequestEntityTooLarge)
}

// serveEnv serves e on a loopback port with the given timeouts until the
// test ends, and returns the address.
func serveEnv(t *testing.T, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d (after
// answering, perhaps): a read ends with EOF or a reset, not a timeout.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowClients: slow and idle clients are cut off by the server's
// timeouts (short ones here; the defaults are in docs/limits.md), while
// an upload gets its own, longer time.
func TestSlowClients(t *testing.T) {
	e := sqliteEnv(t, func(d *Deps) {
		d.Timeouts = Timeouts{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Write: 2 * time.Second, Idle: 300 * time.Millisecond}
		d.Limits.RequestTimeout, d.Limits.UploadTimeout = time.Second, 5*time.Second
	})
	e.withCatalog(t)
	addr := serveEnv(t, e)
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("slow body", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "POST /api/v1/choice-sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"rounds\"")
		if !closedWithin(t, c, 3*time.Second) {
			t.Fatal("a body that never arrives kept its connection past the read timeout")
		}
	})
	t.Run("slow headers", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /api/v1 HTTP/1.1\r\nHost: x\r\n")
		if !closedWithin(t, c, 3*time.Second) {
			t.Fatal("headers that never end kept their connection past the header timeout")
		}
	})
	t.Run("huge headers", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /api/v1 HTTP/1.1\r\nHost: x\r\nX-Junk: %s\r\n\r\n", strings.Repeat("j", 100<<10))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("100 KiB of headers: %d", resp.StatusCode)
		}
	})
	t.Run("1000 idle connections", func(t *testing.T) {
		conns := make([]net.Conn, 1000)
		for i := range conns {
			conns[i] = dial()
		}
		// Meanwhile the server answers others.
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz %d with 1000 idle connections", resp.StatusCode)
		}
		for i, c := range conns {
			if !closedWithin(t, c, 3*time.Second) {
				t.Fatalf("idle connection %d still open", i)
			}
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		resp.Body.Close()
		if !closedWithin(t, c, 3*time.Second) {
			t.Fatal("a kept-alive connection stayed open past the idle timeout")
		}
	})
	t.Run("slow upload within its time", func(t *testing.T) {
		body, ct := multipartBody(t, formPart{name: "image", filename: "x.png", data: pngBytes(t, solid(palette["red"], 80, 60))},
			formPart{name: "category", value: "dress"})
		c := dial()
		fmt.Fprintf(c, "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			e.aliceKey, ct, len(body))
		half := len(body) / 2
		_, _ = c.Write(body[:half])
		time.Sleep(700 * time.Millisecond) // longer than the read timeout of other requests
		_, _ = c.Write(body[half:])
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("slow upload: %d", resp.StatusCode)
		}
	})
}
