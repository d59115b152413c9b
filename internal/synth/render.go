package synth

import (
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/vector"

	"github.com/atelier-app/atelier/internal/imaging"
)

// DefaultSize is the side in pixels of catalog images and of the images the
// oracle is calibrated on.
const DefaultSize = 64

// Renderer draws items. It holds scratch buffers, so one Renderer serves
// one goroutine; make one per worker.
type Renderer struct {
	ras  vector.Rasterizer
	mask *image.Alpha
}

// NewRenderer returns a Renderer.
func NewRenderer() *Renderer { return &Renderer{} }

// Render draws the item described by a on white, size×size pixels. Shapes
// are anti-aliased vector paths in item coordinates (the unit square, y
// down), mapped to pixels through the item's jitter (scale and rotation
// about the centre, then offset). The same attributes give the same pixels
// at every call. Shapes stay within about [0.07, 0.93] of the unit square,
// so that even with the largest jitter nothing touches the border.
func (r *Renderer) Render(a Attributes, size int) *image.NRGBA {
	return r.RenderTensor(a, size).Image()
}

// RenderTensor is Render before 8-bit quantisation.
func (r *Renderer) RenderTensor(a Attributes, size int) imaging.Tensor {
	if r.mask == nil || r.mask.Bounds().Dx() != size {
		r.mask = image.NewAlpha(image.Rect(0, 0, size, size))
	}
	p := &painter{r: r, size: size, canvas: imaging.NewTensor(size, size)}
	p.setTransform(a.Scale, a.Rotation, a.OffsetX, a.OffsetY)
	body := p.patternFill(a)
	detail := p.solid(a.Secondary)
	switch a.Category {
	case TShirt:
		drawTShirt(p, a, body)
	case Dress:
		drawDress(p, a, body, detail)
	case Trousers:
		drawTrousers(p, a, body, detail)
	case Sneaker:
		drawSneaker(p, a, body, detail)
	case Heel:
		drawHeel(p, a, body, detail)
	case Handbag:
		drawHandbag(p, a, body, detail)
	}
	return p.canvas
}

// rgb is a colour with channels in [0,1].
type rgb struct{ r, g, b float64 }

func toRGB(c HSV) rgb {
	r, g, b := c.RGB()
	return rgb{r, g, b}
}

// shade multiplies a colour's value, for seams and the inside of garments.
func shade(c HSV, f float64) HSV {
	c.V = math.Min(1, c.V*f)
	return c
}

// fill gives the colour at pixel centre (x, y).
type fill func(x, y float64) rgb

// painter composites filled paths onto a white canvas.
type painter struct {
	r      *Renderer
	size   int
	canvas imaging.Tensor
	// Item → pixel: p = size·(c + s·R·(q − c) + o) with c the centre.
	cos, sin, scale, ox, oy float64
}

func (p *painter) setTransform(scale, rotDeg, ox, oy float64) {
	if scale <= 0 {
		scale = 1
	}
	th := rotDeg * math.Pi / 180
	p.cos, p.sin, p.scale, p.ox, p.oy = math.Cos(th), math.Sin(th), scale, ox, oy
}

// toPixel maps item coordinates to pixel coordinates.
func (p *painter) toPixel(u, v float64) (float32, float32) {
	du, dv := (u-0.5)*p.scale, (v-0.5)*p.scale
	x := 0.5 + p.cos*du - p.sin*dv + p.ox
	y := 0.5 + p.sin*du + p.cos*dv + p.oy
	return float32(x * float64(p.size)), float32(y * float64(p.size))
}

// toItem maps pixel coordinates back to item coordinates.
func (p *painter) toItem(x, y float64) (float64, float64) {
	dx := x/float64(p.size) - 0.5 - p.ox
	dy := y/float64(p.size) - 0.5 - p.oy
	du := p.cos*dx + p.sin*dy
	dv := -p.sin*dx + p.cos*dy
	return 0.5 + du/p.scale, 0.5 + dv/p.scale
}

