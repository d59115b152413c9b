package nn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
)

// eachBackend runs test once per backend compiled into this binary (the
// build tags decide: `make test-backends` builds every combination).
// Layers pick their backend when added to a graph, so each subtest builds
// its graphs under its own ATELIER_NN_BACKEND.
func eachBackend(t *testing.T, test func(t *testing.T)) {
	for _, b := range Backends() {
		t.Run(b, func(t *testing.T) {
			t.Setenv("ATELIER_NN_BACKEND", b)
			test(t)
		})
	}
}

// agreementNet is a stack of every convolution shape the networks use
// (3×3 same, 3×3 stride 2, 1×1, 4×4 stride 2 without bias, channel counts
// that are not multiples of a vector width, and a 3×3 same layer of 16
// channels, which oneDNN computes with Winograd's algorithm) with leaky
// ReLUs between.
type agreementNet struct {
	convs     []*Conv2d
	fused     bool // leaky ReLUs fused into the convolutions (ForwardLeaky)
	alongside int  // Graph.RunsAlongside, when above 1
	// up marks the convolutions that take their input upsampled by two
	// (ForwardUpsampled; with explicitUp, Upsample and then the
	// convolution).
	up         []bool
	explicitUp bool
}

func newAgreementNet(rng *rand.Rand) *agreementNet {
	cfgs := []ConvConfig{
		{In: 3, Out: 12, Kernel: 3, Pad: 1},
		{In: 12, Out: 20, Kernel: 3, Stride: 2, Pad: 1},
		{In: 20, Out: 7, Kernel: 1},
		{In: 7, Out: 16, Kernel: 4, Stride: 2, Pad: 1, NoBias: true},
		{In: 16, Out: 16, Kernel: 3, Pad: 1}, // Winograd's shape with oneDNN
	}
	n := &agreementNet{}
	for i, c := range cfgs {
		conv, err := NewConv2d(fmt.Sprintf("c%d", i), c, rng)
		if err != nil {
			panic(err)
		}
		if conv.B.Value != nil {
			randomize(rng, 0, 0.3, conv.B)
		}
		n.convs = append(n.convs, conv)
	}
	return n
}

func (n *agreementNet) forward(g *Graph, x *G.Node) *G.Node {
	for i, c := range n.convs {
		if i < len(n.up) && n.up[i] {
			if !n.explicitUp {
				if n.fused {
					x = c.ForwardUpsampled(g, x, 0.2)
				} else {
					x = LeakyReLU(g, c.ForwardUpsampled(g, x, 0), 0.2)
				}
				continue
			}
			x = Upsample(g, x, 2)
		}
		if n.fused {
			x = c.ForwardLeaky(g, x, 0.2)
		} else {
			x = LeakyReLU(g, c.Forward(g, x), 0.2)
		}
	}
	return x
}

func (n *agreementNet) params() []Param {
	var ps []Param
	for _, c := range n.convs {
		ps = append(ps, c.Params()...)
	}
	return ps
}

// run returns the output and the gradients of Σ r⊙y with respect to x and
// every parameter, on the backend named.
func (n *agreementNet) run(t *testing.T, backend string, x Param, r []float32) [][]float32 {
	t.Setenv("ATELIER_NN_BACKEND", backend)
	g := NewGraph(Infer, 1)
	defer g.Close()
	if n.alongside > 1 {
		g.RunsAlongside(n.alongside)
	}
	y := n.forward(g, g.Param(x))
	rn := g.Const("r", r, y.Shape()...)
	prod, err := G.HadamardProd(y, rn)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	out := g.Output(y)
	wrt := append([]Param{x}, n.params()...)
	if err := g.Backward(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	res := [][]float32{append([]float32(nil), out.Data().([]float32)...)}
	for _, p := range wrt {
		res = append(res, append([]float32(nil), g.Grad(p).Data().([]float32)...))
	}
	return res
}

// TestFusedLeakyReLU checks, on every backend, that convolutions with the
// leaky ReLU fused in give the output and gradients of the two ops apart.
func TestFusedLeakyReLU(t *testing.T) {
	for _, batch := range []int{1, 5} {
		rng := rand.New(rand.NewSource(22))
		net := newAgreementNet(rng)
		x := randParam("x", rng, batch, 3, 10, 10)
		r := randFloats(rng, batch*16*2*2)
		for _, b := range Backends() {
			net.fused = false
			want := net.run(t, b, x, r)
			net.fused = true
			got := net.run(t, b, x, r)
			for i := range want {
				if err := closeSlices(got[i], want[i], 1e-6); err != nil {
					t.Errorf("batch %d, %s: result %d: %v", batch, b, i, err)
				}
			}
		}
	}
}

// TestBackendsAgree checks every backend against the im2col one on the
// output and on every gradient (input and weights) of a stack of layers,
// at batch 1 and 5, and with the im2col backend's sample groups cut small
// so that a batch spans several sgemm groups.
func TestBackendsAgree(t *testing.T) {
	for _, batch := range []int{1, 5} {
		for _, budget := range []int{colBudget, 3000} {
			t.Run(fmt.Sprintf("batch=%d/budget=%d", batch, budget), func(t *testing.T) {
				old := colBudget
				colBudget = budget
				defer func() { colBudget = old }()
				rng := rand.New(rand.NewSource(21))
				net := newAgreementNet(rng)
				x := randParam("x", rng, batch, 3, 10, 10)
				r := randFloats(rng, batch*16*2*2)
				want := net.run(t, "im2col", x, r)
				names := []string{"output", "dx"}
				for _, p := range net.params() {
					names = append(names, "d"+p.Name)
				}
				for _, b := range Backends() {
					got := net.run(t, b, x, r)
					for i := range want {
						if err := closeSlices(got[i], want[i], 1e-4); err != nil {
							t.Errorf("%s: %s: %v", b, names[i], err)
						}
					}
				}
			})
		}
	}
}

// closeSlices reports the first element where got and want differ by more
// than tol relative to want's largest magnitude.
func closeSlices(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*math.Max(scale, 1e-6) {
			return fmt.Errorf("[%d] = %v, want %v (scale %v)", i, got[i], want[i], scale)
		}
	}
	return nil
}

