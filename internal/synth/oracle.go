package synth

import (
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// MaskThreshold: a pixel belongs to the item when max(1−R, 1−G, 1−B)
// exceeds it, i.e. when it is visibly darker than the white background in
// at least one channel.
const MaskThreshold = 0.08

// Features are the oracle's pixel statistics of one image (see the package
// doc for the exact definitions). The hue taste is stored as the two
// components of the mean saturation-weighted hue vector, so that
// hue(θ) = HueCos·cos θ + HueSin·sin θ for any angle θ.
type Features struct {
	HueCos     float64 `json:"hue_cos"` // mean over the mask of s·cos h
	HueSin     float64 `json:"hue_sin"` // mean over the mask of s·sin h
	Saturation float64 `json:"saturation"`
	Value      float64 `json:"value"`
	Contrast   float64 `json:"contrast"`
	Pattern    float64 `json:"pattern"`
	Coverage   float64 `json:"coverage"`
	Extent     float64 `json:"extent"`
}

// FeatureNames are the names of the weighted features in persona files, in
// the order of Weights' fields.
func FeatureNames() []string {
	return []string{"saturation", "value", "contrast", "pattern", "coverage", "extent"}
}

// Hue returns hue(θ) = mean over the mask of s·cos(h − θ), θ in degrees.
func (f Features) Hue(angle float64) float64 {
	th := angle * math.Pi / 180
	return f.HueCos*math.Cos(th) + f.HueSin*math.Sin(th)
}

// vector returns the weighted features in the order of FeatureNames.
func (f Features) vector() [6]float64 {
	return [6]float64{f.Saturation, f.Value, f.Contrast, f.Pattern, f.Coverage, f.Extent}
}

// FeaturesOf computes the oracle features of t. Sums run in float64 in a
// fixed pixel order, so the result is the same on every machine.
func FeaturesOf(t imaging.Tensor) Features {
	h, w := t.H, t.W
	n := h * w
	if n == 0 || len(t.Pix) < 3*n {
		return Features{}
	}
	mask := make([]bool, n)
	lum := make([]float64, n)
	var count int
	var sumCos, sumSin, sumS, sumV, sumL float64
	first, last := -1, -1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			r, g, b := float64(t.Pix[i]), float64(t.Pix[n+i]), float64(t.Pix[2*n+i])
			lum[i] = 0.299*r + 0.587*g + 0.114*b
			if math.Max(1-r, math.Max(1-g, 1-b)) <= MaskThreshold {
				continue
			}
			mask[i] = true
			count++
			if first < 0 {
				first = y
			}
			last = y
			hue, s, v := imaging.HSV(r, g, b)
			rad := hue * math.Pi / 180
			sumCos += s * math.Cos(rad)
			sumSin += s * math.Sin(rad)
			sumS += s
			sumV += v
			sumL += lum[i]
		}
	}
	if count == 0 {
		return Features{}
	}
	m := float64(count)
	f := Features{
		HueCos:     sumCos / m,
		HueSin:     sumSin / m,
		Saturation: sumS / m,
		Value:      sumV / m,
		Coverage:   m / float64(n),
		Extent:     float64(last-first+1) / float64(h),
	}
	// Two passes for the standard deviation: no cancellation on flat items.
	mean := sumL / m
	var ss float64
	for i, in := range mask {
		if in {
			d := lum[i] - mean
			ss += d * d
		}
	}
	f.Contrast = math.Sqrt(ss / m)

	var lap float64
	var interior int
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if !mask[i] || !mask[i-1] || !mask[i+1] || !mask[i-w] || !mask[i+w] {
				continue
			}
			interior++
			lap += math.Abs(lum[i-1] + lum[i+1] + lum[i-w] + lum[i+w] - 4*lum[i])
		}
	}
	if interior > 0 {
		f.Pattern = math.Min(1, lap/float64(interior)/0.25)
	}
	return f
}
