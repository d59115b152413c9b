package api

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"net/http"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/serving"
)

// withProbes stores a pool of n generated probes for the test recommender
// (as the probe-pool job does: items of kind probe with their images) and
// serves them with rounds made only of probes.
func (e *env) withProbes(t *testing.T, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		c := color.NRGBA{uint8(40 * i), uint8(255 - 30*i), 128, 255}
		data := pngBytes(t, solid(c, atelier.ModelSize, atelier.ModelSize))
		key := fmt.Sprintf("probes/pool-1/%04d.png", i)
		if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
			t.Fatal(err)
		}
		it, err := e.store.CreateItem(ctx, atelier.Item{ExternalID: fmt.Sprintf("probe-pool-1-%04d", i), Category: "dress", Generated: true,
			Attributes: map[string]string{"recommender_version_id": e.recVersion.ID, "pool": "pool-1"},
			Images:     []atelier.Image{{OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	e.rt = serving.New(serving.Config{Store: e.store, Blobs: e.blobs, Load: loadFake, ProbeShare: 1})
	if _, err := e.rt.Activate(ctx, e.recVersion.ID); err != nil {
		t.Fatal(err)
	}
	e.srv.rec = e.rt
	return ids
}

// TestChoiceFlowWithProbes: with a probe pool served, rounds show probes
// marked generated with their images; a probe can be picked and
// recommendations are still catalog items; a probe's id is refused where
// an item's is expected.
func TestChoiceFlowWithProbes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		probes := e.withProbes(t, 8)
		rec, round := e.call(t, "POST", "/api/v1/choice-sessions", "", map[string]any{"rounds": 2})
		want(t, rec, http.StatusCreated)
		opts := round["options"].([]any)
		for _, o := range opts {
			v := o.(map[string]any)
			if v["generated"] != true || v["image_url"] == "" {
				t.Fatalf("option %v: want a generated probe with its image", v)
			}
		}
		picked := opts[1].(map[string]any)["item_id"].(string)
		path := "/api/v1/choice-sessions/" + round["id"].(string)
		rec, _ = e.call(t, "POST", path+"/choices", "", map[string]any{"round": 1, "item_id": picked})
		want(t, rec, http.StatusOK)
		rec, body := e.call(t, "GET", path+"/recommendations", "", nil)
		want(t, rec, http.StatusOK)
		for _, it := range body["items"].([]any) {
			id := it.(map[string]any)["item_id"].(string)
			for _, p := range probes {
				if id == p {
					t.Fatalf("a probe %s is recommended", id)
				}
			}
		}

		// A probe is no product.
		for _, c := range []struct{ method, path, key string }{
			{"GET", "/api/v1/items/" + probes[0], e.aliceKey},
			{"GET", "/api/v1/items/" + probes[0] + "/similar", ""},
			{"GET", "/api/v1/items/" + probes[0] + "/thumbnail", ""},
			{"POST", "/api/v1/items/" + probes[0] + "/redesigns", e.aliceKey},
		} {
			var b any
			if c.method == "POST" {
				b = map[string]any{"segment_id": "any"}
			}
			rec, _ := e.call(t, c.method, c.path, c.key, b)
			if rec.Code != http.StatusBadRequest || !bytes.Contains(rec.Body.Bytes(), []byte("AI-generated probe")) {
				t.Errorf("%s %s: %d %s; want 400 naming the probe", c.method, c.path, rec.Code, rec.Body.String())
			}
		}
		rec, body = e.call(t, "GET", "/api/v1/items?catalog=true&limit=100", e.aliceKey, nil)
		want(t, rec, http.StatusOK)
		if n := len(body["items"].([]any)); n != len(e.catalog) {
			t.Errorf("the item list holds %d items, want the catalog's %d and no probe", n, len(e.catalog))
		}
	})
}
