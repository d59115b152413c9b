package catalog

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage/blob"
)

// Featurer computes φ of images: the recommender model
// (*recommender.Model), or the serving runtime's view of it.
type Featurer interface {
	ImageSize() int
	ImageFeatures(ctx context.Context, im *recommender.Images, workers int) ([][]float32, error)
}

// featureChunk is how many images one network pass takes, bounding the
// memory of the batch (256 images of 64×64 take 12.6 MB as floats).
const featureChunk = 256

// ItemFeatures returns φ of each item's primary model-size image under m,
// reading and featuring a chunk of images at a time. seen, when set, is
// called with each image as it is read (to measure it otherwise too).
func ItemFeatures(ctx context.Context, blobs blob.Store, m Featurer, items []atelier.Item, workers int, seen func(i int, t imaging.Tensor)) ([][]float32, error) {
	size := m.ImageSize()
	out := make([][]float32, 0, len(items))
	for lo := 0; lo < len(items); lo += featureChunk {
		part := items[lo:min(lo+featureChunk, len(items))]
		im := &recommender.Images{Size: size, Pix: make([]float32, len(part)*3*size*size)}
		for n, it := range part {
			t, err := ItemImage(ctx, blobs, it, size)
			if err != nil {
				return nil, fmt.Errorf("item %s: %w", it.ID, err)
			}
			copy(im.Item(n).Pix, t.Pix)
			if seen != nil {
				seen(lo+n, t)
			}
		}
		f, err := m.ImageFeatures(ctx, im, workers)
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		if len(f) != len(part) {
			return nil, fmt.Errorf("features: %d vectors for %d images", len(f), len(part))
		}
		out = append(out, f...)
	}
	return out, nil
}
