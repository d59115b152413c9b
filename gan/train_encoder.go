package gan

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// HoldoutEvery marks the catalog images the encoder never trains on: those
// whose index is a multiple of it. Evaluation measures reconstruction on
// them.
const HoldoutEvery = 20

// EncoderSplit splits image indices [0, n) into encoder training and
// held-out ones (see HoldoutEvery).
func EncoderSplit(n int) (train, heldOut []int) {
	for i := 0; i < n; i++ {
		if i%HoldoutEvery == 0 {
			heldOut = append(heldOut, i)
		} else {
			train = append(train, i)
		}
	}
	return train, heldOut
}

// Subset is the images of a set at the given indices.
type Subset struct {
	Set     ImageSet
	Indices []int
}

func (s Subset) Len() int { return len(s.Indices) }

func (s Subset) Item(i int) imaging.Tensor { return s.Set.Item(s.Indices[i]) }

// EncoderTrainConfig holds the encoder's training recipe.
type EncoderTrainConfig struct {
	Steps  int     `json:"steps"`
	Batch  int     `json:"batch"`  // real images per step, and as many generated ones
	Shards int     `json:"shards"` // as in TrainConfig
	Seed   int64   `json:"seed"`
	LR     float32 `json:"lr"`
	// Perceptual weighs the perceptual distance in the reconstruction
	// loss; Latent weighs the latent loss on generated pairs.
	Perceptual float32 `json:"perceptual"`
	Latent     float32 `json:"latent"`
}

// DefaultEncoderTrainConfig is the recipe of the demo encoder.
func DefaultEncoderTrainConfig() EncoderTrainConfig {
	return EncoderTrainConfig{Steps: 1000, Batch: 32, Shards: 2, Seed: 1, LR: 5e-4, Perceptual: 1, Latent: 0.1}
}

// Validate checks the recipe.
func (c EncoderTrainConfig) Validate() error {
	switch {
	case c.Steps < 1:
		return atelier.FieldErrorf("steps", "must be positive, got %d", c.Steps)
	case c.Shards < 1 || c.Batch < 1 || c.Batch%c.Shards != 0:
		return atelier.FieldErrorf("batch", "%d does not split into %d equal shards", c.Batch, c.Shards)
	case !(c.LR > 0):
		return atelier.FieldErrorf("lr", "must be positive, got %v", c.LR)
	case c.Perceptual < 0 || c.Latent < 0:
		return atelier.FieldErrorf("weights", "loss weights must not be negative")
	}
	return nil
}

// EncoderStats describes one encoder training step.
type EncoderStats struct {
	Step       int
	Loss       float64
	MSE        float64 // pixel MSE of G(E(x)) on the step's real images
	Perceptual float64
	Latent     float64 // mean (E(G(z)) − z)²
}

