//go:build onednn

package nn

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestWinogradWhereOneDNNHasIt checks that 3×3 stride-1 layers with input
// channels in multiples of 16 get Winograd's algorithm on AVX-512 CPUs, and
// no other layer does.
func TestWinogradWhereOneDNNHasIt(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("oneDNN has Winograd's algorithm on AVX-512 CPUs only")
	}
	// oneDNN's own knob to run as on an older CPU (DNNL_MAX_CPU_ISA=AVX2,
	// say), which is how the AVX2 paths are checked on an AVX-512 machine.
	if isa := strings.ToUpper(os.Getenv("DNNL_MAX_CPU_ISA")); isa != "" && isa != "ALL" && !strings.HasPrefix(isa, "AVX512") {
		t.Skipf("DNNL_MAX_CPU_ISA=%s: oneDNN runs without AVX-512", isa)
	}
	cases := []struct {
		geo           convGeom
		nOut          int
		want, weights bool // Winograd forward; and for the weight gradient
	}{
		{newConvGeom(48, 32, 32, 3, 1, 1), 32, true, false}, // 32 px: direct weight gradient
		{newConvGeom(64, 16, 16, 3, 1, 1), 48, true, true},
		{newConvGeom(16, 2, 2, 3, 1, 1), 16, true, true},
		{newConvGeom(32, 32, 32, 3, 1, 1), 12, true, false},  // the generator's output layer
		{newConvGeom(24, 32, 32, 3, 2, 1), 48, false, false}, // stride 2
		{newConvGeom(3, 10, 10, 3, 1, 1), 12, false, false},
	}
	for _, c := range cases {
		ops, err := newOneDNNConv(c.geo, 4, c.nOut, true, 0.2)
		if err != nil {
			t.Fatal(err)
		}
		d := ops.(*oneDNNConv)
		if got := d.usesWinograd(); got != c.want {
			t.Errorf("%d→%d, stride %d: Winograd %v, want %v", c.geo.c, c.nOut, c.geo.s, got, c.want)
		}
		if got := d.weightsWinograd(); got != c.weights {
			t.Errorf("%d→%d at %d px: Winograd weight gradient %v, want %v", c.geo.c, c.nOut, c.geo.h, got, c.weights)
		}
	}
}

// TestWinogradAgreesWithDirect runs the agreement network (its last layer
// is Winograd's shape) with and without Winograd's algorithm.
func TestWinogradAgreesWithDirect(t *testing.T) {
	rng := rand.New(rand.NewSource(23))
	net := newAgreementNet(rng)
	net.fused = true
	checkWinograd(t, "agreement net", net, randParam("x", rng, 3, 3, 10, 10), randFloats(rng, 3*16*2*2))
}

// TestWinogradLayersAgreeWithDirect runs single layers of the generator's
// shapes (and the output layer's 12 channels) with and without Winograd's
// algorithm, fused activation and plain, forward and every gradient.
func TestWinogradLayersAgreeWithDirect(t *testing.T) {
	// 32 px: Winograd forward and backward-data, direct weight gradient.
	for _, c := range []struct{ in, out, size int }{{16, 12, 6}, {32, 12, 9}, {48, 32, 12}, {64, 48, 8}, {32, 12, 32}} {
		for _, fused := range []bool{true, false} {
			rng := rand.New(rand.NewSource(int64(c.in + c.out)))
			conv, err := NewConv2d("w", ConvConfig{In: c.in, Out: c.out, Kernel: 3, Pad: 1}, rng)
			if err != nil {
				t.Fatal(err)
			}
			randomize(rng, 0, 0.3, conv.B)
			net := &agreementNet{convs: []*Conv2d{conv}, fused: fused}
			x := randParam("x", rng, 3, c.in, c.size, c.size)
			name := fmt.Sprintf("%d→%d at %d px, fused %v", c.in, c.out, c.size, fused)
			checkWinograd(t, name, net, x, randFloats(rng, 3*c.out*c.size*c.size))
		}
	}
}

