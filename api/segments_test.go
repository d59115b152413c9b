package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
)

func TestSegments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		// The model's two consumers, with what they took; and imported labels.
		at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		took := map[string][]string{"likes-red": {"red", "darkred", "pink"}, "likes-blue": {"blue", "navy"}}
		for ext, colours := range took {
			c, err := e.store.CreateConsumer(ctx, atelier.Consumer{ExternalID: ext, Segment: "label-" + ext})
			if err != nil {
				t.Fatal(err)
			}
			for i, col := range colours {
				if _, err := e.store.AddInteractions(ctx, []atelier.Interaction{{ConsumerID: c.ID, ItemID: e.catalog[col].ID, Kind: "take", At: at.Add(time.Duration(i) * time.Hour)}}); err != nil {
					t.Fatal(err)
				}
			}
		}

		rec, body := e.call(t, "POST", "/api/v1/segments", e.adminKey, map[string]any{"method": "kmeans", "k": 2, "seed": 7})
		want(t, rec, http.StatusCreated)
		segs := body["segments"].([]any)
		if len(segs) != 2 {
			t.Fatalf("k-means made %v", segs)
		}
		var sawRed bool
		for _, s := range segs {
			sg := s.(map[string]any)
			desc := sg["description"].(map[string]any)
			cols := desc["top_colours"].([]any)
			if sg["size"] != 1.0 || sg["kind"] != "kmeans" || sg["model_version_id"] != e.recVersion.ID || len(cols) == 0 || desc["summary"] == "" {
				t.Fatalf("segment %v", sg)
			}
			if desc["interactions"] == 3.0 {
				sawRed = true
				if top := cols[0].(map[string]any); top["name"] != "red" {
					t.Fatalf("the red lover's segment is described as %v", desc)
				}
				if cat := desc["top_categories"].([]any)[0].(map[string]any); cat["name"] != "dress" || cat["share"] != 1.0 {
					t.Fatalf("the red lover's categories: %v", desc)
				}
			}
		}
		if !sawRed {
			t.Fatalf("no segment of the red lover: %v", segs)
		}

		rec, body = e.call(t, "POST", "/api/v1/segments", e.adminKey, map[string]any{"method": "imported"})
		want(t, rec, http.StatusCreated)
		if segs := body["segments"].([]any); len(segs) != 2 || segs[0].(map[string]any)["size"] != 1.0 {
			t.Fatalf("imported segments %v", segs)
		}

		// Sellers list them, with sizes and descriptions.
		rec, body = e.call(t, "GET", "/api/v1/segments", e.aliceKey, nil)
		want(t, rec, 200)
		listed := body["segments"].([]any)
		if len(listed) != 4 {
			t.Fatalf("listed %d segments", len(listed))
		}
		for _, s := range listed {
			sg := s.(map[string]any)
			if sg["size"] != 1.0 || sg["description"].(map[string]any)["summary"] == nil {
				t.Fatalf("listed %v", sg)
			}
		}
		rec, body = e.call(t, "GET", "/api/v1/segments?kind=imported", e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["segments"].([]any)); n != 2 {
			t.Fatalf("%d imported segments", n)
		}

		for name, c := range map[string]struct {
			body  any
			field string
			code  int
		}{
			"no method":         {map[string]any{"k": 2}, "method", 400},
			"bad method":        {map[string]any{"method": "magic"}, "method", 400},
			"kmeans without k":  {map[string]any{"method": "kmeans"}, "k", 400},
			"k 0":               {map[string]any{"method": "kmeans", "k": 0}, "k", 400},
			"k 51":              {map[string]any{"method": "kmeans", "k": 51}, "k", 400},
			"k above consumers": {map[string]any{"method": "kmeans", "k": 3}, "k", 400},
			"seed negative":     {map[string]any{"method": "kmeans", "k": 2, "seed": -1}, "seed", 400},
			"imported with k":   {map[string]any{"method": "imported", "k": 2}, "k", 400},
		} {
			rec, body := e.call(t, "POST", "/api/v1/segments", e.adminKey, c.body)
			if field, _ := errField(body); rec.Code != c.code || field != c.field {
				t.Errorf("%s: %d field %q, want %d %q (%s)", name, rec.Code, field, c.code, c.field, rec.Body.String())
			}
		}
		rec, body = e.call(t, "GET", "/api/v1/segments", e.aliceKey, nil)
		if n := len(body["segments"].([]any)); n != 4 {
			t.Fatalf("refused requests left %d segments", n)
		}
		rec, _ = e.call(t, "GET", "/api/v1/segments?kind=other", e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
	})
}
