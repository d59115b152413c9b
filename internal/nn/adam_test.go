package nn

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// constGrads returns a GradFunc giving every parameter the same constant
// gradient tensor values.
func constGrads(vals map[string][]float32) GradFunc {
	return func(p Param) *tensor.Dense {
		v, ok := vals[p.Name]
		if !ok {
			return nil
		}
		return tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(append([]float32(nil), v...)))
	}
}

// TestAdamFirstStepIsLRTimesSign pins the bias correction: after one step
// m̂ = g and v̂ = g², so every coordinate moves by lr·g/(|g|+ε) ≈ lr·sign(g),
// whatever the gradient's scale.
func TestAdamFirstStepIsLRTimesSign(t *testing.T) {
	p := NewParam("w", 4)
	opt, err := NewAdam([]Param{p}, AdamConfig{LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	g := []float32{1e-3, -5, 200, -0.02}
	if err := opt.Step(constGrads(map[string][]float32{"w": g})); err != nil {
		t.Fatal(err)
	}
	for i, v := range p.Data() {
		want := -0.1 * float64(g[i]) / math.Abs(float64(g[i]))
		if math.Abs(float64(v)-want) > 1e-5 {
			t.Fatalf("w[%d] = %v after one step, want %v", i, v, want)
		}
	}
}

// TestAdamMatchesReference runs ten steps with varying gradients against a
// float64 transcription of the update rule.
func TestAdamMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	p := randParam("w", rng, 5)
	theta := make([]float64, 5)
	for i, v := range p.Data() {
		theta[i] = float64(v)
	}
	const lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-6, 0.1
	opt, _ := NewAdam([]Param{p}, AdamConfig{LR: lr, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: wd, Decay: func(Param) bool { return true }})
	m, v := make([]float64, 5), make([]float64, 5)
	for step := 1; step <= 10; step++ {
		g := make([]float32, 5)
		for i := range g {
			g[i] = float32(rng.NormFloat64())
		}
		if err := opt.Step(constGrads(map[string][]float32{"w": g})); err != nil {
			t.Fatal(err)
		}
		for i := range theta {
			gi := float64(g[i])
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			mh := m[i] / (1 - math.Pow(b1, float64(step)))
			vh := v[i] / (1 - math.Pow(b2, float64(step)))
			theta[i] -= lr * (mh/(math.Sqrt(vh)+eps) + wd*theta[i])
		}
	}
	for i, got := range p.Data() {
		if math.Abs(float64(got)-theta[i]) > 1e-5 {
			t.Fatalf("w[%d] = %v, reference %v", i, got, theta[i])
		}
	}
}

func TestAdamWeightDecaySelectsWeights(t *testing.T) {
	w, b := NewParam("fc.weight", 2, 2), NewParam("fc.bias", 2)
	Fill(w, 1)
	Fill(b, 1)
	opt, _ := NewAdam([]Param{w, b}, AdamConfig{LR: 0.1, WeightDecay: 0.5})
	zero := map[string][]float32{"fc.weight": make([]float32, 4), "fc.bias": make([]float32, 2)}
	for i := 0; i < 3; i++ {
		if err := opt.Step(constGrads(zero)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := w.Data()[0], float32(math.Pow(1-0.05, 3)); math.Abs(float64(got-want)) > 1e-6 {
		t.Fatalf("decayed weight %v, want %v", got, want)
	}
	if b.Data()[0] != 1 {
		t.Fatalf("bias decayed to %v; biases are not decayed by default", b.Data()[0])
	}
}

// TestAdamMinimisesQuadratic minimises ‖A·θ − c‖² through a graph, the way
// models train: the loss must fall by orders of magnitude.
func TestAdamMinimisesQuadratic(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	theta := randParam("theta", rng, 6, 1)
	g := NewGraph(Train, 1)
	a := g.Const("A", randParam("a", rng, 6, 6).Data(), 6, 6)
	c := g.Const("c", randParam("c", rng, 6, 1).Data(), 6, 1)
	ax, _ := G.Mul(a, g.Param(theta))
	d, _ := G.Sub(ax, c)
	sq, _ := G.Square(d)
	loss, _ := G.Sum(sq)
	lossOut := g.Output(loss)
	if err := g.Backward(loss); err != nil {
		t.Fatal(err)
	}
	opt, _ := NewAdam([]Param{theta}, AdamConfig{LR: 0.05})
	var first, last float32
	for step := 0; step < 1500; step++ {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = lossOut.Data().([]float32)[0]
		}
		last = lossOut.Data().([]float32)[0]
		if err := opt.Step(g.Grad); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first*1e-4) {
		t.Fatalf("loss %v -> %v, want a fall by 10⁴", first, last)
	}
}

// TestAdamFitsRegression fits y = W·x + b with a Linear layer on noisy data.
func TestAdamFitsRegression(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const n, in, out = 64, 4, 2
	trueW := randParam("tw", rng, out, in).Data()
	xs := make([]float32, n*in)
	ys := make([]float32, n*out)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	for r := 0; r < n; r++ {
		for o := 0; o < out; o++ {
			y := float32(0.5) + 0.01*float32(rng.NormFloat64())
			for k := 0; k < in; k++ {
				y += trueW[o*in+k] * xs[r*in+k]
			}
			ys[r*out+o] = y
		}
	}
	fc, _ := NewLinear("fc", in, out, true, 1, rng)
	params, _ := Collect(fc)
	g := NewGraph(Train, 1)
	x, y := g.Input("x", n, in), g.Input("y", n, out)
	pred := fc.Forward(g, x)
	d, _ := G.Sub(pred, y)
	sq, _ := G.Square(d)
	loss, _ := G.Mean(sq)
	lossOut := g.Output(loss)
	if err := g.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if err := g.Feed(x, xs); err != nil {
		t.Fatal(err)
	}
	if err := g.Feed(y, ys); err != nil {
		t.Fatal(err)
	}
	opt, _ := NewAdam(params, AdamConfig{LR: 0.05})
	var first, last float32
	for step := 0; step < 400; step++ {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = lossOut.Data().([]float32)[0]
		}
		last = lossOut.Data().([]float32)[0]
		if err := opt.Step(g.Grad); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first/1000) || last > 1e-3 {
		t.Fatalf("regression loss %v -> %v, want a fall by 1000 to the noise level", first, last)
	}
	for i, w := range fc.W.Data() {
		if math.Abs(float64(w-trueW[i])) > 0.02 {
			t.Fatalf("W[%d] = %v, true %v", i, w, trueW[i])
		}
	}
}

func TestAdamHooks(t *testing.T) {
	p := NewParam("z", 2)
	opt, _ := NewAdam([]Param{p}, AdamConfig{LR: 1})
	var seen []float32
	opt.BeforeStep = append(opt.BeforeStep, ClipGradNorm(1), func(_ []Param, grads []*tensor.Dense) error {
		seen = append([]float32(nil), grads[0].Data().([]float32)...)
		return nil
	})
	// Projection onto the box [−0.5, 0.5]².
	opt.AfterStep = append(opt.AfterStep, func(ps []Param) error {
		for i, v := range ps[0].Data() {
			ps[0].Data()[i] = float32(math.Max(-0.5, math.Min(0.5, float64(v))))
		}
		return nil
	})
	if err := opt.Step(constGrads(map[string][]float32{"z": {3, -4}})); err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(seen[0]-0.6)) > 1e-6 || math.Abs(float64(seen[1]+0.8)) > 1e-6 {
		t.Fatalf("clipped gradient %v, want (0.6, −0.8)", seen)
	}
	if d := p.Data(); d[0] != -0.5 || d[1] != 0.5 {
		t.Fatalf("projected parameters %v, want (−0.5, 0.5)", d)
	}
	opt.BeforeStep = []GradHook{func([]Param, []*tensor.Dense) error { return errors.New("boom") }}
	if err := opt.Step(constGrads(map[string][]float32{"z": {1, 1}})); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("hook error not returned: %v", err)
	}
}

