package probes_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/demo"
	"github.com/atelier-app/atelier/service/probes"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// TestProbePool builds a pool with the demo models, as the probe-pool job
// does, and serves it: every probe is stored marked as AI-generated, a
// retry adds nothing, and the runtime's rounds then show probes whose
// picks fold into the taste like catalog items.
func TestProbePool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo models")
	}
	world := servicetest.World(t, 40, 8, 3)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		ctx := context.Background()
		if err := demo.RegisterModels(ctx, store, blobs, io.Discard); err != nil {
			t.Fatal(err)
		}
		rv, _ := store.ActiveModelVersion(ctx, atelier.ModelRecommender)
		gv, _ := store.ActiveModelVersion(ctx, atelier.ModelGAN)
		args, _ := json.Marshal(atelier.ProbePoolArgs{RecommenderVersionID: rv.ID, GANVersionID: gv.ID, N: 24, Seed: 1})
		job := probes.Job(store, blobs, "test-key")
		for attempt := range 2 { // a retried attempt adds nothing
			res, err := job(ctx, atelier.Job{ID: "pool-1", Kind: atelier.JobProbePool, Args: args}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var sum probes.Summary
			if err := json.Unmarshal(res, &sum); err != nil || sum.Size != 24 || sum.Drawn < 24 || sum.Recommender != rv.ID {
				t.Fatalf("attempt %d: summary %s (%v)", attempt, res, err)
			}
			items, err := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Probes: true, Page: storage.Page{Limit: 100}})
			if err != nil || len(items) != 24 {
				t.Fatalf("attempt %d: %d probes stored (%v)", attempt, len(items), err)
			}
		}
		items, _ := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Probes: true, Page: storage.Page{Limit: 1}})
		if z, err := probes.DecodeLatent(items[0].Attributes); err != nil || len(z) == 0 {
			t.Errorf("a probe's latent code: %d values (%v)", len(z), err)
		}
		png := readAll(t, blobs, items[0].Images[0].ModelKey)
		chunks, err := watermark.ReadText(png)
		if err != nil || !hasChunk(chunks, watermark.KeyAIGenerated, "true") {
			t.Errorf("a probe's PNG is not labelled AI-generated: %+v (%v)", chunks, err)
		}
		if catalogItems, _ := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true, Page: storage.Page{Limit: 1000}}); len(catalogItems) != 40 {
			t.Errorf("the catalog lists %d items, want the world's 40", len(catalogItems))
		}

		rt := serving.New(serving.Config{Store: store, Blobs: blobs, ProbeShare: 1,
			Load: func(ctx context.Context, mv atelier.ModelVersion) (serving.Model, error) {
				return catalog.LoadRecommender(ctx, blobs, mv)
			}})
		if err := rt.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		round, err := rt.NextRound(ctx, serving.Taste{}, 3, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range round {
			if !rt.Generated(id) {
				t.Errorf("round %v shows %s, not a probe, with a share of 1", round, id)
			}
			if key, ok := rt.ImageKey(id); !ok || !strings.HasPrefix(key, "probes/pool-1/") {
				t.Errorf("probe %s image %q", id, key)
			}
		}
		pick := atelier.Choice{Shown: round, Chosen: round[0]}
		next, err := rt.NextRound(ctx, serving.Taste{Picks: []atelier.Choice{pick}}, 3, 8)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range next {
			for _, old := range round {
				if id == old {
					t.Errorf("round 2 %v shows %s again", next, id)
				}
			}
		}
		before, _ := rt.Rank(ctx, serving.Taste{}, 5, nil)
		after, err := rt.Rank(ctx, serving.Taste{Picks: []atelier.Choice{pick}}, 5, nil)
		if err != nil || len(after) != 5 || rt.Generated(after[0].ItemID) {
			t.Fatalf("recommendations after a probe pick: %+v (%v)", after, err)
		}
		if before[0].Score == after[0].Score && before[1].Score == after[1].Score {
			t.Error("a probe pick did not move the recommendations' scores")
		}
	})
}

func readAll(t *testing.T, blobs blob.Store, key string) []byte {
	t.Helper()
	rc, _, err := blobs.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func hasChunk(cs []watermark.TextChunk, k, v string) bool {
	for _, c := range cs {
		if c.Keyword == k && c.Text == v {
			return true
		}
	}
	return false
}
