package storage_test

import (
	"context"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestSegments(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)

		got := testkit.Must(s.GetSegment(ctx, w.segment.ID))(t)
		if got.Description["top_category"] != "dress" || got.Description["size"] != 12.0 || got.ModelVersionID != w.recVersion.ID {
			t.Fatalf("segment read back as %+v", got)
		}
		_, err := s.CreateSegment(ctx, atelier.Segment{Name: "c", Kind: atelier.SegmentKMeans})
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.CreateSegment(ctx, atelier.Segment{Name: "c", Kind: "other"})
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.CreateSegment(ctx, atelier.Segment{Name: "c", Kind: atelier.SegmentKMeans, ModelVersionID: "missing"})
		testkit.WantKind(t, err, atelier.KindConflict)

		c2 := testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "c-2", Segment: "students"}))(t)
		c3 := testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "c-3", Segment: "parents"}))(t)
		err = s.SetMemberships(ctx, w.segment.ID, []atelier.Membership{{ConsumerID: w.consumer.ID}, {ConsumerID: c2.ID, Weight: 0.5}})
		if err != nil {
			t.Fatal(err)
		}
		ms := testkit.Must(s.ListMemberships(ctx, w.segment.ID))(t)
		if len(ms) != 2 {
			t.Fatalf("memberships %+v", ms)
		}
		for _, m := range ms {
			if want := map[string]float64{w.consumer.ID: 1, c2.ID: 0.5}[m.ConsumerID]; m.Weight != want {
				t.Fatalf("membership %+v, want weight %g", m, want)
			}
		}
		// Replacing is all or nothing.
		err = s.SetMemberships(ctx, w.segment.ID, []atelier.Membership{{ConsumerID: c3.ID}, {ConsumerID: "missing"}})
		testkit.WantKind(t, err, atelier.KindConflict)
		if n := len(testkit.Must(s.ListMemberships(ctx, w.segment.ID))(t)); n != 2 {
			t.Fatalf("failed replace left %d members", n)
		}
		err = s.SetMemberships(ctx, w.segment.ID, []atelier.Membership{{ConsumerID: c3.ID, Weight: 2}})
		testkit.WantKind(t, err, atelier.KindInvalid)
		err = s.SetMemberships(ctx, "missing", nil)
		testkit.WantKind(t, err, atelier.KindNotFound)

		// Imported labels become segments, once.
		if n := testkit.Must(s.SyncImportedSegments(ctx))(t); n != 3 {
			t.Fatalf("sync added %d memberships, want 3", n)
		}
		if n := testkit.Must(s.SyncImportedSegments(ctx))(t); n != 0 {
			t.Fatalf("second sync added %d memberships", n)
		}
		imported := testkit.Must(s.ListSegments(ctx, storage.SegmentFilter{Kind: atelier.SegmentImported}))(t)
		if len(imported) != 2 || imported[0].Name != "parents" && imported[1].Name != "parents" {
			t.Fatalf("imported segments %+v", imported)
		}
		_, err = s.CreateSegment(ctx, atelier.Segment{Name: "students", Kind: atelier.SegmentImported})
		testkit.WantKind(t, err, atelier.KindConflict)
		// K-means names may repeat across model versions.
		testkit.Must(s.CreateSegment(ctx, atelier.Segment{Name: "cluster-1", Kind: atelier.SegmentKMeans, ModelVersionID: w.recVersion.ID}))(t)
		if n := len(testkit.Must(s.ListSegments(ctx, storage.SegmentFilter{ModelVersionID: w.recVersion.ID}))(t)); n != 2 {
			t.Fatalf("%d segments of the model version", n)
		}
		cms := testkit.Must(s.ConsumerMemberships(ctx, c2.ID))(t)
		if len(cms) != 2 {
			t.Fatalf("c-2 belongs to %+v", cms)
		}

		// A segment in use by a job cannot go; an unused one can.
		if _, _, err := s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: w.segment.ID}, storage.JobOptions{}); err != nil {
			t.Fatal(err)
		}
		testkit.WantKind(t, s.DeleteSegment(ctx, w.segment.ID), atelier.KindConflict)
		if err := s.DeleteSegment(ctx, imported[0].ID); err != nil {
			t.Fatal(err)
		}
		testkit.WantKind(t, s.DeleteSegment(ctx, imported[0].ID), atelier.KindNotFound)
		if n := len(testkit.Must(s.ListMemberships(ctx, imported[0].ID))(t)); n != 0 {
			t.Fatalf("deleted segment kept %d members", n)
		}
	})
}
