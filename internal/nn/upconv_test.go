package nn

import (
	"math/rand"
	"strings"
	"testing"
)

// TestUpsampledConvAgrees checks, on every backend, that upsampling
// convolutions (ForwardUpsampled) give the output and every gradient of
// Upsample followed by the convolution: layers of 16, 32 and 48 input
// channels (oneDNN's transposed convolution; with 16 and 32 output
// channels it adds the bias in its blocked layout) and of 4 (upsampled and
// convolved), with and without bias, fused activation and plain, at batch
// 1 and 5 (parts sharing the weights) and as a graph that runs alongside
// another. One layer at a time: in a stack, outputs within rounding of the
// activation's kink at 0 take either slope, and the gradients below them
// differ by whole terms.
func TestUpsampledConvAgrees(t *testing.T) {
	layers := []ConvConfig{
		{In: 16, Out: 4, Kernel: 3, Pad: 1},
		{In: 4, Out: 32, Kernel: 3, Pad: 1, NoBias: true},
		{In: 32, Out: 16, Kernel: 3, Pad: 1},
		{In: 48, Out: 32, Kernel: 3, Pad: 1},
	}
	for _, cfg := range layers {
		for _, batch := range []int{1, 5} {
			for _, fused := range []bool{true, false} {
				for _, alongside := range []int{1, 2} {
					rng := rand.New(rand.NewSource(int64(31 + batch + cfg.In)))
					conv, err := NewConv2d("up", cfg, rng)
					if err != nil {
						t.Fatal(err)
					}
					if conv.B.Value != nil {
						randomize(rng, 0, 0.3, conv.B)
					}
					net := &agreementNet{convs: []*Conv2d{conv}, fused: fused, alongside: alongside, up: []bool{true}}
					x := randParam("x", rng, batch, cfg.In, 5, 7)
					r := randFloats(rng, batch*cfg.Out*10*14)
					net.explicitUp = true
					want := net.run(t, "im2col", x, r)
					net.explicitUp = false
					for _, b := range Backends() {
						got := net.run(t, b, x, r)
						for i := range want {
							if err := closeSlices(got[i], want[i], 1e-4); err != nil {
								t.Errorf("%d→%d, batch %d, fused %v, alongside %d, %s: result %d: %v", cfg.In, cfg.Out, batch, fused, alongside, b, i, err)
							}
						}
					}
				}
			}
		}
	}
}

// TestUpKernelIsUpsamplingInOneDimension checks the kernel transform on
// separable kernels against its definition in one dimension: the 4 taps
// are w₂, w₁+w₂, w₀+w₁, w₀; and that upKernelGrad is its adjoint:
// ⟨upKernel(w), d⟩ = ⟨w, upKernelGrad(d)⟩.
func TestUpKernelIsUpsamplingInOneDimension(t *testing.T) {
	a, b := []float32{1, 2, 4}, []float32{8, 16, 32}
	w := make([]float32, 9)
	for y := range 3 {
		for x := range 3 {
			w[3*y+x] = a[y] * b[x]
		}
	}
	one := func(v []float32) []float32 { return []float32{v[2], v[1] + v[2], v[0] + v[1], v[0]} }
	ka, kb := one(a), one(b)
	k := make([]float32, 16)
	upKernel(k, w)
	for y := range 4 {
		for x := range 4 {
			if k[4*y+x] != ka[y]*kb[x] {
				t.Fatalf("k[%d][%d] = %v, want %v", y, x, k[4*y+x], ka[y]*kb[x])
			}
		}
	}
	rng := rand.New(rand.NewSource(3))
	w, d := randFloats(rng, 18), randFloats(rng, 32)
	k, dw := make([]float32, 32), make([]float32, 18)
	upKernel(k, w)
	upKernelGrad(dw, d)
	var lhs, rhs float64
	for i := range k {
		lhs += float64(k[i]) * float64(d[i])
	}
	for i := range w {
		rhs += float64(w[i]) * float64(dw[i])
	}
	if diff := lhs - rhs; diff > 1e-4 || diff < -1e-4 {
		t.Fatalf("⟨upKernel(w), d⟩ = %v, ⟨w, upKernelGrad(d)⟩ = %v", lhs, rhs)
	}
}

// TestForwardUpsampledChecksTheLayer checks that layers other than 3×3,
// stride 1, padding 1 are refused with an error naming the geometry.
func TestForwardUpsampledChecksTheLayer(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	conv, err := NewConv2d("s2", ConvConfig{In: 4, Out: 4, Kernel: 3, Stride: 2, Pad: 1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(Infer, 1)
	defer g.Close()
	conv.ForwardUpsampled(g, g.Input("x", 1, 4, 4, 4), 0.2)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "stride 2") {
		t.Fatalf("error %v, want one naming the stride", err)
	}
}
