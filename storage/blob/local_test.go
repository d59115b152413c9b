package blob_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage/blob"
)

// get serves one request through h and returns the recorded response.
func get(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestLocalURLSignature(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l, err := blob.NewLocal(t.TempDir(), blob.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	put(t, l, "a/b.png", []byte("data"), "image/png")
	u, err := l.URL(context.Background(), "a/b.png", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, blob.DefaultURLPrefix+"a/b.png?exp=") || !strings.Contains(u, "&sig=") {
		t.Fatalf("URL %q", u)
	}
	h := l.Handler()
	if rec := get(h, http.MethodGet, u); rec.Code != 200 || rec.Body.String() != "data" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("valid URL: %d %q", rec.Code, rec.Body)
	}
	if rec := get(h, http.MethodHead, u); rec.Code != 200 || rec.Header().Get("Content-Length") != "4" {
		t.Fatalf("HEAD: %d %v", rec.Code, rec.Header())
	}
	for name, target := range map[string]string{
		"bad signature":  u[:len(u)-1] + map[bool]string{true: "0", false: "1"}[u[len(u)-1] != '0'],
		"no signature":   strings.Split(u, "&sig=")[0],
		"changed expiry": strings.Replace(u, "exp=", "exp=1", 1),
		"no query":       strings.Split(u, "?")[0],
	} {
		if rec := get(h, http.MethodGet, target); rec.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, rec.Code)
		}
	}
	// The same URL after its expiry.
	now = now.Add(time.Minute)
	if rec := get(h, http.MethodGet, u); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "expired") {
		t.Fatalf("expired URL: %d %q", rec.Code, rec.Body)
	}
	now = now.Add(-time.Minute)
	if rec := get(h, http.MethodPost, u); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
	// A signed URL of an object deleted since.
	if err := l.Delete(context.Background(), "a/b.png"); err != nil {
		t.Fatal(err)
	}
	if rec := get(h, http.MethodGet, u); rec.Code != http.StatusNotFound {
		t.Fatalf("deleted object: %d", rec.Code)
	}
	if rec := get(h, http.MethodGet, "/blobs/../../etc/passwd?exp=1&sig=x"); rec.Code != http.StatusNotFound {
		t.Fatalf("escaping path: %d", rec.Code)
	}
	// A range request is served partially.
	put(t, l, "r", []byte("0123456789"), "text/plain")
	ru, _ := l.URL(context.Background(), "r", time.Minute)
	req := httptest.NewRequest(http.MethodGet, ru, nil)
	req.Header.Set("Range", "bytes=2-4")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "234" {
		t.Fatalf("range: %d %q", rec.Code, rec.Body)
	}
}

func TestLocalSigningKeyIsShared(t *testing.T) {
	dir := t.TempDir()
	a, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, a, "k", []byte("v"), "")
	u, _ := a.URL(context.Background(), "k", time.Minute)
	if rec := get(b.Handler(), http.MethodGet, u); rec.Code != 200 {
		t.Fatalf("URL of one process refused by another: %d", rec.Code)
	}
	other, _ := blob.NewLocal(t.TempDir())
	put(t, other, "k", []byte("v"), "")
	if rec := get(other.Handler(), http.MethodGet, u); rec.Code != http.StatusForbidden {
		t.Fatalf("URL of another store accepted: %d", rec.Code)
	}
	explicit, _ := blob.NewLocal(dir, blob.WithSigningKey([]byte("0123456789abcdef0123456789abcdef")), blob.WithURLPrefix("/files/"))
	u2, _ := explicit.URL(context.Background(), "k", time.Minute)
	if !strings.HasPrefix(u2, "/files/k?") {
		t.Fatalf("prefix not used: %q", u2)
	}
	if rec := get(b.Handler(), http.MethodGet, strings.Replace(u2, "/files/", "/blobs/", 1)); rec.Code != http.StatusForbidden {
		t.Fatalf("URL signed with another key accepted: %d", rec.Code)
	}
}

func TestLocalLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.Open(context.Background(), "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "x/y.txt", []byte("hello"), "text/plain")
	// The object is a plain file, so an operator can inspect it.
	if data, err := os.ReadFile(filepath.Join(root, "x", "y.txt")); err != nil || string(data) != "hello" {
		t.Fatalf("file on disk: %q %v", data, err)
	}
	// Nothing left behind by the atomic write.
	if entries, err := os.ReadDir(filepath.Join(root, ".tmp")); err != nil || len(entries) != 0 {
		t.Fatalf("temporary folder after a write: %v (%v)", entries, err)
	}
	// Keys that S3 allows together but a directory tree cannot.
	err = s.Put(context.Background(), "x/y.txt/z", strings.NewReader("v"), 1, "")
	if atelier.ErrorKind(err) != atelier.KindConflict {
		t.Fatalf("clashing key: %v", err)
	}
	if _, err := blob.Open(context.Background(), "ftp://x"); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("bad scheme: %v", err)
	}
	rc, _, err := s.Get(context.Background(), "x/y.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
}

func TestMinIOUnreachable(t *testing.T) {
	start := time.Now()
	_, err := blob.Open(context.Background(), "minio://a:b@127.0.0.1:1/bucket?tls=false")
	if atelier.ErrorKind(err) != atelier.KindUnavailable || !strings.Contains(err.Error(), "could not be reached") {
		t.Fatalf("unreachable server: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %s to fail", d)
	}
}
