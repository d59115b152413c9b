package backgrounds

import (
	"context"
	"sync"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
)

// ModelCategorizer is the category head of a recommender model loaded
// from a file (the command line and evaluations; the service uses the
// served model's, serving.Runtime.Categorize).
type ModelCategorizer struct {
	M  *recommender.Model
	mu sync.Mutex // one forward pass at a time
}

// Categorize implements Categorizer.
func (c *ModelCategorizer) Categorize(ctx context.Context, input imaging.Tensor) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := c.M.ImageFeatures(ctx, &recommender.Images{Size: input.W, Pix: input.Pix}, 1)
	if err != nil {
		return "", err
	}
	return c.M.Categories()[c.M.PredictCategory(f[0])], nil
}
