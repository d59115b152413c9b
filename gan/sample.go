package gan

import (
	"context"
	"image"
	"math"
	"math/rand"

	"github.com/atelier-app/atelier/internal/imaging"
)

// SampleGrid draws n images from G with standard normal latents seeded by
// seed and lays them out in a square-ish grid (2 px white gutters). The
// same seed gives the same latents, so grids from successive training
// checkpoints are comparable.
func SampleGrid(ctx context.Context, g *Generator, n int, seed int64) (image.Image, error) {
	return gridOf(ctx, g, SampleZ(rand.New(rand.NewSource(seed)), n, g.Config.ZDim))
}

// SampleGrid draws n images with latents from the models' prior.
func (m *Models) SampleGrid(ctx context.Context, n int, seed int64) (image.Image, error) {
	return gridOf(ctx, m.G, m.SampleZ(rand.New(rand.NewSource(seed)), n))
}

func gridOf(ctx context.Context, g *Generator, z []float32) (image.Image, error) {
	ims, err := g.Generate(ctx, z, 16)
	if err != nil {
		return nil, err
	}
	return Grid(ims), nil
}

// Grid lays images out in ⌈√n⌉ columns with 2 px white gutters.
func Grid(ims []imaging.Tensor) image.Image {
	tiles := make([]image.Image, len(ims))
	for i, im := range ims {
		tiles[i] = im.Image()
	}
	cols := int(math.Ceil(math.Sqrt(float64(len(ims)))))
	return imaging.Grid(tiles, cols, 2)
}