// checkWinograd compares net's output and gradients (see agreementNet.run)
// built without and with Winograd's algorithm.
func checkWinograd(t *testing.T, name string, net *agreementNet, x Param, r []float32) {
	t.Helper()
	defer func(w bool) { winograd = w }(winograd)
	winograd = false
	want := net.run(t, "onednn", x, r)
	winograd = true
	got := net.run(t, "onednn", x, r)
	for i := range want {
		if err := closeSlices(got[i], want[i], 1e-4); err != nil {
			t.Errorf("%s: result %d: %v", name, i, err)
		}
	}
}

// TestLoopsInCAgreeWithGo compares the C loops of the oneDNN build with the
// Go ones, on lengths that are not multiples of a vector.
func TestLoopsInCAgreeWithGo(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	vec := func(n int, lo float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + rng.Float64())
		}
		return v
	}
	t.Run("adam", func(t *testing.T) {
		const n = 1037
		theta, g, m, v := vec(n, -0.5), vec(n, -0.5), vec(n, -0.5), vec(n, 0)
		theta2, m2, v2 := append([]float32(nil), theta...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamUpdate(theta, g, m, v, 0.5, 0.99, 1e-3, 1e-8, 0.9999)
		adamUpdateC(theta2, g, m2, v2, 0.5, 0.99, 1e-3, 1e-8, 0.9999)
		for _, p := range [][2][]float32{{theta, theta2}, {m, m2}, {v, v2}} {
			if err := closeSlices(p[1], p[0], 1e-6); err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("group norm", func(t *testing.T) {
		const n, groups, cpg, sp = 3, 2, 5, 37 // groups of 185 floats: two blocks and a tail
		x, gamma, beta := vec(n*groups*cpg*sp, 2), vec(groups*cpg, 0.5), vec(groups*cpg, -0.5)
		want, got := make([]float32, len(x)), make([]float32, len(x))
		groupNormSamples(want, x, gamma, beta, n, groups, cpg, sp, 1e-5)
		groupNormSamplesC(got, x, gamma, beta, n, groups, cpg, sp, 1e-5)
		if err := closeSlices(got, want, 1e-5); err != nil {
			t.Errorf("forward: %v", err)
		}
		g := vec(len(x), -0.5)
		groupNormSamplesGrad(want, x, g, gamma, n, groups, cpg, sp, 1e-5)
		groupNormSamplesGradC(got, x, g, gamma, n, groups, cpg, sp, 1e-5)
		if err := closeSlices(got, want, 1e-5); err != nil {
			t.Errorf("dx: %v", err)
		}
		ch := groups * cpg
		for _, grad := range []struct {
			name    string
			goF, cF func(dst []float32)
		}{
			{"dγ", func(d []float32) { groupNormGammaGrad(d, x, g, n, groups, cpg, sp, 1e-5) },
				func(d []float32) { groupNormGammaGradC(d, x, g, n, groups, cpg, sp, 1e-5) }},
			{"dβ", func(d []float32) { groupNormBetaGrad(d, g, n, ch, sp) },
				func(d []float32) { groupNormBetaGradC(d, g, n, ch, sp) }},
		} {
			want, got := make([]float32, ch), vec(ch, 5) // got: garbage that must be overwritten
			grad.goF(want)
			grad.cF(got)
			if err := closeSlices(got, want, 1e-5); err != nil {
				t.Errorf("%s: %v", grad.name, err)
			}
		}
	})
	t.Run("pixel norm", func(t *testing.T) {
		const n, ch, sp = 3, 7, 37
		x, g := vec(n*ch*sp, -0.5), vec(n*ch*sp, -0.5)
		want, got := make([]float32, len(x)), make([]float32, len(x))
		pixelNormSamples(want, x, n, ch, sp, 1e-8)
		pixelNormSamplesC(got, x, n, ch, sp, 1e-8)
		if err := closeSlices(got, want, 1e-5); err != nil {
			t.Errorf("forward: %v", err)
		}
		pixelNormSamplesGrad(want, x, g, n, ch, sp, 1e-8)
		pixelNormSamplesGradC(got, x, g, n, ch, sp, 1e-8)
		if err := closeSlices(got, want, 1e-5); err != nil {
			t.Errorf("backward: %v", err)
		}
		for i, v := range got {
			if math.IsNaN(float64(v)) { // closeSlices lets NaN through
				t.Fatalf("backward [%d] is NaN", i)
			}
		}
	})
}
