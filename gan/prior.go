package gan

import (
	"context"
	"fmt"
	"math"
	"math/rand"

	"gonum.org/v1/gonum/mat"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/cluster"
	"github.com/atelier-app/atelier/internal/progress"
)

// Prior is the distribution random latents are drawn from: a mixture of
// K Gaussians fitted to the encoder's codes of the catalog,
//
//	p(z) = Σ_k π_k · N(z; μ_k, τ² Σ_k),   z ← standardise(μ_k + τ L_k ε),
//
// with L_k L_kᵀ = Σ_k and ε ~ N(0, I), each draw standardised row-wise like
// every latent of this package; the spread τ is 1 as fitted and calibrated
// afterwards (see spread.go). It is the second stage of a two-stage
// generative model (Dai & Wipf 2019): training keeps the codes E(x) at
// per-dimension mean 0 and variance 1, but their joint distribution is
// not N(0, I) (the catalog's six categories sit in distinct regions), so
// standard normal latents fall mostly between the regions that
// reconstruction trained G on. There G draws few handbags and sneakers
// and many heels. Drawing from the codes' own distribution puts random
// latents where G draws catalog-like products, in the catalog's mix.
//
// The fit is unsupervised (no category labels): k-means++ and Lloyd
// iterations (cluster.KMeans) assign codes to components; each
// component's covariance is
// its sample covariance shrunk toward its diagonal,
//
//	Σ_k = (1 − α_k) S_k + α_k diag(S_k) + 10⁻⁴ I,   α_k = d / (d + n_k),
//
// because a few hundred codes in d = 128 dimensions make a noisy full
// covariance (the shrinkage is strong for small components, light for
// large ones). A nil *Prior is the standard normal.
type Prior struct {
	ZDim    int
	Weights []float64 // π_k, summing to 1
	Means   []float32 // K × ZDim
	Chol    []float32 // K × ZDim × ZDim, lower-triangular L_k
	// Spread is τ, the scale of every component's deviations from its
	// mean (0 means 1, the mixture as fitted; see CalibrateSpread).
	Spread float64
}

// PriorConfig sets the fit.
type PriorConfig struct {
	Components int   // K (default 12)
	Seed       int64 // k-means++ seeding
}

// DefaultPriorComponents is K unless set: about the number of visually
// distinct groups of the default catalog (six categories, light and dark).
const DefaultPriorComponents = 12

func (c PriorConfig) withDefaults() PriorConfig {
	if c.Components == 0 {
		c.Components = DefaultPriorComponents
	}
	return c
}

// MinCodesPerComponent is the fewest codes per component the fit accepts:
// fewer make a covariance that is mostly shrinkage.
const MinCodesPerComponent = 8

// PriorComponentsFor is the most components, up to want, that n codes can
// fit (0 when too few for one).
func PriorComponentsFor(n, want int) int { return min(want, n/MinCodesPerComponent) }

// FitPrior fits the mixture to codes (row-major, n × zdim).
func FitPrior(ctx context.Context, codes []float32, zdim int, cfg PriorConfig) (*Prior, error) {
	cfg = cfg.withDefaults()
	if zdim < 1 || len(codes) == 0 || len(codes)%zdim != 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "prior: %d code values is not a whole number of %d-dim latents", len(codes), zdim)
	}
	n, k := len(codes)/zdim, cfg.Components
	if k < 1 {
		return nil, atelier.Errorf(atelier.KindInvalid, "prior: %d components; need at least 1", k)
	}
	if n < k*MinCodesPerComponent {
		return nil, atelier.Errorf(atelier.KindInvalid, "prior: %d codes is too few for %d components (need %d each)", n, k, MinCodesPerComponent)
	}
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = codes[i*zdim : (i+1)*zdim]
	}
	clusters, err := cluster.KMeans(ctx, rows, cluster.Config{K: k, Seed: uint64(cfg.Seed)})
	if err != nil {
		return nil, fmt.Errorf("gan: prior: %w", err)
	}
	x := make([]float64, len(codes))
	for i, v := range codes {
		x[i] = float64(v)
	}
	assign := clusters.Assign
	p := &Prior{ZDim: zdim}
	for c := 0; c < k; c++ {
		var members []int
		for i, a := range assign {
			if a == c {
				members = append(members, i)
			}
		}
		if len(members) < 2 {
			continue // an empty or single-point cluster carries no covariance
		}
		mean, chol, err := gaussianOf(x, members, zdim)
		if err != nil {
			return nil, fmt.Errorf("gan: prior component %d: %w", c, err)
		}
		p.Weights = append(p.Weights, float64(len(members))/float64(n))
		p.Means = append(p.Means, mean...)
		p.Chol = append(p.Chol, chol...)
	}
	var sum float64
	for _, w := range p.Weights {
		sum += w
	}
	for i := range p.Weights {
		p.Weights[i] /= sum
	}
	return p, nil
}

// Components is K.
func (p *Prior) Components() int { return len(p.Weights) }

