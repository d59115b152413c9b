package nn

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestConv2dGradients(t *testing.T) { eachBackend(t, testConv2dGradients) }

func testConv2dGradients(t *testing.T) {
	cases := []struct {
		name                    string
		in, out, k, stride, pad int
		h, w                    int
		noBias                  bool
	}{
		{"3x3 same", 3, 4, 3, 1, 1, 6, 6, false},
		{"4x4 stride 2", 2, 3, 4, 2, 1, 8, 8, false},
		{"1x1 no bias", 4, 2, 1, 1, 0, 5, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(2))
			c, err := NewConv2d("conv", ConvConfig{In: tc.in, Out: tc.out, Kernel: tc.k, Stride: tc.stride, Pad: tc.pad, NoBias: tc.noBias}, rng)
			if err != nil {
				t.Fatal(err)
			}
			if c.B.Value != nil {
				randomize(rng, 0, 0.5, c.B)
			}
			x := randParam("x", rng, 2, tc.in, tc.h, tc.w)
			build := func(g *Graph) *G.Node { return c.Forward(g, g.Param(x)) }
			checkGrads(t, build, append([]Param{x}, c.Params()...), defaultGradOpts())
		})
	}
}

// TestConv2dMatchesDirect pins the layout (W as (Out, In, K, K), NCHW) and
// the padding/stride semantics against a direct loop, over kernel sizes,
// strides, paddings and non-square images.
func TestConv2dMatchesDirect(t *testing.T) { eachBackend(t, testConv2dMatchesDirect) }

func testConv2dMatchesDirect(t *testing.T) {
	cases := []struct{ k, stride, pad, h, w int }{
		{3, 2, 1, 7, 6}, {3, 1, 1, 5, 5}, {1, 1, 0, 4, 3}, {1, 2, 0, 5, 4},
		{4, 2, 1, 8, 8}, {5, 3, 2, 9, 7}, {2, 1, 0, 3, 5}, {3, 1, 2, 4, 4},
	}
	for _, tc := range cases {
		rng := rand.New(rand.NewSource(3))
		const B, C, O = 2, 2, 3
		c, err := NewConv2d("conv", ConvConfig{In: C, Out: O, Kernel: tc.k, Stride: tc.stride, Pad: tc.pad}, rng)
		if err != nil {
			t.Fatal(err)
		}
		randomize(rng, 0, 1, c.B)
		x := randParam("x", rng, B, C, tc.h, tc.w)
		g := NewGraph(Infer, 1)
		out := g.Output(c.Forward(g, g.Param(x)))
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		oh, ow := c.OutSize(tc.h), c.OutSize(tc.w)
		if s := out.Shape(); s[0] != B || s[1] != O || s[2] != oh || s[3] != ow {
			t.Fatalf("%+v: output shape %v, want (%d, %d, %d, %d)", tc, s, B, O, oh, ow)
		}
		xd, wd, bd, yd := x.Data(), c.W.Data(), c.B.Data(), out.Data().([]float32)
		for b := 0; b < B; b++ {
			for o := 0; o < O; o++ {
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						want := float64(bd[o])
						for ch := 0; ch < C; ch++ {
							for u := 0; u < tc.k; u++ {
								for v := 0; v < tc.k; v++ {
									r, s := i*tc.stride+u-tc.pad, j*tc.stride+v-tc.pad
									if r < 0 || r >= tc.h || s < 0 || s >= tc.w {
										continue
									}
									want += float64(wd[((o*C+ch)*tc.k+u)*tc.k+v]) * float64(xd[((b*C+ch)*tc.h+r)*tc.w+s])
								}
							}
						}
						if got := yd[((b*O+o)*oh+i)*ow+j]; math.Abs(float64(got)-want) > 1e-4 {
							t.Fatalf("%+v: y[%d,%d,%d,%d] = %v, want %v", tc, b, o, i, j, got, want)
						}
					}
				}
			}
		}
	}
}

