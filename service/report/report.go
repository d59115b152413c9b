// Package report is the batch report use case: how each of a seller's
// items ranks with each consumer segment, which redesigns would lift it,
// and what each segment likes (its top catalog items, and its taste in
// words from their pixels: taste.go). Build computes the document from the
// store, the blob store and the active recommender; Engine runs report
// jobs and stores the document.
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/taste"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// reportChunk is how many images one feature pass takes.
const reportChunk = 64

// Doc is the result of a report job, stored as JSON under Key(id). Rank and percentile of an item for a segment are taken in
// the pool of every catalog item plus the seller's items, ordered by the
// segment's preference θ_seg·φ(image): rank 1 is the most preferred (ties
// share the better rank), percentile = 100·(pool−rank)/(pool−1), so 100 is
// the top and 0 the bottom.
type Doc struct {
	ReportID             string    `json:"report_id"`
	SellerID             string    `json:"seller_id"`
	SegmentID            string    `json:"segment_id,omitempty"` // "" when every segment was asked for
	RecommenderVersionID string    `json:"recommender_version_id"`
	PoolSize             int       `json:"pool_size"` // catalog items + the seller's items ranked
	CatalogSize          int       `json:"catalog_size"`
	Segments             []Segment `json:"segments"`
	Skipped              []Skip    `json:"skipped_segments"`
	Items                []Item    `json:"items"`
}

// Segment is a segment reported on, with its number of members, the
// catalog items it prefers most (best first) and its taste in words
// (describeSegment).
type Segment struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Members    int      `json:"members"`
	TopItemIDs []string `json:"top_item_ids"`
	Taste      Taste    `json:"taste"`
}

// Skip is a segment left out, with why.
type Skip struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type Item struct {
	ItemID      string      `json:"item_id"`
	ExternalID  string      `json:"external_id"`
	Category    string      `json:"category"`
	BestSegment string      `json:"best_segment_id"`
	Scores      []Score     `json:"segments"`
	Candidates  []Candidate `json:"redesign_candidates"`
}

// Score is how one item ranks with one segment.
type Score struct {
	SegmentID  string  `json:"segment_id"`
	Preference float64 `json:"preference"`
	Rank       int     `json:"rank"`
	Percentile float64 `json:"percentile"`
}

// Candidate is a segment where the item ranks in the bottom half:
// a redesign for it may lift the item. BestVariant is the best passing
// variant of a finished redesign for that segment, when there is one.
type Candidate struct {
	SegmentID   string           `json:"segment_id"`
	Rank        int              `json:"rank"`
	Percentile  float64          `json:"percentile"`
	Suggested   SuggestedRequest `json:"suggested_request"`
	BestVariant *LiftingVariant  `json:"best_variant,omitempty"`
}

type SuggestedRequest struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Body   map[string]string `json:"body"`
}

type LiftingVariant struct {
	RedesignID string  `json:"redesign_id"`
	Rank       int     `json:"rank"`
	Uplift     float64 `json:"uplift"`
	ImageKey   string  `json:"image_key"`
}

// Key is where a report's result is stored: derived from its id, so a
// retried attempt overwrites what a dead one wrote.
func Key(id string) string { return "reports/" + id + ".json" }

// Engine runs report jobs with the active recommender version.
type Engine struct {
	store *storage.Store
	blobs blob.Store
}

// NewEngine returns an engine on the store and blob store.
func NewEngine(store *storage.Store, blobs blob.Store) *Engine {
	return &Engine{store: store, blobs: blobs}
}

// Run builds the report r and stores it, returning its key.
func (e *Engine) Run(ctx context.Context, r atelier.Report, prog progress.Func) (string, error) {
	doc, err := e.Build(ctx, r, prog)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	key := Key(r.ID)
	if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/json"); err != nil {
		return "", fmt.Errorf("store %s: %w", key, err)
	}
	return key, nil
}

// pooled is one item of the ranking pool with its primary image's φ and
// look (measured on the same model-size image).
type pooled struct {
	item atelier.Item
	phi  []float32
	look taste.Look
}

