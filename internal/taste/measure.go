// Package taste describes, in a few plain words, how a group of product
// images differs from a reference set: warmer or cooler colours, brighter
// or darker, more or less saturated, patterned or plain, larger or smaller
// on the frame, and which categories dominate. Reports use it to say what a
// consumer segment likes from the pixels of the items it ranks highest
// against the whole catalog.
//
// The measurements are simple statistics of the pixels on the product
// (Measure), so a seller can check them by eye; the comparison
// (Describe) standardises each difference by the reference set's spread,
// so one threshold serves every measurement and a trait is named only when
// the group clearly stands apart. The package knows nothing of how the
// group was chosen.
package taste

import (
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// Background is how far below white (in any channel) a pixel must be to
// count as product: catalog images show the product on white, and a small
// margin keeps compression noise and soft shadows out.
const Background = 0.08

// warmAngle is the hue (degrees) of the warm pole of the warm–cool axis:
// orange, opposite blue (210°) on the colour wheel.
const warmAngle = 30

// Look is what Measure sees in one image. Every field is a mean over the
// product's pixels (the mask: pixels darker than white by more than
// Background in some channel), with HSV hue h, saturation s and value v:
//
//	Warmth     = mean s·cos(h − 30°): +s for orange, −s for blue, 0 for grey
//	Saturation = mean s
//	Value      = mean v (brightness)
//	Pattern    = mean |∇L| over interior mask pixels (the pixel and its 4
//	             neighbours on the product, so the outline is not counted),
//	             L the luminance, ∇ central differences: 0 for a plain
//	             product, large for prints and stripes
//	Coverage   = share of the frame the product covers
//
// An image without product pixels has a zero Look.
type Look struct {
	Warmth, Saturation, Value, Pattern, Coverage float64
}

// Measure computes the Look of t. Sums run in float64 in a fixed pixel
// order, so the result is the same on every machine.
func Measure(t imaging.Tensor) Look {
	n := t.H * t.W
	if n == 0 || len(t.Pix) < 3*n {
		return Look{}
	}
	mask := make([]bool, n)
	lum := make([]float64, n)
	var l Look
	count := 0
	for i := range n {
		r, g, b := float64(t.Pix[i]), float64(t.Pix[n+i]), float64(t.Pix[2*n+i])
		lum[i] = 0.299*r + 0.587*g + 0.114*b
		if math.Max(1-r, math.Max(1-g, 1-b)) <= Background {
			continue
		}
		mask[i] = true
		count++
		h, s, v := imaging.HSV(r, g, b)
		l.Warmth += s * math.Cos((h-warmAngle)*math.Pi/180)
		l.Saturation += s
		l.Value += v
	}
	if count == 0 {
		return Look{}
	}
	m := float64(count)
	l.Warmth /= m
	l.Saturation /= m
	l.Value /= m
	l.Coverage = m / float64(n)
	l.Pattern = gradientEnergy(lum, mask, t.W, t.H)
	return l
}

// gradientEnergy is the mean luminance gradient magnitude over the mask's
// interior pixels (0 when there are none).
func gradientEnergy(lum []float64, mask []bool, w, h int) float64 {
	var sum float64
	interior := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if !mask[i] || !mask[i-1] || !mask[i+1] || !mask[i-w] || !mask[i+w] {
				continue
			}
			gx := (lum[i+1] - lum[i-1]) / 2
			gy := (lum[i+w] - lum[i-w]) / 2
			sum += math.Hypot(gx, gy)
			interior++
		}
	}
	if interior == 0 {
		return 0
	}
	return sum / float64(interior)
}
