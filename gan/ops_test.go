package gan

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

func randParam(name string, rng *rand.Rand, shape ...int) nn.Param {
	p := nn.NewParam(name, shape...)
	for i, d := 0, p.Data(); i < len(d); i++ {
		d[i] = float32(rng.NormFloat64())
	}
	return p
}

// checkGrad compares the graph's gradient of L = Σ r ⊙ build(x) with
// central differences, for every element of x (small tensors) or a sample.
func checkGrad(t *testing.T, x nn.Param, build func(g *nn.Graph, x *G.Node) *G.Node, tol float64) {
	t.Helper()
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	y := build(g, g.Param(x))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	r := make([]float32, y.Shape().TotalSize())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	rn := g.Const("r", r, y.Shape()...)
	loss := scalar(g, g.Apply(&nn.Kernel{
		Name: "Dot", In: []tensor.Shape{y.Shape().Clone(), y.Shape().Clone()}, Out: tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var s float64
			for i, v := range in[0] {
				s += float64(v) * float64(in[1][i])
			}
			out[0] = float32(s)
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				for i := range dst {
					dst[i] = gout[0] * in[1][i]
				}
			},
		},
	}, y, rn))
	out := g.Output(y)
	if err := g.Backward(loss, x); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	analytic := append([]float32(nil), g.Grad(x).Data().([]float32)...)
	lossAt := func() float64 {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		var l float64
		for i, v := range out.Data().([]float32) {
			l += float64(v) * float64(r[i])
		}
		return l
	}
	d := x.Data()
	idx := rng.Perm(len(d))
	if len(idx) > 40 {
		idx = idx[:40]
	}
	const h = 1e-2
	for _, i := range idx {
		old := d[i]
		d[i] = old + h
		lp := lossAt()
		d[i] = old - h
		lm := lossAt()
		d[i] = old
		num := (lp - lm) / (2 * h)
		if diff := math.Abs(num - float64(analytic[i])); diff > tol*(1+math.Abs(num)) {
			t.Errorf("element %d: analytic %v, numeric %v", i, analytic[i], num)
		}
	}
}

func TestKernelGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	other := randParam("other", rng, 4, 3, 6, 6)
	tests := []struct {
		name  string
		shape []int
		build func(g *nn.Graph, x *G.Node) *G.Node
	}{
		{"standardize", []int{3, 10}, standardize},
		{"meanSquaredDiff", []int{4, 3, 6, 6}, func(g *nn.Graph, x *G.Node) *G.Node {
			return meanSquaredDiff(g, x, g.Const("b", other.Data(), other.Shape()...))
		}},
		{"meanSquaredDiff/second", []int{4, 3, 6, 6}, func(g *nn.Graph, x *G.Node) *G.Node {
			return meanSquaredDiff(g, g.Const("a", other.Data(), other.Shape()...), x)
		}},
		{"batchMeanDistance", []int{4, 3, 6, 6}, func(g *nn.Graph, x *G.Node) *G.Node {
			return batchMeanDistance(g, x, g.Const("b", other.Data()[:2*3*6*6], 2, 3, 6, 6))
		}},
		{"batchMeanDistance/second", []int{3, 3, 6, 6}, func(g *nn.Graph, x *G.Node) *G.Node {
			return batchMeanDistance(g, g.Const("a", other.Data(), other.Shape()...), x)
		}},
		{"softplusLoss", []int{4, 1}, func(g *nn.Graph, x *G.Node) *G.Node {
			return softplusLoss(g, x, []float32{-1, -1, 1, 1}, []float32{0.25, 0.5, 0.25, 1})
		}},
		{"categoryKeepLoss", []int{3, 5}, func(g *nn.Graph, x *G.Node) *G.Node { return categoryKeepLoss(g, x, 2, 0.7) }},
		{"realismKeepLoss", []int{6, 1}, func(g *nn.Graph, x *G.Node) *G.Node { return realismKeepLoss(g, x, 3, 1.5) }},
		{"minibatchStddev", []int{4, 2, 3, 3}, func(g *nn.Graph, x *G.Node) *G.Node { return minibatchStddev(g, x, 2) }},
		{"depthToSpace", []int{2, 8, 3, 3}, func(g *nn.Graph, x *G.Node) *G.Node { return depthToSpace(g, x, 2) }},
		{"latentMoments", []int{5, 4}, latentMoments},
		{"scale", []int{2, 3}, func(g *nn.Graph, x *G.Node) *G.Node { return scale(g, x, -1.5) }},
		{"concatBatch", []int{2, 3}, func(g *nn.Graph, x *G.Node) *G.Node {
			return concatBatch(g, x, g.Const("b", other.Data()[:9], 3, 3))
		}},
		{"concatBatch/second", []int{2, 3}, func(g *nn.Graph, x *G.Node) *G.Node {
			return concatBatch(g, g.Const("a", other.Data()[:9], 3, 3), x)
		}},
		{"batchRange", []int{5, 2, 3}, func(g *nn.Graph, x *G.Node) *G.Node { return batchRange(g, x, 1, 3) }},
		{"augment", []int{3, 3, 8, 8}, func(g *nn.Graph, x *G.Node) *G.Node {
			return augment(g, x, g.Const("p", []float32{2, -1, 1, 3, 5, 0, 0, 0, 0, 0, -3, 4, 1, 7, 0}, 3, augParams))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGrad(t, randParam("x", rand.New(rand.NewSource(2)), tc.shape...), tc.build, 2e-2)
		})
	}
}

