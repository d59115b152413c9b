package taste

import (
	"math"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

// square draws a size×size product of colour fill(x, y) in the middle of a
// white 16×16 frame.
func square(size int, fill func(x, y int) [3]float32) imaging.Tensor {
	t := imaging.NewTensor(16, 16)
	n, lo := 16*16, (16-size)/2
	for y := lo; y < lo+size; y++ {
		for x := lo; x < lo+size; x++ {
			c := fill(x, y)
			i := y*16 + x
			t.Pix[i], t.Pix[n+i], t.Pix[2*n+i] = c[0], c[1], c[2]
		}
	}
	return t
}

func solid(r, g, b float32) func(int, int) [3]float32 {
	return func(int, int) [3]float32 { return [3]float32{r, g, b} }
}

func TestMeasure(t *testing.T) {
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %.6f, want %.6f", name, got, want)
		}
	}
	orange := Measure(square(8, solid(1, 0.5, 0))) // h = 30°, s = 1, v = 1
	near("orange warmth", orange.Warmth, 1)
	near("orange saturation", orange.Saturation, 1)
	near("orange value", orange.Value, 1)
	near("orange coverage", orange.Coverage, 64.0/256)
	near("plain pattern", orange.Pattern, 0)

	blue := Measure(square(8, solid(0, 0.5, 1))) // h = 210°
	near("blue warmth", blue.Warmth, -1)
	grey := Measure(square(8, solid(0.4, 0.4, 0.4)))
	near("grey warmth", grey.Warmth, 0)
	near("grey saturation", grey.Saturation, 0)
	near("grey value", grey.Value, 0.4)

	// Stripes two pixels wide: central differences see every step, so each
	// interior pixel has |∇L| = 0.5/2 (one-pixel stripes would cancel out).
	stripes := Measure(square(8, func(x, _ int) [3]float32 {
		if (x/2)%2 == 0 {
			return [3]float32{0, 0, 0}
		}
		return [3]float32{0.5, 0.5, 0.5}
	}))
	near("stripes pattern", stripes.Pattern, 0.25) // each step is 0.5 over two pixels
	if (Measure(imaging.NewTensor(8, 8)) != Look{}) {
		t.Error("a white image has a look")
	}
}

func TestDescribe(t *testing.T) {
	var ref []Sample
	for i := range 100 {
		v := float64(i%10) / 10 // 0 … 0.9, mean 0.45, sd ≈ 0.287
		cat := []string{"dress", "tshirt", "heel", "handbag"}[i%4]
		ref = append(ref, Sample{Look: Look{Warmth: v, Value: v, Saturation: v, Pattern: v, Coverage: 0.3}, Category: cat})
	}
	// Warm, dark, neither saturation nor pattern clearly apart, mostly dresses.
	group := []Sample{
		{Look{Warmth: 0.9, Value: 0.1, Saturation: 0.5, Pattern: 0.4, Coverage: 0.3}, "dress"},
		{Look{Warmth: 0.8, Value: 0.2, Saturation: 0.5, Pattern: 0.5, Coverage: 0.3}, "dress"},
		{Look{Warmth: 0.9, Value: 0.1, Saturation: 0.4, Pattern: 0.5, Coverage: 0.3}, "dress"},
		{Look{Warmth: 0.8, Value: 0.2, Saturation: 0.4, Pattern: 0.4, Coverage: 0.3}, "tshirt"},
	}
	d := Describe(group, ref)
	if got, want := d.Sentence, "warmer, darker colours; mostly dresses"; got != want {
		t.Errorf("sentence %q, want %q (%+v)", got, want, d)
	}
	if d.Differences.Coverage != 0 || math.Abs(d.Differences.Saturation) >= Threshold {
		t.Errorf("differences %+v", d.Differences)
	}
	if len(d.Categories) != 1 || d.Categories[0].Share != 0.75 || d.Categories[0].Reference != 0.25 {
		t.Errorf("categories %+v", d.Categories)
	}

	// Just under the threshold says nothing; the opposite side, the other word.
	sd := 0.28722813232690143
	var under []Sample
	for _, cat := range []string{"dress", "tshirt", "heel", "handbag"} { // the reference's mix: no category stands out
		under = append(under, Sample{Look{Warmth: 0.45 + 0.49*sd, Value: 0.45, Saturation: 0.45, Pattern: 0.45 - 0.51*sd, Coverage: 0.3}, cat})
	}
	d = Describe(under, ref)
	if strings.Join(d.Traits, ",") != "plain" || d.Sentence != "plain" {
		t.Errorf("near the threshold: traits %v, sentence %q", d.Traits, d.Sentence)
	}
	if d := Describe(ref, ref); !strings.HasPrefix(d.Sentence, "no clear difference") || len(d.Traits) != 0 {
		t.Errorf("the reference against itself: %q", d.Sentence)
	}
	if d := Describe(nil, ref); d.Sentence != "no items to compare" {
		t.Errorf("empty group: %q", d.Sentence)
	}
}
