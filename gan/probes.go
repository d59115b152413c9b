package gan

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

// Probes are generated images the choice flow can show beside catalog
// items: drawn from the models' prior, so they stand for designs the
// generator finds plausible whether or not the catalog has them, and kept
// only when they pass the checks a redesign's variants pass where no base
// image is involved: the discriminator finds them realistic and the
// scorer's category head names one category with at least even odds.
type Probe struct {
	Z        []float32
	Image    imaging.Tensor
	Phi      []float32 // the scorer's φ, as the flow scores catalog items
	Category string
	// CategoryProb is the category head's probability of Category, and
	// Realism the discriminator's calibrated logit.
	CategoryProb, Realism float64
}

// ProbeStats tell how a pool came out: how many images were drawn to
// keep how many, the kept ones' categories, and the seconds it took.
type ProbeStats struct {
	Drawn, Kept int
	Categories  map[string]int
	Seconds     float64
}

// MinProbeCategoryProb is the least probability the category head must
// give a probe's category: a probe no category claims is not a product
// a shopper would recognise.
const MinProbeCategoryProb = 0.5

// probeBatch is how many images one generation and scoring pass takes.
const probeBatch = 64

// DrawProbes draws images from m until n pass the checks (or 4n have
// been drawn, so a poor generator cannot loop for long), with latents
// from a stream seeded by seed: the same models and seed give the same
// pool.
func DrawProbes(ctx context.Context, m *Models, s Scorer, r *Realism, n int, seed int64, prog progress.Func) ([]Probe, ProbeStats, error) {
	start := time.Now()
	rng := rand.New(rand.NewSource(seed))
	stats := ProbeStats{Categories: map[string]int{}}
	var out []Probe
	cats := s.Categories()
	prog.Report(progress.Update{Stage: "probes", Step: 0, Total: n})
	for len(out) < n && stats.Drawn < 4*n {
		z := m.SampleZ(rng, probeBatch)
		ims, err := m.G.Generate(ctx, z, probeBatch)
		if err != nil {
			return nil, stats, err
		}
		scored, err := scoreWith(ctx, s, ims)
		if err != nil {
			return nil, stats, err
		}
		realism, err := r.Score(ctx, m.D, ims)
		if err != nil {
			return nil, stats, fmt.Errorf("gan: probe realism: %w", err)
		}
		zdim, k := m.ZDim(), s.Dim()
		for i, im := range ims {
			stats.Drawn++
			c := argmax(scored.probs[i])
			if realism[i] < r.Threshold || scored.probs[i][c] < MinProbeCategoryProb || len(out) == n {
				continue
			}
			out = append(out, Probe{Z: append([]float32(nil), z[i*zdim:(i+1)*zdim]...), Image: im,
				Phi: append([]float32(nil), scored.feats[i*k:(i+1)*k]...), Category: cats[c],
				CategoryProb: scored.probs[i][c], Realism: realism[i]})
			stats.Categories[cats[c]]++
		}
		prog.Report(progress.Update{Stage: "probes", Step: len(out), Total: n})
	}
	stats.Kept, stats.Seconds = len(out), time.Since(start).Seconds()
	return out, stats, nil
}
