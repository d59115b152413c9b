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
		ring := 0.5 + 0.5*math.Sin(2*math.Pi*rings)
		ring *= ring * ring
		t := 0.6*ring + 0.25*fibre.at(u*8, v*220)
		col := scale(mix(s.Main(), s.second(), t), tint)
		// Seams: along the plank's edges and at its end joint.
		dy := math.Min(ly, 1-ly) * float64(c.n) / woodPlanks
		joint := unit(hash2(j, 11, c.nz.seed))
		dx := math.Abs(u-joint) * float64(c.n)
		gap := 1 - smoothstep(seam*0.5, seam*1.5, math.Min(dy, dx))
		return scale(col, (1-0.35*gap)*vignette(u, v, 0.14))
	})
}

// renderMarble is polished stone after Perlin's marble: veins of the
// second colour where sin(k·t + a·turbulence) is near zero, t a diagonal
// coordinate, so veins run mostly one way and wander; each vein has a
// thin core and a faint halo, its width varying along it. A finer set of
// veins at a lower opacity, and a soft cloudiness of the ground toward the
// vein colour, give depth.
func renderMarble(c *canvas, s Spec) {
	n2 := noise{c.nz.seed + 21}
	turb := newField(c.n, func(u, v float64) float64 { return c.nz.turbulence(u*1.6, v*1.6, 5) })
	turb2 := newField(c.n, func(u, v float64) float64 { return n2.turbulence(u*3, v*3, 4) })
	cloud := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 33}.fbm(u*2.5, v*2.5, 4) })
	width := newField(c.n, func(u, v float64) float64 { return noise{c.nz.seed + 44}.fbm(u*4, v*4, 2) })
	angle := 0.5 + 0.9*unit(hash2(5, 6, c.nz.seed))
	ca, sa := math.Cos(angle), math.Sin(angle)
	c.each(func(x, y int, u, v float64) colour.RGB {
		t, tb := u*ca+v*sa, turb.at(x, y)
		main := math.Sin(math.Pi * (t*2.2 + 1.6*tb))
		fine := math.Sin(math.Pi * (t*6 + 1.6*tb + 1.2*turb2.at(x, y)))
		w := 0.015 + 0.09*sq(width.at(x, y))
		vein := 0.85*gauss(main/w) + 0.2*gauss(main/(5*w))
		vein += 0.3 * gauss(fine/0.02) * smoothstep(0.35, 0.7, width.at(x, y))
		vein += 0.12 * smoothstep(0.45, 0.85, cloud.at(x, y))
		col := mix(s.Main(), s.second(), math.Min(1, vein))
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
