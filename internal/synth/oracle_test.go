package synth

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

// img builds an h×w tensor from a function giving each pixel's RGB.
func img(t *testing.T, h, w int, px func(x, y int) (r, g, b float32)) imaging.Tensor {
	t.Helper()
	tn := imaging.NewTensor(h, w)
	n := h * w
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			tn.Pix[i], tn.Pix[n+i], tn.Pix[2*n+i] = px(x, y)
		}
	}
	return tn
}

func checkFeatures(t *testing.T, got, want Features) {
	t.Helper()
	const tol = 1e-6
	g := [8]float64{got.HueCos, got.HueSin, got.Saturation, got.Value, got.Contrast, got.Pattern, got.Coverage, got.Extent}
	w := [8]float64{want.HueCos, want.HueSin, want.Saturation, want.Value, want.Contrast, want.Pattern, want.Coverage, want.Extent}
	names := []string{"hue_cos", "hue_sin", "saturation", "value", "contrast", "pattern", "coverage", "extent"}
	for i := range g {
		if math.Abs(g[i]-w[i]) > tol {
			t.Errorf("%s = %.7f, want %.7f", names[i], g[i], w[i])
		}
	}
}

func TestFeaturesEmptyWhite(t *testing.T) {
	checkFeatures(t, FeaturesOf(imaging.NewTensor(8, 8)), Features{})
	// Just above the mask threshold: min channel 0.93, max(1−c) = 0.07.
	pale := img(t, 4, 4, func(_, _ int) (float32, float32, float32) { return 0.95, 0.93, 0.99 })
	checkFeatures(t, FeaturesOf(pale), Features{})
	checkFeatures(t, FeaturesOf(imaging.Tensor{}), Features{})
}

// redSquare is a 10×10 white image with a pure red 4×4 square at rows and
// columns 3..6.
func redSquare(t *testing.T) imaging.Tensor {
	return img(t, 10, 10, func(x, y int) (float32, float32, float32) {
		if x >= 3 && x <= 6 && y >= 3 && y <= 6 {
			return 1, 0, 0
		}
		return 1, 1, 1
	})
}

func TestFeaturesRedSquare(t *testing.T) {
	// M = 16 pixels, each h=0, s=1, v=1, L=0.299.
	// hue_cos = 1·cos 0 = 1, hue_sin = 0; saturation 1; value 1;
	// contrast: all L equal → 0; pattern: the 4 interior pixels (rows and
	// columns 4..5) have flat neighbours → 0; coverage 16/100; extent 4/10.
	checkFeatures(t, FeaturesOf(redSquare(t)), Features{
		HueCos: 1, HueSin: 0, Saturation: 1, Value: 1, Contrast: 0, Pattern: 0, Coverage: 0.16, Extent: 0.4,
	})
}

func TestFeaturesStripes(t *testing.T) {
	// 8×8, even rows pure blue (0,0,1), odd rows black: all 64 in M.
	// Blue: h=240, s=1, v=1, L=0.114. Black: s=0, v=0, L=0.
	// hue_cos = ½·cos 240° = −0.25; hue_sin = ½·sin 240° = −0.4330127.
	// saturation ½, value ½; contrast = std{0.114, 0} = 0.057.
	// Interior pixels are rows and columns 1..6 (36). A blue pixel:
	// 0.114+0.114+0+0−4·0.114 = −0.228; a black one: 0+0+0.114+0.114−0 =
	// 0.228; mean |.| = 0.228, /0.25 = 0.912. coverage 1, extent 1.
	stripes := img(t, 8, 8, func(_, y int) (float32, float32, float32) {
		if y%2 == 0 {
			return 0, 0, 1
		}
		return 0, 0, 0
	})
	checkFeatures(t, FeaturesOf(stripes), Features{
		HueCos: -0.25, HueSin: -0.5 * math.Sqrt(3) / 2, Saturation: 0.5, Value: 0.5,
		Contrast: 0.057, Pattern: 0.912, Coverage: 1, Extent: 1,
	})
}

func TestFeaturesCheckerboardPatternCaps(t *testing.T) {
	// Blue/black checks: every interior pixel differs from all 4
	// neighbours, |Laplacian| = 4·0.114 = 0.456, /0.25 = 1.824 → capped at 1.
	checks := img(t, 6, 6, func(x, y int) (float32, float32, float32) {
		if (x+y)%2 == 0 {
			return 0, 0, 1
		}
		return 0, 0, 0
	})
	if got := FeaturesOf(checks).Pattern; got != 1 {
		t.Fatalf("pattern = %v, want 1 (capped)", got)
	}
}

func TestFeaturesGreyGradient(t *testing.T) {
	// 3 rows × 5 columns; column x is grey 0.2·x (0 .. 0.8), all in M.
	// Greys: s=0, so hue and saturation are 0; v = L = 0.2x.
	// value = mean{0,.2,.4,.6,.8} = 0.4; contrast = sqrt((.16+.04+0+.04+.16)/5)
	// = sqrt(0.08) = 0.2828427. A linear ramp has zero Laplacian: the 3
	// interior pixels (row 1, columns 1..3) give 0 → pattern 0.
	// coverage 1, extent 1.
	ramp := img(t, 3, 5, func(x, _ int) (float32, float32, float32) {
		g := float32(0.2 * float64(x))
		return g, g, g
	})
	checkFeatures(t, FeaturesOf(ramp), Features{Value: 0.4, Contrast: math.Sqrt(0.08), Coverage: 1, Extent: 1})
}

func TestFeaturesPartialRowsAndHue(t *testing.T) {
	// 10×4 white image; rows 2..4 hold one pale green pixel each at column 1:
	// (0.5, 1, 0.5) has h=120, s=0.5, v=1, L=0.299·.5+0.587+0.114·.5 = 0.7935.
	// hue_cos = 0.5·cos120° = −0.25, hue_sin = 0.5·sin120° = 0.4330127;
	// no interior pixels → pattern 0; coverage 3/40; extent 3/10.
	g := img(t, 10, 4, func(x, y int) (float32, float32, float32) {
		if x == 1 && y >= 2 && y <= 4 {
			return 0.5, 1, 0.5
		}
		return 1, 1, 1
	})
	f := FeaturesOf(g)
	checkFeatures(t, f, Features{HueCos: -0.25, HueSin: math.Sqrt(3) / 4, Saturation: 0.5, Value: 1, Coverage: 0.075, Extent: 0.3})
	// hue(120°) = mean s·cos 0 = 0.5; hue(300°) = −0.5.
	if math.Abs(f.Hue(120)-0.5) > 1e-9 || math.Abs(f.Hue(300)+0.5) > 1e-9 {
		t.Fatalf("hue(120) = %v, hue(300) = %v", f.Hue(120), f.Hue(300))
	}
}

func TestUtility(t *testing.T) {
	f := FeaturesOf(redSquare(t))
	c := Consumer{Hue: HueTaste{Angle: 60, Weight: 2}, Weights: Weights{Saturation: 1, Value: -0.5, Coverage: 3, Extent: -1}}
	// 2·(1·cos 60°) + 1·1 − 0.5·1 + 3·0.16 − 1·0.4 = 1 + 1 − 0.5 + 0.48 − 0.4 = 1.58
	if got := c.Utility(f); math.Abs(got-1.58) > 1e-9 {
		t.Fatalf("utility = %v, want 1.58", got)
	}
}

func TestPersonaUtilityIsMeanOverConsumers(t *testing.T) {
	p := Persona{Name: "p", Share: 1, Hue: HueTaste{Angle: 30, Weight: 2}, Weights: Weights{Saturation: 1, Pattern: -1}, Noise: 0.8}
	f := Features{HueCos: 0.4, HueSin: 0.3, Saturation: 0.6, Pattern: 0.5}
	cs := DrawConsumers([]Persona{p}, 20000, 3)
	var sum float64
	for _, c := range cs {
		sum += c.Utility(f)
	}
	mc := sum / float64(len(cs))
	// The hue term shrinks by e^(−σ²/2) with σ = 0.8·π/6: a noticeable effect
	// at this noise, so the test fails if the factor is dropped.
	central := Consumer{Hue: p.Hue, Weights: p.Weights}.Utility(f)
	if got := PersonaUtility(p, f); math.Abs(got-mc) > 0.02 || math.Abs(central-mc) < 0.05 {
		t.Fatalf("PersonaUtility = %.4f, Monte Carlo mean = %.4f, central weights give %.4f", got, mc, central)
	}
}

func TestChooseFollowsUtility(t *testing.T) {
	c := Consumer{Weights: Weights{Value: 1}}
	shown := []Features{{Value: 0.2}, {Value: 0.9}, {Value: 0.5}}
	p := ChoiceProbabilities(c, shown, 0.1)
	// softmax(2, 9, 5): p1 = 1/(1 + e^−7 + e^−4)
	want := 1 / (1 + math.Exp(-7) + math.Exp(-4))
	if math.Abs(p[1]-want) > 1e-12 || math.Abs(p[0]+p[1]+p[2]-1) > 1e-12 {
		t.Fatalf("probabilities %v, want p[1] = %v", p, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 3)
	for range 4000 {
		counts[Choose(rng, c, shown, 1)]++
	}
	// At temperature 1 the split is softmax(0.2, 0.9, 0.5) ≈ 0.22/0.44/0.30.
	if !(counts[1] > counts[2] && counts[2] > counts[0]) {
		t.Fatalf("pick counts %v do not follow utility", counts)
	}
	if Choose(rng, c, nil, 0.1) != -1 {
		t.Fatal("choice from nothing")
	}
	imgs := []imaging.Tensor{redSquare(t), imaging.NewTensor(10, 10)}
	// Value weight 1: red square has value 1, the empty image 0.
	if got := ChooseImages(rng, c, imgs, 0.01); got != 0 {
		t.Fatalf("ChooseImages picked %d", got)
	}
}