// TrainEncoder trains the encoder of m (a new one when m.E is nil; else it
// continues from m.E, the one trained along with the GAN) for the frozen
// generator and discriminator of m on data and stores it in m.E. Each step minimises,
// over a batch of real images x and as many generated pairs (z, G(z)),
//
//	mean (G(E(x)) − x)² + λ_p·P(G(E(x)), x) + λ_z·mean (E(G(z)) − z)²
//
// The first two terms make G(E(x)) look like x, which is what inversion
// starts from; the latent term anchors E on images whose latent is known,
// which keeps E(x) inside the region G was trained on.
func TrainEncoder(ctx context.Context, m *Models, data ImageSet, cfg EncoderTrainConfig, prog progress.Func, after func(EncoderStats) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	size := m.Size()
	if data == nil || data.Len() == 0 {
		return atelier.Errorf(atelier.KindInvalid, "no training images")
	}
	if im := data.Item(0); im.H != size || im.W != size {
		return atelier.Errorf(atelier.KindInvalid, "training images are %dx%d, the generator makes %dx%d", im.W, im.H, size, size)
	}
	e := m.E
	if e == nil {
		ecfg := EncoderConfig{Size: size, Widths: DefaultEncoderConfig().Widths, ZDim: m.ZDim()}
		if size != DefaultEncoderConfig().Size {
			ecfg.Widths = encoderWidthsFor(size)
		}
		var err error
		if e, err = NewEncoder(ecfg, rand.New(rand.NewSource(cfg.Seed))); err != nil {
			return err
		}
	}
	opt, err := nn.NewAdam(e.Params(), nn.AdamConfig{LR: cfg.LR, Beta1: 0.9, Beta2: 0.99})
	if err != nil {
		return err
	}
	n := cfg.Batch / cfg.Shards
	shards := make([]*encShard, cfg.Shards)
	for s := range shards {
		if shards[s], err = newEncShard(m, e, n, cfg); err != nil {
			return err
		}
		defer shards[s].g.Close()
	}
	grads := make([]*tensor.Dense, len(e.Params()))
	for i, p := range e.Params() {
		grads[i] = tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(tensor.Float32))
	}
	stride := 3 * size * size
	start := time.Now()
	for step := 0; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		rng := stepRand(cfg.Seed, step)
		for _, sh := range shards {
			x := sh.g.InputData(sh.x)
			for i := 0; i < n; i++ {
				copy(x[i*stride:(i+1)*stride], data.Item(rng.Intn(data.Len())).Pix)
			}
			copy(sh.g.InputData(sh.z), SampleZ(rng, n, m.ZDim()))
		}
		errs := make([]error, len(shards))
		nn.Concurrent(len(shards), func(s int) { errs[s] = shards[s].g.Run() })
		for _, err := range errs {
			if err != nil {
				return fmt.Errorf("gan: encoder step %d: %w", step, err)
			}
		}
		st := EncoderStats{Step: step + 1}
		for _, sh := range shards {
			st.Loss += float64(sh.loss.Data().([]float32)[0]) / float64(len(shards))
			st.MSE += float64(sh.mse.Data().([]float32)[0]) / float64(len(shards))
			st.Perceptual += float64(sh.perc.Data().([]float32)[0]) / float64(len(shards))
			st.Latent += float64(sh.lat.Data().([]float32)[0]) / float64(len(shards))
		}
		if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
			return atelier.Errorf(atelier.KindInternal, "encoder training diverged at step %d", st.Step)
		}
		for i, p := range e.Params() {
			d := grads[i].Data().([]float32)
			clear(d)
			for _, sh := range shards {
				for j, v := range sh.g.Grad(p).Data().([]float32) {
					d[j] += v / float32(len(shards))
				}
			}
		}
		ps := e.Params()
		if err := opt.Step(func(p nn.Param) *tensor.Dense {
			for i, q := range ps {
				if q.Name == p.Name {
					return grads[i]
				}
			}
			return nil
		}); err != nil {
			return err
		}
		prog.Report(progress.Update{Stage: "train encoder", Step: step + 1, Total: cfg.Steps, Metrics: map[string]float64{
			"loss": st.Loss, "mse": st.MSE, "perceptual": st.Perceptual, "latent": st.Latent,
			"img_s": float64((step+1)*cfg.Batch) / math.Max(time.Since(start).Seconds(), 1e-9),
		}})
		if after != nil {
			m.E = e
			if err := after(st); err != nil {
				return err
			}
		}
	}
	m.E = e
	return nil
}

// encoderWidthsFor returns encoder widths for other image sizes (tests):
// 32, 64, ... channels, one per halving down to 4 px.
func encoderWidthsFor(size int) []int {
	var ws []int
	w := 32
	for s := size; s > 4; s /= 2 {
		ws = append(ws, min(w, 256))
		w *= 2
	}
	return ws
}

// encShard is one part of the encoder's batch with its graph.
type encShard struct {
	g                    *nn.Graph
	x, z                 *G.Node
	loss, mse, perc, lat *tensor.Dense
}

func newEncShard(m *Models, e *Encoder, n int, cfg EncoderTrainConfig) (*encShard, error) {
	size := m.Size()
	g := nn.NewGraph(nn.Train, 1)
	g.RunsAlongside(cfg.Shards)
	sh := &encShard{g: g}
	sh.x = g.Input("x", n, 3, size, size)
	sh.z = g.Input("z", n, m.ZDim())
	// Reconstruction of real images through the frozen generator.
	rec := m.G.Forward(g, e.Forward(g, sh.x))
	mse := meanSquaredDiff(g, rec, sh.x)
	perc := perceptualTo(g, m.D, rec, normalizedFeatures(g, m.D, sh.x))
	// Latent regression on generated pairs.
	lat := meanSquaredDiff(g, e.Forward(g, m.G.Forward(g, sh.z)), sh.z)
	loss := add(g, add(g, mse, scale(g, perc, cfg.Perceptual)), scale(g, lat, cfg.Latent))
	sh.loss, sh.mse, sh.perc, sh.lat = g.Output(loss), g.Output(mse), g.Output(perc), g.Output(lat)
	if err := g.Backward(scalar(g, loss), e.Params()...); err != nil {
		return nil, fmt.Errorf("gan: encoder graph: %w", err)
	}
	if err := g.Compile(); err != nil {
		return nil, fmt.Errorf("gan: encoder graph: %w", err)
	}
	return sh, nil
}
