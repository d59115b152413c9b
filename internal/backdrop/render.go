package backdrop

import (
	"image"
	"math"
	"runtime"
	"sync"

	"github.com/atelier-app/atelier/internal/colour"
)

// Render draws the scene as a size×size image (size < 1 counts as 1). The
// same spec and size give the same pixels on every call. Features are
// placed in normalised coordinates, so a scene looks the same at every
// size, with finer detail (grain, threads) where the pixels allow it.
// Rows are drawn on every processor.
func (s Spec) Render(size int) *image.NRGBA {
	return s.RenderOn(size, runtime.GOMAXPROCS(0))
}

// RenderOn is Render on at most procs goroutines (at least 1; 1 draws on
// the calling goroutine alone, as work at a lowered priority must). The
// pixels do not depend on procs.
func (s Spec) RenderOn(size, procs int) *image.NRGBA {
	c := newCanvas(max(size, 1), s.Seed)
	c.procs = max(procs, 1)
	switch s.Kind {
	case Studio:
		renderStudio(c, s)
	case Paper:
		renderPaper(c, s)
	case Linen:
		renderLinen(c, s)
	case Wood:
		renderWood(c, s)
	case Marble:
		renderMarble(c, s)
	case Concrete:
		renderConcrete(c, s)
	case Tiles:
		renderTiles(c, s)
	case Foliage:
		renderFoliage(c, s)
	case Geometric:
		renderGeometric(c, s)
	}
	return c.img
}

// canvas is the image being drawn, with the scene's noise.
type canvas struct {
	img   *image.NRGBA
	n     int // side in pixels
	nz    noise
	procs int // goroutines of each
}

func newCanvas(n int, seed uint64) *canvas {
	return &canvas{img: image.NewNRGBA(image.Rect(0, 0, n, n)), n: n, nz: noise{uint32(seed ^ seed>>32)}}
}

// each sets every pixel to f of its position: pixel (x, y) and its centre
// in normalised coordinates (u, v) in [0,1]. Bands of rows run on
// c.procs goroutines: f depends only on the position, so the pixels are
// the same with any number of them.
func (c *canvas) each(f func(x, y int, u, v float64) colour.RGB) {
	inv := 1 / float64(c.n)
	workers := min(c.procs, max(1, c.n/64))
	if workers == 1 {
		c.rows(f, 0, c.n, inv)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { c.rows(f, w*c.n/workers, (w+1)*c.n/workers, inv) })
	}
	wg.Wait()
}

// rows draws rows [y0, y1) of each.
func (c *canvas) rows(f func(x, y int, u, v float64) colour.RGB, y0, y1 int, inv float64) {
	for y := y0; y < y1; y++ {
		v := (float64(y) + 0.5) * inv
		for x := range c.n {
			c.set(x, y, f(x, y, (float64(x)+0.5)*inv, v))
		}
	}
}

// set writes an opaque pixel, dithered by half an 8-bit level so that
// smooth gradients do not band.
func (c *canvas) set(x, y int, col colour.RGB) {
	d := c.nz.grain(x, y) * 0.5 / 255
	i := y*c.img.Stride + 4*x
	p := c.img.Pix[i : i+4 : i+4]
	p[0], p[1], p[2], p[3] = to8(col.R+d), to8(col.G+d), to8(col.B+d), 255
}

// blend mixes col into pixel (x, y) with weight a in [0,1].
func (c *canvas) blend(x, y int, col colour.RGB, a float64) {
	i := y*c.img.Stride + 4*x
	p := c.img.Pix[i : i+3 : i+3]
	p[0] = to8(float64(p[0])/255*(1-a) + col.R*a)
	p[1] = to8(float64(p[1])/255*(1-a) + col.G*a)
	p[2] = to8(float64(p[2])/255*(1-a) + col.B*a)
}

func to8(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

func mix(a, b colour.RGB, t float64) colour.RGB {
	return colour.RGB{R: a.R + (b.R-a.R)*t, G: a.G + (b.G-a.G)*t, B: a.B + (b.B-a.B)*t}
}

func scale(a colour.RGB, f float64) colour.RGB {
	return colour.RGB{R: a.R * f, G: a.G * f, B: a.B * f}
}

func add(a colour.RGB, d float64) colour.RGB {
	return colour.RGB{R: a.R + d, G: a.G + d, B: a.B + d}
}

func smoothstep(e0, e1, x float64) float64 {
	t := (x - e0) / (e1 - e0)
	if t <= 0 {
		return 0
	}
	if t >= 1 {
		return 1
	}
	return t * t * (3 - 2*t)
}

// gauss is exp(−x²), 0 beyond |x| = 3 (where it is below 1.3e-4), so
// that the many pixels far from a vein or a line cost no exponential.
func gauss(x float64) float64 {
	x *= x
	if x > 9 {
		return 0
	}
	return math.Exp(-x)
}

func fract(x float64) float64 { return x - math.Floor(x) }

// vignette is a light fall-off toward the corners, 1 at the centre and
// 1 − strength in them, as a lens and a key light give a real photo.
func vignette(u, v, strength float64) float64 {
	du, dv := u-0.5, v-0.45
	return 1 - strength*smoothstep(0.05, 0.55, du*du+dv*dv)
}
