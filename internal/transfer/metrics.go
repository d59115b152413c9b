package transfer

import (
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// Sharpness is the product region's contrast-normalised sharpness:
// the root-mean-square luminance gradient (forward differences between
// product pixels) over the luminance standard deviation. The squared
// gradient is what falls under blur (a blurred edge keeps its total
// variation, so the mean absolute gradient barely moves), and dividing by
// the standard deviation keeps a paler or darker variant from reading as
// softer.
func Sharpness(t imaging.Tensor, in []bool) float64 {
	w, h := t.W, t.H
	plane := w * h
	lum := make([]float64, plane)
	var sum, sum2 float64
	var n int
	for i := range lum {
		lum[i] = float64(luma(t.Pix[i], t.Pix[plane+i], t.Pix[2*plane+i]))
		if in[i] {
			sum += lum[i]
			sum2 += lum[i] * lum[i]
			n++
		}
	}
	var grad float64
	var m int
	for y := range h - 1 {
		for x := range w - 1 {
			i := y*w + x
			if !in[i] || !in[i+1] || !in[i+w] {
				continue
			}
			dx, dy := lum[i+1]-lum[i], lum[i+w]-lum[i]
			grad += dx*dx + dy*dy
			m++
		}
	}
	if n < 2 || m == 0 {
		return 0
	}
	mean := sum / float64(n)
	std := math.Sqrt(math.Max(0, sum2/float64(n)-mean*mean))
	if std == 0 {
		return 0
	}
	return math.Sqrt(grad/float64(m)) / std
}

// SharpnessRatio is the output's Sharpness over the photo's, over the
// photo's product region: 1 is as sharp as the photo.
func SharpnessRatio(out imaging.Tensor, p *Photo) float64 {
	s := Sharpness(p.Pix, p.Mask.In)
	if s == 0 {
		return 0
	}
	return Sharpness(out, p.Mask.In) / s
}

// BackgroundChanged is the share of the photo's background pixels whose
// 8-bit value changed by more than 2 in some channel.
func BackgroundChanged(out imaging.Tensor, p *Photo) float64 {
	plane := out.W * out.H
	var changed, total int
	for i, in := range p.Mask.In {
		if in {
			continue
		}
		total++
		for c := range 3 {
			a, b := int(to8(out.Pix[c*plane+i])), int(to8(p.Pix.Pix[c*plane+i]))
			if a-b > 2 || b-a > 2 {
				changed++
				break
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(changed) / float64(total)
}

// EditConsistency is the correlation, over the product's pixels and
// channels in the model's view, between the change the edit made
// (Variant − Base) and the change the output made to the photo, seen at
// model size. Near 1, the output shows the variant's change and not some
// other one.
func EditConsistency(out imaging.Tensor, p *Photo, e Edit) float64 {
	n := p.Input.W
	seen := ModelInput(out, p.Frame, p.Mask.Background, n)
	mask := p.modelMask()
	var xs, ys []float64
	for c := range 3 {
		for i, in := range mask {
			if !in {
				continue
			}
			j := c*n*n + i
			xs = append(xs, float64(e.Variant.Pix[j]-e.Base.Pix[j]))
			ys = append(ys, float64(seen.Pix[j]-p.Input.Pix[j]))
		}
	}
	return correlation(xs, ys)
}

func correlation(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}