// pixel is the size of one pixel in item units.
func (p *painter) pixel() float64 { return 1 / (float64(p.size) * p.scale) }

// begin starts a new path.
func (p *painter) begin() {
	p.r.ras.Reset(p.size, p.size)
	p.r.ras.DrawOp = draw.Src
}

func (p *painter) moveTo(u, v float64) { p.r.ras.MoveTo(p.toPixel(u, v)) }
func (p *painter) lineTo(u, v float64) { p.r.ras.LineTo(p.toPixel(u, v)) }

func (p *painter) quadTo(u1, v1, u, v float64) {
	x1, y1 := p.toPixel(u1, v1)
	x, y := p.toPixel(u, v)
	p.r.ras.QuadTo(x1, y1, x, y)
}

func (p *painter) cubeTo(u1, v1, u2, v2, u, v float64) {
	x1, y1 := p.toPixel(u1, v1)
	x2, y2 := p.toPixel(u2, v2)
	x, y := p.toPixel(u, v)
	p.r.ras.CubeTo(x1, y1, x2, y2, x, y)
}

func (p *painter) close() { p.r.ras.ClosePath() }

// poly adds a closed polygon through the given (u, v) pairs.
func (p *painter) poly(pts ...float64) {
	p.moveTo(pts[0], pts[1])
	for i := 2; i+1 < len(pts); i += 2 {
		p.lineTo(pts[i], pts[i+1])
	}
	p.close()
}

// kappa places cubic control points that approximate a quarter ellipse.
const kappa = 0.5523

// ellipse adds a closed ellipse; ccw reverses the winding, which cuts a
// hole when it lies inside another subpath of the same fill.
func (p *painter) ellipse(cu, cv, ru, rv float64, ccw bool) {
	if ccw {
		rv = -rv
	}
	p.moveTo(cu+ru, cv)
	p.cubeTo(cu+ru, cv+kappa*rv, cu+kappa*ru, cv+rv, cu, cv+rv)
	p.cubeTo(cu-kappa*ru, cv+rv, cu-ru, cv+kappa*rv, cu-ru, cv)
	p.cubeTo(cu-ru, cv-kappa*rv, cu-kappa*ru, cv-rv, cu, cv-rv)
	p.cubeTo(cu+kappa*ru, cv-rv, cu+ru, cv-kappa*rv, cu+ru, cv)
	p.close()
}

// roundRect adds a closed rectangle with corner radius rad.
func (p *painter) roundRect(u0, v0, u1, v1, rad float64) {
	rad = math.Min(rad, math.Min(u1-u0, v1-v0)/2)
	k := rad * (1 - kappa)
	p.moveTo(u0+rad, v0)
	p.lineTo(u1-rad, v0)
	p.cubeTo(u1-k, v0, u1, v0+k, u1, v0+rad)
	p.lineTo(u1, v1-rad)
	p.cubeTo(u1, v1-k, u1-k, v1, u1-rad, v1)
	p.lineTo(u0+rad, v1)
	p.cubeTo(u0+k, v1, u0, v1-k, u0, v1-rad)
	p.lineTo(u0, v0+rad)
	p.cubeTo(u0, v0+k, u0+k, v0, u0+rad, v0)
	p.close()
}

// stroke adds a straight band of width w from (u0, v0) to (u1, v1).
func (p *painter) stroke(u0, v0, u1, v1, w float64) {
	du, dv := u1-u0, v1-v0
	n := math.Hypot(du, dv)
	if n == 0 {
		return
	}
	nu, nv := -dv/n*w/2, du/n*w/2
	p.poly(u0+nu, v0+nv, u1+nu, v1+nv, u1-nu, v1-nv, u0-nu, v0-nv)
}

