package gan

import (
	"context"
	"fmt"
	"math"
	"math/rand"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imgmetric"
	"github.com/atelier-app/atelier/internal/progress"
)

// The prior's spread.
//
// The prior is fitted to what the encoder reads from catalog images, but G
// does not draw back exactly what E read: trained partly on a pixel
// reconstruction loss, G draws softer, more average images than the ones
// whose codes it is given (G∘E contracts toward the catalog's mean), so
// samples from the prior as fitted vary less than the catalog does. The
// prior's spread τ scales every component's deviations,
//
//	z ← standardise(μ_k + τ L_k ε),
//
// and is calibrated so that what E reads back from the samples is
// distributed like what it reads from the catalog:
//
//	τ* = argmin_τ FD( E(G(z_τ)), E(x) ),
//
// FD the Fréchet distance between Gaussians fitted to the two sets of
// codes. It is the opposite of the truncation trick (τ < 1, which trades
// variety for typical samples): here τ > 1 undoes a contraction. Every τ
// is tried on the same draws of components and ε (common random numbers),
// so FD is a smooth function of τ, and golden-section search finds its
// least value in about a dozen tries. Only the GAN's own networks take
// part; the recommender's features φ, in which the evaluation measures the
// samples (fd_phi), do not.

// SpreadConfig sets the calibration of the prior's spread.
type SpreadConfig struct {
	Samples  int     // latents drawn per try (default: as many as the images compared against, at most 1500)
	Min, Max float64 // the interval searched (default 0.5, 2)
	Tol      float64 // width of the interval at which the search stops (default 0.01)
	Seed     int64   // seed of the draws
	Batch    int     // images per generator and encoder run (default 64)
}

// DefaultSpreadSamples is the most latents a try draws by default: the
// distance's noise comes from the smaller of its two sets, so drawing
// more than the catalog has images gains little, and at 1,500 a try takes
// about 5 s on two cores.
const DefaultSpreadSamples = 1500

