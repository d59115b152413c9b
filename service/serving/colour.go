package serving

import (
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// DominantColour names the most common colour of an item's image among
// the pixels that are not background: each pixel that differs from white
// by more than a few levels is named (colourName), and the most frequent
// name wins (ties: the first in colourNames). An image with no such
// pixels is "white". Naming pixels before counting keeps a two-colour
// pattern from averaging into a colour it does not have.
func DominantColour(t imaging.Tensor) string {
	counts := make(map[string]int, len(colourNames))
	for y := 0; y < t.H; y++ {
		for x := 0; x < t.W; x++ {
			r, g, b := t.RGB(x, y)
			if min(r, g, b) > 0.92 {
				continue // background
			}
			counts[colourName(float64(r), float64(g), float64(b))]++
		}
	}
	best, bestN := "white", 0
	for _, name := range colourNames {
		if counts[name] > bestN {
			best, bestN = name, counts[name]
		}
	}
	return best
}

// colourNames are the names colourName gives, in tie-breaking order.
var colourNames = [...]string{"black", "white", "grey", "red", "orange", "brown", "yellow", "green", "teal", "blue", "purple", "pink"}

// colourName names an RGB colour (values in [0,1]) by hue, saturation and
// value: dark is black, unsaturated is grey or white, and hues are cut
// into the usual names, dark orange being brown.
func colourName(r, g, b float64) string {
	hi, lo := max(r, g, b), min(r, g, b)
	v := hi
	s := 0.0
	if hi > 0 {
		s = (hi - lo) / hi
	}
	switch {
	case v < 0.2:
		return "black"
	case s < 0.18 && v > 0.85:
		return "white"
	case s < 0.18:
		return "grey"
	}
	var h float64
	switch d := hi - lo; hi {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	switch {
	case h < 15 || h >= 345:
		return "red"
	case h < 45:
		if v < 0.6 {
			return "brown"
		}
		return "orange"
	case h < 70:
		return "yellow"
	case h < 165:
		return "green"
	case h < 200:
		return "teal"
	case h < 260:
		return "blue"
	case h < 290:
		return "purple"
	default:
		return "pink"
	}
}
