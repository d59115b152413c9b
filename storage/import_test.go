package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestImport(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()

		// Items: a batch larger than one insert chunk, with a duplicate
		// inside the batch; importing again adds nothing.
		var items []atelier.Item
		for i := range 1203 {
			it := catalogItem(fmt.Sprintf("sku-%04d", i))
			it.Images = append(it.Images, image(fmt.Sprintf("sku-%04d-back", i), 1))
			items = append(items, it)
		}
		items = append(items, catalogItem("sku-0007"))
		if n := testkit.Must(s.ImportItems(ctx, items))(t); n != 1203 {
			t.Fatalf("first import added %d items, want 1203", n)
		}
		if n := testkit.Must(s.ImportItems(ctx, items[:10]))(t); n != 0 {
			t.Fatalf("re-import added %d items", n)
		}
		it := testkit.Must(s.ItemByExternalID(ctx, "", "sku-0007"))(t)
		if len(it.Images) != 2 || it.Images[1].OriginalKey != "items/sku-0007-back/original.jpg" {
			t.Fatalf("imported item %+v", it)
		}
		// A batch with one new item among old ones adds exactly that one,
		// with its images.
		mixed := []atelier.Item{catalogItem("sku-0001"), catalogItem("new-1")}
		if n := testkit.Must(s.ImportItems(ctx, mixed))(t); n != 1 {
			t.Fatalf("mixed batch added %d", n)
		}
		if got := testkit.Must(s.ItemByExternalID(ctx, "", "new-1"))(t); len(got.Images) != 1 {
			t.Fatalf("new item has %d images", len(got.Images))
		}
		// An invalid item rejects the whole batch before anything is written.
		bad := []atelier.Item{catalogItem("new-2"), {ExternalID: "broken"}}
		_, err := s.ImportItems(ctx, bad)
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.ItemByExternalID(ctx, "", "new-2")
		testkit.WantKind(t, err, atelier.KindNotFound)

		// Consumers.
		consumers := []atelier.Consumer{{ExternalID: "c-1", Segment: "students"}, {ExternalID: "c-2", Segment: "students"}, {ExternalID: "c-3"}}
		if n := testkit.Must(s.ImportConsumers(ctx, consumers))(t); n != 3 {
			t.Fatalf("added %d consumers", n)
		}
		consumers[2].Segment = "changed"
		if n := testkit.Must(s.ImportConsumers(ctx, append(consumers, atelier.Consumer{ExternalID: "c-4"})))(t); n != 1 {
			t.Fatalf("re-import added %d consumers", n)
		}
		if c := testkit.Must(s.ConsumerByExternalID(ctx, "c-3"))(t); c.Segment != "" {
			t.Fatalf("re-import changed the segment label to %q", c.Segment)
		}
		if got := testkit.Must(s.ListConsumers(ctx, storage.ConsumerFilter{Segment: "students"}))(t); len(got) != 2 {
			t.Fatalf("students: %+v", got)
		}

		// Interactions by external ids; the natural key makes re-imports
		// and in-batch duplicates no-ops, whatever the time zone.
		lines := []storage.InteractionImport{
			{"c-1", "sku-0001", atelier.InteractionTake, at(0)},
			{"c-1", "sku-0002", atelier.InteractionView, at(time.Minute)},
			{"c-2", "sku-0001", atelier.InteractionTake, at(2 * time.Minute)},
			{"c-1", "sku-0001", atelier.InteractionTake, at(0).UTC()},
			{"c-1", "sku-0001", atelier.InteractionView, at(0)},
		}
		if n := testkit.Must(s.ImportInteractions(ctx, lines))(t); n != 4 {
			t.Fatalf("added %d interactions, want 4", n)
		}
		if n := testkit.Must(s.ImportInteractions(ctx, lines))(t); n != 0 {
			t.Fatalf("re-import added %d interactions", n)
		}
		// Unknown names fail the whole batch, naming the culprit.
		_, err = s.ImportInteractions(ctx, []storage.InteractionImport{
			{"c-3", "sku-0003", atelier.InteractionTake, at(0)},
			{"c-9", "sku-0003", atelier.InteractionTake, at(0)},
		})
		testkit.WantKind(t, err, atelier.KindInvalid)
		if atelier.ErrorField(err) != "consumer" {
			t.Fatalf("error %v does not name the consumer", err)
		}
		_, err = s.ImportInteractions(ctx, []storage.InteractionImport{{"c-3", "sku-9999", atelier.InteractionTake, at(0)}})
		testkit.WantKind(t, err, atelier.KindInvalid)
		if n := testkit.Must(s.CountInteractions(ctx))(t); n != 4 {
			t.Fatalf("%d interactions stored after failed batches, want 4", n)
		}

		c1 := testkit.Must(s.ConsumerByExternalID(ctx, "c-1"))(t)
		hist := testkit.Must(s.ListInteractions(ctx, storage.InteractionFilter{ConsumerID: c1.ID}))(t)
		if len(hist) != 3 || hist[0].Kind != atelier.InteractionView {
			t.Fatalf("history %+v", hist)
		}
		if want := at(time.Minute).UTC().Truncate(time.Microsecond); hist[0].At != want {
			t.Fatalf("time read back as %v, want %v", hist[0].At, want)
		}
		takes := testkit.Must(s.ListInteractions(ctx, storage.InteractionFilter{Kind: atelier.InteractionTake, Since: at(time.Second)}))(t)
		if len(takes) != 1 || takes[0].ConsumerID == c1.ID {
			t.Fatalf("takes since: %+v", takes)
		}

		// Interactions by store ids (the service's own events).
		sku3 := testkit.Must(s.ItemByExternalID(ctx, "", "sku-0003"))(t)
		own := []atelier.Interaction{{ConsumerID: c1.ID, ItemID: sku3.ID, Kind: atelier.InteractionChoice, At: at(time.Hour)}}
		if n := testkit.Must(s.AddInteractions(ctx, append(own, own...)))(t); n != 1 {
			t.Fatalf("AddInteractions added %d", n)
		}
		_, err = s.AddInteractions(ctx, []atelier.Interaction{{ConsumerID: c1.ID, ItemID: "missing", Kind: "take", At: at(0)}})
		testkit.WantKind(t, err, atelier.KindConflict)
		_, err = s.AddInteractions(ctx, []atelier.Interaction{{ConsumerID: c1.ID, ItemID: sku3.ID, Kind: "take"}})
		testkit.WantKind(t, err, atelier.KindInvalid)
		var seen int
		if err := s.EachInteraction(ctx, func(atelier.Interaction) error { seen++; return nil }); err != nil || seen != 5 {
			t.Fatalf("EachInteraction saw %d, err %v", seen, err)
		}
	})
}

func TestEnsureConsumer(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		a := testkit.Must(s.EnsureConsumer(ctx, "visitor-1"))(t)
		b := testkit.Must(s.EnsureConsumer(ctx, "visitor-1"))(t)
		if a.ID != b.ID {
			t.Fatalf("two consumers for one external id: %q, %q", a.ID, b.ID)
		}
		_, err := s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "visitor-1"})
		testkit.WantKind(t, err, atelier.KindConflict)
		_, err = s.EnsureConsumer(ctx, " ")
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.GetConsumer(ctx, "missing")
		testkit.WantKind(t, err, atelier.KindNotFound)
	})
}