// Validate checks that the prior's arrays agree with each other.
func (p *Prior) Validate() error {
	k, d := len(p.Weights), p.ZDim
	switch {
	case k == 0 || d < 1:
		return atelier.Errorf(atelier.KindInvalid, "prior has %d components of dimension %d", k, d)
	case len(p.Means) != k*d || len(p.Chol) != k*d*d:
		return atelier.Errorf(atelier.KindInvalid, "prior arrays do not match %d components of dimension %d", k, d)
	}
	for _, w := range p.Weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return atelier.Errorf(atelier.KindInvalid, "prior weight %v is not a probability", w)
		}
	}
	if !(p.Spread >= 0) || math.IsInf(p.Spread, 0) {
		return atelier.Errorf(atelier.KindInvalid, "prior spread %v is not a positive, finite scale", p.Spread)
	}
	return nil
}

// Sample returns n standardised latents (row-major, n × ZDim).
func (p *Prior) Sample(rng *rand.Rand, n int) []float32 {
	d := p.ZDim
	z := make([]float32, n*d)
	for i, dr := range p.draws(rng, n) {
		p.latent(z[i*d:(i+1)*d], dr)
	}
	return z
}

// draw is the randomness of one latent: its component and the standard
// normal ε that L_k scales.
type draw struct {
	c   int
	eps []float64
}

// draws takes n draws from rng, each a component and then ε.
func (p *Prior) draws(rng *rand.Rand, n int) []draw {
	ds := make([]draw, n)
	for b := range ds {
		ds[b].c = pick(rng, p.Weights)
		ds[b].eps = make([]float64, p.ZDim)
		for i := range ds[b].eps {
			ds[b].eps[i] = rng.NormFloat64()
		}
	}
	return ds
}

// latent writes standardise(μ_c + τ L_c ε) to row.
func (p *Prior) latent(row []float32, dr draw) {
	d, tau := p.ZDim, p.spread()
	mean, l := p.Means[dr.c*d:(dr.c+1)*d], p.Chol[dr.c*d*d:(dr.c+1)*d*d]
	for i := 0; i < d; i++ {
		var v float64
		for j := 0; j <= i; j++ {
			v += float64(l[i*d+j]) * dr.eps[j]
		}
		row[i] = float32(float64(mean[i]) + tau*v)
	}
	standardizeRow(row, row)
}

// spread is τ: Spread, or 1 when it is not set.
func (p *Prior) spread() float64 {
	if p.Spread == 0 {
		return 1
	}
	return p.Spread
}

// SampleZ draws n latents from the models' prior, or from the standard
// normal when they have none.
func (m *Models) SampleZ(rng *rand.Rand, n int) []float32 {
	if m.Prior == nil {
		return SampleZ(rng, n, m.ZDim())
	}
	return m.Prior.Sample(rng, n)
}

// FitPriorTo encodes every image of data with m.E and sets m.Prior to a
// mixture fitted to the codes.
func FitPriorTo(ctx context.Context, m *Models, data ImageSet, cfg PriorConfig, prog progress.Func) error {
	if m.E == nil {
		return atelier.Errorf(atelier.KindInvalid, "fitting a latent prior needs an encoder; train one first")
	}
	codes, err := m.E.EncodeSet(ctx, data, 64, "fit prior: encode", prog)
	if err != nil {
		return err
	}
	p, err := FitPrior(ctx, codes, m.ZDim(), cfg)
	if err != nil {
		return err
	}
	m.Prior = p
	return nil
}

// pick draws an index with probability proportional to w.
func pick(rng *rand.Rand, w []float64) int {
	u := rng.Float64()
	for i, v := range w {
		if u < v {
			return i
		}
		u -= v
	}
	return len(w) - 1
}

// gaussianOf returns the mean and the Cholesky factor of the shrunk
// covariance (see Prior) of the member rows of x.
func gaussianOf(x []float64, members []int, d int) (mean, chol []float32, err error) {
	m := float64(len(members))
	mu := make([]float64, d)
	for _, i := range members {
		for j := 0; j < d; j++ {
			mu[j] += x[i*d+j] / m
		}
	}
	cov := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			var s float64
			for _, i := range members {
				s += (x[i*d+a] - mu[a]) * (x[i*d+b] - mu[b])
			}
			cov.SetSym(a, b, s/(m-1))
		}
	}
	alpha := float64(d) / (float64(d) + m)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := cov.At(a, b)
			if a == b {
				cov.SetSym(a, b, v+1e-4)
			} else {
				cov.SetSym(a, b, (1-alpha)*v)
			}
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, nil, fmt.Errorf("covariance of %d codes is not positive definite", len(members))
	}
	var l mat.TriDense
	ch.LTo(&l)
	mean = make([]float32, d)
	chol = make([]float32, d*d)
	for a := 0; a < d; a++ {
		mean[a] = float32(mu[a])
		for b := 0; b <= a; b++ {
			chol[a*d+b] = float32(l.At(a, b))
		}
	}
	return mean, chol, nil
}
