package nn

import (
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Benchmarks of the layers at the sizes the models use: 64x64 images in
// batches of 16. Run with and without -tags openblas (OPENBLAS_NUM_THREADS=1
// on small machines):
//
//	go test -run XXX -bench . ./internal/nn/
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run XXX -bench . ./internal/nn/

const benchBatch = 16

// benchGraph times one Run of a graph whose single input x has the given
// shape and whose output is build(g, x); with backward, the gradient of
// Σ output with respect to x (and every parameter) is computed too.
func benchGraph(b *testing.B, shape []int, backward bool, build func(g *Graph, x *G.Node) *G.Node) {
	b.Helper()
	rng := rand.New(rand.NewSource(1))
	x := randParam("x", rng, shape...)
	g := NewGraph(Train, 1)
	defer g.Close()
	y := build(g, g.Param(x))
	if backward {
		s, err := G.Sum(sumAll(g, y))
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Backward(s); err != nil {
			b.Fatal(err)
		}
	}
	if err := g.Compile(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := g.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// sumAll reduces y to a (1) tensor with one pass (and its gradient to one
// fill), so that backward benchmarks time the layer rather than gorgonia's
// Sum, whose gradient materialises a broadcast copy.
func sumAll(g *Graph, y *G.Node) *G.Node {
	return g.Apply(&Kernel{
		Name: "SumAll",
		In:   []tensor.Shape{y.Shape().Clone()},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var s float32
			for _, v := range in[0] {
				s += v
			}
			out[0] = s
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i := range dst {
					dst[i] = gout[0]
				}
			},
		},
	}, y)
}

func benchConv(b *testing.B, in, out, stride int, backward bool) {
	c, err := NewConv2d("c", ConvConfig{In: in, Out: out, Kernel: 3, Stride: stride, Pad: 1}, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	benchGraph(b, []int{benchBatch, in, 64, 64}, backward, c.Forward)
}

// 16×32×64×64 → 16×32×64×64, 3×3: 1.2 GFLOP forward.
func BenchmarkConv32x64Forward(b *testing.B)  { benchConv(b, 32, 32, 1, false) }
func BenchmarkConv32x64Backward(b *testing.B) { benchConv(b, 32, 32, 1, true) }

// The first layer of an image encoder: 3 → 32 channels, stride 2.
func BenchmarkConvRGBStride2Forward(b *testing.B)  { benchConv(b, 3, 32, 2, false) }
func BenchmarkConvRGBStride2Backward(b *testing.B) { benchConv(b, 3, 32, 2, true) }

// BenchmarkConvGorgonia32x64Backward is the same layer as
// BenchmarkConv32x64Backward on gorgonia's Conv2d with a broadcast bias add,
// for comparison.
func BenchmarkConvGorgonia32x64Backward(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	w, bias := randParam("w", rng, 32, 32, 3, 3), randParam("b", rng, 1, 32, 1, 1)
	benchGraph(b, []int{benchBatch, 32, 64, 64}, true, func(g *Graph, x *G.Node) *G.Node {
		y, err := G.Conv2d(x, g.Param(w), tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
		if err != nil {
			b.Fatal(err)
		}
		y, err = G.BroadcastAdd(y, g.Param(bias), nil, []byte{0, 2, 3})
		if err != nil {
			b.Fatal(err)
		}
		return y
	})
}

// Upsampling 16×64×32×32 → 16×64×64×64, as in a generator's last stages.
var upShape = []int{benchBatch, 64, 32, 32}

func BenchmarkUpsampleForward(b *testing.B) {
	benchGraph(b, upShape, false, func(g *Graph, x *G.Node) *G.Node { return Upsample(g, x, 2) })
}

func BenchmarkUpsampleBackward(b *testing.B) {
	benchGraph(b, upShape, true, func(g *Graph, x *G.Node) *G.Node { return Upsample(g, x, 2) })
}

func gorgoniaUpsample(b *testing.B) func(g *Graph, x *G.Node) *G.Node {
	return func(g *Graph, x *G.Node) *G.Node {
		y, err := G.Upsample2D(x, 2)
		if err != nil {
			b.Fatal(err)
		}
		return y
	}
}

func BenchmarkUpsampleGorgoniaForward(b *testing.B) {
	benchGraph(b, upShape, false, gorgoniaUpsample(b))
}

func BenchmarkUpsampleGorgoniaBackward(b *testing.B) {
	benchGraph(b, upShape, true, gorgoniaUpsample(b))
}

// Elementwise and normalisation layers on 16×32×64×64, forward + backward.
var actShape = []int{benchBatch, 32, 64, 64}

func BenchmarkLeakyReLUBackward(b *testing.B) {
	benchGraph(b, actShape, true, func(g *Graph, x *G.Node) *G.Node { return LeakyReLU(g, x, 0.2) })
}

func BenchmarkLeakyReLUGorgoniaBackward(b *testing.B) {
	benchGraph(b, actShape, true, func(g *Graph, x *G.Node) *G.Node {
		y, err := G.LeakyRelu(x, 0.2)
		if err != nil {
			b.Fatal(err)
		}
		return y
	})
}

func BenchmarkPixelNormBackward(b *testing.B) {
	benchGraph(b, actShape, true, func(g *Graph, x *G.Node) *G.Node { return PixelNorm(g, x, 1e-8) })
}

func BenchmarkGroupNormBackward(b *testing.B) {
	n, err := NewGroupNorm("gn", 32, 8)
	if err != nil {
		b.Fatal(err)
	}
	benchGraph(b, actShape, true, n.Forward)
}

func BenchmarkAdamStep(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	p := randParam("w", rng, 1<<20)
	gr := randParam("g", rng, 1<<20)
	opt, err := NewAdam([]Param{p}, AdamConfig{LR: 1e-4, WeightDecay: 1e-4})
	if err != nil {
		b.Fatal(err)
	}
	grad := func(Param) *tensor.Dense { return gr.Value }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := opt.Step(grad); err != nil {
			b.Fatal(err)
		}
	}
}
