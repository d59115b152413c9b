package backdrop

import (
	"math"

	"github.com/atelier-app/atelier/internal/colour"
)

// renderStudio is a seamless paper sweep: the wall's colour at the top
// bends into the floor's below a horizon at about two thirds of the
// height, with a soft shade in the bend (the floor line), a key light
// above the middle and a vignette.
func renderStudio(c *canvas, s Spec) {
	wall, floor := s.Main(), s.second()
	horizon := 0.64 + 0.06*unit(hash2(1, 2, c.nz.seed))
	// The key light, exp(−r²/0.09), is separable: one factor per column.
	keyX := make([]float64, c.n)
	for x := range keyX {
		keyX[x] = math.Exp(-sq((float64(x)+0.5)/float64(c.n)-0.5) / 0.09)
	}
	c.each(func(x, y int, u, v float64) colour.RGB {
		t := smoothstep(horizon-0.1, horizon+0.12, v)
		col := mix(wall, floor, t)
		bend := gauss((v-horizon-0.01)/0.035) * 0.035
		key := 0.07 * keyX[x] * math.Exp(-sq(v-0.3)/0.09)
		return scale(col, (1+key-bend)*vignette(u, v, 0.22))
	})
}

// renderPaper is a sheet of coloured paper: a faint mottling between the
// colour and its darker shade, fibres stretched along one direction and
// a per-pixel grain.
func renderPaper(c *canvas, s Spec) {
	mottle := newField(c.n, func(u, v float64) float64 { return c.nz.fbm(u*5, v*5, 4) })
	fibre := noise{c.nz.seed + 7}
	c.each(func(x, y int, u, v float64) colour.RGB {
		col := mix(s.Main(), s.second(), 0.45*smoothstep(0.35, 0.8, mottle.at(x, y)))
		f := 1 + 0.05*(fibre.at(u*90, v*18)-0.5) + 0.025*c.nz.grain(x+7, y+3)
		return scale(col, f*vignette(u, v, 0.1))
	})
}

// linenThreads is the number of threads across a linen scene.
const linenThreads = 140

// renderLinen is a plain weave: warp and weft threads alternate on top
// cell by cell, each thread round in section (a sine across it), with its
// own shade and slubs (thicker, lighter stretches) along it. Where a
// thread is narrower than two pixels the weave fades to its mean, so small
// renders do not shimmer.
func renderLinen(c *canvas, s Spec) {
	period := float64(c.n) / linenThreads
	weave := smoothstep(1.5, 3.5, period)
	slub := newField(c.n, func(u, v float64) float64 { return c.nz.fbm(u*3, v*40, 3) })
	heather := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 3}.fbm(u*4, v*4, 3) })
	c.each(func(x, y int, u, v float64) colour.RGB {
		tx, ty := u*linenThreads, v*linenThreads
		ix, iy := int32(tx), int32(ty)
		var shade, tone float64
		if (ix+iy)&1 == 0 { // warp on top
			shade, tone = math.Sin(math.Pi*fract(tx)), unit(hash2(ix, -1, c.nz.seed))
		} else {
			shade, tone = math.Sin(math.Pi*fract(ty)), unit(hash2(-1, iy, c.nz.seed))
		}
		shade = 0.64 + weave*(shade-0.64)
		t := 0.15 + 0.55*(1-shade) + 0.2*tone + 0.25*smoothstep(0.3, 0.8, heather.at(x, y))
		col := mix(s.Main(), s.second(), math.Min(1, t))
		return scale(col, (1+0.06*(slub.at(x, y)-0.5))*vignette(u, v, 0.12))
	})
}

// renderConcrete is a cast surface: large blotches between the colour and
// its shade, a mid-scale cloudiness, grain, and small round pores (a dark
// hole with a light lip), at most one per cell of a grid.
func renderConcrete(c *canvas, s Spec) {
	blotch := newField(c.n, func(u, v float64) float64 { return c.nz.fbm(u*3.5, v*3.5, 5) })
	cloud := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 5}.fbm(u*18, v*18, 3) })
	const cells = 48
	cell := float64(c.n) / cells
	c.each(func(x, y int, u, v float64) colour.RGB {
		col := mix(s.Main(), s.second(), smoothstep(0.35, 0.75, blotch.at(x, y)))
		f := 1 + 0.08*(cloud.at(x, y)-0.5) + 0.03*c.nz.grain(x, y)
		f -= pore(c.nz.seed, u*cells, v*cells, cell)
		return scale(col, f*vignette(u, v, 0.12))
	})
}

// pore is the darkening at (cu, cv), in cell units, from its cell's pore:
// 0 when the cell has none or the point is outside it. cell is the cell's
// size in pixels, for a one-pixel soft edge.
func pore(seed uint32, cu, cv, cell float64) float64 {
	ix, iy := int32(cu), int32(cv)
	h := hash2(ix, iy, seed^0x51ed)
	if unit(h) > 0.3 {
		return 0
	}
	px := float64(ix) + 0.3 + 0.4*unit(hash2(ix, iy, seed^0x1))
	py := float64(iy) + 0.3 + 0.4*unit(hash2(ix, iy, seed^0x2))
	r := 0.06 + 0.2*unit(hash2(ix, iy, seed^0x3))*unit(h)/0.3
	d := math.Hypot(cu-px, cv-py) * cell // pixels
	rp := r * cell
	hole := 1 - smoothstep(rp-0.7, rp+0.7, d)
	lip := math.Exp(-sq((d-rp-1)/1)) * 0.5
	return 0.4*hole - 0.08*lip
}

func sq(x float64) float64 { return x * x }
