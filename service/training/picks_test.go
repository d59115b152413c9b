package training

import (
	"context"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// TestExportPicks: a known consumer's pick becomes "chosen over each
// other item shown" triplets over the exported dataset; an anonymous
// session's pick teaches nothing and is left out.
func TestExportPicks(t *testing.T) {
	world := servicetest.World(t, 24, 4, 2)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		ctx := context.Background()
		e := NewEngine(store, blobs)
		items, err := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true})
		if err != nil || len(items) < 3 {
			t.Fatalf("%d items (%v)", len(items), err)
		}
		consumer, err := store.EnsureConsumer(ctx, "c00001")
		if err != nil {
			t.Fatal(err)
		}
		shown := []string{items[0].ID, items[1].ID, items[2].ID}
		for _, cs := range []atelier.ChoiceSession{{ConsumerID: consumer.ID, Rounds: 1}, {AnonToken: "anon", Rounds: 1}} {
			sess, err := store.CreateChoiceSession(ctx, cs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 0, Shown: shown, Chosen: items[1].ID}); err != nil {
				t.Fatal(err)
			}
		}
		// A pick of a generated probe over a catalog item: the probe's
		// image joins the training images, after the catalog's.
		probe, err := store.CreateItem(ctx, atelier.Item{ExternalID: "probe-p-0", Category: items[0].Category, Generated: true,
			Images: items[0].Images})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := store.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: consumer.ID, Rounds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 0, Shown: []string{probe.ID, items[2].ID}, Chosen: probe.ID}); err != nil {
			t.Fatal(err)
		}
		d, im, exported, err := e.exportDataset(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		picks := exported.triplets
		index := func(externalID string) int {
			return slices.IndexFunc(d.Items, func(it recommender.Item) bool { return it.ID == externalID })
		}
		u := slices.IndexFunc(d.Consumers, func(c recommender.Consumer) bool { return c.ID == "c00001" })
		want := []recommender.Triplet{
			{Consumer: u, Preferred: index(items[1].ExternalID), Other: index(items[0].ExternalID)},
			{Consumer: u, Preferred: index(items[1].ExternalID), Other: index(items[2].ExternalID)},
			{Consumer: u, Preferred: len(d.Items), Other: index(items[2].ExternalID)},
		}
		if u < 0 || !slices.ContainsFunc(picks, func(p recommender.Triplet) bool { return p == want[2] }) {
			t.Fatalf("picks %+v, want %+v among them", picks, want[2])
		}
		slices.SortFunc(picks, func(a, b recommender.Triplet) int { return a.Preferred*1000 + a.Other - b.Preferred*1000 - b.Other })
		slices.SortFunc(want, func(a, b recommender.Triplet) int { return a.Preferred*1000 + a.Other - b.Preferred*1000 - b.Other })
		if !slices.Equal(picks, want) {
			t.Fatalf("picks %+v, want %+v", picks, want)
		}
		if im.Len() != len(d.Items)+1 || len(exported.categories) != 1 {
			t.Fatalf("%d training images for %d items and one probe; %d probe categories", im.Len(), len(d.Items), len(exported.categories))
		}
	})
}
