package gan

import (
	"context"
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
)

// ImageSet is a collection of same-size RGB images, such as a catalog
// loaded for training (the recommender's image slab satisfies it).
type ImageSet interface {
	Len() int
	Item(i int) imaging.Tensor
}

// tensorSet is images in memory as an ImageSet.
type tensorSet []imaging.Tensor

func (s tensorSet) Len() int                  { return len(s) }
func (s tensorSet) Item(i int) imaging.Tensor { return s[i] }

// Models are the trained networks the redesign engine needs: the
// generator (the moving average of the trained weights, when training kept
// one), the discriminator (realism and perceptual features) and the
// encoder (nil until it is trained). Prior is the distribution of random
// latents (nil: the standard normal; see Prior).
type Models struct {
	G     *Generator
	D     *Discriminator
	E     *Encoder
	Prior *Prior
}

// Size is the side of the images the models work on.
func (m *Models) Size() int { return m.G.Config.Size() }

// ZDim is the latent dimension.
func (m *Models) ZDim() int { return m.G.Config.ZDim }

// SampleZ returns n latent vectors (row-major, n × zdim) drawn from a
// standard normal and standardised row by row, as every z of this package
// is.
func SampleZ(rng *rand.Rand, n, zdim int) []float32 {
	z := make([]float32, n*zdim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	for b := 0; b < n; b++ {
		standardizeRow(z[b*zdim:(b+1)*zdim], z[b*zdim:(b+1)*zdim])
	}
	return z
}

// Generate returns G(z) for the latent vectors z (row-major, n × zdim), in
// batches of at most batch.
func (m *Generator) Generate(ctx context.Context, z []float32, batch int) ([]imaging.Tensor, error) {
	zdim, size := m.Config.ZDim, m.Config.Size()
	if len(z) == 0 || len(z)%zdim != 0 {
		return nil, fmt.Errorf("gan: generate: %d latent values is not a multiple of %d", len(z), zdim)
	}
	n := len(z) / zdim
	if batch < 1 {
		batch = 1
	}
	batch = min(batch, n)
	run, err := newGenRunner(m, batch)
	if err != nil {
		return nil, err
	}
	defer run.g.Close()
	out := make([]imaging.Tensor, 0, n)
	stride := 3 * size * size
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+batch, n)
		in := run.g.InputData(run.z)
		clear(in)
		copy(in, z[lo*zdim:hi*zdim])
		if err := run.g.Run(); err != nil {
			return nil, fmt.Errorf("gan: generate: %w", err)
		}
		pix := run.x.Data().([]float32)
		for b := 0; b < hi-lo; b++ {
			t := imaging.Tensor{H: size, W: size, Pix: append([]float32(nil), pix[b*stride:(b+1)*stride]...)}
			out = append(out, t)
		}
	}
	return out, nil
}

// genRunner is an inference graph of G at a fixed batch size.
type genRunner struct {
	g *nn.Graph
	z *G.Node
	x *tensor.Dense
}

func newGenRunner(m *Generator, batch int) (*genRunner, error) {
	g := nn.NewGraph(nn.Infer, 1)
	z := g.Input("z", batch, m.Config.ZDim)
	x := g.Output(m.Forward(g, z))
	if err := g.Compile(); err != nil {
		return nil, fmt.Errorf("gan: generator graph: %w", err)
	}
	return &genRunner{g: g, z: z, x: x}, nil
}
