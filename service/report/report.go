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
	// Notes say in plain words what the reader should know (a seller
	// with no items to rank, say).
	Notes []string `json:"notes"`
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

// Engine runs report jobs with the active recommender version. It keeps
// the images' features between reports (featureCache), so share one
// engine per process.
type Engine struct {
	store *storage.Store
	blobs blob.Store
	cache featureCache
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

// NoItemsNote is the note of a report over a seller with no items to rank:
// the report still says what each segment likes.
const NoItemsNote = "You have no items with an image to rank yet: upload some (POST /api/v1/items), then ask for a new report."

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
	items, mine, err := e.pool(ctx, r.SellerID)
	if err != nil {
		return Doc{}, err
	}
	total := len(items) + len(mine)
	prog.Report(progress.Update{Stage: "features", Step: 0, Total: total})
	pool, err := e.features(ctx, rec, mv.ID, append(items, mine...), func(done int) {
		prog.Report(progress.Update{Stage: "features", Step: done, Total: total})
	})
	if err != nil {
		return Doc{}, err
	}

	// scores[s][i] is segment s's preference for pool item i.
	scores := make([][]float64, len(segs))
	ranks := make([]ranking, len(segs))
	catalogLooks := catalogSamples(pool, len(items))
	for s, th := range thetas {
		scores[s] = make([]float64, len(pool))
		for i, p := range pool {
			scores[s][i] = dot64(th, p.phi)
		}
		ranks[s] = newRanking(scores[s])
		describeSegment(&segs[s], scores[s], pool, catalogLooks)
	}
	doc := Doc{
		ReportID: r.ID, SellerID: r.SellerID, SegmentID: r.SegmentID, RecommenderVersionID: mv.ID,
		PoolSize: len(pool), CatalogSize: len(items), Segments: segs, Skipped: skipped, Items: []Item{}, Notes: []string{},
	}
	if len(mine) == 0 {
		doc.Notes = append(doc.Notes, NoItemsNote)
		return doc, nil
	}
	lifts, err := e.bestLifts(ctx, r.SellerID)
	if err != nil {
		return Doc{}, err
	}
	mineStart := len(items) // the seller's items follow the catalog in the pool
	for n, p := range pool[mineStart:] {
		doc.Items = append(doc.Items, rankItem(p.item, segs, scores, ranks, mineStart+n, lifts[p.item.ID]))
		if (n+1)%reportChunk == 0 || n+1 == len(mine) {
			prog.Report(progress.Update{Stage: "ranking your items", Step: n + 1, Total: len(mine)})
		}
	}
	return doc, nil
}

// pool lists the catalog's items and the seller's with a model image: the
// ranking pool, catalog first.
func (e *Engine) pool(ctx context.Context, sellerID string) (items, mine []atelier.Item, err error) {
	if err := e.store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		if catalog.HasModelImage(it) {
			items = append(items, it)
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("list catalog: %w", err)
	}
	if mine, err = e.sellerItems(ctx, sellerID); err != nil {
		return nil, nil, err
	}
	return items, mine, nil
}

// rankItem is pool item i (one of the seller's) ranked for each segment,
// with its redesign candidates (the segments where it ranks in the bottom
// half) and, for those, the best variant already made.
func rankItem(it atelier.Item, segs []Segment, scores [][]float64, ranks []ranking, i int, lifts map[string]LiftingVariant) Item {
	out := Item{ItemID: it.ID, ExternalID: it.ExternalID, Category: it.Category, Scores: []Score{}, Candidates: []Candidate{}}
	best := -1
	for s, sg := range segs {
		rank := ranks[s].rank(scores[s][i])
		pct := percentile(rank, len(scores[s]))
		out.Scores = append(out.Scores, Score{SegmentID: sg.ID, Preference: scores[s][i], Rank: rank, Percentile: pct})
		if best < 0 || rank < out.Scores[best].Rank {
			best = s
		}
		if pct < 50 {
			c := Candidate{SegmentID: sg.ID, Rank: rank, Percentile: pct, Suggested: SuggestedRequest{
				Method: "POST", Path: "/api/v1/items/" + it.ID + "/redesigns", Body: map[string]string{"segment_id": sg.ID},
			}}
			if v, ok := lifts[sg.ID]; ok {
				c.BestVariant = &v
			}
			out.Candidates = append(out.Candidates, c)
		}
	}
	if best >= 0 {
		out.BestSegment = segs[best].ID
	}
	return out
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
	return out, nil
}

// bestLifts returns, by item and segment, the passing variant with the
// largest uplift among the seller's finished redesigns: one walk over the
// seller's redesigns, not a query per item.
func (e *Engine) bestLifts(ctx context.Context, sellerID string) (map[string]map[string]LiftingVariant, error) {
	out := map[string]map[string]LiftingVariant{}
	scope := atelier.Scope{SellerID: sellerID}
	var done []atelier.RedesignJob
	f := storage.RedesignFilter{Status: atelier.JobSucceeded, Page: storage.Page{Limit: storage.MaxLimit}}
	if err := e.store.EachRedesignJob(ctx, scope, f, func(j atelier.RedesignJob) error {
		done = append(done, j)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("redesigns of seller %s: %w", sellerID, err)
	}
	for _, j := range done {
		// Listed jobs come without their variants.
		j, err := e.store.GetRedesignJob(ctx, j.ID, scope)
		if err != nil {
			return nil, fmt.Errorf("redesign %s: %w", j.ID, err)
		}
		for _, v := range j.Variants {
			up, ok := v.Scores["uplift"]
			if !v.Passed || !ok {
				continue
			}
			by := out[j.ItemID]
			if by == nil {
				by = map[string]LiftingVariant{}
				out[j.ItemID] = by
			}
			if cur, seen := by[j.SegmentID]; !seen || up > cur.Uplift {
				by[j.SegmentID] = LiftingVariant{RedesignID: j.ID, Rank: v.Rank, Uplift: up, ImageKey: v.ImageKey}
			}
		}
	}
	return out, nil
}
