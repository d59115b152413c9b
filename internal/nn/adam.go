package nn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// GradFunc returns the gradient of a parameter, or nil when it has none this
// step. Graph.Grad is one; a caller may sum several graphs' gradients.
type GradFunc func(Param) *tensor.Dense

// GradHook may rewrite gradients before an update (grads[i] belongs to
// params[i] and is nil when the parameter has no gradient this step).
type GradHook func(params []Param, grads []*tensor.Dense) error

// ParamHook runs on the parameters after an update, e.g. to project them
// back onto a feasible set.
type ParamHook func(params []Param) error

// AdamConfig holds Adam's hyper-parameters. Zero Beta1, Beta2 and Eps take
// the usual defaults 0.9, 0.999 and 1e-8.
type AdamConfig struct {
	LR           float32
	Beta1, Beta2 float32
	Eps          float32
	// WeightDecay is the decoupled (AdamW) decay λ: θ ← θ − lr·λ·θ each
	// step, applied to the parameters that Decay selects.
	WeightDecay float32
	// Decay selects the parameters that decay; nil means those with two or
	// more dimensions (weights, not biases or normalisation gains).
	Decay func(Param) bool
}

// Adam is the Adam optimiser with bias correction and optional decoupled
// weight decay, over a fixed list of float32 parameters:
//
//	m ← β₁·m + (1−β₁)·g        v ← β₂·v + (1−β₂)·g²
//	m̂ = m / (1−β₁ᵗ)            v̂ = v / (1−β₂ᵗ)
//	θ ← θ − lr·(m̂ / (√v̂ + ε) + λ·θ)
//
// It updates the parameters' storage in place, so every graph bound to them
// sees the new values. LR may be changed between steps for schedules.
type Adam struct {
	Config AdamConfig
	// BeforeStep hooks run on the gradients first (ClipGradNorm, say);
	// AfterStep hooks run on the updated parameters.
	BeforeStep []GradHook
	AfterStep  []ParamHook

	params []Param
	m, v   [][]float32
	decay  []bool
	t      int
}

// NewAdam returns an optimiser over params (names must be unique).
func NewAdam(params []Param, cfg AdamConfig) (*Adam, error) {
	if err := CheckParams(params); err != nil {
		return nil, err
	}
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	if !(cfg.LR > 0) || cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps < 0 || cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("nn: adam: invalid config %+v", cfg)
	}
	a := &Adam{Config: cfg, params: append([]Param(nil), params...)}
	for _, p := range params {
		a.m = append(a.m, make([]float32, p.Value.Size()))
		a.v = append(a.v, make([]float32, p.Value.Size()))
		if cfg.Decay != nil {
			a.decay = append(a.decay, cfg.Decay(p))
		} else {
			a.decay = append(a.decay, p.Value.Dims() >= 2)
		}
	}
	return a, nil
}

// Params returns the optimised parameters.
func (a *Adam) Params() []Param { return append([]Param(nil), a.params...) }

// Steps returns the number of steps taken.
func (a *Adam) Steps() int { return a.t }

// Step applies one update using the gradients grad returns. Parameters with
// a nil gradient are left alone, their moments too.
func (a *Adam) Step(grad GradFunc) error {
	grads := make([]*tensor.Dense, len(a.params))
	for i, p := range a.params {
		gr := grad(p)
		if gr == nil {
			continue
		}
		if !gr.Shape().Eq(p.Value.Shape()) || gr.Dtype() != tensor.Float32 {
			return fmt.Errorf("nn: adam: gradient of %s is %v %v, want float32 %v", p.Name, gr.Dtype(), gr.Shape(), p.Value.Shape())
		}
		grads[i] = gr
	}
	for _, h := range a.BeforeStep {
		if err := h(a.params, grads); err != nil {
			return fmt.Errorf("nn: adam: before step: %w", err)
		}
	}
	a.t++
	c := a.Config
	b1, b2 := float64(c.Beta1), float64(c.Beta2)
	// Fold both bias corrections into the step size:
	// lr·m̂/(√v̂+ε) = lrt·m/(√v + ε·√(1−β₂ᵗ)) with lrt = lr·√(1−β₂ᵗ)/(1−β₁ᵗ).
	bc1 := 1 - math.Pow(b1, float64(a.t))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(a.t)))
	lrt := float32(float64(c.LR) * bc2 / bc1)
	eps := float32(float64(c.Eps) * bc2)
	for i, p := range a.params {
		if grads[i] == nil {
			continue
		}
		theta, g := p.Data(), grads[i].Data().([]float32)
		m, v := a.m[i], a.v[i]
		var shrink float32 = 1
		if a.decay[i] && c.WeightDecay > 0 {
			shrink = 1 - c.LR*c.WeightDecay
		}
		adamLoop(theta, g, m, v, c.Beta1, c.Beta2, lrt, eps, shrink)
	}
	for _, h := range a.AfterStep {
		if err := h(a.params); err != nil {
			return fmt.Errorf("nn: adam: after step: %w", err)
		}
	}
	return nil
}

func adamUpdate(theta, g, m, v []float32, b1, b2, lrt, eps, shrink float32) {
	g, m, v = g[:len(theta)], m[:len(theta)], v[:len(theta)]
	for j, gj := range g {
		mj := b1*m[j] + (1-b1)*gj
		vj := b2*v[j] + (1-b2)*gj*gj
		m[j], v[j] = mj, vj
		theta[j] = theta[j]*shrink - lrt*mj/(float32(math.Sqrt(float64(vj)))+eps)
	}
}

// State returns the step count and the moment estimates as parameters named
// "adam.m.<name>" and "adam.v.<name>" (views, not copies), for saving an
// optimiser next to its model to resume training.
func (a *Adam) State() (steps int, moments []Param) {
	for i, p := range a.params {
		moments = append(moments,
			Param{Name: "adam.m." + p.Name, Value: tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(a.m[i]))},
			Param{Name: "adam.v." + p.Name, Value: tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(a.v[i]))})
	}
	return a.t, moments
}

// Restore sets the step count and moments saved by State.
func (a *Adam) Restore(steps int, moments []Param) error {
	if steps < 0 {
		return fmt.Errorf("nn: adam: negative step count %d", steps)
	}
	_, dst := a.State()
	if err := LoadInto(dst, moments); err != nil {
		return fmt.Errorf("nn: adam restore: %w", err)
	}
	a.t = steps
	return nil
}

// ClipGradNorm returns a hook that rescales all gradients together so that
// their global L2 norm is at most maxNorm.
func ClipGradNorm(maxNorm float64) GradHook {
	return func(_ []Param, grads []*tensor.Dense) error {
		var ss float64
		for _, g := range grads {
			if g == nil {
				continue
			}
			for _, v := range g.Data().([]float32) {
				ss += float64(v) * float64(v)
			}
		}
		norm := math.Sqrt(ss)
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return fmt.Errorf("gradient norm is %v", norm)
		}
		if norm <= maxNorm {
			return nil
		}
		s := float32(maxNorm / norm)
		for _, g := range grads {
			if g == nil {
				continue
			}
			d := g.Data().([]float32)
			for i := range d {
				d[i] *= s
			}
		}
		return nil
	}
}
