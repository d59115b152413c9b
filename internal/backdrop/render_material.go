package backdrop

import (
	"math"

	"github.com/atelier-app/atelier/internal/colour"
)

// woodPlanks is the number of planks across a wood scene.
const woodPlanks = 5

// renderWood is a table top of horizontal planks. Each plank has its own
// tint, one end joint, and grain: rings of the second colour along the
// plank, wavy by fBm stretched along the plank, with fine fibres. Seams
// between planks are dark lines about a pixel per 400 wide.
func renderWood(c *canvas, s Spec) {
	off := unit(hash2(3, 4, c.nz.seed))
	warp := newField(c.n, func(u, v float64) float64 { return c.nz.fbm(u*1.6, v*woodPlanks*1.4, 4) })
	fibre := noise{c.nz.seed + 9}
	seam := math.Max(0.8, float64(c.n)/400)
	c.each(func(x, y int, u, v float64) colour.RGB {
		pv := v*woodPlanks + off
		j := int32(math.Floor(pv))
		ly := pv - float64(j)
		ph := hash2(j, 7, c.nz.seed)
		tint := 0.9 + 0.18*unit(ph)
		rings := fract(ly*(2+2*unit(ph>>3)) + 3.2*warp.at(x, y) + float64(j)*0.37)
		ring := math.Pow(0.5+0.5*math.Sin(2*math.Pi*rings), 3)
		t := 0.6*ring + 0.25*fibre.at(u*8, v*220)
		col := scale(mix(s.Main(), s.second(), t), tint)
		// Seams: along the plank's edges and at its end joint.
		dy := math.Min(ly, 1-ly) * float64(c.n) / woodPlanks
		joint := unit(hash2(j, 11, c.nz.seed))
		dx := math.Abs(u-joint) * float64(c.n)
		gap := 1 - smoothstep(seam*0.5, seam*1.5, math.Min(dy, dx))
		return scale(col, (1-0.45*gap)*vignette(u, v, 0.14))
	})
}

// renderMarble is polished stone: a soft cloudiness of the ground colour
// and veins of the second colour where a sine of a diagonal coordinate,
// warped by turbulence, crosses zero; a second, finer set of veins at a
// lower opacity.
func renderMarble(c *canvas, s Spec) {
	n2 := noise{c.nz.seed + 21}
	turb := newField(c.n, func(u, v float64) float64 { return c.nz.turbulence(u*2.2, v*2.2, 5) })
	turb2 := newField(c.n, func(u, v float64) float64 { return n2.turbulence(u*4, v*4, 4) })
	cloud := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 33}.fbm(u*3, v*3, 4) })
	width := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 44}.at(u*3, v*3) })
	angle := 0.6 + 0.8*unit(hash2(5, 6, c.nz.seed))
	c.each(func(x, y int, u, v float64) colour.RGB {
		t := u*math.Cos(angle) + v*math.Sin(angle)
		main := math.Abs(math.Sin(math.Pi * (t*2 + 2.4*turb.at(x, y))))
		fine := math.Abs(math.Sin(math.Pi * (t*5 - u*2 + 3*turb2.at(x, y))))
		w := 0.02 + 0.1*width.at(x, y)
		vein := 0.9*(1-smoothstep(0, w, main)) + 0.35*(1-smoothstep(0, 0.03, fine))
		col := scale(s.Main(), 1+0.07*(cloud.at(x, y)-0.5))
		col = mix(col, s.second(), math.Min(1, vein))
		return scale(col, vignette(u, v, 0.1))
	})
}

// renderTiles is a tiled wall: square tiles six across, or subway tiles
// (2:1, every other row offset by half a tile) four across, with grout of
// the second colour, a per-tile tint, a bevelled edge and a soft glaze
// highlight.
func renderTiles(c *canvas, s Spec) {
	tw, th := 1.0/6, 1.0/6
	if s.Motif == "subway" {
		tw, th = 1.0/4, 1.0/8
	}
	grout := math.Max(1, 0.05*th*float64(c.n)) // pixels
	c.each(func(x, y int, u, v float64) colour.RGB {
		row := math.Floor(v / th)
		uu := u
		if s.Motif == "subway" && int(row)&1 == 1 {
			uu += tw / 2
		}
		col := math.Floor(uu / tw)
		lx, ly := uu/tw-col, v/th-row
		edge := math.Min(math.Min(lx, 1-lx)*tw, math.Min(ly, 1-ly)*th) * float64(c.n)
		tint := 0.95 + 0.08*unit(hash2(int32(col), int32(row), c.nz.seed))
		glaze := 0.06 * math.Exp(-(sq(lx-0.3)+sq(ly-0.3))/0.08)
		bevel := 0.08 * (1 - smoothstep(grout*0.5, grout*2.5, edge))
		tile := scale(s.Main(), tint+glaze-bevel)
		g := 1 - smoothstep(grout*0.5-0.5, grout*0.5+0.5, edge)
		return scale(mix(tile, s.second(), g), vignette(u, v, 0.12))
	})
}
