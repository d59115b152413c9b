package gan

import (
	"math"
	"math/rand"
	"testing"
)

// blobs returns n codes of dimension d around two centres, a share w of
// them around the first, with noise sd.
func blobs(n, d int, w, sd float64, rng *rand.Rand) (codes []float32, a, b []float64) {
	a, b = make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		a[j] = float64(1 - 2*(j%2))   // + − + − ...
		b[j] = float64(1 - 2*(j/2%2)) // + + − − ...
	}
	for i := 0; i < n; i++ {
		c := b
		if float64(i) < w*float64(n) {
			c = a
		}
		for j := 0; j < d; j++ {
			codes = append(codes, float32(c[j]+sd*rng.NormFloat64()))
		}
	}
	return codes, a, b
}

func TestFitPriorFindsClusters(t *testing.T) {
	const d = 8
	codes, a, b := blobs(400, d, 0.25, 0.1, rand.New(rand.NewSource(1)))
	p, err := FitPrior(t.Context(), codes, d, PriorConfig{Components: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if p.Components() != 2 {
		t.Fatalf("%d components, want 2", p.Components())
	}
	// Match components to centres by distance, then check weight, mean
	// and spread.
	for c := 0; c < 2; c++ {
		mean := p.Means[c*d : (c+1)*d]
		centre, want := a, 0.25
		if dist(mean, b) < dist(mean, a) {
			centre, want = b, 0.75
		}
		if got := p.Weights[c]; math.Abs(got-want) > 1e-9 {
			t.Errorf("component %d: weight %.3f, want %.2f", c, got, want)
		}
		if e := dist(mean, centre); e > 0.05 {
			t.Errorf("component %d: mean %.3f from its centre", c, e)
		}
		// Diagonal of L Lᵀ: variance 0.01 (+ the 1e-4 ridge) per dimension.
		for i := 0; i < d; i++ {
			var v float64
			for j := 0; j <= i; j++ {
				l := float64(p.Chol[c*d*d+i*d+j])
				v += l * l
			}
			if v < 0.005 || v > 0.02 {
				t.Errorf("component %d: variance %.4f of dimension %d, want about 0.01", c, v, i)
			}
		}
	}
}

func TestPriorSamplesFollowTheMixture(t *testing.T) {
	const d, n = 8, 4000
	codes, a, b := blobs(400, d, 0.25, 0.1, rand.New(rand.NewSource(2)))
	p, err := FitPrior(t.Context(), codes, d, PriorConfig{Components: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	z := p.Sample(rand.New(rand.NewSource(3)), n)
	nearA := 0
	for i := 0; i < n; i++ {
		row := z[i*d : (i+1)*d]
		var mean, ss float64
		for _, v := range row {
			mean += float64(v) / d
		}
		for _, v := range row {
			ss += (float64(v) - mean) * (float64(v) - mean) / d
		}
		if math.Abs(mean) > 1e-4 || math.Abs(ss-1) > 1e-3 {
			t.Fatalf("sample %d is not standardised: mean %.4f, variance %.4f", i, mean, ss)
		}
		if dist(row, a) < dist(row, b) {
			nearA++
		}
	}
	if share := float64(nearA) / n; math.Abs(share-0.25) > 0.03 {
		t.Errorf("%.3f of samples near the first centre, want 0.25", share)
	}
	// The standard normal would put samples far from both centres.
	far := 0
	for i := 0; i < n; i++ {
		row := z[i*d : (i+1)*d]
		if min(dist(row, a), dist(row, b)) > 1 {
			far++
		}
	}
	if far > n/100 {
		t.Errorf("%d of %d samples are far from both centres", far, n)
	}
}

func TestFitPriorRejectsTooFewCodes(t *testing.T) {
	if _, err := FitPrior(t.Context(), make([]float32, 8*10), 8, PriorConfig{Components: 2}); err == nil {
		t.Error("10 codes for 2 components: no error")
	}
	if _, err := FitPrior(t.Context(), make([]float32, 7), 8, PriorConfig{}); err == nil {
		t.Error("7 values of 8-dim codes: no error")
	}
}

func dist(x []float32, c []float64) float64 {
	var s float64
	for i, v := range x {
		s += (float64(v) - c[i]) * (float64(v) - c[i])
	}
	return math.Sqrt(s)
}