// TestCol2imIsAdjointOfIm2col checks ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, which
// is what makes the convolution's input gradient right.
func TestCol2imIsAdjointOfIm2col(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, geo := range []convGeom{newConvGeom(2, 7, 6, 3, 2, 1), newConvGeom(3, 5, 5, 5, 1, 2), newConvGeom(1, 6, 4, 2, 3, 0)} {
		x := randParam("x", rng, geo.c*geo.h*geo.w).Data()
		c := randParam("c", rng, geo.ckk*geo.patches).Data()
		col := make([]float32, len(c))
		geo.im2col(col, geo.patches, x)
		back := make([]float32, len(x))
		geo.col2im(back, c, geo.patches)
		var lhs, rhs float64
		for i := range c {
			lhs += float64(col[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		if math.Abs(lhs-rhs) > 1e-3 {
			t.Fatalf("%+v: <im2col x, c> = %v, <x, col2im c> = %v", geo, lhs, rhs)
		}
	}
}

func TestLinearGradients(t *testing.T) {
	for _, batch := range []int{1, 3} {
		for _, bias := range []bool{true, false} {
			rng := rand.New(rand.NewSource(4))
			l, err := NewLinear("fc", 5, 4, bias, 1, rng)
			if err != nil {
				t.Fatal(err)
			}
			if bias {
				randomize(rng, 0, 1, l.B)
			}
			x := randParam("x", rng, batch, 5)
			build := func(g *Graph) *G.Node { return l.Forward(g, g.Param(x)) }
			checkGrads(t, build, append([]Param{x}, l.Params()...), defaultGradOpts())
		}
	}
}

func TestLinearMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	l, _ := NewLinear("fc", 3, 2, true, 1, rng)
	randomize(rng, 0, 1, l.B)
	x := randParam("x", rng, 1, 3)
	g := NewGraph(Infer, 1)
	out := g.Output(l.Forward(g, g.Param(x)))
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	for o := 0; o < 2; o++ {
		want := l.B.Data()[o]
		for i := 0; i < 3; i++ {
			want += l.W.Data()[o*3+i] * x.Data()[i]
		}
		if got := out.Data().([]float32)[o]; math.Abs(float64(got-want)) > 1e-5 {
			t.Fatalf("y[%d] = %v, want %v", o, got, want)
		}
	}
}

func TestLeakyReLUGradients(t *testing.T) { eachBackend(t, testLeakyReLUGradients) }

func testLeakyReLUGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	x := randParam("x", rng, 2, 3, 4, 5)
	o := defaultGradOpts()
	o.samples = 60
	o.skip = func(p Param, i int) bool { return math.Abs(float64(p.Data()[i])) < 3*float64(o.h) }
	checkGrads(t, func(g *Graph) *G.Node { return LeakyReLU(g, g.Param(x), 0.2) }, []Param{x}, o)
}

func TestSigmoidGradients(t *testing.T) { eachBackend(t, testSigmoidGradients) }

func testSigmoidGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	x := randParam("x", rng, 3, 2, 4, 5)
	checkGrads(t, func(g *Graph) *G.Node { return Sigmoid(g, g.Param(x)) }, []Param{x}, defaultGradOpts())
}

func TestUpsampleGradients(t *testing.T) {
	for _, f := range []int{2, 3} {
		rng := rand.New(rand.NewSource(7))
		x := randParam("x", rng, 2, 3, 4, 5)
		checkGrads(t, func(g *Graph) *G.Node { return Upsample(g, g.Param(x), f) }, []Param{x}, defaultGradOpts())
	}
}

// TestUpsampleMatchesGorgonia checks the op against gorgonia's Upsample2D,
// values and gradients.
func TestUpsampleMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	x := randParam("x", rng, 2, 3, 5, 4)
	run := func(ours bool) (y, dx []float32) {
		g := NewGraph(Infer, 1)
		xn := g.Param(x)
		var yn *G.Node
		if ours {
			yn = Upsample(g, xn, 2)
		} else {
			var err error
			if yn, err = G.Upsample2D(xn, 2); err != nil {
				t.Fatal(err)
			}
		}
		sq, _ := G.Square(yn)
		loss, _ := G.Sum(sq)
		out := g.Output(yn)
		if err := g.Backward(loss); err != nil {
			t.Fatal(err)
		}
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		return out.Data().([]float32), g.Grad(x).Data().([]float32)
	}
	y1, d1 := run(true)
	y2, d2 := run(false)
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("y[%d] = %v, gorgonia %v", i, y1[i], y2[i])
		}
	}
	for i := range d1 {
		if math.Abs(float64(d1[i]-d2[i])) > 1e-5 {
			t.Fatalf("dx[%d] = %v, gorgonia %v", i, d1[i], d2[i])
		}
	}
}

func TestPixelNormGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, shape := range [][]int{{2, 4, 3, 3}, {3, 8}} {
		x := randParam("x", rng, shape...)
		checkGrads(t, func(g *Graph) *G.Node { return PixelNorm(g, g.Param(x), 1e-8) }, []Param{x}, defaultGradOpts())
	}
}

func TestPixelNormUnitRMS(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	x := randParam("x", rng, 2, 5, 3, 4)
	for i := range x.Data() {
		x.Data()[i] *= 7
	}
	g := NewGraph(Infer, 1)
	out := g.Output(PixelNorm(g, g.Param(x), 1e-8))
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	y := out.Data().([]float32)
	for b := 0; b < 2; b++ {
		for s := 0; s < 12; s++ {
			var ss float64
			for c := 0; c < 5; c++ {
				v := float64(y[(b*5+c)*12+s])
				ss += v * v
			}
			if rms := math.Sqrt(ss / 5); math.Abs(rms-1) > 1e-4 {
				t.Fatalf("pixel (%d, %d): rms %v, want 1", b, s, rms)
			}
		}
	}
}

