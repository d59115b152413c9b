package storage_test

import (
	"context"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestProbesAreNoProducts: a generated probe is stored like an item, so a
// pick of it is a choice like any other, but it is in no listing of
// products, the catalog's or a seller's, and reads back as generated.
func TestProbesAreNoProducts(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		probe := catalogItem("probe-pool1-0")
		probe.Generated = true
		probe = testkit.Must(s.CreateItem(ctx, probe))(t)

		for _, f := range []storage.ItemFilter{{Catalog: true}, {}, {OwnerID: w.alice.ID}} {
			for _, it := range testkit.Must(s.ListItems(ctx, atelier.AllScope(), f))(t) {
				if it.ID == probe.ID || it.Generated {
					t.Errorf("filter %+v lists the probe", f)
				}
			}
		}
		probes := testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Probes: true}))(t)
		if len(probes) != 1 || probes[0].ID != probe.ID || !probes[0].Generated {
			t.Fatalf("probes %+v", probes)
		}
		if got := testkit.Must(s.GetItem(ctx, probe.ID, atelier.Scope{}))(t); !got.Generated || len(got.Images) == 0 {
			t.Fatalf("GetItem of the probe: %+v", got)
		}
		if _, err := s.ItemByExternalID(ctx, "", "probe-pool1-0"); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("the probe is found as a catalog item by external id: %v", err)
		}
		if got := testkit.Must(s.GetItem(ctx, w.catalog[0].ID, atelier.Scope{}))(t); got.Generated {
			t.Error("a catalog item reads back as generated")
		}
		// A pick of a probe is a choice.
		sess := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: w.consumer.ID, Rounds: 1}))(t)
		testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 0,
			Shown: []string{probe.ID, w.catalog[0].ID, w.catalog[1].ID}, Chosen: probe.ID}))(t)
	})
}
