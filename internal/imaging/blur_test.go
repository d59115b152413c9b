package imaging

import (
	"math"
	"testing"
)

func TestBlurSpreadsAPointAsAGaussian(t *testing.T) {
	const n, sigma = 21, 1.5
	im := Tensor{H: n, W: n, Pix: make([]float32, 3*n*n)}
	im.Pix[10*n+10] = 1 // red channel, centre
	b := Blur(im, sigma)
	var total float64
	for _, v := range b.Pix[:n*n] {
		total += float64(v)
	}
	if math.Abs(total-1) > 1e-5 {
		t.Errorf("blurred point sums to %v, want 1", total)
	}
	// Ratios of the separable Gaussian: exp(−(dx²+dy²)/(2σ²)), up to the
	// kernel's cut at 3σ, far beyond these offsets.
	centre := float64(b.At(0, 10, 10))
	for _, d := range [][2]int{{0, 1}, {1, 1}, {2, 0}, {3, 2}} {
		want := math.Exp(-float64(d[0]*d[0]+d[1]*d[1]) / (2 * sigma * sigma))
		if got := float64(b.At(0, 10+d[1], 10+d[0])) / centre; math.Abs(got-want) > 1e-4 {
			t.Errorf("offset %v: ratio to centre %.5f, want %.5f", d, got, want)
		}
	}
	for _, v := range b.Pix[n*n:] {
		if v != 0 {
			t.Fatalf("blur leaked into another channel: %v", v)
		}
	}
}

func TestBlurKeepsFlatImagesAndCopiesAtZero(t *testing.T) {
	im := NewTensor(8, 5)
	for i := range im.Pix {
		im.Pix[i] = 0.25
	}
	for _, v := range Blur(im, 2).Pix {
		if math.Abs(float64(v)-0.25) > 1e-6 {
			t.Fatalf("flat image changed to %v", v)
		}
	}
	im.Pix[3] = 0.9
	c := Blur(im, 0)
	c.Pix[0] = 0
	if im.Pix[3] != 0.9 || im.Pix[0] != 0.25 {
		t.Error("Blur(σ=0) did not return an independent copy")
	}
	if c.Pix[3] != 0.9 {
		t.Errorf("Blur(σ=0) changed a pixel to %v", c.Pix[3])
	}
}
