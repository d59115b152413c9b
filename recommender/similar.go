package recommender

import (
	"container/heap"
	"slices"

	"github.com/atelier-app/atelier"
)

// Neighbour is an item and its cosine similarity to a query.
type Neighbour struct {
	Item  int
	Score float32
}

// CosineIndex answers exact k-nearest-neighbour queries by cosine
// similarity over item feature vectors: φ features for "similar items",
// or PixelFeatures for the raw-pixel comparison. A scan with a top-k heap
// is O(n·K + n log k) per query, a few milliseconds for a catalog of
// thousands; an approximate index would only pay off far beyond that.
type CosineIndex struct {
	unit [][]float32
}

// NewCosineIndex normalises copies of the feature vectors.
func NewCosineIndex(features [][]float32) (*CosineIndex, error) {
	if err := sameDim("item", features, -1); err != nil {
		return nil, err
	}
	dim := 0
	if len(features) > 0 {
		dim = len(features[0])
	}
	unit := matrix(len(features), dim)
	for i, f := range features {
		copy(unit[i], f)
		normalize(unit[i])
	}
	return &CosineIndex{unit: unit}, nil
}

// NewPixelIndex indexes the images' raw pixels (PixelFeatures at size), the
// baseline that "similar items" on learnt features is compared with.
func NewPixelIndex(im *Images, size int) (*CosineIndex, error) {
	feats, err := PixelFeatures(im, size)
	if err != nil {
		return nil, err
	}
	return &CosineIndex{unit: feats}, nil // already unit length
}

// Len is the number of items in the index.
func (x *CosineIndex) Len() int { return len(x.unit) }

// Nearest returns the k items most similar to query, most similar first
// (ties: lower item index first), leaving out items for which skip is
// true (skip may be nil).
func (x *CosineIndex) Nearest(query []float32, k int, skip func(item int) bool) ([]Neighbour, error) {
	if len(x.unit) > 0 && len(query) != len(x.unit[0]) {
		return nil, atelier.Errorf(atelier.KindInvalid, "query of length %d, index vectors have %d", len(query), len(x.unit[0]))
	}
	if k < 0 {
		return nil, atelier.FieldErrorf("k", "must not be negative, got %d", k)
	}
	q := append([]float32(nil), query...)
	normalize(q)
	h := make(worstFirst, 0, k)
	for i, f := range x.unit {
		if k == 0 || (skip != nil && skip(i)) {
			continue
		}
		n := Neighbour{Item: i, Score: dot(q, f)}
		if len(h) < k {
			heap.Push(&h, n)
		} else if better(n, h[0]) {
			h[0] = n
			heap.Fix(&h, 0)
		}
	}
	out := []Neighbour(h)
	slices.SortFunc(out, func(a, b Neighbour) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return out, nil
}

// Similar returns the k items most similar to item, itself left out.
func (x *CosineIndex) Similar(item, k int) ([]Neighbour, error) {
	if item < 0 || item >= len(x.unit) {
		return nil, atelier.Errorf(atelier.KindNotFound, "item %d not in the index", item)
	}
	return x.Nearest(x.unit[item], k, func(i int) bool { return i == item })
}

// better orders neighbours: higher score, then lower item index.
func better(a, b Neighbour) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Item < b.Item
}

// worstFirst is a heap whose root is the worst neighbour kept so far.
type worstFirst []Neighbour

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return better(h[j], h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(Neighbour)) }
func (h *worstFirst) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}
