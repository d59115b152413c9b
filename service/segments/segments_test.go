package segments_test

import (
	"context"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/segments"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// clusters is a recommender whose k-means answer and descriptions are
// set by the test.
type clusters struct {
	version atelier.ModelVersion
	drafts  []serving.SegmentDraft
	desc    map[string]map[string]any // by group name
}

func (c *clusters) KMeans(context.Context, int, uint64) (atelier.ModelVersion, []serving.SegmentDraft, error) {
	return c.version, c.drafts, nil
}

func (c *clusters) Describe(_ context.Context, members map[string][]string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for name := range members {
		out[name] = c.desc[name]
	}
	return out, nil
}

func TestSegments(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, store *storage.Store, _ blob.Store) {
		ctx := context.Background()
		for _, c := range []atelier.Consumer{{ExternalID: "c1", Segment: "sporty"}, {ExternalID: "c2", Segment: "sporty"}, {ExternalID: "c3"}} {
			testkit.Must(store.CreateConsumer(ctx, c))(t)
		}
		mv := testkit.Must(store.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/x"}))(t)
		rec := &clusters{version: mv,
			drafts: []serving.SegmentDraft{{Name: "warm", ConsumerIDs: []string{"c1", "unknown"}}, {Name: "cool", ConsumerIDs: []string{"c2", "c3"}}},
			desc:   map[string]map[string]any{"warm": {"summary": "likes warm colours"}, "cool": {"summary": "likes cool colours"}}}
		svc := segments.New(store, rec)

		t.Run("kmeans", func(t *testing.T) {
			made := testkit.Must(svc.KMeans(ctx, 2, 1))(t)
			if len(made) != 2 || made[0].Segment.Name != "warm" || made[0].Size != 1 || made[1].Size != 2 {
				t.Fatalf("made %+v", made)
			}
			if made[1].Segment.Description["summary"] != "likes cool colours" || made[1].Segment.ModelVersionID != mv.ID {
				t.Errorf("segment %+v", made[1].Segment)
			}
			members := testkit.Must(store.ListMemberships(ctx, made[1].Segment.ID))(t)
			if len(members) != 2 {
				t.Errorf("%d members stored, want 2", len(members))
			}
		})
		t.Run("a request that fails stores nothing", func(t *testing.T) {
			before := kmeansNames(t, store)
			bad := *rec
			bad.drafts = []serving.SegmentDraft{{Name: "fine", ConsumerIDs: []string{"c1"}}, {Name: "broken", ConsumerIDs: []string{"c2"}}}
			bad.desc = map[string]map[string]any{"fine": {}, "broken": {"unstorable": make(chan int)}}
			if _, err := segments.New(store, &bad).KMeans(ctx, 2, 1); err == nil {
				t.Fatal("a segment that cannot be stored was accepted")
			}
			if after := kmeansNames(t, store); !slices.Equal(after, before) {
				t.Errorf("k-means segments %v after the failed request, %v before", after, before)
			}
		})
		t.Run("k out of range", func(t *testing.T) {
			for _, k := range []int{0, segments.MaxK + 1} {
				_, err := svc.KMeans(ctx, k, 1)
				testkit.WantKind(t, err, atelier.KindInvalid)
			}
		})
		t.Run("imported labels", func(t *testing.T) {
			made := testkit.Must(svc.Imported(ctx))(t)
			if len(made) != 1 || made[0].Segment.Name != "sporty" || made[0].Size != 2 || made[0].Segment.Kind != atelier.SegmentImported {
				t.Fatalf("made %+v", made)
			}
			again := testkit.Must(svc.Imported(ctx))(t)
			if len(again) != 1 || again[0].Segment.ID != made[0].Segment.ID {
				t.Errorf("a second call made %+v, want the same segment", again)
			}
		})
	})
}

func kmeansNames(t *testing.T, store *storage.Store) []string {
	t.Helper()
	var names []string
	err := store.EachSegment(context.Background(), storage.SegmentFilter{Kind: atelier.SegmentKMeans}, func(sg atelier.Segment) error {
		names = append(names, sg.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