func TestBatchMeanDistance(t *testing.T) {
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	// Batch means (2, 3) and (0, 7) per sample of two values: gaps 2 and
	// −4, so the mean of the squares is (4 + 16) / 2.
	a := g.Const("a", []float32{1, 2, 3, 4}, 2, 2)
	b := g.Const("b", []float32{0, 6, 0, 8, 0, 7}, 3, 2)
	out := g.Output(batchMeanDistance(g, a, b))
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	if got := out.Data().([]float32)[0]; math.Abs(float64(got)-10) > 1e-5 {
		t.Errorf("batch mean distance = %v, want 10", got)
	}

	bad := nn.NewGraph(nn.Infer, 1)
	defer bad.Close()
	a = bad.Const("a", []float32{1, 2, 3, 4}, 2, 2)
	if batchMeanDistance(bad, a, bad.Const("c", []float32{1, 2, 3}, 1, 3)) != nil || bad.Err() == nil {
		t.Error("per-sample shapes (2) and (3) were accepted")
	}
}

func TestStandardizeOutput(t *testing.T) {
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Const("x", []float32{1, 2, 3, 4, 10, 10, 10, 12}, 2, 4)
	out := g.Output(standardize(g, x))
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	y := out.Data().([]float32)
	for b := 0; b < 2; b++ {
		mean, sd := meanStd(y[b*4 : (b+1)*4])
		if math.Abs(mean) > 1e-6 || math.Abs(sd-1) > 1e-4 {
			t.Errorf("row %d: mean %v, sd %v", b, mean, sd)
		}
	}
}

func TestAugmentTranslatesAndCuts(t *testing.T) {
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	const n = 8
	img := make([]float32, 3*n*n)
	for i := range img {
		img[i] = float32(i%(n*n)) / 100
	}
	x := g.Const("x", img, 1, 3, n, n)
	p := g.Const("p", []float32{2, 1, 1, 0, 0}, 1, augParams) // shift right 2, down 1; cut around (0,0)
	out := g.Output(augment(g, x, p))
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	y := out.Data().([]float32)
	at := func(c, i, j int) float32 { return y[(c*n+i)*n+j] }
	if v := at(0, 0, 5); v != 1 {
		t.Errorf("top row after a downward shift = %v, want white", v)
	}
	if v, want := at(1, 4, 5), img[(1*n+3)*n+3]; v != want {
		t.Errorf("shifted pixel = %v, want %v", v, want)
	}
	if v := at(2, 1, 1); v != cutoutValue {
		t.Errorf("cut pixel = %v, want %v", v, cutoutValue)
	}
}

