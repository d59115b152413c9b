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
		d, _, picks, err := e.exportDataset(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		index := func(externalID string) int {
			return slices.IndexFunc(d.Items, func(it recommender.Item) bool { return it.ID == externalID })
		}
		u := slices.IndexFunc(d.Consumers, func(c recommender.Consumer) bool { return c.ID == "c00001" })
		want := []recommender.Triplet{
			{Consumer: u, Preferred: index(items[1].ExternalID), Other: index(items[0].ExternalID)},
			{Consumer: u, Preferred: index(items[1].ExternalID), Other: index(items[2].ExternalID)},
		}
		if u < 0 || !slices.Equal(picks, want) {
			t.Fatalf("picks %+v, want %+v", picks, want)
		}
	})
}