// arch adds a closed band along the upper half of an ellipse centred at
// (cu, cv) with radii ru, rv, of thickness w (a bag handle).
func (p *painter) arch(cu, cv, ru, rv, w float64) {
	ro, vo := ru+w/2, rv+w/2
	ri, vi := ru-w/2, rv-w/2
	p.moveTo(cu-ro, cv)
	p.cubeTo(cu-ro, cv-kappa*vo, cu-kappa*ro, cv-vo, cu, cv-vo)
	p.cubeTo(cu+kappa*ro, cv-vo, cu+ro, cv-kappa*vo, cu+ro, cv)
	p.lineTo(cu+ri, cv)
	p.cubeTo(cu+ri, cv-kappa*vi, cu+kappa*ri, cv-vi, cu, cv-vi)
	p.cubeTo(cu-kappa*ri, cv-vi, cu-ri, cv-kappa*vi, cu-ri, cv)
	p.close()
}

// paint composites the current path, filled with f, over the canvas.
func (p *painter) paint(f fill) {
	m := p.r.mask
	p.r.ras.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	n := p.size * p.size
	c := p.canvas.Pix
	for y := 0; y < p.size; y++ {
		for x := 0; x < p.size; x++ {
			i := y*p.size + x
			a := m.Pix[i]
			if a == 0 {
				continue
			}
			col := f(float64(x)+0.5, float64(y)+0.5)
			al := float32(a) / 255
			c[i] += al * (float32(col.r) - c[i])
			c[n+i] += al * (float32(col.g) - c[n+i])
			c[2*n+i] += al * (float32(col.b) - c[2*n+i])
		}
	}
}

func (p *painter) solid(c HSV) fill {
	col := toRGB(c)
	return func(_, _ float64) rgb { return col }
}

// patternFill is the fill of an item's main body: its pattern in item
// coordinates (so it turns with the item), primary colour as ground and
// secondary colour as figure, box-filtered over the pixel so that stripe
// and check edges are anti-aliased like the outlines.
func (p *painter) patternFill(a Attributes) fill {
	c1, c2 := toRGB(a.Primary), toRGB(a.Secondary)
	mix := func(t float64) rgb {
		return rgb{c1.r + t*(c2.r-c1.r), c1.g + t*(c2.g-c1.g), c1.b + t*(c2.b-c1.b)}
	}
	period := math.Max(a.PatternScale, 0.02)
	w := p.pixel() / period // pixel width in pattern periods
	switch a.Pattern {
	case HStripes:
		return func(x, y float64) rgb {
			_, v := p.toItem(x, y)
			return mix(squareWave(v/period, w))
		}
	case VStripes:
		return func(x, y float64) rgb {
			u, _ := p.toItem(x, y)
			return mix(squareWave(u/period, w))
		}
	case Checks:
		return func(x, y float64) rgb {
			u, v := p.toItem(x, y)
			s, t := squareWave(u/period, w), squareWave(v/period, w)
			return mix(s*(1-t) + t*(1-s))
		}
	case Dots:
		rad := 0.28 * period
		return func(x, y float64) rgb {
			u, v := p.toItem(x, y)
			du := u - (math.Floor(u/period)+0.5)*period
			dv := v - (math.Floor(v/period)+0.5)*period
			d := math.Hypot(du, dv)
			return mix(clamp01((rad-d)/p.pixel() + 0.5))
		}
	case Gradient:
		return func(x, y float64) rgb {
			_, v := p.toItem(x, y)
			return mix(clamp01((v - 0.1) / 0.8))
		}
	}
	return func(_, _ float64) rgb { return c1 }
}

// squareWave is the mean over [t−w/2, t+w/2] of the wave that is 1 on the
// first half of each unit period and 0 on the second.
func squareWave(t, w float64) float64 {
	if w <= 0 {
		if t-math.Floor(t) < 0.5 {
			return 1
		}
		return 0
	}
	integral := func(x float64) float64 {
		f := math.Floor(x)
		return f*0.5 + math.Min(x-f, 0.5)
	}
	return clamp01((integral(t+w/2) - integral(t-w/2)) / w)
}

func clamp01(v float64) float64 {
	switch {
	case v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }
