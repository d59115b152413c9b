package gan

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// InvertConfig sets how an image is found in the generator's latent space.
type InvertConfig struct {
	Steps int     // Adam steps on z (default 100)
	LR    float32 // Adam step size (default 0.01)
	// Perceptual weighs the perceptual distance against the pixel MSE
	// (default 1; negative means 0).
	Perceptual float32
	// Patience stops early once the loss has not improved by a relative
	// MinDelta for this many steps; 0 never stops early.
	Patience int
	MinDelta float64 // default 1e-3
	// Snapshots lists steps (0 = the encoder's guess) at which to keep
	// G(z), for inversion curves. Steps beyond the run are ignored.
	Snapshots []int
	// Seed draws the starting z when the models have no encoder.
	Seed int64
}

// DefaultInvertConfig returns the inversion's default settings.
func DefaultInvertConfig() InvertConfig { return InvertConfig{}.withDefaults() }

func (c InvertConfig) withDefaults() InvertConfig {
	if c.Steps == 0 {
		c.Steps = 100
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
	if c.Perceptual == 0 {
		c.Perceptual = 1
	} else if c.Perceptual < 0 {
		c.Perceptual = 0
	}
	if c.MinDelta == 0 {
		c.MinDelta = 1e-3
	}
	return c
}

// Inversion is the result of Invert.
type Inversion struct {
	Z      []float32      // the best latent found (standardised)
	Image  imaging.Tensor // G(Z)
	Loss   float64        // its loss: MSE + Perceptual·P
	Steps  int            // Adam steps taken
	Losses []float64      // loss before each step, and after the last
	// Snapshots holds G(z) at the configured steps that were reached.
	Snapshots map[int]imaging.Tensor
}

// Invert finds z with G(z) ≈ img: starting from z₀ = E(img) (a seeded
// random z without an encoder), it takes Adam steps on
//
//	L(z) = mean (G(z) − img)² + λ·P(G(z), img)
//
// (P the perceptual distance, λ = cfg.Perceptual) and re-standardises z
// after each step, z ← (z − mean z)/std z, so z stays where the generator
// was trained: N(0, I) draws have mean 0 and deviation 1 up to sampling
// noise. It returns the z of lowest loss seen.
func Invert(ctx context.Context, m *Models, img imaging.Tensor, cfg InvertConfig, prog progress.Func) (*Inversion, error) {
	cfg = cfg.withDefaults()
	size := m.Size()
	if img.H != size || img.W != size || len(img.Pix) != 3*size*size {
		return nil, atelier.Errorf(atelier.KindInvalid, "image is %dx%d, the generator works at %dx%d", img.W, img.H, size, size)
	}
	if cfg.Steps < 0 || cfg.LR < 0 || cfg.Patience < 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "invalid inversion settings %+v", cfg)
	}
	z0, err := initialLatent(m, img, cfg.Seed)
	if err != nil {
		return nil, err
	}
	targets, err := featureTargets(m.D, img)
	if err != nil {
		return nil, err
	}

	z := nn.NewParam("z", 1, m.ZDim())
	copy(z.Data(), z0)
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Const("target", img.Pix, 1, 3, size, size)
	tn := make([]*G.Node, len(targets))
	for i, t := range targets {
		tn[i] = g.Const(fmt.Sprintf("target.f%d", i), t.Data().([]float32), t.Shape()...)
	}
	out := m.G.Forward(g, g.Param(z))
	loss := add(g, meanSquaredDiff(g, out, x), scale(g, perceptualTo(g, m.D, out, tn), cfg.Perceptual))
	lossOut := g.Output(loss)
	imgOut := g.Output(out)
	if err := g.Backward(scalar(g, loss), z); err != nil {
		return nil, fmt.Errorf("gan: inversion graph: %w", err)
	}
	opt, err := nn.NewAdam([]nn.Param{z}, nn.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, err
	}
	opt.AfterStep = append(opt.AfterStep, func(ps []nn.Param) error {
		standardizeRow(ps[0].Data(), ps[0].Data())
		return nil
	})

	res := &Inversion{Snapshots: map[int]imaging.Tensor{}, Loss: math.Inf(1)}
	best, sinceBest := math.Inf(1), 0
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := g.Run(); err != nil {
			return nil, fmt.Errorf("gan: inversion step %d: %w", step, err)
		}
		l := float64(lossOut.Data().([]float32)[0])
		res.Losses = append(res.Losses, l)
		if slices.Contains(cfg.Snapshots, step) {
			res.Snapshots[step] = tensorCopy(imgOut, size)
		}
		if l < res.Loss {
			res.Loss = l
			res.Z = append(res.Z[:0], z.Data()...)
			res.Image = tensorCopy(imgOut, size)
		}
		if l < best*(1-cfg.MinDelta) {
			best, sinceBest = l, 0
		} else {
			sinceBest++
		}
		prog.Report(progress.Update{Stage: "invert", Step: step, Total: cfg.Steps, Metrics: map[string]float64{"loss": l}})
		if step == cfg.Steps || (cfg.Patience > 0 && sinceBest >= cfg.Patience) {
			res.Steps = step
			return res, nil
		}
		if err := opt.Step(g.Grad); err != nil {
			return nil, fmt.Errorf("gan: inversion step %d: %w", step, err)
		}
	}
}

