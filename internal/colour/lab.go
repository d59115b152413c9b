package colour

import "math"

// Lab is a colour in CIELAB (D65 white): L in [0,100], a and b about ±100.
type Lab struct{ L, A, B float64 }

func (p Lab) dist2(q Lab) float64 {
	dl, da, db := p.L-q.L, p.A-q.A, p.B-q.B
	return dl*dl + da*da + db*db
}

// Dist is the CIE76 colour difference: about 2.3 is just noticeable.
func (p Lab) Dist(q Lab) float64 { return math.Sqrt(p.dist2(q)) }

// Lab converts sRGB to CIELAB.
func (c RGB) Lab() Lab {
	r, g, b := linear(c.R), linear(c.G), linear(c.B)
	x := (0.4124564*r + 0.3575761*g + 0.1804375*b) / 0.95047
	y := 0.2126729*r + 0.7151522*g + 0.0721750*b
	z := (0.0193339*r + 0.1191920*g + 0.9503041*b) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return Lab{L: 116*fy - 16, A: 500 * (fx - fy), B: 200 * (fy - fz)}
}

// RGB converts back to sRGB, clamped to [0,1].
func (p Lab) RGB() RGB {
	fy := (p.L + 16) / 116
	fx, fz := fy+p.A/500, fy-p.B/200
	x, y, z := 0.95047*labFInv(fx), labFInv(fy), 1.08883*labFInv(fz)
	r := 3.2404542*x - 1.5371385*y - 0.4985314*z
	g := -0.9692660*x + 1.8760108*y + 0.0415560*z
	b := 0.0556434*x - 0.2040259*y + 1.0572252*z
	return RGB{gamma(r), gamma(g), gamma(b)}
}

// Luminance is the relative luminance (WCAG), in [0,1].
func (c RGB) Luminance() float64 {
	return 0.2126*linear(c.R) + 0.7152*linear(c.G) + 0.0722*linear(c.B)
}

// Contrast is the WCAG contrast ratio of two colours, in [1, 21].
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func linear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func gamma(v float64) float64 {
	v = math.Max(0, math.Min(1, v))
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

func labF(t float64) float64 {
	const d = 6.0 / 29
	if t > d*d*d {
		return math.Cbrt(t)
	}
	return t/(3*d*d) + 4.0/29
}

func labFInv(t float64) float64 {
	const d = 6.0 / 29
	if t > d {
		return t * t * t
	}
	return 3 * d * d * (t - 4.0/29)
}
