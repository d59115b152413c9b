package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
)

func TestConsumerRecommendations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		// likes-blue is known to the model; they already took navy.
		c, err := e.store.EnsureConsumer(ctx, "likes-blue")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.AddInteractions(ctx, []atelier.Interaction{{ConsumerID: c.ID, ItemID: e.catalog["navy"].ID, Kind: "take", At: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		rec, body := e.call(t, "GET", "/api/v1/consumers/likes-blue/recommendations?n=2", "", nil)
		want(t, rec, 200)
		items := body["items"].([]any)
		first, second := items[0].(map[string]any), items[1].(map[string]any)
		if len(items) != 2 || first["item_id"] != e.catalog["blue"].ID || second["item_id"] == e.catalog["navy"].ID ||
			first["score"].(float64) < second["score"].(float64) {
			t.Fatalf("blue lover's recommendations: %v", items)
		}
		// Without a model every recommendation is unavailable.
		e.srv.rec = noRecommender{}
		rec, _ = e.call(t, "GET", "/api/v1/consumers/likes-blue/recommendations", "", nil)
		want(t, rec, http.StatusServiceUnavailable)
	})
}

func TestSimilarItems(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		rec, body := e.call(t, "GET", "/api/v1/items/"+e.catalog["red"].ID+"/similar?k=2", "", nil)
		want(t, rec, 200)
		items := body["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["item_id"] != e.catalog["darkred"].ID {
			t.Fatalf("similar to red: %v", items)
		}
		// A seller's own item is compared with the catalog too, with its key.
		own := e.uploadItem(t, e.aliceKey, palette["navy"])
		rec, body = e.call(t, "GET", "/api/v1/items/"+own+"/similar?k=1", e.aliceKey, nil)
		want(t, rec, 200)
		if got := body["items"].([]any)[0].(map[string]any)["item_id"]; got != e.catalog["navy"].ID {
			t.Fatalf("similar to alice's navy item: %v", got)
		}
		for path, status := range map[string]int{
			"/api/v1/items/" + own + "/similar":                       http.StatusNotFound, // without the key
			"/api/v1/items/nope/similar":                              http.StatusNotFound,
			"/api/v1/items/" + e.catalog["red"].ID + "/similar?k=0":   http.StatusBadRequest,
			"/api/v1/items/" + e.catalog["red"].ID + "/similar?k=101": http.StatusBadRequest,
		} {
			rec, _ := e.call(t, "GET", path, "", nil)
			if rec.Code != status {
				t.Errorf("%s: %d, want %d", path, rec.Code, status)
			}
		}
	})
}

func TestThumbnail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		// A catalog item with a red and a blue image.
		var imgs []atelier.Image
		for i, name := range []string{"red", "blue"} {
			data := pngBytes(t, solid(palette[name], 64, 64))
			key := "catalog/two-tone/" + name + ".png"
			if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, atelier.Image{Position: i, OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"})
		}
		it, err := e.store.CreateItem(ctx, atelier.Item{ExternalID: "two-tone", Category: "dress", Images: imgs})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"likes-red", "likes-blue"} {
			if _, err := e.store.EnsureConsumer(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		path := "/api/v1/items/" + it.ID + "/thumbnail"
		for consumer, idx := range map[string]float64{"likes-red": 0, "likes-blue": 1} {
			req := httptest.NewRequest("GET", path+"?consumer="+consumer, nil)
			req.Header.Set("Accept", "application/json")
			rec, body := e.send(t, req, "")
			want(t, rec, 200)
			if body["image_index"] != idx || body["image_url"] == "" {
				t.Fatalf("thumbnail for %s: %v", consumer, body)
			}
		}
		// Without Accept: JSON, a redirect to the image.
		rec, _ := e.call(t, "GET", path+"?consumer=likes-blue", "", nil)
		want(t, rec, http.StatusFound)
		loc := rec.Header().Get("Location")
		if loc == "" || rec.Header().Get("Cache-Control") != "private, max-age=60" {
			t.Fatalf("redirect to %q, headers %v", loc, rec.Header())
		}
		if _, ok := e.blobs.(interface{ Handler() http.Handler }); ok {
			if got := fetchLocalBlob(t, e, loc); !bytes.Equal(got, readBlob(t, e, imgs[1].OriginalKey)) {
				t.Fatal("the redirect does not lead to the blue image")
			}
		}
		// No consumer: the item's own first image.
		rec, _ = e.call(t, "GET", path, "", nil)
		want(t, rec, http.StatusFound)
		rec, _ = e.call(t, "GET", path+"?consumer=nobody", "", nil)
		want(t, rec, http.StatusNotFound)
	})
}
