package imgmetric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// tensorFunc builds an h×w tensor whose channel c at (x, y) is f(c, x, y).
func tensorFunc(h, w int, f func(c, x, y int) float64) imaging.Tensor {
	t := imaging.Tensor{H: h, W: w, Pix: make([]float32, 3*h*w)}
	for c := 0; c < 3; c++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				t.Pix[(c*h+y)*w+x] = float32(f(c, x, y))
			}
		}
	}
	return t
}

func randomTensor(h, w int, seed uint64) imaging.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	return tensorFunc(h, w, func(int, int, int) float64 { return rng.Float64() })
}

// refSSIM is the definition of the mean SSIM written out directly: a 2-D
// Gaussian window evaluated at every valid position, float64 throughout,
// on one plane given as plane(x, y). It also returns the map.
func refSSIM(h, w int, px, py func(x, y int) float64) (float64, [][]float64) {
	const r = 5
	var win [2*r + 1][2*r + 1]float64
	var total float64
	for i := -r; i <= r; i++ {
		for j := -r; j <= r; j++ {
			win[i+r][j+r] = math.Exp(-float64(i*i+j*j) / (2 * 1.5 * 1.5))
			total += win[i+r][j+r]
		}
	}
	c1, c2 := 0.01*0.01, 0.03*0.03
	var sum float64
	m := make([][]float64, h-2*r)
	for y := r; y < h-r; y++ {
		m[y-r] = make([]float64, w-2*r)
		for x := r; x < w-r; x++ {
			var mx, my, sxx, syy, sxy float64
			for i := -r; i <= r; i++ {
				for j := -r; j <= r; j++ {
					wt := win[i+r][j+r] / total
					mx += wt * px(x+j, y+i)
					my += wt * py(x+j, y+i)
				}
			}
			for i := -r; i <= r; i++ {
				for j := -r; j <= r; j++ {
					wt := win[i+r][j+r] / total
					dx, dy := px(x+j, y+i)-mx, py(x+j, y+i)-my
					sxx += wt * dx * dx
					syy += wt * dy * dy
					sxy += wt * dx * dy
				}
			}
			s := (2*mx*my + c1) * (2*sxy + c2) / ((mx*mx + my*my + c1) * (sxx + syy + c2))
			m[y-r][x-r] = s
			sum += s
		}
	}
	return sum / float64((h-2*r)*(w-2*r)), m
}

// plane returns channel c of t as a function, or its BT.601 luma for c < 0.
func plane(t imaging.Tensor, c int) func(x, y int) float64 {
	return func(x, y int) float64 {
		if c >= 0 {
			return float64(t.At(c, y, x))
		}
		r, g, b := t.RGB(x, y)
		return float64(0.299*r + 0.587*g + 0.114*b)
	}
}

// patternPair is a fixed 16×16 pair: smooth colour gradients with a bright
// bar in a, and in b the same scene slightly shifted, darkened and with a
// different bar.
func patternPair() (a, b imaging.Tensor) {
	a = tensorFunc(16, 16, func(c, x, y int) float64 {
		v := 0.2 + 0.03*float64(x) + 0.01*float64(c*y)
		if x >= 6 && x <= 8 {
			v = 0.9
		}
		return v
	})
	b = tensorFunc(16, 16, func(c, x, y int) float64 {
		v := 0.15 + 0.03*float64(x+1) + 0.012*float64(c*y)
		if y >= 9 && y <= 10 {
			v = 0.8 - 0.1*float64(c)
		}
		return v
	})
	return a, b
}

func TestSSIMMatchesReference(t *testing.T) {
	a, b := patternPair()
	calc := NewCalculator()
	var m Map
	got, err := calc.SSIMMap(a, b, PerChannel, &m)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	wantMap := make([][]float64, 6)
	for y := range wantMap {
		wantMap[y] = make([]float64, 6)
	}
	for c := 0; c < 3; c++ {
		s, cm := refSSIM(16, 16, plane(a, c), plane(b, c))
		want += s / 3
		for y := range cm {
			for x := range cm[y] {
				wantMap[y][x] += cm[y][x] / 3
			}
		}
	}
	if math.Abs(got-want) > 1e-9 {
		t.Fatalf("SSIM = %.12f, reference %.12f", got, want)
	}
	if m.H != 6 || m.W != 6 {
		t.Fatalf("map is %d×%d, want 6×6", m.W, m.H)
	}
	var mapMean float64
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if d := math.Abs(float64(m.At(x, y)) - wantMap[y][x]); d > 1e-6 {
				t.Fatalf("map(%d,%d) = %v, reference %v", x, y, m.At(x, y), wantMap[y][x])
			}
			mapMean += float64(m.At(x, y)) / 36
		}
	}
	if math.Abs(mapMean-got) > 1e-6 {
		t.Fatalf("map mean %v differs from SSIM %v", mapMean, got)
	}

	gotLuma, err := calc.SSIM(a, b, Luma)
	if err != nil {
		t.Fatal(err)
	}
	wantLuma, _ := refSSIM(16, 16, plane(a, -1), plane(b, -1))
	// Luma is formed in float32, hence the looser tolerance.
	if math.Abs(gotLuma-wantLuma) > 1e-6 {
		t.Fatalf("luma SSIM = %.9f, reference %.9f", gotLuma, wantLuma)
	}
	if got > 0.95 || got < -0.5 {
		t.Fatalf("SSIM of different scenes = %v, expected a clearly partial similarity", got)
	}
}

func TestSSIMIdenticalIsOne(t *testing.T) {
	calc := NewCalculator()
	for _, size := range [][2]int{{11, 11}, {16, 23}, {64, 64}} {
		a := randomTensor(size[0], size[1], uint64(size[1]))
		for _, mode := range []Mode{PerChannel, Luma} {
			var m Map
			s, err := calc.SSIMMap(a, a, mode, &m)
			if err != nil {
				t.Fatal(err)
			}
			if s != 1 {
				t.Fatalf("%v mode %d: SSIM of an image with itself = %.17g, want exactly 1", size, mode, s)
			}
			for _, v := range m.Values {
				if v != 1 {
					t.Fatalf("%v mode %d: map value %v, want 1", size, mode, v)
				}
			}
		}
	}
}

func TestSSIMNegativeImage(t *testing.T) {
	a := randomTensor(64, 64, 3)
	neg := tensorFunc(64, 64, func(c, x, y int) float64 { return 1 - float64(a.At(c, y, x)) })
	for _, mode := range []Mode{PerChannel, Luma} {
		s, err := NewCalculator().SSIM(a, neg, mode)
		if err != nil {
			t.Fatal(err)
		}
		// Uniform noise has σ² = 1/12 ≫ C2, so σxy = −σ² makes the
		// structure term ≈ −1 while the luminance term stays ≈ 1.
		if s > -0.8 {
			t.Fatalf("mode %d: SSIM with the negative = %v, want strongly negative", mode, s)
		}
	}
}

func TestSSIMConstantImages(t *testing.T) {
	for _, tc := range []struct{ mx, my float64 }{
		{0.5, 0.5}, {0.2, 0.8}, {0, 1}, {0.9, 0.85}, {0.01, 0.03}, {1, 0.6},
	} {
		a := tensorFunc(20, 24, func(int, int, int) float64 { return tc.mx })
		b := tensorFunc(20, 24, func(int, int, int) float64 { return tc.my })
		mx, my := float64(float32(tc.mx)), float64(float32(tc.my))
		// σ = 0 for both, so only the luminance term remains.
		want := (2*mx*my + 1e-4) / (mx*mx + my*my + 1e-4)
		for _, mode := range []Mode{PerChannel, Luma} {
			got, err := NewCalculator().SSIM(a, b, mode)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-9
			if mode == Luma {
				tol = 1e-6 // luma of a constant is rounded to float32
			}
			if math.Abs(got-want) > tol {
				t.Fatalf("constants %v vs %v mode %d: SSIM %.12f, want %.12f", tc.mx, tc.my, mode, got, want)
			}
		}
	}
}

func TestSSIMCheckerboardNoise(t *testing.T) {
	// y = μ ± s in a checkerboard over a flat x = μ: σx = σxy = 0, and the
	// Gaussian window nearly cancels the checkerboard in μy and sees
	// σy² ≈ s², so SSIM ≈ C2 / (s² + C2).
	const mu = 0.5
	for _, s := range []float64{0.01, 0.03, 0.1} {
		flat := tensorFunc(32, 32, func(int, int, int) float64 { return mu })
		noisy := tensorFunc(32, 32, func(c, x, y int) float64 {
			return mu + s*float64(1-2*((x+y)%2))
		})
		s32 := float64(float32(mu+s)) - mu
		want := c2 / (s32*s32 + c2)
		got, err := SSIM(flat, noisy)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-4 {
			t.Fatalf("s = %v: SSIM %.6f, want %.6f", s, got, want)
		}
	}
}

func TestSSIMGaussianNoise(t *testing.T) {
	const mu, s = 0.5, 0.05
	rng := rand.New(rand.NewPCG(7, 7))
	flat := tensorFunc(64, 64, func(int, int, int) float64 { return mu })
	noisy := tensorFunc(64, 64, func(int, int, int) float64 { return mu + s*rng.NormFloat64() })
	// Each window's variance estimate is about s²; averaging
	// C2/(σ̂² + C2) over windows gives roughly C2/(s² + C2) ≈ 0.265.
	want := c2 / (s*s + c2)
	got, err := SSIM(flat, noisy)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 0.1*want {
		t.Fatalf("SSIM %.4f, want about %.4f", got, want)
	}
}

func TestSSIMSymmetric(t *testing.T) {
	a, b := randomTensor(40, 33, 1), randomTensor(40, 33, 2)
	// Blend so that the pair is partly similar.
	for i := range b.Pix {
		b.Pix[i] = 0.7*a.Pix[i] + 0.3*b.Pix[i]
	}
	calc := NewCalculator()
	for _, mode := range []Mode{PerChannel, Luma} {
		ab, err := calc.SSIM(a, b, mode)
		if err != nil {
			t.Fatal(err)
		}
		ba, err := calc.SSIM(b, a, mode)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(ab-ba) > 1e-12 || ab <= 0 || ab >= 1 {
			t.Fatalf("mode %d: SSIM(a,b) = %v, SSIM(b,a) = %v", mode, ab, ba)
		}
	}
}

func TestCalculatorReuseAcrossSizes(t *testing.T) {
	calc := NewCalculator()
	for i, size := range [][2]int{{64, 64}, {20, 30}, {64, 64}, {12, 11}} {
		a, b := randomTensor(size[0], size[1], uint64(i)), randomTensor(size[0], size[1], uint64(i+10))
		got, err := calc.SSIM(a, b, PerChannel)
		if err != nil {
			t.Fatal(err)
		}
		want, err := NewCalculator().SSIM(a, b, PerChannel)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("size %v: reused calculator gives %v, fresh one %v", size, got, want)
		}
	}
}

func TestSSIMInvalidInput(t *testing.T) {
	ok := randomTensor(16, 16, 1)
	tests := []struct {
		name string
		a, b imaging.Tensor
		mode Mode
	}{
		{"size mismatch", ok, randomTensor(16, 17, 1), PerChannel},
		{"smaller than the window", randomTensor(10, 16, 1), randomTensor(10, 16, 2), PerChannel},
		{"malformed tensor", ok, imaging.Tensor{H: 16, W: 16, Pix: make([]float32, 10)}, PerChannel},
		{"empty tensor", imaging.Tensor{}, imaging.Tensor{}, Luma},
		{"unknown mode", ok, ok, Mode(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCalculator().SSIM(tt.a, tt.b, tt.mode)
			if err == nil || atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
		})
	}
}

func TestMSEAndPSNR(t *testing.T) {
	a := tensorFunc(8, 8, func(int, int, int) float64 { return 0.25 })
	b := tensorFunc(8, 8, func(c, x, y int) float64 { return 0.25 + 0.1*float64(1-2*((x+c)%2)) })
	mse, err := MSE(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Half the values are 0.1 above a, half 0.1 below (as float32).
	up := float64(float32(0.35)) - float64(float32(0.25))
	down := float64(float32(0.15)) - float64(float32(0.25))
	if want := (up*up + down*down) / 2; math.Abs(mse-want) > 1e-12 {
		t.Fatalf("MSE %v, want %v", mse, want)
	}
	psnr, err := PSNR(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(psnr-20) > 1e-5 {
		t.Fatalf("PSNR %v dB, want 20 dB for a 0.1 error", psnr)
	}
	if p, _ := PSNR(a, a); !math.IsInf(p, 1) {
		t.Fatalf("PSNR of equal images %v, want +Inf", p)
	}
	if _, err := MSE(a, randomTensor(9, 8, 1)); err == nil {
		t.Fatal("MSE of different sizes: no error")
	}
}

func BenchmarkSSIM64(b *testing.B) {
	x, y := randomTensor(64, 64, 1), randomTensor(64, 64, 2)
	calc := NewCalculator()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.SSIM(x, y, PerChannel); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSSIM64Luma(b *testing.B) {
	x, y := randomTensor(64, 64, 1), randomTensor(64, 64, 2)
	calc := NewCalculator()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.SSIM(x, y, Luma); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSSIM128Map(b *testing.B) {
	x, y := randomTensor(128, 128, 1), randomTensor(128, 128, 2)
	calc := NewCalculator()
	var m Map
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.SSIMMap(x, y, PerChannel, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSSIMMatchesSkimage compares with values computed by scikit-image
// 0.19.3 on the same float32 pixel values:
//
//	structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
//	    use_sample_covariance=False, data_range=1.0, channel_axis=2)
//
// (for the luma case, on the float32 luma planes without channel_axis).
func TestSSIMMatchesSkimage(t *testing.T) {
	a, b := patternPair()
	waves := func(amp, ripple float64) imaging.Tensor {
		return tensorFunc(48, 40, func(c, x, y int) float64 {
			fx, fy := float64(x), float64(y)
			return 0.5 + amp*math.Sin(0.3*fx+0.2*fy+float64(c)) + ripple*math.Cos(0.5*fx-0.7*fy)
		})
	}
	tests := []struct {
		name string
		a, b imaging.Tensor
		mode Mode
		want float64
		tol  float64
	}{
		{"pattern pair rgb", a, b, PerChannel, 0.024780523528, 1e-9},
		{"pattern pair luma", a, b, Luma, 0.008548397775, 1e-7},
		{"waves 48x40 rgb", waves(0.4, 0), waves(0.35, 0.1), PerChannel, 0.853474886542, 1e-9},
	}
	for _, tt := range tests {
		got, err := NewCalculator().SSIM(tt.a, tt.b, tt.mode)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: SSIM %.12f, scikit-image %.12f", tt.name, got, tt.want)
		}
	}
}