// TestBackwardSkipsFrozenWeights checks that differentiating with respect to
// the input alone builds no gradient op for the weights (inversion and
// fold-in never train them), and that the input's gradient is the same as
// when the weights' gradients are computed too.
func TestBackwardSkipsFrozenWeights(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	net := newAgreementNet(rng)
	x := randParam("x", rng, 2, 3, 10, 10)
	dx := func(wrt ...Param) ([]float32, int) {
		g := NewGraph(Infer, 1)
		defer g.Close()
		loss, err := G.Sum(net.forward(g, g.Param(x)))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Backward(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		gradOps := 0
		for _, n := range g.Expr().AllNodes() {
			if _, ok := n.Op().(*kernelGradOp); ok {
				gradOps++
			}
		}
		return append([]float32(nil), g.Grad(x).Data().([]float32)...), gradOps
	}
	all, opsAll := dx(append([]Param{x}, net.params()...)...)
	only, opsOnly := dx(x)
	// Per layer: the conv's dx and the leaky ReLU's; with the weights also
	// the conv's dW and, where there is one, its dbias.
	if want := 2 * len(net.convs); opsOnly != want {
		t.Errorf("gradient ops wrt x alone: %d, want %d", opsOnly, want)
	}
	if opsAll <= opsOnly {
		t.Errorf("gradient ops wrt everything: %d, want more than %d", opsAll, opsOnly)
	}
	if err := closeSlices(only, all, 1e-6); err != nil {
		t.Errorf("dx wrt x alone differs from dx wrt everything: %v", err)
	}
}

// TestSameResultsWhateverTheThreads checks that the output and every
// gradient are bit-for-bit the same on one thread and on three, on every
// backend: the batch is split the same way whatever the thread count. It
// does so for a lone graph and for graphs that run alongside others
// (fewer parts), whose results match the lone graph's up to rounding.
func TestSameResultsWhateverTheThreads(t *testing.T) {
	Threads()
	defer setThreads(threads)
	rng := rand.New(rand.NewSource(23))
	net := newAgreementNet(rng)
	x := randParam("x", rng, 7, 3, 10, 10)
	r := randFloats(rng, 7*16*2*2)
	for _, b := range Backends() {
		var all [][]float32 // the results with every part
		for _, alongside := range []int{1, 2, 4} {
			net.alongside = alongside
			setThreads(1)
			one := net.run(t, b, x, r)
			setThreads(3)
			three := net.run(t, b, x, r)
			for i := range one {
				for j := range one[i] {
					if one[i][j] != three[i][j] {
						t.Fatalf("%s, alongside %d: result %d differs at %d: %v on one thread, %v on three", b, alongside, i, j, one[i][j], three[i][j])
					}
				}
			}
			// Fewer parts change only the order of the weight
			// gradients' sums.
			if all == nil {
				all = one
			}
			for i := range one {
				if err := closeSlices(one[i], all[i], 1e-5); err != nil {
					t.Errorf("%s, alongside %d: result %d: %v", b, alongside, i, err)
				}
			}
		}
	}
}

// randFloats returns n standard normal values.
func randFloats(rng *rand.Rand, n int) []float32 {
	r := make([]float32, n)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	return r
}
