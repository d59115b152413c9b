package imgmetric

import (
	"math"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// Constants of SSIM (Wang et al. 2004) for images with values in [0,1].
const (
	WindowSize  = 11  // side of the Gaussian window
	WindowSigma = 1.5 // standard deviation of the window, in pixels
	K1          = 0.01
	K2          = 0.03

	c1 = K1 * K1 // (K1·L)² with L = 1
	c2 = K2 * K2 // (K2·L)²
)

// Mode says which planes of an RGB tensor SSIM compares.
type Mode int

const (
	// PerChannel compares R, G and B separately and averages the three.
	PerChannel Mode = iota
	// Luma compares the BT.601 luma Y = 0.299R + 0.587G + 0.114B.
	Luma
)

// Map is an SSIM map: one value per valid window position, row-major, for
// windows whose top-left pixel is (x, y). For PerChannel it holds the mean
// of the three channels' maps, so its mean is the mean SSIM.
type Map struct {
	H, W   int // image size − (WindowSize − 1)
	Values []float32
}

// At returns the SSIM of the window with top-left pixel (x, y).
func (m *Map) At(x, y int) float32 { return m.Values[y*m.W+x] }

// Calculator computes SSIM and keeps its scratch buffers between calls, so
// comparing many images of one size allocates nothing after the first call.
// It is not safe for concurrent use; use one per goroutine.
type Calculator struct {
	kernel [WindowSize]float64
	h, w   int
	rows   [5][]float64 // horizontal pass of x, y, x², y², xy: h × (w−10)
	acc    [5][]float64 // vertical pass of one output row: w−10
	line   [5][]float64 // one input row of x, y, x², y², xy: w
	lumA   []float32
	lumB   []float32
}

// NewCalculator returns a Calculator with the normalised Gaussian window.
func NewCalculator() *Calculator {
	c := &Calculator{}
	r := WindowSize / 2
	var sum float64
	for i := range c.kernel {
		d := float64(i - r)
		c.kernel[i] = math.Exp(-d * d / (2 * WindowSigma * WindowSigma))
		sum += c.kernel[i]
	}
	for i := range c.kernel {
		c.kernel[i] /= sum
	}
	return c
}

// SSIM returns the mean SSIM of a and b (PerChannel) with a new Calculator.
func SSIM(a, b imaging.Tensor) (float64, error) {
	return NewCalculator().SSIM(a, b, PerChannel)
}

// SSIMGray returns the mean SSIM of the luma of a and b.
func SSIMGray(a, b imaging.Tensor) (float64, error) {
	return NewCalculator().SSIM(a, b, Luma)
}

// SSIM returns the mean SSIM of a and b. It is symmetric, at most 1, and 1
// exactly when a and b are equal.
func (c *Calculator) SSIM(a, b imaging.Tensor, mode Mode) (float64, error) {
	return c.SSIMMap(a, b, mode, nil)
}

// SSIMMap returns the mean SSIM of a and b and, when dst is not nil, fills
// dst with the SSIM map (reusing dst.Values when it is large enough).
func (c *Calculator) SSIMMap(a, b imaging.Tensor, mode Mode, dst *Map) (float64, error) {
	if err := checkPair(a, b); err != nil {
		return 0, err
	}
	if a.H < WindowSize || a.W < WindowSize {
		return 0, atelier.Errorf(atelier.KindInvalid, "SSIM needs images of at least %d×%d pixels, got %d×%d", WindowSize, WindowSize, a.W, a.H)
	}
	c.resize(a.H, a.W)
	hv, wv := a.H-WindowSize+1, a.W-WindowSize+1
	var m []float32
	if dst != nil {
		dst.H, dst.W = hv, wv
		if cap(dst.Values) < hv*wv {
			dst.Values = make([]float32, hv*wv)
		}
		dst.Values = dst.Values[:hv*wv]
		clear(dst.Values)
		m = dst.Values
	}
	n := a.H * a.W
	var sum float64
	switch mode {
	case PerChannel:
		for ch := 0; ch < 3; ch++ {
			p := a.Pix[ch*n : (ch+1)*n]
			q := b.Pix[ch*n : (ch+1)*n]
			sum += c.plane(p, q, m, 1.0/3)
		}
		sum /= 3
	case Luma:
		luma(c.lumA, a)
		luma(c.lumB, b)
		sum = c.plane(c.lumA, c.lumB, m, 1)
	default:
		return 0, atelier.Errorf(atelier.KindInvalid, "unknown SSIM mode %d", mode)
	}
	return sum / float64(hv*wv), nil
}

// resize makes the buffers fit h×w images.
func (c *Calculator) resize(h, w int) {
	if c.h == h && c.w == w {
		return
	}
	c.h, c.w = h, w
	wv := w - WindowSize + 1
	for i := range c.rows {
		c.rows[i] = make([]float64, h*wv)
		c.acc[i] = make([]float64, wv)
		c.line[i] = make([]float64, w)
	}
	c.lumA = make([]float32, h*w)
	c.lumB = make([]float32, h*w)
}

// plane returns the sum of the SSIM map of one pair of planes and, when m
// is not nil, adds weight·SSIM to it.
func (c *Calculator) plane(a, b []float32, m []float32, weight float32) float64 {
	h, w := c.h, c.w
	wv, hv := w-WindowSize+1, h-WindowSize+1
	k := &c.kernel
	mx, my, mxx, myy, mxy := c.rows[0], c.rows[1], c.rows[2], c.rows[3], c.rows[4]

	// Horizontal pass: the five moments over 1×11 windows, from one row of
	// x, y, x², y² and xy in float64 at a time.
	px, py, pxx, pyy, pxy := c.line[0], c.line[1], c.line[2], c.line[3], c.line[4]
	for y := 0; y < h; y++ {
		ra, rb := a[y*w:(y+1)*w], b[y*w:(y+1)*w]
		for x := range px {
			va, vb := float64(ra[x]), float64(rb[x])
			px[x], py[x], pxx[x], pyy[x], pxy[x] = va, vb, va*va, vb*vb, va*vb
		}
		o := y * wv
		ox, oy, oxx, oyy, oxy := mx[o:o+wv], my[o:o+wv], mxx[o:o+wv], myy[o:o+wv], mxy[o:o+wv]
		for x := range ox {
			// The window is symmetric: fold pixel pairs around the centre.
			wx, wy := px[x:x+WindowSize], py[x:x+WindowSize]
			wxx, wyy, wxy := pxx[x:x+WindowSize], pyy[x:x+WindowSize], pxy[x:x+WindowSize]
			const r = WindowSize / 2
			kc := k[r]
			sx, sy, sxx, syy, sxy := kc*wx[r], kc*wy[r], kc*wxx[r], kc*wyy[r], kc*wxy[r]
			for i := 0; i < r; i++ {
				j, kt := WindowSize-1-i, k[i]
				sx += kt * (wx[i] + wx[j])
				sy += kt * (wy[i] + wy[j])
				sxx += kt * (wxx[i] + wxx[j])
				syy += kt * (wyy[i] + wyy[j])
				sxy += kt * (wxy[i] + wxy[j])
			}
			ox[x], oy[x], oxx[x], oyy[x], oxy[x] = sx, sy, sxx, syy, sxy
		}
	}

	// Vertical pass, one output row at a time, then the index itself.
	ax, ay, axx, ayy, axy := c.acc[0], c.acc[1], c.acc[2], c.acc[3], c.acc[4]
	var sum float64
	for y := 0; y < hv; y++ {
		const r = WindowSize / 2
		o := (y + r) * wv
		kc := k[r]
		rx, ry, rxx, ryy, rxy := mx[o:o+wv], my[o:o+wv], mxx[o:o+wv], myy[o:o+wv], mxy[o:o+wv]
		for x := range ax {
			ax[x], ay[x], axx[x], ayy[x], axy[x] = kc*rx[x], kc*ry[x], kc*rxx[x], kc*ryy[x], kc*rxy[x]
		}
		for i := 0; i < r; i++ {
			kt := k[i]
			o, p := (y+i)*wv, (y+WindowSize-1-i)*wv // rows at equal distance from the centre
			rx, ry, rxx, ryy, rxy := mx[o:o+wv], my[o:o+wv], mxx[o:o+wv], myy[o:o+wv], mxy[o:o+wv]
			qx, qy, qxx, qyy, qxy := mx[p:p+wv], my[p:p+wv], mxx[p:p+wv], myy[p:p+wv], mxy[p:p+wv]
			for x := range ax {
				ax[x] += kt * (rx[x] + qx[x])
				ay[x] += kt * (ry[x] + qy[x])
				axx[x] += kt * (rxx[x] + qxx[x])
				ayy[x] += kt * (ryy[x] + qyy[x])
				axy[x] += kt * (rxy[x] + qxy[x])
			}
		}
		var row []float32
		if m != nil {
			row = m[y*wv : (y+1)*wv]
		}
		for x := range ax {
			ux, uy := ax[x], ay[x]
			vx := axx[x] - ux*ux
			vy := ayy[x] - uy*uy
			vxy := axy[x] - ux*uy
			s := (2*ux*uy + c1) * (2*vxy + c2) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
			sum += s
			if row != nil {
				row[x] += weight * float32(s)
			}
		}
	}
	return sum
}

// luma writes the BT.601 luma of t into dst.
func luma(dst []float32, t imaging.Tensor) {
	n := t.H * t.W
	r, g, b := t.Pix[:n], t.Pix[n:2*n], t.Pix[2*n:3*n]
	for i := range dst[:n] {
		dst[i] = 0.299*r[i] + 0.587*g[i] + 0.114*b[i]
	}
}

// checkPair reports whether a and b are well-formed tensors of one size.
func checkPair(a, b imaging.Tensor) error {
	for _, t := range []imaging.Tensor{a, b} {
		if t.H <= 0 || t.W <= 0 || len(t.Pix) != 3*t.H*t.W {
			return atelier.Errorf(atelier.KindInvalid, "malformed image tensor: %d×%d with %d values", t.W, t.H, len(t.Pix))
		}
	}
	if a.H != b.H || a.W != b.W {
		return atelier.Errorf(atelier.KindInvalid, "images differ in size: %d×%d and %d×%d", a.W, a.H, b.W, b.H)
	}
	return nil
}

// MSE returns the mean squared difference of a and b over all channels.
func MSE(a, b imaging.Tensor) (float64, error) {
	if err := checkPair(a, b); err != nil {
		return 0, err
	}
	var s float64
	for i, v := range a.Pix {
		d := float64(v) - float64(b.Pix[i])
		s += d * d
	}
	return s / float64(len(a.Pix)), nil
}

// PSNR returns the peak signal-to-noise ratio of b against a in dB,
// 10·log10(1/MSE) for a peak value of 1; +Inf when they are equal.
func PSNR(a, b imaging.Tensor) (float64, error) {
	mse, err := MSE(a, b)
	if err != nil {
		return 0, err
	}
	if mse == 0 {
		return math.Inf(1), nil
	}
	return 10 * math.Log10(1/mse), nil
}