func TestAdamStateRestoreResumes(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	a, b := randParam("w", rng, 3, 2), NewParam("w", 3, 2)
	copy(b.Data(), a.Data())
	cfg := AdamConfig{LR: 0.01}
	optA, _ := NewAdam([]Param{a}, cfg)
	grads := make([]map[string][]float32, 8)
	for i := range grads {
		grads[i] = map[string][]float32{"w": randParam("g", rng, 6).Data()}
	}
	for i := 0; i < 8; i++ {
		if i == 4 {
			// Snapshot after four steps, as a checkpoint would.
			optB, _ := NewAdam([]Param{b}, cfg)
			steps, moments := optA.State()
			copy(b.Data(), a.Data())
			if err := optB.Restore(steps, Clone(moments)); err != nil {
				t.Fatal(err)
			}
			for j := 4; j < 8; j++ {
				if err := optB.Step(constGrads(grads[j])); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := optA.Step(constGrads(grads[i])); err != nil {
			t.Fatal(err)
		}
	}
	for i := range a.Data() {
		if a.Data()[i] != b.Data()[i] {
			t.Fatalf("resumed optimiser diverged: %v vs %v", b.Data(), a.Data())
		}
	}
}

func TestAdamConfigAndGradErrors(t *testing.T) {
	p := NewParam("w", 2)
	for _, cfg := range []AdamConfig{{}, {LR: -1}, {LR: 0.1, Beta1: 1}, {LR: 0.1, WeightDecay: -1}} {
		if _, err := NewAdam([]Param{p}, cfg); err == nil {
			t.Fatalf("config %+v accepted", cfg)
		}
	}
	if _, err := NewAdam([]Param{p, p}, AdamConfig{LR: 1}); err == nil {
		t.Fatal("duplicate parameter names accepted")
	}
	opt, _ := NewAdam([]Param{p}, AdamConfig{LR: 1})
	wrong := func(Param) *tensor.Dense { return tensor.New(tensor.WithShape(3), tensor.Of(tensor.Float32)) }
	if err := opt.Step(wrong); err == nil || !strings.Contains(err.Error(), "gradient of w") {
		t.Fatalf("gradient of the wrong shape: %v", err)
	}
}