// Build computes the report r with the active recommender version.
func (e *Engine) Build(ctx context.Context, r atelier.Report, prog progress.Func) (Doc, error) {
	mv, err := catalog.Version(ctx, e.store, "", atelier.ModelRecommender)
	if err != nil {
		return Doc{}, err
	}
	rec, err := catalog.LoadRecommender(ctx, e.blobs, mv)
	if err != nil {
		return Doc{}, err
	}
	defer rec.Close()

	segs, skipped, thetas, err := e.segments(ctx, r.SegmentID, rec)
	if err != nil {
		return Doc{}, err
	}
	mine, err := e.sellerItems(ctx, r.SellerID)
	if err != nil {
		return Doc{}, err
	}
	var items []atelier.Item
	if err := e.store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		if catalog.HasModelImage(it) {
			items = append(items, it)
		}
		return nil
	}); err != nil {
		return Doc{}, fmt.Errorf("list catalog: %w", err)
	}
	total := len(items) + len(mine)
	prog.Report(progress.Update{Stage: "features", Step: 0, Total: total})
	pool, err := e.features(ctx, rec, append(items, mine...), func(done int) {
		prog.Report(progress.Update{Stage: "features", Step: done, Total: total})
	})
	if err != nil {
		return Doc{}, err
	}

	// scores[s][i] is segment s's preference for pool item i.
	scores := make([][]float64, len(segs))
	catalogLooks := catalogSamples(pool, len(items))
	for s, th := range thetas {
		scores[s] = make([]float64, len(pool))
		for i, p := range pool {
			scores[s][i] = dot64(th, p.phi)
		}
		describeSegment(&segs[s], scores[s], pool, catalogLooks)
	}
	doc := Doc{
		ReportID: r.ID, SellerID: r.SellerID, SegmentID: r.SegmentID, RecommenderVersionID: mv.ID,
		PoolSize: len(pool), CatalogSize: len(items), Segments: segs, Skipped: skipped, Items: []Item{},
	}
	mineStart := len(items) // the seller's items follow the catalog in the pool
	for n, p := range pool[mineStart:] {
		i := mineStart + n
		it := Item{ItemID: p.item.ID, ExternalID: p.item.ExternalID, Category: p.item.Category,
			Scores: []Score{}, Candidates: []Candidate{}}
		lifts, err := e.bestLifts(ctx, r.SellerID, p.item.ID)
		if err != nil {
			return Doc{}, err
		}
		best := -1
		for s, sg := range segs {
			rank := rankOf(scores[s], i)
			pct := percentile(rank, len(pool))
			it.Scores = append(it.Scores, Score{SegmentID: sg.ID, Preference: scores[s][i], Rank: rank, Percentile: pct})
			if best < 0 || rank < it.Scores[best].Rank || (rank == it.Scores[best].Rank && pct > it.Scores[best].Percentile) {
				best = s
			}
			if pct < 50 {
				c := Candidate{SegmentID: sg.ID, Rank: rank, Percentile: pct, Suggested: SuggestedRequest{
					Method: "POST", Path: "/api/v1/items/" + p.item.ID + "/redesigns", Body: map[string]string{"segment_id": sg.ID},
				}}
				if v, ok := lifts[sg.ID]; ok {
					c.BestVariant = &v
				}
				it.Candidates = append(it.Candidates, c)
			}
		}
		if best >= 0 {
			it.BestSegment = segs[best].ID
		}
		doc.Items = append(doc.Items, it)
		prog.Report(progress.Update{Stage: "items", Step: n + 1, Total: len(mine)})
	}
	return doc, nil
}

