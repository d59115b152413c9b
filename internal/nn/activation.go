package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LeakyReLU returns max(x, slope·x) elementwise (slope in [0, 1)). The
// derivative at 0 is taken as slope. One op, where gorgonia's LeakyRelu
// builds five full-size intermediate tensors.
func LeakyReLU(g *Graph, x *G.Node, slope float32) *G.Node {
	if !g.ok(x) {
		return nil
	}
	if slope < 0 || slope >= 1 {
		return g.Fail(fmt.Errorf("slope %v not in [0, 1)", slope), "nn: leaky relu")
	}
	s := x.Shape().Clone()
	k := &Kernel{
		Name: fmt.Sprintf("LeakyReLU(%g)", slope),
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			x := in[0][:len(out)]
			for i, v := range x {
				if v > 0 {
					out[i] = v
				} else {
					out[i] = slope * v
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				x := in[0][:len(dst)]
				gout = gout[:len(dst)]
				for i, v := range x {
					if v > 0 {
						dst[i] = gout[i]
					} else {
						dst[i] = slope * gout[i]
					}
				}
			},
		},
	}
	y, err := k.apply(x)
	if err != nil {
		return g.Fail(err, "nn: leaky relu")
	}
	return y
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
