package gan

import (
	"context"
	"fmt"
	"math"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// ShiftConfig sets how latent shifts toward a segment are learned.
type ShiftConfig struct {
	N       int     // number of shifts (default 8)
	Epsilon float32 // elementwise bound on every shift (default 0.4)
	Steps   int     // Adam steps (default 100)
	LR      float32 // Adam step size for the shifts and the predictor (default 0.01)
	// ClassWeight weighs the predictor's cross-entropy (default 0.1);
	// negative means 0.
	ClassWeight float32
	// PreferenceWeight weighs the mean segment preference (default 1).
	PreferenceWeight float32
	Seed             int64 // draws the initial shifts and the predictor
	// Keep, when set, adds terms that hold the variants to the base's
	// category and to realism (see Keep); nil is the published objective.
	Keep *Keep `json:"-"`
}

// DefaultShiftConfig returns the method's published settings.
func DefaultShiftConfig() ShiftConfig { return ShiftConfig{}.withDefaults() }

func (c ShiftConfig) withDefaults() ShiftConfig {
	if c.N == 0 {
		c.N = 8
	}
	if c.Epsilon == 0 {
		c.Epsilon = 0.4
	}
	if c.Steps == 0 {
		c.Steps = 100
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
	c.ClassWeight = weightOr(c.ClassWeight, 0.1)
	if c.PreferenceWeight == 0 {
		c.PreferenceWeight = 1
	}
	return c
}

// Validate checks the settings (after defaults).
func (c ShiftConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.N < 1 || c.N > 64:
		return atelier.FieldErrorf("n", "number of variants %d not in [1, 64]", c.N)
	case !(c.Epsilon > 0) || c.Epsilon > 10:
		return atelier.FieldErrorf("epsilon", "shift bound %v not in (0, 10]", c.Epsilon)
	case c.Steps < 0 || c.Steps > 10000:
		return atelier.FieldErrorf("steps", "steps %d not in [0, 10000]", c.Steps)
	case !(c.LR > 0):
		return atelier.FieldErrorf("lr", "step size %v must be positive", c.LR)
	}
	return nil
}

// Shifts are learned latent shifts and what they produce.
type Shifts struct {
	K      [][]float32      // the shift vectors k, each within [−ε, ε]
	Z      [][]float32      // z_k = standardize(z + k)
	Images []imaging.Tensor // G(z_k)
	// Preference is θ·φ(G(z_k)) at the last step, per shift.
	Preference []float64
	// Curve is the objective's parts before each step and after the last.
	Curve []ShiftStep
}

// ShiftStep records one step of the shift optimisation.
type ShiftStep struct {
	Preference float64 `json:"preference"` // mean θ·φ(G(z_k)) over the shifts
	ClassLoss  float64 `json:"class_loss"` // predictor cross-entropy
	ShiftLoss  float64 `json:"shift_loss"` // L1 of the predicted shifts
}

// Shift learns cfg.N distinct shifts of the standardised latent z that a
// segment of taste θ would prefer (Kumar, Sharma & Narayan 2025). Shifts
// k_1..k_n start N(0, 1) and are clipped elementwise to [−ε, ε] at the
// start and after every step; with z_k = standardize(z + k) the objective
//
//	L = w_c·CE(C(G(z_k)), k) + L1(R(G(z_k)), k_k) − w_p·mean_k θ·φ(G(z_k))
//
// is minimised by Adam over the shifts and the shift predictor (C, R) at
// once, G and φ frozen. The cross-entropy and regression terms reward
// shifts whose images the predictor can tell apart, so the variants stay
// distinct; the last term moves them toward the segment's taste. cfg.Keep
// adds terms that hold the variants to the base's category and to realism
// (see Keep; Redesign sets them by default).
//
// Everything runs in one graph at batch n: the shifts are the graph's
// parameters, the scorer's φ is built inside it, and standardisation is a
// differentiable kernel. ctx is checked before every step.
func Shift(ctx context.Context, m *Models, s Scorer, z, theta []float32, cfg ShiftConfig, prog progress.Func) (*Shifts, error) {
	return shift(ctx, m, s, z, theta, cfg.withDefaults(), prog)
}

// shift is Shift with cfg's defaults already applied, so that cfg.Steps
// may be 0 (RandomShift): the initial draw, evaluated once.
func shift(ctx context.Context, m *Models, s Scorer, z, theta []float32, cfg ShiftConfig, prog progress.Func) (*Shifts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	zdim, size, n := m.ZDim(), m.Size(), cfg.N
	if len(z) != zdim {
		return nil, atelier.Errorf(atelier.KindInvalid, "latent has %d values, the generator takes %d", len(z), zdim)
	}
	if err := checkScorer(m, s, theta); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(cfg.Seed))
	k := nn.NewParam("shift", n, zdim)
	for i := range k.Data() {
		k.Data()[i] = float32(rng.NormFloat64())
	}
	clip(k.Data(), cfg.Epsilon)
	pred, err := NewShiftPredictor(n, zdim, rng)
	if err != nil {
		return nil, err
	}

	g := nn.NewGraph(nn.Infer, cfg.Seed)
	defer g.Close()
	base := make([]float32, 0, n*zdim)
	for range n {
		base = append(base, z...)
	}
	kNode := g.Param(k)
	zk := standardize(g, add(g, g.Const("z", base, n, zdim), kNode))
	ims := m.G.Forward(g, zk)
	feats := s.Features(g, ims)
	prefs := rowDot(g, feats, theta)
	logits, kHat := pred.Forward(g, ims)
	loss := shiftObjective(g, logits, kHat, kNode, prefs, cfg.ClassWeight, cfg.PreferenceWeight)
	if keep := keepTerm(g, m, s, ims, feats, cfg.Keep); keep != nil {
		loss = add(g, loss, keep)
	}
	prefOut, logitOut, kHatOut := g.Output(prefs), g.Output(logits), g.Output(kHat)
	imOut, zOut := g.Output(ims), g.Output(zk)
	wrt := append([]nn.Param{k}, pred.Params()...)
	if err := g.Backward(scalar(g, loss), wrt...); err != nil {
		return nil, fmt.Errorf("gan: shift graph: %w", err)
	}
	opt, err := nn.NewAdam(wrt, nn.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, err
	}
	opt.AfterStep = append(opt.AfterStep, func([]nn.Param) error {
		clip(k.Data(), cfg.Epsilon)
		return nil
	})

	res := &Shifts{}
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := g.Run(); err != nil {
			return nil, fmt.Errorf("gan: shift step %d: %w", step, err)
		}
		st := ShiftStep{
			Preference: mean32(prefOut.Data().([]float32)),
			ClassLoss:  crossEntropy(logitOut.Data().([]float32), n),
			ShiftLoss:  meanAbsDiff(kHatOut.Data().([]float32), k.Data()),
		}
		res.Curve = append(res.Curve, st)
		prog.Report(progress.Update{Stage: "shift", Step: step, Total: cfg.Steps, Metrics: map[string]float64{
			"preference": st.Preference, "class_loss": st.ClassLoss, "shift_loss": st.ShiftLoss}})
		if step == cfg.Steps {
			break
		}
		if err := opt.Step(g.Grad); err != nil {
			return nil, fmt.Errorf("gan: shift step %d: %w", step, err)
		}
	}
	stride := 3 * size * size
	pix, zs, pr := imOut.Data().([]float32), zOut.Data().([]float32), prefOut.Data().([]float32)
	for i := range n {
		res.K = append(res.K, append([]float32(nil), k.Data()[i*zdim:(i+1)*zdim]...))
		res.Z = append(res.Z, append([]float32(nil), zs[i*zdim:(i+1)*zdim]...))
		res.Images = append(res.Images, imaging.Tensor{H: size, W: size, Pix: append([]float32(nil), pix[i*stride:(i+1)*stride]...)})
		res.Preference = append(res.Preference, float64(pr[i]))
	}
	return res, nil
}