func TestGroupNormGradients(t *testing.T) {
	cases := []struct {
		name   string
		shape  []int
		groups int
	}{
		{"layer norm", []int{2, 4, 3, 3}, 1},
		{"two groups", []int{2, 4, 3, 3}, 2},
		{"instance norm", []int{2, 4, 3, 3}, 4},
		{"features", []int{3, 6}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(11))
			n, err := NewGroupNorm("gn", tc.shape[1], tc.groups)
			if err != nil {
				t.Fatal(err)
			}
			randomize(rng, 1, 0.5, n.Gamma)
			randomize(rng, 0, 0.5, n.Beta)
			x := randParam("x", rng, tc.shape...)
			// Shift and scale the input so that the normalisation matters.
			for i := range x.Data() {
				x.Data()[i] = 3 + 2*x.Data()[i]
			}
			checkGrads(t, func(g *Graph) *G.Node { return n.Forward(g, g.Param(x)) }, append([]Param{x}, n.Params()...), defaultGradOpts())
		})
	}
}

// TestGroupNormSameInTrainAndInfer is the property BatchNorm lacks: the
// same sample gives the same output in both modes and whatever its batch.
func TestGroupNormSameInTrainAndInfer(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	n, _ := NewGroupNorm("gn", 4, 2)
	randomize(rng, 1, 0.3, n.Gamma, n.Beta)
	x4 := randParam("x", rng, 4, 4, 3, 3)
	x1 := NewParam("x1", 1, 4, 3, 3)
	copy(x1.Data(), x4.Data()[2*36:3*36])
	train := NewGraph(Train, 1)
	y4 := train.Output(n.Forward(train, train.Param(x4)))
	infer := NewGraph(Infer, 1)
	y1 := infer.Output(n.Forward(infer, infer.Param(x1)))
	for _, g := range []*Graph{train, infer} {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
	}
	a, b := y4.Data().([]float32)[2*36:3*36], y1.Data().([]float32)
	for i := range b {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			t.Fatalf("sample 2 element %d: batch-4 train %v, batch-1 infer %v", i, a[i], b[i])
		}
	}
}

func TestPoolGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	x := randParam("x", rng, 2, 3, 4, 6)
	checkGrads(t, func(g *Graph) *G.Node { return AvgPool(g, g.Param(x), 2) }, []Param{x}, defaultGradOpts())
	checkGrads(t, func(g *Graph) *G.Node { return GlobalAvgPool(g, g.Param(x)) }, []Param{x}, defaultGradOpts())
	checkGrads(t, func(g *Graph) *G.Node { return Flatten(g, AvgPool(g, g.Param(x), 2)) }, []Param{x}, defaultGradOpts())
}

func TestAddBiasGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	x := randParam("x", rng, 2, 3, 2, 2)
	b := randParam("b", rng, 3)
	checkGrads(t, func(g *Graph) *G.Node { return AddBias(g, g.Param(x), g.Param(b)) }, []Param{x, b}, defaultGradOpts())
}

// TestNetworkGradientsWrtInput checks a small discriminator-like stack end to
// end, including the gradient with respect to the image that inversion
// needs.
func TestNetworkGradientsWrtInput(t *testing.T) { eachBackend(t, testNetworkGradientsWrtInput) }

func testNetworkGradientsWrtInput(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	c1, _ := NewConv2d("c1", ConvConfig{In: 3, Out: 4, Kernel: 3, Pad: 1}, rng)
	n1, _ := NewGroupNorm("n1", 4, 2)
	c2, _ := NewConv2d("c2", ConvConfig{In: 4, Out: 4, Kernel: 3, Stride: 2, Pad: 1}, rng)
	fc, _ := NewLinear("fc", 4*2*2, 3, true, 1, rng)
	randomize(rng, 0, 0.3, c1.B, c2.B, fc.B)
	z := randParam("z", rng, 2, 3, 4, 4)
	build := func(g *Graph) *G.Node {
		h := c1.Forward(g, Upsample(g, g.Param(z), 2))
		h = PixelNorm(g, n1.Forward(g, h), 1e-8)
		h = c2.Forward(g, h)
		h = AvgPool(g, h, 2)
		return fc.Forward(g, Flatten(g, h))
	}
	o := defaultGradOpts()
	o.h = 5e-3
	checkGrads(t, build, []Param{z, c1.W, fc.W}, o)
}

func TestEmbeddingGradientsAndLookup(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	e, err := NewEmbedding("users", 5, 3, 1, rng)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{4, 1, 4, 0}
	build := func(g *Graph) *G.Node {
		ix := g.Indices("ids", len(ids))
		y := e.Forward(g, ix)
		if err := ix.Set(ids); err != nil {
			return g.Fail(err, "set")
		}
		return y
	}
	// Row 4 appears twice: its gradient must be the sum of both uses.
	checkGrads(t, build, e.Params(), defaultGradOpts())

	g := NewGraph(Infer, 1)
	ix := g.Indices("ids", 2)
	out := g.Output(e.Forward(g, ix))
	if err := ix.Set([]int{3, 5}); err == nil || !strings.Contains(err.Error(), "outside [0, 5)") {
		t.Fatalf("out-of-range id: %v", err)
	}
	if err := ix.Set([]int{3}); err == nil {
		t.Fatal("wrong number of ids accepted")
	}
	if err := ix.Set([]int{3, 0}); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	got, table := out.Data().([]float32), e.Table.Data()
	for j := 0; j < 3; j++ {
		if got[j] != table[9+j] || got[3+j] != table[j] {
			t.Fatalf("lookup %v, want rows 3 and 0 of %v", got, table)
		}
	}
}