// TestAugmentMatchesPerPixel checks the row-wise augmentation and its
// gradient against a per-pixel statement of the same map, on shifts from
// beyond one edge to beyond the other and cutouts anywhere, some reaching
// past the image.
func TestAugmentMatchesPerPixel(t *testing.T) {
	const batch, ch, h, w = 40, 2, 6, 7
	rng := rand.New(rand.NewSource(9))
	x, gy := make([]float32, batch*ch*h*w), make([]float32, batch*ch*h*w)
	for i := range x {
		x[i], gy[i] = rng.Float32(), rng.Float32()
	}
	p := make([]float32, batch*augParams)
	for b := 0; b < batch; b++ {
		q := p[b*augParams : (b+1)*augParams]
		q[0], q[1] = float32(rng.Intn(2*w+3)-w-1), float32(rng.Intn(2*h+3)-h-1)
		if b%3 != 0 {
			q[2], q[3], q[4] = 1, float32(rng.Intn(w)), float32(rng.Intn(h))
		}
	}
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	xn := nn.Param{Name: "x", Value: tensor.New(tensor.WithShape(batch, ch, h, w), tensor.WithBacking(x))}
	y := augment(g, g.Param(xn), g.Const("p", p, batch, augParams))
	out := g.Output(y)
	prod, err := G.HadamardProd(y, g.Const("gy", gy, batch, ch, h, w))
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Backward(loss, xn); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	wantY, wantDX := make([]float32, len(x)), make([]float32, len(x))
	for b := 0; b < batch; b++ {
		q := p[b*augParams : (b+1)*augParams]
		tx, ty, cut := int(q[0]), int(q[1]), q[2] > 0
		cy, cx := int(q[4]), int(q[3])
		for c := 0; c < ch; c++ {
			base := (b*ch + c) * h * w
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					si, sj := i-ty, j-tx
					o := base + i*w + j
					switch {
					case cut && i >= max(cy-h/4, 0) && i < min(cy+h/4, h) && j >= max(cx-w/4, 0) && j < min(cx+w/4, w):
						wantY[o] = cutoutValue
					case si < 0 || si >= h || sj < 0 || sj >= w:
						wantY[o] = 1
					default:
						wantY[o] = x[base+si*w+sj]
						wantDX[base+si*w+sj] += gy[o]
					}
				}
			}
		}
	}
	if got := out.Data().([]float32); !slices.Equal(got, wantY) {
		t.Errorf("augmented images differ from the per-pixel map")
	}
	if got := g.Grad(xn).Data().([]float32); !slices.Equal(got, wantDX) {
		t.Errorf("gradient differs from the per-pixel map's")
	}
}

func TestSpectralNormGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	w := randParam("w", rng, 5, 2, 3, 3)
	s := newSpectralNorm(w, 2, rng)
	for i := 0; i < 50; i++ {
		s.powerStep()
	}
	s.sync()
	// σ should be the largest singular value: W has spectral norm 2, so
	// ‖W x‖ ≤ 2‖x‖ for any x.
	wd := s.W.Data()
	for trial := 0; trial < 20; trial++ {
		x := make([]float64, s.cols)
		var nx float64
		for i := range x {
			x[i] = rng.NormFloat64()
			nx += x[i] * x[i]
		}
		var ny float64
		for r := 0; r < s.rows; r++ {
			var a float64
			for c := 0; c < s.cols; c++ {
				a += float64(wd[r*s.cols+c]) * x[c]
			}
			ny += a * a
		}
		if ny > 4*nx*(1+1e-4) {
			t.Fatalf("‖Wx‖² = %v > 4‖x‖² = %v", ny, 4*nx)
		}
	}
	// dL/dV from vGrad against central differences of L = ⟨R, 2V/σ(V)⟩
	// with u fixed.
	r := make([]float32, len(wd))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	loss := func() float64 {
		s.sync()
		var l float64
		for i, v := range s.W.Data() {
			l += float64(v) * float64(r[i])
		}
		return l
	}
	loss()
	got := make([]float32, len(wd))
	s.vGrad(got, r)
	v := s.V.Data()
	for i := range v {
		old := v[i]
		v[i] = old + 1e-2
		lp := loss()
		v[i] = old - 1e-2
		lm := loss()
		v[i] = old
		num := (lp - lm) / 2e-2
		if math.Abs(num-float64(got[i])) > 2e-3*(1+math.Abs(num)) {
			t.Errorf("dL/dV[%d] = %v, numeric %v", i, got[i], num)
		}
	}
}
