package gan

import (
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

// newColourScorer returns eval_test.go's colourScorer, a tiny real Scorer
// with exact gradients: φ(x) is the mean colour, the category the strongest
// channel.
func newColourScorer(t testing.TB, size int) colourScorer {
	t.Helper()
	return colourScorer{size: size}
}

// redTaste prefers red over blue.
var redTaste = []float32{1, 0, -1}

// tinyModels64 returns untrained 64 px models, narrow enough for tests: the
// watermark needs 64 px images.
func tinyModels64(t testing.TB, seed int64) *Models {
	t.Helper()
	m, err := NewGAN(GeneratorConfig{ZDim: 8, Widths: []int{8, 8, 8, 8}},
		DiscriminatorConfig{Size: 64, Widths: []int{4, 4, 4, 4}, Group: 2, Gain: 2}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m.Models()
}

// tinyRealism calibrates realism on toy catalog images.
func tinyRealism(t testing.TB, m *Models) *Realism {
	t.Helper()
	r, err := CalibrateRealism(t.Context(), m.D, newSquares(20, m.Size(), 3), 5)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func maxAbsDiff(a, b imaging.Tensor) float64 {
	var d float64
	for i, v := range a.Pix {
		d = max(d, float64(max(v-b.Pix[i], b.Pix[i]-v)))
	}
	return d
}
