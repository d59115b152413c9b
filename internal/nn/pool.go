package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AvgPool averages non-overlapping k×k blocks of x (B, C, H, W), giving
// (B, C, H/k, W/k); H and W must be multiples of k.
func AvgPool(g *Graph, x *G.Node, k int) *G.Node {
	if !g.ok(x) {
		return nil
	}
	s := x.Shape()
	if s.Dims() != 4 || k < 1 || s[2]%k != 0 || s[3]%k != 0 {
		return g.Fail(fmt.Errorf("input shape %v with block %d; want (B, C, H, W) with H, W multiples of the block", s, k), "nn: average pool")
	}
	if k == 1 {
		return x
	}
	planes, h, w := s[0]*s[1], s[2], s[3]
	oh, ow := h/k, w/k
	inv := 1 / float32(k*k)
	kn := &Kernel{
		Name: fmt.Sprintf("AvgPool(%d)", k),
		In:   []tensor.Shape{s.Clone()},
		Out:  tensor.Shape{s[0], s[1], oh, ow},
		Forward: func(out []float32, in [][]float32) {
			clear(out)
			for p := 0; p < planes; p++ {
				xp, op := in[0][p*h*w:(p+1)*h*w], out[p*oh*ow:(p+1)*oh*ow]
				for i := 0; i < h; i++ {
					orow := op[(i/k)*ow : (i/k+1)*ow]
					for j, v := range xp[i*w : (i+1)*w] {
						orow[j/k] += v
					}
				}
				for i := range op {
					op[i] *= inv
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for p := 0; p < planes; p++ {
					gp, dp := gout[p*oh*ow:(p+1)*oh*ow], dst[p*h*w:(p+1)*h*w]
					for i := 0; i < h; i++ {
						grow := gp[(i/k)*ow : (i/k+1)*ow]
						drow := dp[i*w : (i+1)*w]
						for j := range drow {
							drow[j] = grow[j/k] * inv
						}
					}
				}
			},
		},
	}
	y, err := kn.apply(x)
	if err != nil {
		return g.Fail(err, "nn: average pool")
	}
	return y
}

// GlobalAvgPool averages each channel of x (B, C, H, W) over space, giving
// (B, C).
func GlobalAvgPool(g *Graph, x *G.Node) *G.Node {
	if !g.ok(x) {
		return nil
	}
	s := x.Shape()
	if s.Dims() != 4 {
		return g.Fail(fmt.Errorf("input shape %v, want (B, C, H, W)", s), "nn: global average pool")
	}
	planes, sp := s[0]*s[1], s[2]*s[3]
	inv := 1 / float32(sp)
	kn := &Kernel{
		Name: "GlobalAvgPool",
		In:   []tensor.Shape{s.Clone()},
		Out:  tensor.Shape{s[0], s[1]},
		Forward: func(out []float32, in [][]float32) {
			for p := range planes {
				var a float32
				for _, v := range in[0][p*sp : (p+1)*sp] {
					a += v
				}
				out[p] = a * inv
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for p := range planes {
					v := gout[p] * inv
					d := dst[p*sp : (p+1)*sp]
					for i := range d {
						d[i] = v
					}
				}
			},
		},
	}
	y, err := kn.apply(x)
	if err != nil {
		return g.Fail(err, "nn: global average pool")
	}
	return y
}

// Flatten reshapes x (B, ...) to (B, rest).
func Flatten(g *Graph, x *G.Node) *G.Node {
	if !g.ok(x) {
		return nil
	}
	s := x.Shape()
	if s.Dims() < 1 {
		return g.Fail(fmt.Errorf("scalar input"), "nn: flatten")
	}
	if s.Dims() == 2 {
		return x
	}
	return Reshape(g, x, s[0], s.TotalSize()/s[0])
}

// Reshape reshapes x to shape (same number of elements).
func Reshape(g *Graph, x *G.Node, shape ...int) *G.Node {
	if !g.ok(x) {
		return nil
	}
	if err := checkShape(shape); err != nil || tensor.Shape(shape).TotalSize() != x.Shape().TotalSize() {
		return g.Fail(fmt.Errorf("cannot reshape %v to %v", x.Shape(), shape), "nn: reshape")
	}
	y, err := G.Reshape(x, tensor.Shape(shape).Clone())
	if err != nil {
		return g.Fail(err, "nn: reshape")
	}
	return y
}
