package serving

import (
	"context"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
)

// categoryModel is a model with a category head (the DVBPR model has one).
type categoryModel interface {
	PredictCategory(f []float32) int
	Categories() []string
}

// Categorize names the category of a model-size image with the served
// model's category head: "" when the model has none or the image is not
// of the model's size.
func (r *Runtime) Categorize(ctx context.Context, input imaging.Tensor) (string, error) {
	s, err := r.snapshot()
	if err != nil {
		return "", err
	}
	cm, ok := s.model.(categoryModel)
	if !ok || input.W != s.model.ImageSize() || input.H != input.W {
		return "", nil
	}
	f, err := s.model.ImageFeatures(ctx, &recommender.Images{Size: input.W, Pix: input.Pix}, 1)
	if err != nil {
		return "", err
	}
	names := cm.Categories()
	if c := cm.PredictCategory(f[0]); c >= 0 && c < len(names) {
		return names[c], nil
	}
	return "", nil
}
