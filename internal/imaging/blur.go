package imaging

import "math"

// Blur returns t convolved with a Gaussian of standard deviation sigma
// pixels, separably, per channel, with the kernel cut at 3σ and borders
// clamped (the catalog's borders are background, so clamping adds no
// edge). sigma ≤ 0 returns a copy.
func Blur(t Tensor, sigma float64) Tensor {
	out := Tensor{H: t.H, W: t.W, Pix: make([]float32, len(t.Pix))}
	if !(sigma > 0) {
		copy(out.Pix, t.Pix)
		return out
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		w := math.Exp(-d * d / (2 * sigma * sigma))
		k[i] = float32(w)
		sum += w
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	h, w := t.H, t.W
	tmp := make([]float32, h*w)
	for c := 0; c < 3; c++ {
		src, dst := t.Pix[c*h*w:(c+1)*h*w], out.Pix[c*h*w:(c+1)*h*w]
		for y := 0; y < h; y++ {
			row := src[y*w : (y+1)*w]
			for x := 0; x < w; x++ {
				var a float32
				for i, kv := range k {
					a += kv * row[min(max(x+i-r, 0), w-1)]
				}
				tmp[y*w+x] = a
			}
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var a float32
				for i, kv := range k {
					a += kv * tmp[min(max(y+i-r, 0), h-1)*w+x]
				}
				dst[y*w+x] = a
			}
		}
	}
	return out
}
