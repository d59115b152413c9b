package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LeakyReLU returns max(x, slope·x) elementwise (slope in [0, 1)); its
// derivative is 1 for x > 0 and slope for x < 0 (at exactly 0, either,
// depending on the backend). One op, where gorgonia's LeakyRelu builds five
// full-size intermediate tensors.
func LeakyReLU(g *Graph, x *G.Node, slope float32) *G.Node {
	if !g.ok(x) {
		return nil
	}
	if slope < 0 || slope >= 1 {
		return g.Fail(fmt.Errorf("slope %v not in [0, 1)", slope), "nn: leaky relu")
	}
	return eltwise(g, x, eltwiseFunc{slope: slope})
}

// Sigmoid returns 1/(1+e^−x) elementwise; its derivative is y·(1−y).
func Sigmoid(g *Graph, x *G.Node) *G.Node {
	if !g.ok(x) {
		return nil
	}
	return eltwise(g, x, eltwiseFunc{sigmoid: true})
}

// eltwiseFunc is an elementwise function: the sigmoid, or a leaky ReLU.
// A leaky ReLU with fromOutput takes its derivative from the sign of its
// output, which is that of its input (slope > 0): the one fused into a
// convolution has no stored input.
type eltwiseFunc struct {
	sigmoid    bool
	slope      float32
	fromOutput bool
}

func (f eltwiseFunc) String() string {
	if f.sigmoid {
		return "Sigmoid"
	}
	return fmt.Sprintf("LeakyReLU(%g)", f.slope)
}

// eltwiseOps computes an elementwise function over a fixed number of
// elements; backward gets both the input and the output, and reads the one
// its derivative needs.
type eltwiseOps interface {
	forward(y, x []float32)
	backward(dx, x, y, dy []float32)
}

// eltwiseBackends are the compiled-in implementations by backend name (the
// names of convBackends; "im2col" is the Go one).
var eltwiseBackends = map[string]func(f eltwiseFunc, n int) (eltwiseOps, error){"im2col": newGoEltwise}

// eltwise adds f applied to x, computed by the backend's ops, one per part
// of the batch, the parts in parallel (threads.go).
func eltwise(g *Graph, x *G.Node, f eltwiseFunc) *G.Node {
	s := x.Shape().Clone()
	batch := 1
	if s.Dims() > 0 {
		batch = s[0]
	}
	per := s.TotalSize() / batch
	mk, ok := eltwiseBackends[Backend()]
	if !ok {
		return g.Fail(fmt.Errorf("backend %q is not compiled in (have %v)", Backend(), Backends()), "nn: %s", f)
	}
	parts, bounds, err := perPart(batch, g.parts, func(n int) (eltwiseOps, error) { return mk(f, n*per) })
	if err != nil {
		return g.Fail(err, "nn: %s", f)
	}
	part := func(buf []float32, i int) []float32 { return buf[bounds[i]*per : bounds[i+1]*per] }
	k := &Kernel{
		Name: f.String(),
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			parallel(len(parts), func(i int) { parts[i].forward(part(out, i), part(in[0], i)) })
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, out, gout []float32) {
				parallel(len(parts), func(i int) {
					parts[i].backward(part(dst, i), part(in[0], i), part(out, i), part(gout, i))
				})
			},
		},
	}
	y, err := k.apply(x)
	if err != nil {
		return g.Fail(err, "nn: %s", f)
	}
	return y
}

// goEltwise is the Go implementation. The leaky ReLU picks its factor (1
// or slope) by the sign bit from a two-entry table, without a branch: the
// signs of activations are random, and a mispredicted branch per element
// made the branching loop eight times slower.
type goEltwise struct {
	f      eltwiseFunc
	factor [2]float32
}

func newGoEltwise(f eltwiseFunc, _ int) (eltwiseOps, error) {
	return &goEltwise{f: f, factor: [2]float32{1, f.slope}}, nil
}

func (e *goEltwise) forward(y, x []float32) {
	x = x[:len(y)]
	if e.f.sigmoid {
		for i, v := range x {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
		return
	}
	for i, v := range x {
		y[i] = v * e.factor[math.Float32bits(v)>>31]
	}
}

func (e *goEltwise) backward(dx, x, y, dy []float32) {
	dy = dy[:len(dx)]
	if e.f.sigmoid {
		y = y[:len(dx)]
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
		return
	}
	if e.f.fromOutput {
		x = y
	}
	x = x[:len(dx)]
	for i, v := range x {
		dx[i] = dy[i] * e.factor[math.Float32bits(v)>>31]
	}
}

// Dropout zeroes each element with probability p and scales the survivors
// by 1/(1−p) in Train mode, so expectations match Infer mode, where it is
// the identity. Masks come from the graph's seeded random source, a new one
// on every Run.
func Dropout(g *Graph, x *G.Node, p float64) *G.Node {
	if !g.ok(x) {
		return nil
	}
	if p < 0 || p >= 1 {
		return g.Fail(fmt.Errorf("probability %v not in [0, 1)", p), "nn: dropout")
	}
	if g.mode != Train || p == 0 {
		return x
	}
	s := x.Shape().Clone()
	mask := make([]float32, s.TotalSize())
	scale := float32(1 / (1 - p))
	rng := g.rng
	k := &Kernel{
		Name:     fmt.Sprintf("Dropout(%g)", p),
		In:       []tensor.Shape{s},
		Out:      s,
		Stateful: true,
		Forward: func(out []float32, in [][]float32) {
			for i := range mask {
				if rng.Float64() < p {
					mask[i] = 0
				} else {
					mask[i] = scale
				}
			}
			for i, v := range in[0][:len(out)] {
				out[i] = v * mask[i]
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i, v := range gout[:len(dst)] {
					dst[i] = v * mask[i]
				}
			},
		},
	}
	y, err := k.apply(x)
	if err != nil {
		return g.Fail(err, "nn: dropout")
	}
	return y
}
