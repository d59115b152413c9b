package nn

import (
	"math"
	"math/rand"
	"strings"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyNet is a small conv net built from the package's layers, as the
// models will be.
type tinyNet struct {
	c1 *Conv2d
	n1 *GroupNorm
	c2 *Conv2d
	fc *Linear
}

func newTinyNet(t testing.TB, seed int64) *tinyNet {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	c1, err1 := NewConv2d("c1", ConvConfig{In: 3, Out: 8, Kernel: 3, Pad: 1}, rng)
	n1, err2 := NewGroupNorm("n1", 8, 2)
	c2, err3 := NewConv2d("c2", ConvConfig{In: 8, Out: 8, Kernel: 4, Stride: 2, Pad: 1}, rng)
	fc, err4 := NewLinear("fc", 8, 2, true, 1, rng)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &tinyNet{c1, n1, c2, fc}
}

func (n *tinyNet) params(t testing.TB) []Param {
	t.Helper()
	ps, err := Collect(n.c1, n.n1, n.c2, n.fc)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func (n *tinyNet) forward(g *Graph, x *G.Node) *G.Node {
	h := LeakyReLU(g, n.n1.Forward(g, n.c1.Forward(g, x)), 0.2)
	h = LeakyReLU(g, n.c2.Forward(g, h), 0.2)
	return n.fc.Forward(g, GlobalAvgPool(g, h))
}

// TestTrainAndInferGraphsShareWeights builds a batch-4 training graph and a
// batch-1 inference graph over the same parameters: after every Adam step
// the inference graph must see the new weights and agree with the training
// graph's output for the same image.
func TestTrainAndInferGraphsShareWeights(t *testing.T) {
	net := newTinyNet(t, 1)
	params := net.params(t)
	rng := rand.New(rand.NewSource(2))

	train := NewGraph(Train, 1)
	defer train.Close()
	x := train.Input("x", 4, 3, 8, 8)
	target := train.Input("target", 4, 2)
	y := net.forward(train, x)
	diff, _ := G.Sub(y, target)
	sq, _ := G.Square(diff)
	loss, _ := G.Mean(sq)
	yTrain, lossOut := train.Output(y), train.Output(loss)
	if err := train.Backward(loss); err != nil {
		t.Fatal(err)
	}

	infer := NewGraph(Infer, 1)
	defer infer.Close()
	x1 := infer.Input("x", 1, 3, 8, 8)
	yInfer := infer.Output(net.forward(infer, x1))
	if err := infer.Err(); err != nil {
		t.Fatal(err)
	}

	opt, err := NewAdam(params, AdamConfig{LR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	images := make([]float32, 4*3*8*8)
	for i := range images {
		images[i] = float32(rng.NormFloat64())
	}
	targets := []float32{1, -1, 0.5, 0, -0.5, 1, 0, 2}
	if err := train.Feed(x, images); err != nil {
		t.Fatal(err)
	}
	if err := train.Feed(target, targets); err != nil {
		t.Fatal(err)
	}
	// Sample 3 of the batch goes to the inference graph.
	copy(infer.InputData(x1), images[3*192:4*192])
	var first, last float32
	var prev []float32
	for step := 0; step < 30; step++ {
		if err := train.Run(); err != nil {
			t.Fatal(err)
		}
		if err := infer.Run(); err != nil {
			t.Fatal(err)
		}
		yt := yTrain.Data().([]float32)[6:8]
		yi := yInfer.Data().([]float32)
		for j := range yi {
			if math.Abs(float64(yt[j]-yi[j])) > 1e-5 {
				t.Fatalf("step %d: inference output %v, training output %v for the same image", step, yi, yt)
			}
		}
		if prev != nil && prev[0] == yi[0] && prev[1] == yi[1] {
			t.Fatalf("step %d: inference output did not change after an optimiser step", step)
		}
		prev = append(prev[:0], yi...)
		l := lossOut.Data().([]float32)[0]
		if step == 0 {
			first = l
		}
		last = l
		if err := opt.Step(train.Grad); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first/4) {
		t.Fatalf("loss went from %v to %v; training through the shared graph does not work", first, last)
	}
}

// TestRunDoesNotClobberParamsOrAccumulate runs a graph whose ops could be
// computed in place and checks that the parameters keep their values and
// that gradients are fresh on every run (not summed across runs).
func TestRunDoesNotClobberParamsOrAccumulate(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	w := randParam("w", rng, 3, 4)
	v := randParam("v", rng, 3, 4)
	before := append([]float32(nil), w.Data()...)
	g := NewGraph(Train, 1)
	wn, vn := g.Param(w), g.Param(v)
	d, _ := G.Sub(wn, vn)
	e, _ := G.Square(d)
	f, _ := G.Tanh(wn)
	s, _ := G.Add(e, f)
	loss, _ := G.Sum(s)
	if err := g.Backward(loss); err != nil {
		t.Fatal(err)
	}
	var firstGrad []float32
	for run := 0; run < 3; run++ {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		for i, x := range w.Data() {
			if x != before[i] {
				t.Fatalf("run %d: w[%d] changed from %v to %v", run, i, before[i], x)
			}
		}
		gw := g.Grad(w).Data().([]float32)
		if run == 0 {
			firstGrad = append([]float32(nil), gw...)
			for i := range gw {
				th := math.Tanh(float64(w.Data()[i]))
				want := 2*float64(w.Data()[i]-v.Data()[i]) + 1 - th*th
				if math.Abs(float64(gw[i])-want) > 1e-4 {
					t.Fatalf("dL/dw[%d] = %v, want %v", i, gw[i], want)
				}
			}
			continue
		}
		for i := range gw {
			if gw[i] != firstGrad[i] {
				t.Fatalf("run %d: gradient %v differs from the first run's %v", run, gw[i], firstGrad[i])
			}
		}
	}
}

func TestGraphBuildErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	conv, _ := NewConv2d("enc.conv1", ConvConfig{In: 3, Out: 4, Kernel: 3}, rng)
	lin, _ := NewLinear("head", 10, 2, true, 1, rng)
	gn, _ := NewGroupNorm("gn", 4, 2)
	cases := []struct {
		name  string
		build func(g *Graph) *G.Node
		want  string
	}{
		{"conv channels", func(g *Graph) *G.Node { return conv.Forward(g, g.Input("x", 2, 5, 8, 8)) }, "enc.conv1"},
		{"conv too small", func(g *Graph) *G.Node { return conv.Forward(g, g.Input("x", 2, 3, 1, 1)) }, "too small"},
		{"linear width", func(g *Graph) *G.Node { return lin.Forward(g, g.Input("x", 2, 9)) }, "head"},
		{"group norm channels", func(g *Graph) *G.Node { return gn.Forward(g, g.Input("x", 2, 3, 4, 4)) }, "gn"},
		{"upsample rank", func(g *Graph) *G.Node { return Upsample(g, g.Input("x", 2, 3), 2) }, "upsample"},
		{"pool block", func(g *Graph) *G.Node { return AvgPool(g, g.Input("x", 1, 1, 5, 4), 2) }, "average pool"},
		{"reshape size", func(g *Graph) *G.Node { return Reshape(g, g.Input("x", 2, 3), 5) }, "reshape"},
		{"leaky slope", func(g *Graph) *G.Node { return LeakyReLU(g, g.Input("x", 2, 3), 1.5) }, "slope"},
		{"dropout p", func(g *Graph) *G.Node { return Dropout(g, g.Input("x", 2, 3), 1) }, "dropout"},
		{"duplicate input", func(g *Graph) *G.Node { g.Input("x", 1); return g.Input("x", 1) }, "used twice"},
		{"bad input shape", func(g *Graph) *G.Node { return g.Input("x", 2, 0) }, "non-positive"},
		{"sticky", func(g *Graph) *G.Node {
			h := conv.Forward(g, g.Input("x", 2, 5, 8, 8))
			return LeakyReLU(g, Upsample(g, h, 2), 0.2) // must report the conv, not a nil node
		}, "enc.conv1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph(Train, 1)
			if y := tc.build(g); y != nil {
				t.Fatalf("got a node, want nil")
			}
			err := g.Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if rerr := g.Run(); rerr == nil {
				t.Fatal("Run succeeded on a broken graph")
			}
		})
	}
}

func TestFeedAndBackwardErrors(t *testing.T) {
	g := NewGraph(Infer, 1)
	x := g.Input("x", 2, 3)
	if err := g.Feed(x, make([]float32, 5)); err == nil || !strings.Contains(err.Error(), "5 values, want 6") {
		t.Fatalf("feed of the wrong length: %v", err)
	}
	p := NewParam("w", 2, 3)
	wn := g.Param(p)
	if err := g.Feed(wn, make([]float32, 6)); err == nil || !strings.Contains(err.Error(), "not an input") {
		t.Fatalf("feed of a parameter node: %v", err)
	}
	prod, _ := G.HadamardProd(x, wn)
	if err := g.Backward(prod); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Fatalf("backward of a non-scalar: %v", err)
	}
	g2 := NewGraph(Infer, 1)
	s, _ := G.Sum(g2.Input("x", 3))
	if err := g2.Backward(s, NewParam("unused", 2)); err == nil || !strings.Contains(err.Error(), "unused") {
		t.Fatalf("backward wrt an unbound parameter: %v", err)
	}
	g3 := NewGraph(Train, 1)
	a, b := NewParam("a", 2), NewParam("b", 2)
	s3, _ := G.Sum(g3.Param(a))
	g3.Output(g3.Param(b))
	if err := g3.Backward(s3); err == nil || !strings.Contains(err.Error(), "must affect the loss") {
		t.Fatalf("backward wrt a parameter the loss ignores: %v", err)
	}
}

func TestDropout(t *testing.T) {
	const n, p = 20000, 0.3
	x := NewParam("x", 1, n)
	Fill(x, 2)
	g := NewGraph(Train, 5)
	xn := g.Param(x)
	y := Dropout(g, xn, p)
	out := g.Output(y)
	s, _ := G.Sum(y)
	if err := g.Backward(s); err != nil {
		t.Fatal(err)
	}
	var masks [][]float32
	for run := 0; run < 2; run++ {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		yd, gd := out.Data().([]float32), g.Grad(x).Data().([]float32)
		zeros := 0
		for i, v := range yd {
			switch {
			case v == 0:
				zeros++
				if gd[i] != 0 {
					t.Fatalf("dropped element %d has gradient %v", i, gd[i])
				}
			case math.Abs(float64(v)-2/(1-p)) > 1e-5 || math.Abs(float64(gd[i])-1/(1-p)) > 1e-5:
				t.Fatalf("kept element %d: y %v grad %v, want %v and %v", i, v, gd[i], 2/(1-p), 1/(1-p))
			}
		}
		if frac := float64(zeros) / n; math.Abs(frac-p) > 0.02 {
			t.Fatalf("dropped fraction %v, want about %v", frac, p)
		}
		masks = append(masks, append([]float32(nil), yd...))
	}
	same := 0
	for i := range masks[0] {
		if masks[0][i] == masks[1][i] {
			same++
		}
	}
	if same == n {
		t.Fatal("two runs drew the same dropout mask")
	}
	inf := NewGraph(Infer, 5)
	xi := inf.Param(x)
	if Dropout(inf, xi, p) != xi {
		t.Fatal("dropout is not the identity in Infer mode")
	}
}

// TestLispMachineDoDiff checks the ADOp path of the custom ops (gorgonia's
// Lisp machine calls DoDiff instead of building gradient nodes) against the
// symbolic path.
func TestLispMachineDoDiff(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	xv := randParam("x", rng, 2, 3, 4, 4)
	rv := randParam("r", rng, 2, 3, 8, 8)
	eg := G.NewGraph()
	x := G.NewTensor(eg, tensor.Float32, 4, G.WithShape(2, 3, 4, 4), G.WithName("x"), G.WithValue(view(xv.Value)))
	r := G.NewTensor(eg, tensor.Float32, 4, G.WithShape(2, 3, 8, 8), G.WithName("r"), G.WithValue(view(rv.Value)))
	up, err := upsampleKernel(x.Shape().Clone(), 2).apply(x)
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := G.HadamardProd(up, r)
	_, _ = G.Sum(prod)
	m := G.NewLispMachine(eg)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gv.Data().([]float32)
	rd := rv.Data()
	for p := 0; p < 6; p++ {
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				var want float32
				for u := 0; u < 2; u++ {
					for v := 0; v < 2; v++ {
						want += rd[p*64+(2*i+u)*8+2*j+v]
					}
				}
				if d := got[p*16+i*4+j]; math.Abs(float64(d-want)) > 1e-5 {
					t.Fatalf("dx[%d,%d,%d] = %v, want %v", p, i, j, d, want)
				}
			}
		}
	}
}

