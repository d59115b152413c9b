package redesign

import (
	"context"
	"fmt"
	"sort"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
)

// standing places preferences among the catalog's: the segment's
// preference for each realism reference (the catalog sample of
// catalog.StoreReferences), sorted, so that a variant's preference reads
// as "ranks in the top 30% of the catalog for this segment", which a
// seller understands without knowing the scale of θ·φ.
type standing []float64

func newStanding(ctx context.Context, rec *recommender.Model, refs []imaging.Tensor, theta []float32) (standing, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	size := rec.ImageSize()
	im := &recommender.Images{Size: size, Pix: make([]float32, 0, len(refs)*3*size*size)}
	for _, t := range refs {
		if t.W != size || t.H != size {
			t = imaging.FromImageSize(t.Image(), size)
		}
		im.Pix = append(im.Pix, t.Pix...)
	}
	phi, err := rec.ImageFeatures(ctx, im, 1)
	if err != nil {
		return nil, fmt.Errorf("catalog standing: %w", err)
	}
	s := make(standing, len(phi))
	for i, f := range phi {
		for j, v := range f {
			s[i] += float64(theta[j]) * float64(v)
		}
	}
	sort.Float64s(s)
	return s, nil
}

// top places preference among the catalog's: the image would rank in the
// top top% of the catalog for the segment, counting itself (5 means the
// top 5%; an image preferred to every reference is in the top 1/(n+1)).
func (s standing) top(preference float64) float64 {
	if len(s) == 0 {
		return 0
	}
	above := len(s) - sort.Search(len(s), func(i int) bool { return s[i] > preference })
	return 100 * float64(1+above) / float64(len(s)+1)
}
