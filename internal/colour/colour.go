// Package colour names colours in words, the way a product description or a
// background's caption needs them: the nearest CSS/X11 colour name (in
// CIELAB, so that "nearest" is what the eye sees) and a coarse family word
// (red, blue, beige, ...).
//
// The family is a rule on hue, saturation and value, not the family of the
// nearest name: the named colours are unevenly spread (many pale tints, few
// mid tones), so a rule on HSV draws the borders where people draw them and
// lets a caller compare families of colours that were never named (the
// synthetic world's true colours, say) with the same borders. The rule,
// with h in degrees and s, v in [0,1]:
//
//   - v < 0.22: black
//   - s < 0.18: white when v ≥ 0.85, grey otherwise
//   - h in [15°, 45°): brown when v < 0.6, beige when s < 0.4, else orange
//   - h in [45°, 70°): brown when v < 0.45, else yellow
//   - h in [70°, 165°): green; [165°, 255°): blue; [255°, 310°): purple
//   - h in [310°, 345°): purple when v < 0.4, else pink
//   - otherwise (reds): pink when s < 0.5 and v > 0.7, else red
package colour

import "math"

// Families lists the family words, in a fixed order (for tables).
func Families() []string {
	return []string{"black", "grey", "white", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "beige"}
}

// RGB is a colour with channels in [0,1].
type RGB struct{ R, G, B float64 }

// Hex is the colour as #rrggbb.
func (c RGB) Hex() string {
	const digits = "0123456789abcdef"
	b := []byte("#000000")
	for i, v := range []float64{c.R, c.G, c.B} {
		n := int(math.Round(math.Max(0, math.Min(1, v)) * 255))
		b[1+2*i], b[2+2*i] = digits[n>>4], digits[n&15]
	}
	return string(b)
}

// HSV returns hue in degrees [0,360), saturation and value in [0,1].
func (c RGB) HSV() (h, s, v float64) {
	hi := math.Max(c.R, math.Max(c.G, c.B))
	lo := math.Min(c.R, math.Min(c.G, c.B))
	v = hi
	if hi <= 0 {
		return 0, 0, 0
	}
	s = (hi - lo) / hi
	d := hi - lo
	if d == 0 {
		return 0, s, v
	}
	switch hi {
	case c.R:
		h = 60 * math.Mod((c.G-c.B)/d+6, 6)
	case c.G:
		h = 60 * ((c.B-c.R)/d + 2)
	default:
		h = 60 * ((c.R-c.G)/d + 4)
	}
	return h, s, v
}

// Family is the coarse colour word of c (see the package doc for the rule).
func Family(c RGB) string {
	h, s, v := c.HSV()
	return FamilyHSV(h, s, v)
}

// FamilyHSV is Family for a colour given as hue (degrees), saturation and
// value.
func FamilyHSV(h, s, v float64) string {
	h = math.Mod(math.Mod(h, 360)+360, 360)
	switch {
	case v < 0.22:
		return "black"
	case s < 0.18:
		if v >= 0.85 {
			return "white"
		}
		return "grey"
	case h >= 15 && h < 45:
		switch {
		case v < 0.6:
			return "brown"
		case s < 0.4:
			return "beige"
		}
		return "orange"
	case h >= 45 && h < 70:
		if v < 0.45 {
			return "brown"
		}
		return "yellow"
	case h >= 70 && h < 165:
		return "green"
	case h >= 165 && h < 255:
		return "blue"
	case h >= 255 && h < 310:
		return "purple"
	case h >= 310 && h < 345:
		if v < 0.4 {
			return "purple"
		}
		return "pink"
	}
	if s < 0.5 && v > 0.7 {
		return "pink"
	}
	return "red"
}

// Named is a colour with its words.
type Named struct {
	Name   string `json:"name"`   // nearest CSS/X11 name, e.g. "dark slate blue"
	Family string `json:"family"` // coarse word, e.g. "blue"
	Hex    string `json:"hex"`    // the colour itself, #rrggbb
}

// Name returns the nearest CSS colour name (CIE76 distance in CIELAB) and
// the family of c.
func Name(c RGB) Named {
	lab := c.Lab()
	best, bestD := 0, math.Inf(1)
	for i, n := range table {
		if d := lab.dist2(n.lab); d < bestD {
			best, bestD = i, d
		}
	}
	return Named{Name: table[best].name, Family: Family(c), Hex: c.Hex()}
}

type namedLab struct {
	name string
	lab  Lab
}

// table is cssNames in CIELAB, computed once: the names are constants.
var table = func() []namedLab {
	t := make([]namedLab, len(cssNames))
	for i, n := range cssNames {
		t[i] = namedLab{n.name, FromHex(n.hex).Lab()}
	}
	return t
}()

// FromHex converts 0xrrggbb.
func FromHex(h uint32) RGB {
	return RGB{float64(h>>16&255) / 255, float64(h>>8&255) / 255, float64(h&255) / 255}
}