// checkScorer checks that the scorer fits the generator and θ its features.
func checkScorer(m *Models, s Scorer, theta []float32) error {
	if s == nil {
		return atelier.Errorf(atelier.KindInvalid, "redesign needs a scorer")
	}
	if s.ImageSize() != m.Size() {
		return atelier.Errorf(atelier.KindInvalid, "the scorer takes %d px images, the generator makes %d px", s.ImageSize(), m.Size())
	}
	if len(theta) != s.Dim() {
		return atelier.Errorf(atelier.KindInvalid, "taste vector has %d values, the scorer's features %d", len(theta), s.Dim())
	}
	for _, v := range theta {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return atelier.Errorf(atelier.KindInvalid, "taste vector is not finite")
		}
	}
	return nil
}

func clip(x []float32, eps float32) {
	for i, v := range x {
		x[i] = min(eps, max(-eps, v))
	}
}

func mean32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}

// crossEntropy is the mean over rows b of −log softmax(logits_b)[b]: the
// loss of predicting each shift's own index.
func crossEntropy(logits []float32, n int) float64 {
	var s float64
	for b := range n {
		row := logits[b*n : (b+1)*n]
		s += logSumExp(row) - float64(row[b])
	}
	return s / float64(n)
}

func logSumExp(row []float32) float64 {
	mx := float64(row[0])
	for _, v := range row {
		mx = max(mx, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

func meanAbsDiff(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += math.Abs(float64(v - b[i]))
	}
	return s / float64(len(a))
}

// rowDot returns f·θ for every row of f (B, K): (B) preferences.
func rowDot(g *nn.Graph, f *G.Node, theta []float32) *G.Node {
	if !ok(g, f) {
		return nil
	}
	s := f.Shape().Clone()
	if s.Dims() != 2 || s[1] != len(theta) {
		return g.Fail(fmt.Errorf("features %v for a taste of %d", s, len(theta)), "gan: preference")
	}
	b, k := s[0], s[1]
	th := append([]float32(nil), theta...)
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("RowDot(%p)", &th[0]),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{b},
		Forward: func(out []float32, in [][]float32) {
			for r := range b {
				var acc float32
				for j, v := range in[0][r*k : (r+1)*k] {
					acc += v * th[j]
				}
				out[r] = acc
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for r := range b {
					for j := range k {
						dst[r*k+j] = gout[r] * th[j]
					}
				}
			},
		},
	}, f)
}