// segments returns the segments to report on with their θ
// (catalog.StoreSegmentTheta). With every segment asked for, a segment
// none of whose members the model knows is skipped with its reason; asked
// for by id, it fails the report.
func (e *Engine) segments(ctx context.Context, segmentID string, rec *recommender.Model) ([]Segment, []Skip, [][]float32, error) {
	var all []atelier.Segment
	if segmentID != "" {
		sg, err := e.store.GetSegment(ctx, segmentID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("segment %s: %w", segmentID, err)
		}
		all = []atelier.Segment{sg}
	} else {
		err := e.store.EachSegment(ctx, storage.SegmentFilter{Page: storage.Page{Limit: storage.MaxLimit}}, func(sg atelier.Segment) error {
			all = append(all, sg)
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("list segments: %w", err)
		}
	}
	sizes, err := e.store.SegmentSizes(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("segment sizes: %w", err)
	}
	segs, skipped, thetas := []Segment{}, []Skip{}, [][]float32{}
	for _, sg := range all {
		th, err := catalog.StoreSegmentTheta(ctx, e.store, sg.ID, rec)
		if err != nil {
			if segmentID == "" && atelier.ErrorKind(err) == atelier.KindInvalid {
				skipped = append(skipped, Skip{ID: sg.ID, Name: sg.Name, Reason: "no member is known to the active recommender"})
				continue
			}
			return nil, nil, nil, err
		}
		segs = append(segs, Segment{ID: sg.ID, Name: sg.Name, Members: sizes[sg.ID]})
		thetas = append(thetas, th)
	}
	if len(segs) == 0 {
		return nil, nil, nil, atelier.Errorf(atelier.KindInvalid,
			"no segment has members the active recommender knows: import segments or compute them (POST /api/v1/segments)")
	}
	return segs, skipped, thetas, nil
}

// sellerItems lists the seller's items that have a model image.
func (e *Engine) sellerItems(ctx context.Context, sellerID string) ([]atelier.Item, error) {
	var out []atelier.Item
	err := e.store.EachItem(ctx, storage.ItemFilter{OwnerID: sellerID}, func(it atelier.Item) error {
		if catalog.HasModelImage(it) && it.OwnerID == sellerID {
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list items of seller %s: %w", sellerID, err)
	}
	if len(out) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "the seller has no items with an image to report on: upload one first (POST /api/v1/items)")
	}
	return out, nil
}

// features computes φ of each item's primary image, a chunk at a time on
// one worker (reports share the machine with training).
func (e *Engine) features(ctx context.Context, rec *recommender.Model, items []atelier.Item, done func(int)) ([]pooled, error) {
	size := rec.ImageSize()
	out := make([]pooled, 0, len(items))
	for lo := 0; lo < len(items); lo += reportChunk {
		part := items[lo:min(lo+reportChunk, len(items))]
		im := &recommender.Images{Size: size, Pix: make([]float32, len(part)*3*size*size)}
		looks := make([]taste.Look, len(part))
		for n, it := range part {
			t, err := catalog.ItemImage(ctx, e.blobs, it, size)
			if err != nil {
				return nil, fmt.Errorf("item %s: %w", it.ID, err)
			}
			copy(im.Item(n).Pix, t.Pix)
			looks[n] = taste.Measure(t)
		}
		f, err := rec.ImageFeatures(ctx, im, 1)
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		if len(f) != len(part) {
			return nil, fmt.Errorf("features: %d vectors for %d images", len(f), len(part))
		}
		for n, it := range part {
			out = append(out, pooled{item: it, phi: f[n], look: looks[n]})
		}
		done(len(out))
	}
	return out, nil
}

// bestLifts returns, by segment, the passing variant with the largest
// uplift among the item's finished redesigns.
func (e *Engine) bestLifts(ctx context.Context, sellerID, itemID string) (map[string]LiftingVariant, error) {
	out := map[string]LiftingVariant{}
	scope := atelier.Scope{SellerID: sellerID}
	f := storage.RedesignFilter{Status: atelier.JobSucceeded, ItemID: itemID, Page: storage.Page{Limit: storage.MaxLimit}}
	err := e.store.EachRedesignJob(ctx, scope, f, func(j atelier.RedesignJob) error {
		// Listed jobs come without their variants.
		j, err := e.store.GetRedesignJob(ctx, j.ID, scope)
		if err != nil {
			return err
		}
		for _, v := range j.Variants {
			up, ok := v.Scores["uplift"]
			if !v.Passed || !ok {
				continue
			}
			if cur, seen := out[j.SegmentID]; !seen || up > cur.Uplift {
				out[j.SegmentID] = LiftingVariant{RedesignID: j.ID, Rank: v.Rank, Uplift: up, ImageKey: v.ImageKey}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redesigns of item %s: %w", itemID, err)
	}
	return out, nil
}

// rankOf is 1 + the number of pool items scored strictly higher than i.
func rankOf(scores []float64, i int) int {
	rank := 1
	for _, s := range scores {
		if s > scores[i] {
			rank++
		}
	}
	return rank
}

// percentile maps rank 1 to 100 and rank n to 0.
func percentile(rank, n int) float64 {
	if n <= 1 {
		return 100
	}
	return 100 * float64(n-rank) / float64(n-1)
}

func dot64(a, b []float32) float64 {
	var s float64
	for j := range a {
		s += float64(a[j]) * float64(b[j])
	}
	return s
}
