package backdrop

import (
	"math"
	"math/rand/v2"

	"github.com/atelier-app/atelier/internal/colour"
)

// renderGeometric draws the scene's motif in its colours, anti-aliased by
// averaging 2×2 samples per pixel, with a mild vignette.
func renderGeometric(c *canvas, s Spec) {
	var f func(u, v float64) colour.RGB
	switch s.Motif {
	case "triangles":
		f = triangles(s)
	case "circles":
		f = circles(s)
	default:
		f = stripes(s)
	}
	q := 0.25 / float64(c.n)
	c.each(func(x, y int, u, v float64) colour.RGB {
		a, b := f(u-q, v-q), f(u+q, v-q)
		cc, d := f(u-q, v+q), f(u+q, v+q)
		m := colour.RGB{R: (a.R + b.R + cc.R + d.R) / 4, G: (a.G + b.G + cc.G + d.G) / 4, B: (a.B + b.B + cc.B + d.B) / 4}
		return scale(m, vignette(u, v, 0.1))
	})
}

// stripes are bands of the scene's colours in turn, vertical or diagonal
// by the seed, the main colour's bands a little wider than the others.
func stripes(s Spec) func(u, v float64) colour.RGB {
	diagonal := s.Seed&1 == 1
	const band = 1.0 / 7
	return func(u, v float64) colour.RGB {
		t := u
		if diagonal {
			t = (u + v) / math.Sqrt2
		}
		p := t / band / 2 // periods: a main band, then another colour's
		if fract(p) < 0.55 {
			return s.Main()
		}
		m := len(s.Colours) - 1
		return s.Colours[1+(int(math.Floor(p))%m+m)%m]
	}
}

// triangles is a grid of squares six across, each halved along a diagonal
// (direction by a hash), each half coloured main (half the time) or one of
// the others.
func triangles(s Spec) func(u, v float64) colour.RGB {
	seed := uint32(s.Seed)
	const cells = 6
	return func(u, v float64) colour.RGB {
		cu, cv := u*cells, v*cells
		ix, iy := int32(math.Floor(cu)), int32(math.Floor(cv))
		lx, ly := cu-float64(ix), cv-float64(iy)
		h := hash2(ix, iy, seed)
		upper := lx > ly
		if h&1 == 1 {
			upper = lx+ly < 1
		}
		if upper {
			h = hash2(ix, iy, seed^0xabc)
		} else {
			h = hash2(ix, iy, seed^0xdef)
		}
		if unit(h) < 0.5 {
			return s.Main()
		}
		return s.Colours[1+int(h%uint32(len(s.Colours)-1))]
	}
}

// circle is a disc of a geometric scene.
type circle struct {
	x, y, r float64
	col     colour.RGB
	ring    bool // drawn as a ring rather than a disc
}

// circles are a dozen discs and rings in the other colours (and a shade
// of the main one) scattered over the main colour, drawn in order.
func circles(s Spec) func(u, v float64) colour.RGB {
	rng := rand.New(rand.NewPCG(s.Seed, 0xc1c1e5))
	var cs []circle
	for i := range 12 {
		col := s.Colours[1+i%(len(s.Colours)-1)]
		if i%4 == 3 {
			col = scale(s.Main(), 0.9)
		}
		cs = append(cs, circle{x: rng.Float64()*1.2 - 0.1, y: rng.Float64()*1.2 - 0.1,
			r: 0.06 + 0.16*rng.Float64(), col: col, ring: rng.Float64() < 0.35})
	}
	return func(u, v float64) colour.RGB {
		out := s.Main()
		for _, c := range cs {
			d := math.Hypot(u-c.x, v-c.y)
			if d < c.r && (!c.ring || d > c.r*0.7) {
				out = c.col
			}
		}
		return out
	}
}
