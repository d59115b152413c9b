package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func put(t *testing.T, s blob.Store, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func read(t *testing.T, s blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data, info
}

func TestBlobRoundTrip(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "items/a/original.jpg", []byte("jpeg bytes"), "image/jpeg")
		data, info := read(t, s, "items/a/original.jpg")
		if string(data) != "jpeg bytes" || info.Size != 10 || info.ContentType != "image/jpeg" || info.Key != "items/a/original.jpg" {
			t.Fatalf("got %q %+v", data, info)
		}
		if age := time.Since(info.ModTime); age < -time.Minute || age > time.Minute {
			t.Fatalf("mod time %v", info.ModTime)
		}
		st, err := s.Stat(ctx, "items/a/original.jpg")
		if err != nil || st.Size != 10 || st.ContentType != "image/jpeg" {
			t.Fatalf("stat %+v %v", st, err)
		}
		// Overwrite replaces data and type; no type means octet-stream.
		put(t, s, "items/a/original.jpg", []byte("png"), "")
		data, info = read(t, s, "items/a/original.jpg")
		if string(data) != "png" || info.ContentType != blob.DefaultContentType {
			t.Fatalf("after overwrite %q %+v", data, info)
		}
		// Unknown size is allowed.
		if err := s.Put(ctx, "unknown-size", strings.NewReader("streamed"), -1, "text/plain"); err != nil {
			t.Fatal(err)
		}
		if data, _ := read(t, s, "unknown-size"); string(data) != "streamed" {
			t.Fatalf("unknown size read back %q", data)
		}
		put(t, s, "empty", nil, "text/plain")
		if data, info := read(t, s, "empty"); len(data) != 0 || info.Size != 0 {
			t.Fatalf("empty object %q %+v", data, info)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBlobLargeObject(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		// Over 20 MiB, so MinIO takes it in several parts.
		const size = 21<<20 + 12345
		data := make([]byte, size)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		put(t, s, "models/big.bin", data, "application/octet-stream")
		got, info := read(t, s, "models/big.bin")
		if info.Size != size || len(got) != size {
			t.Fatalf("size %d / %d, want %d", info.Size, len(got), size)
		}
		if sha256.Sum256(got) != sha256.Sum256(data) || !bytes.Equal(got, data) {
			t.Fatal("large object read back differs")
		}
	})
}

func TestBlobList(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, k := range []string{"items/b/1.png", "items/a/2.png", "items/a/1.png", "itemsx/1.png", "models/m", "items.txt"} {
			put(t, s, k, []byte(k), "text/plain")
		}
		keys := func(prefix string) []string {
			infos, err := s.List(ctx, prefix)
			if err != nil {
				t.Fatalf("list %q: %v", prefix, err)
			}
			var out []string
			for _, in := range infos {
				if in.Size != int64(len(in.Key)) {
					t.Fatalf("list size of %s = %d", in.Key, in.Size)
				}
				out = append(out, in.Key)
			}
			return out
		}
		for prefix, want := range map[string][]string{
			"items/":    {"items/a/1.png", "items/a/2.png", "items/b/1.png"},
			"items/a/":  {"items/a/1.png", "items/a/2.png"},
			"items":     {"items.txt", "items/a/1.png", "items/a/2.png", "items/b/1.png", "itemsx/1.png"},
			"items/a/1": {"items/a/1.png"},
			"nothing/":  nil,
			"":          {"items.txt", "items/a/1.png", "items/a/2.png", "items/b/1.png", "itemsx/1.png", "models/m"},
		} {
			if got := keys(prefix); !reflect.DeepEqual(got, want) {
				t.Errorf("list %q = %v, want %v", prefix, got, want)
			}
		}
		_, err := s.List(ctx, "../")
		testkit.WantKind(t, err, atelier.KindInvalid)
	})
}

