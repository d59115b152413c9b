package recommender

import (
	"math"

	"github.com/atelier-app/atelier"
)

// Thumbnail picks which of an item's images (by their feature vectors φ)
// to show a consumer. With θ, the image the consumer prefers:
// argmax_v θ·φ_v. Without θ (a visitor the model has not folded in yet)
// but with the features of items they liked, the image closest in
// Euclidean distance to the mean of those: preference is linear in φ, so
// the mean liked φ stands in for the direction θ would point. With
// neither, the first image, the catalog's own choice.
func Thumbnail(variants [][]float32, theta []float32, liked [][]float32) (int, error) {
	if len(variants) == 0 {
		return 0, atelier.Errorf(atelier.KindInvalid, "thumbnail: item has no images")
	}
	if err := sameDim("image", variants, -1); err != nil {
		return 0, err
	}
	k := len(variants[0])
	switch {
	case theta != nil:
		if len(theta) != k {
			return 0, atelier.Errorf(atelier.KindInvalid, "thumbnail: θ of length %d, features have %d", len(theta), k)
		}
		best, bestScore := 0, float32(math.Inf(-1))
		for v, f := range variants {
			if s := dot(theta, f); s > bestScore {
				best, bestScore = v, s
			}
		}
		return best, nil
	case len(liked) > 0:
		if err := sameDim("liked item", liked, k); err != nil {
			return 0, err
		}
		target := meanVector(liked, nil)
		best, bestDist := 0, math.Inf(1)
		for v, f := range variants {
			d := 0.0
			for i, x := range f {
				e := float64(x - target[i])
				d += e * e
			}
			if d < bestDist {
				best, bestDist = v, d
			}
		}
		return best, nil
	default:
		return 0, nil
	}
}