// shiftObjective is the (1)-shaped loss of Shift from the predictor's
// logits (n, n) and shifts k̂ (n, zdim), the shifts k (n, zdim) and the
// preferences (n):
//
//	wc·mean_b CE(logits_b, b) + mean |k̂ − k| − wp·mean prefs
func shiftObjective(g *nn.Graph, logits, kHat, k, prefs *G.Node, wc, wp float32) *G.Node {
	if !ok(g, logits, kHat, k, prefs) {
		return nil
	}
	n := prefs.Shape()[0]
	ks := k.Shape().Clone()
	if !kHat.Shape().Eq(ks) || !logits.Shape().Eq(tensor.Shape{n, n}) || ks[0] != n {
		return g.Fail(fmt.Errorf("logits %v, predicted %v, shifts %v, preferences %v", logits.Shape(), kHat.Shape(), ks, prefs.Shape()), "gan: shift objective")
	}
	inv := 1 / float32(ks.TotalSize())
	l1 := func(sign float32) func(dst []float32, in [][]float32, out, gout []float32) {
		return func(dst []float32, in [][]float32, _, gout []float32) {
			for i := range dst {
				var d float32
				switch diff := in[1][i] - in[2][i]; {
				case diff > 0:
					d = 1
				case diff < 0:
					d = -1
				}
				dst[i] = sign * d * inv * gout[0]
			}
		}
	}
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("ShiftObjective(%g,%g)", wc, wp),
		In:   []tensor.Shape{{n, n}, ks, ks.Clone(), {n}},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			out[0] = float32(float64(wc)*crossEntropy(in[0], n) + meanAbsDiff(in[1], in[2]) - float64(wp)*mean32(in[3]))
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			// d CE / d logits_b = (softmax(logits_b) − onehot(b)) / n.
			func(dst []float32, in [][]float32, _, gout []float32) {
				scale := float64(wc) * float64(gout[0]) / float64(n)
				for b := range n {
					crossEntropyGrad(dst[b*n:(b+1)*n], in[0][b*n:(b+1)*n], b, scale)
				}
			},
			l1(1),
			l1(-1),
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i := range dst {
					dst[i] = -wp / float32(n) * gout[0]
				}
			},
		},
	}, logits, kHat, k, prefs)
}
