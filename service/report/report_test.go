package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// TestReportJobHandler runs the report handler on a small imported world
// with the demo recommender active and a seller with two uploaded items:
// every (item, segment) gets a rank in [1, pool] and a percentile that
// agrees with the rank and the preferences; redesign candidates are the
// bottom-half segments; a retry overwrites the same key with the same
// document.
func TestReportJob(t *testing.T) {
	world := servicetest.World(t, 30, 12, 4)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		testReportJob(t, world, store, blobs)
	})
}

func testReportJob(t *testing.T, world string, store *storage.Store, blobs blob.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	seller, _, err := store.CreateSeller(ctx, atelier.Seller{Name: "studio"}, "")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingBlobs{Store: blobs}
	handler := report.NewEngine(store, counted).Run
	r := atelier.Report{ID: "rep1", SellerID: seller.ID}

	if _, err := handler(ctx, r, nil); err == nil || atelier.ErrorKind(err) != atelier.KindUnavailable {
		t.Fatalf("without a recommender: %v", err)
	}
	data, err := models.Demo("recommender.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.RegisterModel(ctx, store, blobs, atelier.ModelRecommender, data, nil); err != nil {
		t.Fatal(err)
	}
	// A seller with no items gets a report that says so, with what each
	// segment likes, rather than an error.
	key, err := handler(ctx, atelier.Report{ID: "empty", SellerID: seller.ID}, nil)
	if err != nil {
		t.Fatalf("a seller without items: %v", err)
	}
	var empty report.Doc
	if err := json.Unmarshal(readBlob(t, blobs, key), &empty); err != nil {
		t.Fatal(err)
	}
	if len(empty.Items) != 0 || len(empty.Notes) != 1 || empty.Notes[0] != report.NoItemsNote || len(empty.Segments) == 0 || empty.Segments[0].Taste.Summary == "" {
		t.Fatalf("report of a seller without items: %d items, notes %q, %d segments", len(empty.Items), empty.Notes, len(empty.Segments))
	}

	for i, name := range []string{"it00003.png", "it00007.png"} {
		png, err := os.ReadFile(filepath.Join(world, "images", name))
		if err != nil {
			t.Fatal(err)
		}
		key := "uploads/" + seller.ID + "/" + name
		if err := blobs.Put(ctx, key, bytes.NewReader(png), int64(len(png)), "image/png"); err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateItem(ctx, atelier.Item{OwnerID: seller.ID, ExternalID: "mine-" + string(rune('a'+i)), Category: "top",
			Images: []atelier.Image{{OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"}}}); err != nil {
			t.Fatal(err)
		}
	}
	items, err := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true})
	if err != nil {
		t.Fatal(err)
	}
	segs, err := store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil || len(segs) < 2 {
		t.Fatalf("segments %v (%v)", segs, err)
	}

	var steps []int
	key, err = handler(ctx, r, func(u progress.Update) {
		if u.Stage == "ranking your items" {
			steps = append(steps, u.Step)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if key != "reports/rep1.json" {
		t.Fatalf("key %q", key)
	}
	if len(steps) != 1 || steps[0] != 2 {
		t.Errorf("item progress %v, want the last step to count both items", steps)
	}
	first := readBlob(t, blobs, key)
	var doc report.Doc
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.CatalogSize != len(items) || doc.PoolSize != len(items)+2 || len(doc.Items) != 2 {
		t.Fatalf("catalog %d pool %d items %d; want %d, %d, 2", doc.CatalogSize, doc.PoolSize, len(doc.Items), len(items), len(items)+2)
	}
	if len(doc.Segments)+len(doc.Skipped) != len(segs) || len(doc.Segments) == 0 {
		t.Fatalf("%d segments and %d skipped of %d", len(doc.Segments), len(doc.Skipped), len(segs))
	}
	catalogIDs := map[string]bool{}
	for _, it := range items {
		catalogIDs[it.ID] = true
	}
	for _, sg := range doc.Segments {
		// Each segment lists 8 distinct catalog items and describes its
		// taste from its top 5% of the catalog, at least those 8
		// (TestSegmentTasteMatchesPersonas checks what it says).
		seen := map[string]bool{}
		for _, id := range sg.TopItemIDs {
			if !catalogIDs[id] || seen[id] {
				t.Errorf("segment %s: top item %s is not a new catalog item (%v)", sg.ID, id, sg.TopItemIDs)
			}
			seen[id] = true
		}
		if len(sg.TopItemIDs) != report.TopItems || sg.Taste.Basis != report.TopItems || sg.Taste.Summary == "" {
			t.Errorf("segment %s: %d top items, taste %+v", sg.ID, len(sg.TopItemIDs), sg.Taste)
		}
		if ms, err := store.ListMemberships(ctx, sg.ID); err != nil || sg.Members != len(ms) || sg.Members == 0 {
			t.Errorf("segment %s: %d members, want %d (%v)", sg.ID, sg.Members, len(ms), err)
		}
	}
	for s, sg := range doc.Segments {
		a, c := doc.Items[0].Scores[s], doc.Items[1].Scores[s]
		if a.SegmentID != sg.ID || c.SegmentID != sg.ID {
			t.Fatalf("segment order %s %s, want %s", a.SegmentID, c.SegmentID, sg.ID)
		}
		// The better-liked item ranks at least as high.
		if (a.Preference > c.Preference && (a.Rank > c.Rank || a.Percentile < c.Percentile)) ||
			(a.Preference == c.Preference && a.Rank != c.Rank) {
			t.Errorf("segment %s: %+v vs %+v", sg.ID, a, c)
		}
	}
	for _, it := range doc.Items {
		if len(it.Scores) != len(doc.Segments) {
			t.Fatalf("item %s has %d segment scores", it.ItemID, len(it.Scores))
		}
		bestRank, bottom := doc.PoolSize+1, 0
		for _, sc := range it.Scores {
			if sc.Rank < 1 || sc.Rank > doc.PoolSize {
				t.Errorf("item %s segment %s: rank %d outside [1, %d]", it.ItemID, sc.SegmentID, sc.Rank, doc.PoolSize)
			}
			want := 100 * float64(doc.PoolSize-sc.Rank) / float64(doc.PoolSize-1)
			if sc.Percentile != want {
				t.Errorf("item %s segment %s: percentile %g for rank %d, want %g", it.ItemID, sc.SegmentID, sc.Percentile, sc.Rank, want)
			}
			bestRank = min(bestRank, sc.Rank)
			if sc.Percentile < 50 {
				bottom++
			}
		}
		for _, sc := range it.Scores {
			if sc.SegmentID == it.BestSegment && sc.Rank != bestRank {
				t.Errorf("item %s: best segment %s ranks %d, best rank is %d", it.ItemID, it.BestSegment, sc.Rank, bestRank)
			}
		}
		if len(it.Candidates) != bottom {
			t.Errorf("item %s: %d redesign candidates, %d bottom-half segments", it.ItemID, len(it.Candidates), bottom)
		}
		for _, c := range it.Candidates {
			if c.Suggested.Path != "/api/v1/items/"+it.ItemID+"/redesigns" || c.Suggested.Body["segment_id"] != c.SegmentID || c.Percentile >= 50 {
				t.Errorf("candidate %+v", c)
			}
		}
	}

	// A retry overwrites the same key with the same document, and reads
	// no image: the engine keeps their features for the version.
	counted.reads = nil
	if key2, err := handler(ctx, r, nil); err != nil || key2 != key {
		t.Fatalf("retry: %q, %v", key2, err)
	}
	for _, k := range counted.reads {
		if strings.HasSuffix(k, ".png") || strings.HasSuffix(k, ".jpg") {
			t.Errorf("the second report read image %s again", k)
		}
	}
	if again := readBlob(t, blobs, key); !bytes.Equal(again, first) {
		t.Error("a retry wrote a different report")
	}

	// A finished redesign of an item for a segment it ranks low with is its
	// candidate's best variant: the passing variant with the largest uplift.
	c := firstCandidate(doc)
	if c.item == "" {
		t.Fatal("the report has no redesign candidate")
	}
	job, _, err := store.CreateRedesignJob(ctx, atelier.RedesignJob{SellerID: seller.ID, ItemID: c.item, SegmentID: c.segment,
		N: 2, Epsilon: 0.4, Steps: 1, Seed: 1}, storage.JobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.StartJobAttempt(ctx, job.ID, 1, "tok", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := store.CompleteRedesignJob(ctx, job.ID, "tok", atelier.RedesignResult{Variants: []atelier.Variant{
		{Rank: 1, ImageKey: "redesigns/x/1.png", Scores: map[string]float64{"uplift": 0.2}, Passed: true},
		{Rank: 2, ImageKey: "redesigns/x/2.png", Scores: map[string]float64{"uplift": 0.9}, Flags: []string{"realism"}},
		{Rank: 3, ImageKey: "redesigns/x/3.png", Scores: map[string]float64{"uplift": 0.3}, Passed: true},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := handler(ctx, atelier.Report{ID: "rep4", SellerID: seller.ID}, nil); err != nil {
		t.Fatal(err)
	}
	var lifted report.Doc
	if err := json.Unmarshal(readBlob(t, blobs, report.Key("rep4")), &lifted); err != nil {
		t.Fatal(err)
	}
	got := candidateOf(lifted, c.item, c.segment)
	if got == nil || got.BestVariant == nil || got.BestVariant.RedesignID != job.ID || got.BestVariant.Rank != 3 || got.BestVariant.Uplift != 0.3 {
		t.Errorf("candidate after a finished redesign: %+v", got)
	}

	// One segment asked for: only that one.
	one := doc.Segments[0].ID
	if _, err := handler(ctx, atelier.Report{ID: "rep2", SellerID: seller.ID, SegmentID: one}, nil); err != nil {
		t.Fatal(err)
	}
	var single report.Doc
	if err := json.Unmarshal(readBlob(t, blobs, report.Key("rep2")), &single); err != nil {
		t.Fatal(err)
	}
	if single.SegmentID != one || len(single.Segments) != 1 || single.Segments[0].ID != one ||
		single.Items[0].Scores[0] != doc.Items[0].Scores[0] {
		t.Errorf("single-segment report %+v", single)
	}
	if _, err := handler(ctx, atelier.Report{ID: "rep3", SellerID: seller.ID, SegmentID: "missing"}, nil); atelier.ErrorKind(err) != atelier.KindNotFound {
		t.Errorf("unknown segment: %v", err)
	}
}

func readBlob(t *testing.T, blobs blob.Store, key string) []byte {
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

// countingBlobs records the keys read.
type countingBlobs struct {
	blob.Store
	reads []string
}

func (c *countingBlobs) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	c.reads = append(c.reads, key)
	return c.Store.Get(ctx, key)
}

type itemSegment struct{ item, segment string }

// firstCandidate is the first redesign candidate of the report.
func firstCandidate(doc report.Doc) itemSegment {
	for _, it := range doc.Items {
		for _, c := range it.Candidates {
			return itemSegment{it.ItemID, c.SegmentID}
		}
	}
	return itemSegment{}
}

func candidateOf(doc report.Doc, itemID, segmentID string) *report.Candidate {
	for _, it := range doc.Items {
		for i, c := range it.Candidates {
			if it.ItemID == itemID && c.SegmentID == segmentID {
				return &it.Candidates[i]
			}
		}
	}
	return nil
}
