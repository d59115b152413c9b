package api

import (
	"context"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// ledger is a blob store that remembers which keys were written and not
// deleted since it was last reset: what a request left behind.
type ledger struct {
	blob.Store
	mu   sync.Mutex
	live map[string]bool
}

func (l *ledger) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	err := l.Store.Put(ctx, key, r, size, ct)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live[key] = true // even a failed Put may have left something: the handler must delete it
	return err
}

func (l *ledger) Delete(ctx context.Context, key string) error {
	err := l.Store.Delete(ctx, key)
	if err == nil || atelier.ErrorKind(err) == atelier.KindNotFound {
		l.mu.Lock()
		delete(l.live, key)
		l.mu.Unlock()
	}
	return err
}

func (l *ledger) reset() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.live
	l.live = map[string]bool{}
	return out
}

// newestItem is the id of the most recently created item ("" for none).
func newestItem(t testing.TB, s *storage.Store) string {
	t.Helper()
	items, err := s.ListItems(context.Background(), atelier.AllScope(), storage.ItemFilter{Page: storage.Page{Limit: 1, Desc: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		return ""
	}
	return items[0].ID
}

// FuzzUpload sends arbitrary image bytes and attributes to POST /items and
// checks that the answer is never a 5xx and that a refused upload leaves
// no record and no blob, while an accepted one leaves exactly one record
// and its two blobs. Run it with
//
//	go test -run '^$' -fuzz FuzzUpload -fuzztime 20s ./api/
func FuzzUpload(f *testing.F) {
	e := newEnv(f, storagetest.OpenStore(f, storagetest.SQLiteURL(f)), storagetest.OpenBlob(f, storagetest.LocalBlobURL(f)))
	l := &ledger{Store: e.blobs, live: map[string]bool{}}
	e.srv.blobs = l

	good := pngBytes(f, solid(palette["red"], 24, 16))
	webp, err := os.ReadFile("testdata/gopher-doc.1bpp.lossless.webp")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		data  []byte
		attrs string
	}{
		{good, `{"color":"red"}`},
		{jpegBytes(f, solid(palette["blue"], 17, 9)), `{}`},
		{webpBytes(f), ""},
		{webp, `{"fit":"slim"}`},
		{good[:len(good)/2], ""},
		{good[:8], ""},
		{hugePNG(f, 1<<15, 1<<15), ""},
		{hugePNG(f, 0, 0), ""},
		{[]byte("RIFF\x20\x00\x00\x00WEBPVP8 \x10\x00\x00\x00garbagegarbage!!"), ""},
		{[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), ""},
		{[]byte{}, `{"a":1}`},
		{[]byte("GIF89a"), `not json`},
	} {
		f.Add(seed.data, seed.attrs)
	}

	f.Fuzz(func(t *testing.T, data []byte, attrs string) {
		before := newestItem(t, e.store)
		l.reset()
		parts := []formPart{{name: "image", filename: "f.bin", data: data}, {name: "category", value: "dress"}}
		if attrs != "" {
			parts = append(parts, formPart{name: "attributes", value: attrs})
		}
		rec, body := e.upload(t, e.aliceKey, parts...)
		if rec.Code >= 500 {
			t.Fatalf("upload of %d bytes answered %d: %s", len(data), rec.Code, rec.Body.String())
		}
		left := l.reset()
		after := newestItem(t, e.store)
		if rec.Code != http.StatusCreated {
			if rec.Code < 400 {
				t.Fatalf("upload answered %d", rec.Code)
			}
			if after != before || len(left) != 0 {
				t.Fatalf("a refused upload (%d) left item %q and blobs %v", rec.Code, after, left)
			}
			return
		}
		id, _ := body["id"].(string)
		if after != id || len(left) != 2 {
			t.Fatalf("an accepted upload left newest item %q (answered %q) and blobs %v", after, id, left)
		}
		it, err := e.store.GetItem(context.Background(), id, e.alice.Scope())
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{it.Images[0].OriginalKey, it.Images[0].ModelKey} {
			if !left[key] {
				t.Fatalf("the record names blob %s, which the upload did not write", key)
			}
		}
	})
}
