package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// An upsampling convolution is nearest-neighbour upsampling by two followed
// by a 3×3 convolution of stride 1 and padding 1: the generator's way up,
// free of the checkerboard artefacts of a learnt transposed convolution.
// It is nonetheless a transposed convolution, one of kernel 4, stride 2
// and padding 1 whose 4×4 kernel is fixed by the 3×3 one: an output pixel
// (2i+a, 2j+b) sees the 3×3 window of the upsampled map, which covers only
// two input rows and two input columns, rows i−1 and i for a = 0 (weighted
// w₀ and w₁+w₂) and rows i and i+1 for a = 1 (w₀+w₁ and w₂). So each
// output takes 4 products per input channel instead of 9, and the
// four-times-larger upsampled map never exists. Backends that have
// transposed convolutions (oneDNN) compute it that way; others upsample
// and convolve. The two agree up to the order of floating-point sums.

// ForwardUpsampled applies c to x (B, In, H, W) upsampled to 2H × 2W by
// nearest neighbour, followed by a leaky ReLU of that slope unless slope
// is 0, as one op. c must be a 3×3 convolution of stride 1 and padding 1.
func (c *Conv2d) ForwardUpsampled(g *Graph, x *G.Node, slope float32) *G.Node {
	if !(slope >= 0 && slope < 1) {
		return g.Fail(fmt.Errorf("slope %v not in [0, 1)", slope), "nn: conv %s", c.Name)
	}
	if k := c.W.Value.Shape()[2]; k != 3 || c.Stride != 1 || c.Pad != 1 {
		return g.Fail(fmt.Errorf("upsampling needs a 3×3 kernel of stride 1 and padding 1, have %d×%d, stride %d, padding %d", k, k, c.Stride, c.Pad), "nn: conv %s", c.Name)
	}
	return c.apply(g, x, slope, true)
}

// upKernel writes into k (O, C, 4, 4) the transposed convolution's kernel
// equivalent to the upsampling convolution of w (O, C, 3, 3): k = A·w·Aᵀ
// for each (o, c), with A's rows [0 0 1], [0 1 1], [1 1 0], [1 0 0] (see
// the top of this file; the transposed convolution indexes its kernel
// backwards).
func upKernel(k, w []float32) {
	for p := range len(w) / 9 {
		wp, kp := w[9*p:9*p+9], k[16*p:16*p+16]
		var rows [4][3]float32 // A·w
		for x := range 3 {
			w0, w1, w2 := wp[x], wp[3+x], wp[6+x]
			rows[0][x], rows[1][x], rows[2][x], rows[3][x] = w2, w1+w2, w0+w1, w0
		}
		for y := range 4 {
			r := rows[y]
			kp[4*y], kp[4*y+1], kp[4*y+2], kp[4*y+3] = r[2], r[1]+r[2], r[0]+r[1], r[0]
		}
	}
}

// upKernelGrad writes into dw (O, C, 3, 3) the gradient with respect to
// the 3×3 kernel of dk, the gradient with respect to the 4×4 one: the
// adjoint of upKernel, dw = Aᵀ·dk·A.
func upKernelGrad(dw, dk []float32) {
	for p := range len(dw) / 9 {
		kp, wp := dk[16*p:16*p+16], dw[9*p:9*p+9]
		var cols [4][3]float32 // dk·A, row by row
		for y := range 4 {
			d := kp[4*y : 4*y+4]
			cols[y] = [3]float32{d[2] + d[3], d[1] + d[2], d[0] + d[1]}
		}
		for x := range 3 {
			wp[x] = cols[2][x] + cols[3][x]
			wp[3+x] = cols[1][x] + cols[2][x]
			wp[6+x] = cols[0][x] + cols[1][x]
		}
	}
}

// upsampledConv is an upsampling convolution for backends without
// transposed convolutions: it upsamples into a buffer and runs inner, the
// convolution on the upsampled map.
type upsampledConv struct {
	inner        convOps
	planes, h, w int       // input planes (samples × channels) and their size
	big          []float32 // the upsampled input, or the gradient with respect to it
}

func newUpsampledConv(inner convOps, batch, ch, h, w int) *upsampledConv {
	return &upsampledConv{inner: inner, planes: batch * ch, h: h, w: w, big: make([]float32, batch*ch*4*h*w)}
}

func (u *upsampledConv) forward(y, x, w, b []float32) {
	upsamplePlanes(u.big, x, 0, u.planes, u.h, u.w, 2)
	u.inner.forward(y, u.big, w, b)
}

func (u *upsampledConv) backwardData(dx, w, dy []float32) {
	u.inner.backwardData(u.big, w, dy)
	downsumPlanes(dx, u.big, 0, u.planes, u.h, u.w, 2)
}

func (u *upsampledConv) backwardWeights(dw, db, x, dy []float32) {
	upsamplePlanes(u.big, x, 0, u.planes, u.h, u.w, 2)
	u.inner.backwardWeights(dw, db, u.big, dy)
}

func (u *upsampledConv) shareWeights(owner convOps) {
	if o, ok := owner.(*upsampledConv); ok {
		u.inner.shareWeights(o.inner)
	}
}

func (u *upsampledConv) prepareWeights(w []float32, backward bool) {
	u.inner.prepareWeights(w, backward)
}