func TestBlobDeleteAndNotFound(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "a/b", []byte("x"), "")
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Get(ctx, "a/b")
		testkit.WantKind(t, err, atelier.KindNotFound)
		_, err = s.Stat(ctx, "a/b")
		testkit.WantKind(t, err, atelier.KindNotFound)
		testkit.WantKind(t, s.Delete(ctx, "a/b"), atelier.KindNotFound)
		_, _, err = s.Get(ctx, "never/written")
		testkit.WantKind(t, err, atelier.KindNotFound)
		// A prefix of keys is not an object.
		put(t, s, "dir/obj", []byte("x"), "")
		_, err = s.Stat(ctx, "dir")
		testkit.WantKind(t, err, atelier.KindNotFound)
		if infos, err := s.List(ctx, "a/"); err != nil || len(infos) != 0 {
			t.Fatalf("deleted object still listed: %v %v", infos, err)
		}
	})
}

func TestBlobRejectsBadKeys(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, key := range []string{"../../etc/passwd", "", "/etc/passwd", `..\evil`, "a\x00b", "a//b", ".meta", strings.Repeat("k", 600)} {
			err := s.Put(ctx, key, strings.NewReader("x"), 1, "")
			testkit.WantKind(t, err, atelier.KindInvalid)
			_, _, err = s.Get(ctx, key)
			testkit.WantKind(t, err, atelier.KindInvalid)
			_, err = s.Stat(ctx, key)
			testkit.WantKind(t, err, atelier.KindInvalid)
			testkit.WantKind(t, s.Delete(ctx, key), atelier.KindInvalid)
			_, err = s.URL(ctx, key, time.Minute)
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
		if infos, err := s.List(ctx, ""); err != nil || len(infos) != 0 {
			t.Fatalf("bad keys left objects: %v %v", infos, err)
		}
	})
}

func TestBlobSize(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		// Over 16 MiB too, where MinIO would upload parts.
		for _, n := range []int64{10, 17 << 20} {
			err := s.Put(ctx, "short", strings.NewReader("abc"), n, "")
			testkit.WantKind(t, err, atelier.KindInvalid)
			_, err = s.Stat(ctx, "short")
			testkit.WantKind(t, err, atelier.KindNotFound)
		}
		// A failed overwrite leaves the old object, type included.
		put(t, s, "kept", []byte("old"), "text/plain")
		err := s.Put(ctx, "kept", strings.NewReader("new"), 5, "image/png")
		testkit.WantKind(t, err, atelier.KindInvalid)
		if data, info := read(t, s, "kept"); string(data) != "old" || info.ContentType != "text/plain" {
			t.Fatalf("after a failed overwrite: %q %+v", data, info)
		}
		// Only the announced bytes are read.
		put(t, s, "long", nil, "")
		if err := s.Put(ctx, "long", strings.NewReader("abcdef"), 3, ""); err != nil {
			t.Fatal(err)
		}
		if data, _ := read(t, s, "long"); string(data) != "abc" {
			t.Fatalf("stored %q, want the 3 announced bytes", data)
		}
	})
}

func TestBlobCancelledPut(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Put(ctx, "cancelled", strings.NewReader("x"), 1, "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("put with a cancelled context: %v", err)
		}
		_, err = s.Stat(context.Background(), "cancelled")
		testkit.WantKind(t, err, atelier.KindNotFound)
	})
}

// fetch GETs a URL made by s.URL: a local store's URL is served by its
// handler through a test server, a MinIO URL by the server itself.
func fetch(t *testing.T, s blob.Store, u string) *http.Response {
	t.Helper()
	if l, ok := s.(*blob.Local); ok {
		srv := httptest.NewServer(l.Handler())
		t.Cleanup(srv.Close)
		u = srv.URL + u
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestBlobURL(t *testing.T) {
	storagetest.ForEachBlobStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "variants/v1.png", []byte("\x89PNG fake"), "image/png")
		u, err := s.URL(ctx, "variants/v1.png", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp := fetch(t, s, u)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "\x89PNG fake" || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("GET %s: %d %q %q", u, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		// Someone else's key under the same signature is refused.
		put(t, s, "variants/v2.png", []byte("other"), "image/png")
		forged := strings.Replace(u, "v1.png", "v2.png", 1)
		if resp := fetch(t, s, forged); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("forged URL: status %d", resp.StatusCode)
		}
		for _, ttl := range []time.Duration{0, -time.Second, blob.MaxURLTTL + time.Second} {
			_, err := s.URL(ctx, "variants/v1.png", ttl)
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
	})
}
