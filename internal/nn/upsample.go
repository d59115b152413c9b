package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Upsample repeats every pixel of x (B, C, H, W) into a factor×factor block:
// nearest-neighbour upsampling to (B, C, factor·H, factor·W). With a
// following convolution it stands in for the transposed convolution that
// gorgonia lacks.
//
// It is one op over whole rows: each input row is expanded once and copied
// factor times; the gradient sums each block. gorgonia's Upsample2D does the
// same with a checked At/SetAt call per element, which made it the bulk of a
// generator's time.
func Upsample(g *Graph, x *G.Node, factor int) *G.Node {
	if !g.ok(x) {
		return nil
	}
	s := x.Shape()
	if s.Dims() != 4 {
		return g.Fail(fmt.Errorf("input shape %v, want (B, C, H, W)", s), "nn: upsample")
	}
	if factor < 1 {
		return g.Fail(fmt.Errorf("factor %d", factor), "nn: upsample")
	}
	if factor == 1 {
		return x
	}
	y, err := upsampleKernel(s.Clone(), factor).apply(x)
	if err != nil {
		return g.Fail(err, "nn: upsample")
	}
	return y
}

func upsampleKernel(s tensor.Shape, f int) *Kernel {
	planes, h, w := s[0]*s[1], s[2], s[3]
	ow := w * f
	return &Kernel{
		Name: fmt.Sprintf("Upsample(%d)", f),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{s[0], s[1], h * f, ow},
		Forward: func(out []float32, in [][]float32) {
			x := in[0]
			eachPart(planes, func(lo, hi int) { upsamplePlanes(out, x, lo, hi, h, w, f) })
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				eachPart(planes, func(lo, hi int) { downsumPlanes(dst, gout, lo, hi, h, w, f) })
			},
		},
	}
}

// upsamplePlanes repeats each pixel of planes [lo, hi) of x f×f times.
func upsamplePlanes(out, x []float32, lo, hi, h, w, f int) {
	ow := w * f
	for p := lo; p < hi; p++ {
		src := x[p*h*w : (p+1)*h*w]
		dst := out[p*h*w*f*f : (p+1)*h*w*f*f]
		for i := 0; i < h; i++ {
			row := src[i*w : (i+1)*w]
			first := dst[i*f*ow : (i*f+1)*ow]
			if f == 2 {
				for j, v := range row {
					first[2*j] = v
					first[2*j+1] = v
				}
			} else {
				for j, v := range row {
					blk := first[j*f : (j+1)*f]
					for k := range blk {
						blk[k] = v
					}
				}
			}
			for r := 1; r < f; r++ {
				copy(dst[(i*f+r)*ow:(i*f+r+1)*ow], first)
			}
		}
	}
}

// downsumPlanes writes, for planes [lo, hi), the sum of each f×f block of
// gout: the adjoint of upsamplePlanes.
func downsumPlanes(dst, gout []float32, lo, hi, h, w, f int) {
	ow := w * f
	for p := lo; p < hi; p++ {
		gp := gout[p*h*w*f*f : (p+1)*h*w*f*f]
		dp := dst[p*h*w : (p+1)*h*w]
		for i := 0; i < h; i++ {
			drow := dp[i*w : (i+1)*w]
			if f == 2 {
				g0 := gp[2*i*ow : (2*i+1)*ow]
				g1 := gp[(2*i+1)*ow : (2*i+2)*ow]
				for j := range drow {
					drow[j] = g0[2*j] + g0[2*j+1] + g1[2*j] + g1[2*j+1]
				}
				continue
			}
			clear(drow)
			for r := 0; r < f; r++ {
				grow := gp[(i*f+r)*ow : (i*f+r+1)*ow]
				for j := range drow {
					var s float32
					for _, v := range grow[j*f : (j+1)*f] {
						s += v
					}
					drow[j] += s
				}
			}
		}
	}
}
