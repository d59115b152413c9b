package composite

import (
	"image"
	"math"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/colour"
	"github.com/atelier-app/atelier/internal/transfer"
)

// Contrast is how much a placed product stands out from the background
// around it (see ProductContrast).
type Contrast struct {
	// DeltaE is the CIE76 distance in CIELAB between Product and Surround:
	// about 2.3 is just noticeable, over 25 clearly different colours.
	DeltaE float64 `json:"delta_e"`
	// Ratio is the WCAG contrast ratio of their luminances, in [1, 21]:
	// 3 is WCAG's floor for large text and graphics.
	Ratio float64 `json:"ratio"`
	// Product and Surround are the two mean colours.
	Product  colour.RGB `json:"product"`
	Surround colour.RGB `json:"surround"`
}

// Ring is where ProductContrast reads the background, in pixels of a
// 1024-px image (scaled with the longer side): from RingGap to
// RingGap+RingWidth away from the product.
const (
	RingGap   = 4
	RingWidth = 32
)

// ProductContrast measures, on a composite img (or any image of the
// mask's size), the contrast between the product and the background
// around it:
//
//   - product: the mask's pixels at least RingGap from its edge (the
//     feathered rim, which mixes both, is left out; all mask pixels if
//     none are that deep);
//   - surround: the pixels outside the mask within a square ring from
//     RingGap to RingGap+RingWidth (Chebyshev distance, scaled by the
//     longer side / 1024) of it: the background the eye compares the
//     product with, its contact shadow included;
//   - each region's mean colour is the mean of its pixels in linear light
//     (how colours mix seen from afar), back in sRGB;
//   - DeltaE is the CIE76 distance of the two means in CIELAB, Ratio
//     their WCAG contrast ratio.
//
// A product of two strong colours (stripes) has a mean between them, so
// a caller judging "stands out" should read both numbers. An image not
// of the mask's size, or an empty mask or ring, is an invalid-input error.
func ProductContrast(img image.Image, m transfer.Mask) (Contrast, error) {
	b := img.Bounds()
	if b.Dx() != m.W || b.Dy() != m.H || len(m.In) != m.W*m.H {
		return Contrast{}, atelier.Errorf(atelier.KindInvalid, "the image is %dx%d, the mask %dx%d", b.Dx(), b.Dy(), m.W, m.H)
	}
	s := float64(max(m.W, m.H)) / 1024
	gap := max(1, int(math.Round(RingGap*s)))
	outer := gap + max(2, int(math.Round(RingWidth*s)))
	inner := boxCounts(m.In, m.W, m.H, gap)
	far := boxCounts(m.In, m.W, m.H, outer)
	full := int32((2*gap + 1) * (2*gap + 1))
	var prod, deep, ring mean
	src := flatten(img)
	for y := range m.H {
		for x := range m.W {
			i, o := y*m.W+x, y*src.Stride+4*x
			p := src.Pix[o : o+3 : o+3]
			switch {
			case m.In[i] && inner[i] == full:
				deep.add(p)
			case m.In[i]:
				prod.add(p)
			case inner[i] == 0 && far[i] > 0:
				ring.add(p)
			}
		}
	}
	if deep.n > 0 {
		prod = deep
	}
	if prod.n == 0 || ring.n == 0 {
		return Contrast{}, atelier.Errorf(atelier.KindInvalid, "no product or no background around it to compare")
	}
	pc, rc := prod.rgb(), ring.rgb()
	return Contrast{DeltaE: pc.Lab().Dist(rc.Lab()), Ratio: colour.Contrast(pc, rc), Product: pc, Surround: rc}, nil
}

// mean accumulates pixels in linear light.
type mean struct {
	sum [3]float64
	n   int
}

func (a *mean) add(p []uint8) {
	for c := range 3 {
		a.sum[c] += linear8[p[c]]
	}
	a.n++
}

func (a *mean) rgb() colour.RGB {
	f := func(v float64) float64 {
		v /= float64(a.n)
		if v <= 0.0031308 {
			return 12.92 * v
		}
		return 1.055*math.Pow(v, 1/2.4) - 0.055
	}
	return colour.RGB{R: f(a.sum[0]), G: f(a.sum[1]), B: f(a.sum[2])}
}

// linear8 is the sRGB decoding of every 8-bit level.
var linear8 = func() (t [256]float64) {
	for i := range t {
		v := float64(i) / 255
		if v <= 0.04045 {
			t[i] = v / 12.92
		} else {
			t[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return t
}()