// TestConcurrentGraphsShareParams runs two inference graphs over the same
// parameters in two goroutines (one graph each, as documented); run with
// -race to check that building and running them does not write shared
// state.
func TestConcurrentGraphsShareParams(t *testing.T) {
	net := newTinyNet(t, 7)
	rng := rand.New(rand.NewSource(8))
	img := make([]float32, 3*8*8)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	results := make([][]float32, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := NewGraph(Infer, 1)
			defer g.Close()
			x := g.Input("x", 1, 3, 8, 8)
			out := g.Output(net.forward(g, x))
			if errs[w] = g.Feed(x, img); errs[w] != nil {
				return
			}
			for i := 0; i < 5; i++ {
				if errs[w] = g.Run(); errs[w] != nil {
					return
				}
			}
			results[w] = append([]float32(nil), out.Data().([]float32)...)
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range results[0] {
		if results[0][i] != results[1][i] {
			t.Fatalf("goroutines disagree: %v vs %v", results[0], results[1])
		}
	}
}

// TestInvertLatentThroughFrozenNetwork is the inversion pattern: an
// Infer-mode graph differentiated only with respect to its latent input,
// which Adam moves while the network's weights stay untouched.
func TestInvertLatentThroughFrozenNetwork(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	fc, _ := NewLinear("gen.fc", 8, 3*4*4, true, 0, rng)
	conv, _ := NewConv2d("gen.conv", ConvConfig{In: 3, Out: 3, Kernel: 3, Pad: 1}, rng)
	frozen := Clone(append(fc.Params(), conv.Params()...))
	gen := func(g *Graph, z *G.Node) *G.Node {
		h := Reshape(g, PixelNorm(g, fc.Forward(g, z), 1e-8), 1, 3, 4, 4)
		return conv.Forward(g, Upsample(g, LeakyReLU(g, h, 0.2), 2))
	}
	// The target is the generator's image of a hidden latent.
	hidden := randParam("hidden", rng, 1, 8)
	tg := NewGraph(Infer, 1)
	targetOut := tg.Output(gen(tg, tg.Param(hidden)))
	if err := tg.Run(); err != nil {
		t.Fatal(err)
	}

	z := randParam("z", rng, 1, 8)
	g := NewGraph(Infer, 1)
	img := gen(g, g.Param(z))
	target := g.Const("target", targetOut.Data().([]float32), 1, 3, 8, 8)
	d, _ := G.Sub(img, target)
	sq, _ := G.Square(d)
	loss, _ := G.Mean(sq)
	lossOut := g.Output(loss)
	if err := g.Backward(loss, z); err != nil {
		t.Fatal(err)
	}
	if g.Grad(fc.W) != nil {
		t.Fatal("gradient computed for a frozen weight")
	}
	opt, _ := NewAdam([]Param{z}, AdamConfig{LR: 0.05})
	var first, last float32
	for step := 0; step < 300; step++ {
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
	if !(last < first/20) {
		t.Fatalf("inversion loss %v -> %v, want a fall by 20", first, last)
	}
	for i, p := range append(fc.Params(), conv.Params()...) {
		for j, v := range p.Data() {
			if v != frozen[i].Data()[j] {
				t.Fatalf("frozen %s changed", p.Name)
			}
		}
	}
}