func (c SpreadConfig) withDefaults(images int) SpreadConfig {
	if c.Samples == 0 {
		c.Samples = min(images, DefaultSpreadSamples)
	}
	if c.Min == 0 && c.Max == 0 {
		c.Min, c.Max = 0.5, 2
	}
	if c.Tol == 0 {
		c.Tol = 0.01
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	return c
}

// Validate reports the first setting that is out of range.
func (c SpreadConfig) Validate() error {
	c = c.withDefaults(2)
	switch {
	case c.Samples < 2:
		return atelier.FieldErrorf("samples", "need at least 2 latents per try, got %d", c.Samples)
	case !(c.Min > 0) || !(c.Max > c.Min) || math.IsInf(c.Max, 0):
		return atelier.FieldErrorf("spread", "interval [%v, %v] is not a positive, finite, non-empty interval", c.Min, c.Max)
	case !(c.Tol > 0):
		return atelier.FieldErrorf("tol", "must be positive, got %v", c.Tol)
	case c.Batch < 1:
		return atelier.FieldErrorf("batch", "must be positive, got %d", c.Batch)
	}
	return nil
}

// SpreadReport is what the calibration found.
type SpreadReport struct {
	Spread   float64 `json:"spread"`   // τ*, now the prior's spread
	Distance float64 `json:"distance"` // FD of the codes at τ*
	AtOne    float64 `json:"at_one"`   // FD of the codes at τ = 1, the prior as fitted
	Tries    int     `json:"tries"`    // values of τ tried
}

// CalibrateSpread sets m.Prior.Spread to τ* (see above), measured against
// the codes of the images of data, and reports it. m needs an encoder and
// a prior.
func CalibrateSpread(ctx context.Context, m *Models, data ImageSet, cfg SpreadConfig, prog progress.Func) (*SpreadReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case m.Prior == nil:
		return nil, atelier.Errorf(atelier.KindInvalid, "calibrating the prior's spread needs a prior; fit one first")
	case m.E == nil:
		return nil, atelier.Errorf(atelier.KindInvalid, "calibrating the prior's spread needs an encoder; train one first")
	case data == nil || data.Len() < 2:
		return nil, atelier.Errorf(atelier.KindInvalid, "calibrating the prior's spread needs at least 2 images")
	}
	cfg = cfg.withDefaults(data.Len())
	codes, err := m.E.EncodeSet(ctx, data, cfg.Batch, "calibrate spread: encode", prog)
	if err != nil {
		return nil, err
	}
	d := m.ZDim()
	// The catalog's side of every distance: fitted once.
	real, err := imgmetric.FitGaussian(codes, d)
	if err != nil {
		return nil, fmt.Errorf("gan: calibrate spread: %w", err)
	}
	// The fixed draws every try shares: a component and ε per sample.
	p := *m.Prior
	draws := p.draws(rand.New(rand.NewSource(cfg.Seed)), cfg.Samples)
	total := goldenTries(cfg.Min, cfg.Max, cfg.Tol) + 1
	rep := &SpreadReport{}
	distance := func(tau float64) (float64, error) {
		prog.Report(progress.Update{Stage: "calibrate spread", Step: rep.Tries, Total: total})
		rep.Tries++
		p.Spread = tau
		z := make([]float32, cfg.Samples*d)
		for i, dr := range draws {
			p.latent(z[i*d:(i+1)*d], dr)
		}
		ims, err := m.G.Generate(ctx, z, cfg.Batch)
		if err != nil {
			return 0, err
		}
		codes, err := m.E.EncodeSet(ctx, tensorSet(ims), cfg.Batch, "", nil)
		if err != nil {
			return 0, err
		}
		gen, err := imgmetric.FitGaussian(codes, d)
		if err != nil {
			return 0, fmt.Errorf("gan: calibrate spread at %v: %w", tau, err)
		}
		fd, err := imgmetric.FrechetGaussians(real, gen)
		if err != nil {
			return 0, fmt.Errorf("gan: calibrate spread at %v: %w", tau, err)
		}
		return fd, nil
	}
	if rep.AtOne, err = distance(1); err != nil {
		return nil, err
	}
	if rep.Spread, rep.Distance, err = goldenSection(cfg.Min, cfg.Max, cfg.Tol, distance); err != nil {
		return nil, err
	}
	m.Prior.Spread = rep.Spread
	prog.Report(progress.Update{Stage: "calibrate spread", Step: total, Total: total})
	return rep, nil
}

// invPhi is 1/φ, the golden ratio's inverse.
var invPhi = (math.Sqrt(5) - 1) / 2

// goldenTries is how many evaluations goldenSection makes on [lo, hi].
func goldenTries(lo, hi, tol float64) int {
	n := 2
	for w := hi - lo; w > tol; w *= invPhi {
		n++
	}
	return n
}

// goldenSection returns the x in [lo, hi] at which f, taken to have one
// least value there, is least (to within tol), and f(x). It keeps two
// inner points at the golden ratio, so each step shrinks the interval by
// 1/φ ≈ 0.618 for one new evaluation of f.
func goldenSection(lo, hi, tol float64, f func(float64) (float64, error)) (x, fx float64, err error) {
	a, b := lo, hi
	c, d := b-(b-a)*invPhi, a+(b-a)*invPhi
	fc, err := f(c)
	if err != nil {
		return 0, 0, err
	}
	fd, err := f(d)
	if err != nil {
		return 0, 0, err
	}
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - (b-a)*invPhi
			if fc, err = f(c); err != nil {
				return 0, 0, err
			}
		} else {
			a, c, fc = c, d, fd
			d = a + (b-a)*invPhi
			if fd, err = f(d); err != nil {
				return 0, 0, err
			}
		}
	}
	if fc <= fd {
		return c, fc, nil
	}
	return d, fd, nil
}