func tensorCopy(t *tensor.Dense, size int) imaging.Tensor {
	return imaging.Tensor{H: size, W: size, Pix: append([]float32(nil), t.Data().([]float32)...)}
}

// initialLatent returns E(img), or a seeded random standard z without an
// encoder.
func initialLatent(m *Models, img imaging.Tensor, seed int64) ([]float32, error) {
	if m.E == nil {
		return SampleZ(rand.New(rand.NewSource(seed)), 1, m.ZDim()), nil
	}
	zs, err := m.E.Encode(img.Pix, 1)
	if err != nil {
		return nil, err
	}
	return zs, nil
}

// featureTargets computes D's normalised feature maps of img once, the
// constant side of the perceptual distance.
func featureTargets(d *Discriminator, img imaging.Tensor) ([]*tensor.Dense, error) {
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Const("x", img.Pix, 1, 3, img.H, img.W)
	var outs []*tensor.Dense
	for _, f := range normalizedFeatures(g, d, x) {
		outs = append(outs, g.Output(f))
	}
	if err := g.Run(); err != nil {
		return nil, fmt.Errorf("gan: perceptual features: %w", err)
	}
	return outs, nil
}

// Encode returns E(x) for images x (row-major, n × 3 × size × size), in
// batches of at most batch: n standardised latent vectors, row-major.
func (m *Encoder) Encode(x []float32, batch int) ([]float32, error) {
	size := m.Config.Size
	stride := 3 * size * size
	if len(x) == 0 || len(x)%stride != 0 {
		return nil, fmt.Errorf("gan: encode: %d values is not a whole number of %dx%d images", len(x), size, size)
	}
	return m.encode(context.Background(), len(x)/stride, batch, func(dst []float32, i int) error {
		copy(dst, x[i*stride:(i+1)*stride])
		return nil
	}, nil)
}

// EncodeSet returns E(x) for every image of set, reading one batch of
// images at a time, with progress under stage.
func (m *Encoder) EncodeSet(ctx context.Context, set ImageSet, batch int, stage string, prog progress.Func) ([]float32, error) {
	size := m.Config.Size
	return m.encode(ctx, set.Len(), batch, func(dst []float32, i int) error {
		im := set.Item(i)
		if im.H != size || im.W != size {
			return atelier.Errorf(atelier.KindInvalid, "image %d is %dx%d, the encoder takes %dx%d", i, im.W, im.H, size, size)
		}
		copy(dst, im.Pix)
		return nil
	}, func(done int) { prog.Report(progress.Update{Stage: stage, Step: done, Total: set.Len()}) })
}

// encode runs E over n images in batches through one graph; fill writes
// image i into its slot of the batch, done (when not nil) hears how many
// are encoded after each batch.
func (m *Encoder) encode(ctx context.Context, n, batch int, fill func(dst []float32, i int) error, done func(int)) ([]float32, error) {
	size, zdim := m.Config.Size, m.Config.ZDim
	stride := 3 * size * size
	if n == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "no images to encode")
	}
	batch = max(1, min(batch, n))
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	in := g.Input("x", batch, 3, size, size)
	out := g.Output(m.Forward(g, in))
	if err := g.Err(); err != nil {
		return nil, err
	}
	z := make([]float32, 0, n*zdim)
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+batch, n)
		buf := g.InputData(in)
		clear(buf)
		for i := lo; i < hi; i++ {
			if err := fill(buf[(i-lo)*stride:(i-lo+1)*stride], i); err != nil {
				return nil, err
			}
		}
		if err := g.Run(); err != nil {
			return nil, fmt.Errorf("gan: encode: %w", err)
		}
		z = append(z, out.Data().([]float32)[:(hi-lo)*zdim]...)
		if done != nil {
			done(hi)
		}
	}
	return z, nil
}
