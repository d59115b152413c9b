package backdrop

import (
	"math"
	"math/rand/v2"

	"github.com/atelier-app/atelier/internal/colour"
)

// leaf is one leaf of a foliage scene, in normalised coordinates.
type leaf struct {
	cx, cy     float64 // centre
	length     float64 // half length along the axis
	width      float64 // half width at the widest
	cos, sin   float64 // the axis' direction
	col        colour.RGB
	veinOffset float64
}

// foliageLeaves is the number of leaves in a foliage scene.
const foliageLeaves = 34

// renderFoliage is a flat lay of leaves framing an open middle: leaves of
// the second colour (each a shade of it, the ones drawn first darker and
// closer to the ground colour, as if further back) on a ring around the
// centre, pointing roughly inward, each with a soft shadow, a midrib and
// side veins. The middle stays mostly ground, where a product goes.
func renderFoliage(c *canvas, s Spec) {
	ground := newField(c.n, func(u, v float64) float64 { return c.nz.fbm(u*3, v*3, 3) })
	c.each(func(x, y int, u, v float64) colour.RGB {
		return scale(s.Main(), (0.96+0.08*ground.at(x, y))*vignette(u, v, 0.12))
	})
	rng := rand.New(rand.NewPCG(s.Seed, 0xf011a6e))
	for i := range foliageLeaves {
		l := drawLeaf(rng, s, float64(i)/foliageLeaves)
		c.leafShadow(l)
		c.leaf(l)
	}
}

// drawLeaf draws a leaf's placement; depth in [0,1) is its draw order.
func drawLeaf(rng *rand.Rand, s Spec, depth float64) leaf {
	a := rng.Float64() * 2 * math.Pi
	r := 0.42 + 0.35*rng.Float64()
	cx, cy := 0.5+r*math.Cos(a), 0.5+r*math.Sin(a)
	dir := a + math.Pi + (rng.Float64()-0.5)*1.4 // roughly toward the centre
	shade := 0.7 + 0.45*rng.Float64()
	col := mix(s.Main(), scale(s.second(), shade), 0.55+0.45*depth)
	length := 0.13 + 0.12*rng.Float64()
	return leaf{cx: cx, cy: cy, length: length, width: length * (0.3 + 0.18*rng.Float64()),
		cos: math.Cos(dir), sin: math.Sin(dir), col: col, veinOffset: rng.Float64()}
}

// leafCover is how much of pixel centre (u, v) the leaf covers, with an
// edge soft over soft normalised units; a, b are the point in leaf
// coordinates (a along the axis in [-1, 1], b across over the half
// width).
func (l leaf) cover(u, v, soft float64) (cov, a, b float64) {
	du, dv := u-l.cx, v-l.cy
	a = (du*l.cos + dv*l.sin) / l.length
	b = (-du*l.sin + dv*l.cos) / l.width
	if a <= -1 || a >= 1 || math.Abs(b)*l.width > l.width+soft {
		return 0, a, b
	}
	q := math.Sqrt(1 - a*a)
	hw := q * math.Sqrt(q) * (1 - 0.25*a) // (1 − a²)^¾: a pointed tip at a = ±1
	d := (math.Abs(b) - hw) * l.width     // normalised units, < 0 inside
	return 1 - smoothstep(-soft, soft, d), a, b
}

// box is the leaf's bounding box in pixels, grown by pad, clipped to n.
func (l leaf) box(n int, pad float64) (x0, y0, x1, y1 int) {
	rx := (l.length*math.Abs(l.cos) + l.width*math.Abs(l.sin) + pad) * float64(n)
	ry := (l.length*math.Abs(l.sin) + l.width*math.Abs(l.cos) + pad) * float64(n)
	cx, cy := l.cx*float64(n), l.cy*float64(n)
	return max(0, int(cx-rx)), max(0, int(cy-ry)), min(n, int(cx+rx)+1), min(n, int(cy+ry)+1)
}

// leafShadow darkens the ground under a leaf, offset down and right and
// blurred by a wide soft edge.
func (c *canvas) leafShadow(l leaf) {
	sh := l
	sh.cx, sh.cy = l.cx+0.008, l.cy+0.014
	c.overBox(sh, 0.02, func(cov, a, b float64, p colour.RGB) (colour.RGB, float64) {
		return colour.RGB{}, 0.22 * cov
	})
}

// leaf paints a leaf: its colour lit from one side, a light midrib and
// side veins.
func (c *canvas) leaf(l leaf) {
	px := 0.7 / float64(c.n)
	c.overBox(l, px, func(cov, a, b float64, _ colour.RGB) (colour.RGB, float64) {
		col := scale(l.col, 1+0.12*b)
		rib := 1 - smoothstep(0.02, 0.07, math.Abs(b))
		vein := 1 - smoothstep(0.0, 0.08, math.Abs(fract(a*4-math.Abs(b)*1.2+l.veinOffset)-0.5)*2-0.9)
		col = mix(col, add(l.col, 0.18), 0.6*rib+0.25*vein*(1-rib))
		return col, cov
	})
}

// overBox blends f's colour over every pixel of the leaf's box that the
// leaf, with an edge soft normalised units wide, covers.
func (c *canvas) overBox(l leaf, soft float64, f func(cov, a, b float64, p colour.RGB) (colour.RGB, float64)) {
	x0, y0, x1, y1 := l.box(c.n, soft*2)
	inv := 1 / float64(c.n)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			cov, a, b := l.cover((float64(x)+0.5)*inv, (float64(y)+0.5)*inv, soft)
			if cov <= 0 {
				continue
			}
			col, alpha := f(cov, a, b, colour.RGB{})
			c.blend(x, y, col, alpha)
		}
	}
}
