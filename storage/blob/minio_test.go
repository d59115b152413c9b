package blob_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestMinIOPublicURL signs image URLs for the address clients use
// (localhost here) rather than the one the service connects to
// (127.0.0.1), and the server accepts them.
func TestMinIOPublicURL(t *testing.T) {
	raw := storagetest.MinIOURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	public := "http://localhost:" + u.Port()
	q := u.Query()
	q.Set("public", public)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	s, err := blob.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "items/a.png", []byte("public bytes"), "image/png")
	signed, err := s.URL(ctx, "items/a.png", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, public+"/") {
		t.Fatalf("URL %s is not on %s", signed, public)
	}
	resp, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "public bytes" {
		t.Fatalf("GET %s: %d %q", signed, resp.StatusCode, body)
	}
}
