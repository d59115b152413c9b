package backgrounds

import (
	"context"
	"errors"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// Index is the search index of background captions. Open it with
// OpenIndex; it is safe for concurrent use.
type Index struct {
	mu     sync.Mutex
	idx    bleve.Index
	mark   storage.BackgroundMark
	closed sync.Once
}

// doc is what the index stores of a background.
type doc struct {
	Caption    string `json:"caption"`
	Kind       string `json:"kind"`
	Colours    string `json:"colours"`
	Families   string `json:"families"`
	MainFamily string `json:"main_family"`
	Tone       string `json:"tone"`
	Moods      string `json:"moods"`
	Owner      string `json:"owner"`
}

func docOf(b atelier.Background) doc {
	owner := b.SellerID
	if owner == "" {
		owner = BuiltinOwner
	}
	return doc{
		Caption: b.Caption, Kind: b.Words["kind"], Colours: b.Words["colours"], Families: b.Words["families"],
		MainFamily: b.Words["main_family"], Tone: b.Words["tone"], Moods: b.Words["moods"], Owner: owner,
	}
}

// indexMapping scores with BM25; the caption is English text (stemmed, so
// "stripes" finds "striped"), the word fields are plain words, and the
// owner and main family are exact keywords for filters.
func indexMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer = en.AnalyzerName
	words := bleve.NewTextFieldMapping()
	words.Analyzer = "standard"
	exact := bleve.NewTextFieldMapping()
	exact.Analyzer = keyword.Name
	dm := bleve.NewDocumentMapping()
	dm.AddFieldMappingsAt("caption", text)
	for _, f := range []string{"kind", "colours", "families", "tone", "moods"} {
		dm.AddFieldMappingsAt(f, words)
	}
	dm.AddFieldMappingsAt("owner", exact)
	dm.AddFieldMappingsAt("main_family", exact)
	im := bleve.NewIndexMapping()
	im.DefaultMapping = dm
	im.ScoringModel = "bm25"
	return im
}

// openTimeout bounds the wait for the index's file lock: another process
// on the same data directory holds it.
const openTimeout = "2s"

// OpenIndex opens the index at path, creating it when it is missing (a
// deleted index is rebuilt by the next Sync). path "" keeps it in memory.
// An index another process holds open is an error of kind conflict.
func OpenIndex(path string) (*Index, error) {
	if path == "" {
		idx, err := bleve.NewMemOnly(indexMapping())
		return &Index{idx: idx}, err
	}
	idx, err := bleve.OpenUsing(path, map[string]any{"bolt_timeout": openTimeout})
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = bleve.NewUsing(path, indexMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore,
			map[string]any{"bolt_timeout": openTimeout})
	}
	if err != nil {
		return nil, atelier.Wrap(atelier.KindConflict, err, "background index %s", path)
	}
	return &Index{idx: idx}, nil
}

// Close closes the index; closing it again does nothing.
func (x *Index) Close() error {
	var err error
	x.closed.Do(func() { err = x.idx.Close() })
	return err
}

// Add indexes backgrounds (again, when their ids are indexed already).
func (x *Index) Add(bgs ...atelier.Background) error {
	batch := x.idx.NewBatch()
	for _, b := range bgs {
		if err := batch.Index(b.ID, docOf(b)); err != nil {
			return err
		}
	}
	return x.idx.Batch(batch)
}

// Lister is the part of the store the index syncs from.
type Lister interface {
	BackgroundMark(ctx context.Context) (storage.BackgroundMark, error)
	ListBackgrounds(ctx context.Context, sellerID string, all bool) ([]atelier.Background, error)
}

// Sync brings the index up to the table: when the table's mark (row count,
// newest row) differs from the one last synced, every row is indexed
// again and rows no longer in the table are removed. Cheap when nothing
// changed: one count and one indexed read.
func (x *Index) Sync(ctx context.Context, st Lister) error {
	mark, err := st.BackgroundMark(ctx)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if mark == x.mark {
		if n, err := x.idx.DocCount(); err == nil && int64(n) == mark.Count {
			return nil
		}
	}
	bgs, err := st.ListBackgrounds(ctx, "", true)
	if err != nil {
		return err
	}
	if err := x.rebuild(bgs); err != nil {
		return err
	}
	x.mark = mark
	return nil
}

func (x *Index) rebuild(bgs []atelier.Background) error {
	keep := make(map[string]bool, len(bgs))
	for _, b := range bgs {
		keep[b.ID] = true
	}
	if err := x.Add(bgs...); err != nil {
		return err
	}
	// Remove what the table no longer has (a deleted seller's uploads).
	all := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1_000_000, 0, false)
	res, err := x.idx.Search(all)
	if err != nil {
		return err
	}
	batch := x.idx.NewBatch()
	for _, h := range res.Hits {
		if !keep[h.ID] {
			batch.Delete(h.ID)
		}
	}
	return x.idx.Batch(batch)
}

// Hit is one scene found, with its BM25 score.
type Hit struct {
	ID    string
	Score float64
}

// Search runs the query of Query and returns the best n hits, best first
// (ties in id order, so a ranking is reproducible).
func (x *Index) Search(q Searchable, n int) ([]Hit, error) {
	req := bleve.NewSearchRequestOptions(q, n, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, err
	}
	out := make([]Hit, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return out, nil
}
