package recommender

import (
	"math"

	"github.com/atelier-app/atelier"
)

// PixelFeatures turns images into raw-pixel feature vectors: each image
// block-averaged to size×size (3·size² values), centred on the catalog's
// mean image and scaled to unit length. Centring matters: every catalog
// photo is mostly white background, so uncentred cosines are all close to
// one; centred, they compare how items differ from the average item.
func PixelFeatures(im *Images, size int) ([][]float32, error) {
	pooled, err := im.Pool(size)
	if err != nil {
		return nil, err
	}
	n, d := pooled.Len(), pooled.Stride()
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for k, v := range pooled.Item(i).Pix {
			mean[k] += float64(v)
		}
	}
	feats := make([][]float32, n)
	for i := range feats {
		v := pooled.Item(i).Pix
		for k := range v {
			v[k] -= float32(mean[k] / float64(n))
		}
		normalize(v)
		feats[i] = v
	}
	return feats, nil
}

// normalize scales v to unit length in place; a zero vector stays zero.
func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for k := range v {
		v[k] *= inv
	}
}

// RawPixelsConfig configures NewRawPixels.
type RawPixelsConfig struct {
	Size int  // pooled image side (16); must divide the image size
	Max  bool // score by the most similar training item instead of the mean
}

// RawPixels is the non-learnt visual baseline: a consumer's score for an
// item is the mean (or max) cosine similarity between the item's raw
// pixels and those of the items the consumer took in training. It can
// score cold items, so it is the bar for what a learnt φ adds over pixels.
type RawPixels struct {
	feats [][]float32
	train [][]int
	max   bool
}

var _ Scorer = (*RawPixels)(nil)

// NewRawPixels builds the baseline from split's training items and the
// catalog's images.
func NewRawPixels(split *Split, im *Images, cfg RawPixelsConfig) (*RawPixels, error) {
	if cfg.Size == 0 {
		cfg.Size = 16
	}
	if im.Len() != split.NumItems {
		return nil, atelier.Errorf(atelier.KindInvalid, "raw pixels: %d images for %d items", im.Len(), split.NumItems)
	}
	feats, err := PixelFeatures(im, cfg.Size)
	if err != nil {
		return nil, err
	}
	return &RawPixels{feats: feats, train: split.Train, max: cfg.Max}, nil
}

// Score implements Scorer. A consumer with no training items scores zero
// everywhere.
func (r *RawPixels) Score(u int, out []float32) {
	taken := r.train[u]
	clear(out)
	if len(taken) == 0 {
		return
	}
	if r.max {
		for i, f := range r.feats {
			best := float32(math.Inf(-1))
			for _, t := range taken {
				best = max(best, dot(f, r.feats[t]))
			}
			out[i] = best
		}
		return
	}
	// With unit vectors the mean of cosines is one dot product with the
	// mean of the taken items' vectors: one pass over the catalog.
	m := meanVector(r.feats, taken)
	for i, f := range r.feats {
		out[i] = dot(f, m)
	}
}
