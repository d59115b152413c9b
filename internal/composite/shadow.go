package composite

import (
	"image"
	"math"

	"github.com/atelier-app/atelier/internal/transfer"
)

// castShadow darkens bg under the product by two terms, both confined to
// a band from a little above the bounding box's bottom Y1 downward, so
// nothing above the product's base is touched:
//
//   - contact: under the columns where the product reaches its bottom
//     (within contactBand of Y1 — the sole of a shoe, the base of a bag,
//     not the gap between a heel and a toe), blurred across by a box of
//     4% of the box's width, fading below Y1 as exp(−dy/ry), ry = 2.5%
//     of the box's height;
//   - ambient: a soft ellipse under the whole product, half-axes 55% of
//     the box's width and 6% of its height, strength (1 − d²)².
//
// They combine as 1 − (1 − 0.8·contact)(1 − 0.4·ambient), times strength,
// and multiply the background's colour (a shadow darkens, it does not
// grey).
func castShadow(bg *image.NRGBA, m transfer.Mask, strength float64) {
	bw, bh := float64(m.X1-m.X0), float64(m.Y1-m.Y0)
	ry := math.Max(1.5, 0.025*bh)
	ey := math.Max(3, 0.06*bh)
	ex, cx := 0.55*bw, float64(m.X0+m.X1)/2
	contact := contactProfile(m, max(1, int(0.04*bw)))
	y0 := max(0, m.Y1-int(ey))
	y1 := min(m.H, m.Y1+int(math.Max(6*ry, ey))+1)
	for y := y0; y < y1; y++ {
		dy := float64(y - m.Y1 + 1)
		fall := 1.0
		if dy > 0 {
			fall = math.Exp(-dy / ry)
		}
		ay := sq(dy / ey)
		row := bg.Pix[y*bg.Stride:]
		for x := range m.W {
			d2 := sq((float64(x)+0.5-cx)/ex) + ay
			amb := 0.0
			if d2 < 1 {
				amb = sq(1 - d2)
			}
			s := strength * (1 - (1-0.8*contact[x]*fall)*(1-0.4*amb))
			if s <= 0 {
				continue
			}
			p := row[4*x : 4*x+3 : 4*x+3]
			for c := range p {
				p[c] = uint8(float64(p[c])*(1-s) + 0.5)
			}
		}
	}
}

// contactBand is how close to the box's bottom, as a share of its
// height, a column's lowest product pixel must be to touch the ground.
const contactBand = 0.04

// contactProfile is, per column, how firmly the product stands there: 1
// where its lowest pixel is on the box's bottom row, falling linearly to
// 0 at contactBand above it, then box-blurred across with radius r.
func contactProfile(m transfer.Mask, r int) []float64 {
	band := max(2, int(contactBand*float64(m.Y1-m.Y0)))
	raw := make([]float64, m.W)
	for y := max(m.Y0, m.Y1-band); y < m.Y1; y++ {
		t := 1 - float64(m.Y1-1-y)/float64(band)
		for x := m.X0; x < m.X1; x++ {
			if m.In[y*m.W+x] {
				raw[x] = math.Max(raw[x], t)
			}
		}
	}
	out := make([]float64, m.W)
	sum := 0.0
	for x := -r; x < m.W+r; x++ {
		if x+r < m.W {
			sum += raw[x+r]
		}
		if x-r-1 >= 0 {
			sum -= raw[x-r-1]
		}
		if x >= 0 && x < m.W {
			out[x] = sum / float64(2*r+1)
		}
	}
	return out
}

func sq(x float64) float64 { return x * x }
