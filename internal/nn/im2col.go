package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convGeom is the geometry of a square convolution on one sample.
type convGeom struct {
	c, h, w      int // input channels, height, width
	k, s, p      int // kernel, stride, padding
	oh, ow       int // output height, width
	ckk, patches int // rows (C·K·K) and columns (OH·OW) of the column matrix
}

func newConvGeom(c, h, w, k, s, p int) convGeom {
	oh, ow := (h+2*p-k)/s+1, (w+2*p-k)/s+1
	return convGeom{c: c, h: h, w: w, k: k, s: s, p: p, oh: oh, ow: ow, ckk: c * k * k, patches: oh * ow}
}

// direct reports whether the column matrix of a sample is the sample itself
// (1×1 kernel, stride 1, no padding), so im2col can be skipped.
func (g convGeom) direct() bool { return g.k == 1 && g.s == 1 && g.p == 0 }

// validRange returns the output columns [lo, hi) whose input column
// oj·s − p + kj lies inside the image.
func (g convGeom) validRange(kj int) (lo, hi int) {
	off := kj - g.p
	lo = 0
	if off < 0 {
		lo = (-off + g.s - 1) / g.s
	}
	hi = g.ow
	if last := (g.w - 1 - off); last < 0 {
		hi = 0
	} else if m := last/g.s + 1; m < hi {
		hi = m
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// im2col writes the (C·K·K) × (OH·OW) column matrix of one sample x (C, H, W):
// row (c, ki, kj), column (oi, oj) holds x[c, oi·s−p+ki, oj·s−p+kj], or 0 in
// the padding. Rows are filled with contiguous copies when the stride is 1.
func (g convGeom) im2col(col, x []float32) {
	for c := 0; c < g.c; c++ {
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*g.patches:][:g.patches]
				lo, hi := g.validRange(kj)
				off := kj - g.p
				for oi := 0; oi < g.oh; oi++ {
					dst := row[oi*g.ow : (oi+1)*g.ow]
					ii := oi*g.s - g.p + ki
					if ii < 0 || ii >= g.h || lo >= hi {
						clear(dst)
						continue
					}
					src := xc[ii*g.w : (ii+1)*g.w]
					clear(dst[:lo])
					clear(dst[hi:])
					if g.s == 1 {
						copy(dst[lo:hi], src[lo+off:hi+off])
					} else {
						for oj := lo; oj < hi; oj++ {
							dst[oj] = src[oj*g.s+off]
						}
					}
				}
			}
		}
	}
}

// col2im adds the column matrix col back into dx (C, H, W), the adjoint of
// im2col. dx must be zeroed by the caller.
func (g convGeom) col2im(dx, col []float32) {
	for c := 0; c < g.c; c++ {
		dc := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*g.patches:][:g.patches]
				lo, hi := g.validRange(kj)
				off := kj - g.p
				for oi := 0; oi < g.oh; oi++ {
					ii := oi*g.s - g.p + ki
					if ii < 0 || ii >= g.h || lo >= hi {
						continue
					}
					src := row[oi*g.ow : (oi+1)*g.ow]
					dst := dc[ii*g.w : (ii+1)*g.w]
					if g.s == 1 {
						d := dst[lo+off : hi+off]
						for j, v := range src[lo:hi] {
							d[j] += v
						}
					} else {
						for oj := lo; oj < hi; oj++ {
							dst[oj*g.s+off] += src[oj]
						}
					}
				}
			}
		}
	}
}

// convKernel is a whole convolution as one op on (x, W[, bias]). Per sample
// it builds the column matrix in a scratch buffer and computes
//
//	Y_b (O × OH·OW) = W (O × C·K·K) · col_b
//
// with one sgemm, written straight into NCHW output; the backward pass uses
// dcol_b = Wᵀ·dY_b (then col2im) and dW = Σ_b dY_b·col_bᵀ. Only one sample's
// column matrix exists at a time: gorgonia's Conv2d materialises the whole
// batch's (75 MB for 16×32×64×64 with a 3×3 kernel, and as much again for
// its gradient), then transposes the product and adds the bias as separate
// ops.
func convKernel(inputs []*G.Node, stride, pad int) *Kernel {
	xs, ws := inputs[0].Shape(), inputs[1].Shape()
	batch, nOut := xs[0], ws[0]
	geo := newConvGeom(xs[1], xs[2], xs[3], ws[2], stride, pad)
	shapes := make([]tensor.Shape, len(inputs))
	for i, n := range inputs {
		shapes[i] = n.Shape().Clone()
	}
	sgemm := G.WhichBLAS().Sgemm
	inSize, outSize := geo.c*geo.h*geo.w, nOut*geo.patches
	var scratch []float32
	colOf := func(x []float32) []float32 {
		if geo.direct() {
			return x
		}
		if scratch == nil {
			scratch = make([]float32, geo.ckk*geo.patches)
		}
		geo.im2col(scratch, x)
		return scratch
	}
	return &Kernel{
		Name: fmt.Sprintf("Conv(k%d,s%d,p%d)", geo.k, stride, pad),
		In:   shapes,
		Out:  tensor.Shape{batch, nOut, geo.oh, geo.ow},
		Forward: func(out []float32, in [][]float32) {
			for b := 0; b < batch; b++ {
				col := colOf(in[0][b*inSize : (b+1)*inSize])
				yb := out[b*outSize : (b+1)*outSize]
				sgemm(blas.NoTrans, blas.NoTrans, nOut, geo.patches, geo.ckk, 1, in[1], geo.ckk, col, geo.patches, 0, yb, geo.patches)
				if len(in) == 3 {
					for o, bias := range in[2] {
						row := yb[o*geo.patches : (o+1)*geo.patches]
						for i := range row {
							row[i] += bias
						}
					}
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) { // dx
				for b := 0; b < batch; b++ {
					gb := gout[b*outSize : (b+1)*outSize]
					db := dst[b*inSize : (b+1)*inSize]
					if geo.direct() {
						sgemm(blas.Trans, blas.NoTrans, geo.ckk, geo.patches, nOut, 1, in[1], geo.ckk, gb, geo.patches, 0, db, geo.patches)
						continue
					}
					if scratch == nil {
						scratch = make([]float32, geo.ckk*geo.patches)
					}
					sgemm(blas.Trans, blas.NoTrans, geo.ckk, geo.patches, nOut, 1, in[1], geo.ckk, gb, geo.patches, 0, scratch, geo.patches)
					clear(db)
					geo.col2im(db, scratch)
				}
			},
			func(dst []float32, in [][]float32, _, gout []float32) { // dW
				clear(dst)
				for b := 0; b < batch; b++ {
					col := colOf(in[0][b*inSize : (b+1)*inSize])
					sgemm(blas.NoTrans, blas.Trans, nOut, geo.ckk, geo.patches, 1, gout[b*outSize:(b+1)*outSize], geo.patches, col, geo.patches, 1, dst, geo.ckk)
				}
			},
			func(dst []float32, _ [][]float32, _, gout []float32) { // dbias
				clear(dst)
				for p := 0; p < batch*nOut; p++ {
					var s float32
					for _, v := range gout[p*geo.patches : (p+1)*geo.patches] {
						s += v
					}
					dst[p%nOut] += s
				}
			},
		},
	}
}
