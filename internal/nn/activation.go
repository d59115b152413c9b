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
// full-size intermediate tensors, computed by the backend's leakyOps.
func LeakyReLU(g *Graph, x *G.Node, slope float32) *G.Node {
	if !g.ok(x) {
		return nil
	}
	if slope < 0 || slope >= 1 {
		return g.Fail(fmt.Errorf("slope %v not in [0, 1)", slope), "nn: leaky relu")
	}
	s := x.Shape().Clone()
	// Parts of the batch run in parallel (threads.go), each with its ops.
	batch := 1
	if s.Dims() > 0 {
		batch = s[0]
	}
	bounds := splitBatch(batch)
	per := s.TotalSize() / batch
	parts := make([]leakyOps, len(bounds)-1)
	for i := range parts {
		ops, err := newLeakyOps(Backend(), (bounds[i+1]-bounds[i])*per, slope)
		if err != nil {
			return g.Fail(err, "nn: leaky relu")
		}
		parts[i] = ops
	}
	part := func(buf []float32, i int) []float32 { return buf[bounds[i]*per : bounds[i+1]*per] }
	k := &Kernel{
		Name: fmt.Sprintf("LeakyReLU(%g)", slope),
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			parallel(len(parts), func(i int) { parts[i].forward(part(out, i), part(in[0], i)) })
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				parallel(len(parts), func(i int) { parts[i].backward(part(dst, i), part(in[0], i), part(gout, i)) })
			},
		},
	}
	y, err := k.apply(x)
	if err != nil {
		return g.Fail(err, "nn: leaky relu")
	}
	return y
}

// leakyOps is a leaky ReLU over a fixed number of elements.
type leakyOps interface {
	forward(y, x []float32)
	backward(dx, x, dy []float32)
}

// leakyBackends are the compiled-in leaky ReLU implementations by backend
// name (the same names as convBackends; "im2col" is the Go one).
var leakyBackends = map[string]func(n int, slope float32) (leakyOps, error){"im2col": newGoLeaky}

func newLeakyOps(backend string, n int, slope float32) (leakyOps, error) {
	mk, ok := leakyBackends[backend]
	if !ok {
		return nil, fmt.Errorf("backend %q is not compiled in (have %v)", backend, Backends())
	}
	return mk(n, slope)
}

// goLeaky picks the factor (1 or slope) by the sign bit from a two-entry
// table, without a branch: the signs of activations are random, and a
// mispredicted branch per element made the branching loop eight times
// slower.
type goLeaky struct{ factor [2]float32 }

func newGoLeaky(_ int, slope float32) (leakyOps, error) {
	return &goLeaky{factor: [2]float32{1, slope}}, nil
}

func (l *goLeaky) forward(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = v * l.factor[math.Float32bits(v)>>31]
	}
}

func (l *goLeaky) backward(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		dx[i] = dy[i] * l.factor[math.Float32bits(v)>>31]
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
