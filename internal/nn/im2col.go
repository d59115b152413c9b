package nn

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

// im2col writes the (C·K·K) × (OH·OW) column matrix of one sample x (C, H, W)
// into col, whose rows are ld apart (ld > OH·OW puts several samples' column
// matrices side by side): row (c, ki, kj), column (oi, oj) holds
// x[c, oi·s−p+ki, oj·s−p+kj], or 0 in the padding. Rows are filled with
// contiguous copies when the stride is 1.
func (g convGeom) im2col(col []float32, ld int, x []float32) {
	for c := 0; c < g.c; c++ {
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*ld:][:g.patches]
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

// col2im adds the column matrix col (rows ld apart) back into dx (C, H, W),
// the adjoint of im2col. dx must be zeroed by the caller.
func (g convGeom) col2im(dx, col []float32, ld int) {
	for c := 0; c < g.c; c++ {
		dc := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[((c*g.k+ki)*g.k+kj)*ld:][:g.patches]
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
