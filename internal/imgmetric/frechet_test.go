package imgmetric

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/atelier-app/atelier"
)

// gaussianSample draws n vectors from N(mean, diag(sd²)), row-major.
func gaussianSample(n int, mean, sd []float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	k := len(mean)
	out := make([]float32, n*k)
	for i := range out {
		j := i % k
		out[i] = float32(mean[j] + sd[j]*rng.NormFloat64())
	}
	return out
}

// diagGaussian is N(mean, diag(variances)).
func diagGaussian(mean, variances []float64) Gaussian {
	cov := mat.NewSymDense(len(mean), nil)
	for i, v := range variances {
		cov.SetSym(i, i, v)
	}
	return Gaussian{Mean: mean, Cov: cov, N: 2}
}

// rotate returns Q·Σ·Qᵀ for the rotation by theta in the (0,1) plane.
func rotate(g Gaussian, theta float64) Gaussian {
	k := len(g.Mean)
	q := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		q.Set(i, i, 1)
	}
	c, s := math.Cos(theta), math.Sin(theta)
	q.Set(0, 0, c)
	q.Set(0, 1, -s)
	q.Set(1, 0, s)
	q.Set(1, 1, c)
	var t, r mat.Dense
	t.Mul(q, g.Cov)
	r.Mul(&t, q.T())
	cov := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			cov.SetSym(i, j, (r.At(i, j)+r.At(j, i))/2)
		}
	}
	return Gaussian{Mean: g.Mean, Cov: cov, N: g.N}
}

func TestFrechetClosedForms(t *testing.T) {
	m1, m2 := []float64{0, 1, 2}, []float64{1, 1, -1}
	v1, v2 := []float64{1, 4, 0.25}, []float64{9, 1, 0.25}
	// Diagonal covariances: ‖Δμ‖² + Σ(σ1 − σ2)² = (1 + 0 + 9) + (4 + 1 + 0).
	const wantDiag = 15.0
	// 2×2 non-commuting case: for 2×2 PSD A, Tr(A^½) = √(Tr A + 2√det A),
	// so Tr((Σ1Σ2)^½) = √(Tr(Σ1Σ2) + 2√(det Σ1 det Σ2)).
	s1 := mat.NewSymDense(2, []float64{2, 0.5, 0.5, 1})
	s2 := mat.NewSymDense(2, []float64{1, -0.3, -0.3, 3})
	var p mat.Dense
	p.Mul(s1, s2)
	trSqrt := math.Sqrt(mat.Trace(&p) + 2*math.Sqrt(mat.Det(s1)*mat.Det(s2)))
	want2x2 := 4 + mat.Trace(s1) + mat.Trace(s2) - 2*trSqrt // Δμ = (2, 0)

	tests := []struct {
		name   string
		g1, g2 Gaussian
		want   float64
	}{
		{"identical", diagGaussian(m1, v1), diagGaussian(m1, v1), 0},
		{"diagonal", diagGaussian(m1, v1), diagGaussian(m2, v2), wantDiag},
		// A common rotation keeps the covariances commuting, and the
		// distance is rotation invariant.
		{"rotated together", rotate(diagGaussian(m1, v1), 0.7), rotate(diagGaussian(m2, v2), 0.7), wantDiag},
		{"means only", diagGaussian(m1, v1), diagGaussian(m2, v1), 10},
		{"2x2 non-commuting", Gaussian{Mean: []float64{2, 0}, Cov: s1}, Gaussian{Mean: []float64{0, 0}, Cov: s2}, want2x2},
	}
	for _, tt := range tests {
		got, err := FrechetGaussians(tt.g1, tt.g2)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > 1e-9*(1+tt.want) {
			t.Errorf("%s: FD %.12f, want %.12f", tt.name, got, tt.want)
		}
		back, _ := FrechetGaussians(tt.g2, tt.g1)
		if math.Abs(got-back) > 1e-9*(1+tt.want) {
			t.Errorf("%s: FD not symmetric: %v vs %v", tt.name, got, back)
		}
	}
}

func TestFrechetSampledGaussians(t *testing.T) {
	mean1, sd1 := []float64{0, 0, 0, 0}, []float64{1, 2, 0.5, 1}
	mean2, sd2 := []float64{0.5, 0, -0.5, 0}, []float64{1, 1, 0.5, 2}
	a := gaussianSample(20000, mean1, sd1, 1)
	b := gaussianSample(20000, mean2, sd2, 2)
	// ‖Δμ‖² = 0.5, Σ(σ1 − σ2)² = 0 + 1 + 0 + 1.
	const want = 2.5
	got, err := FrechetDistance(a, b, 4)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 0.1 {
		t.Fatalf("FD of samples %.4f, want about %.4f", got, want)
	}
	self, err := FrechetDistance(a, a, 4)
	if err != nil {
		t.Fatal(err)
	}
	if self > 1e-9 {
		t.Fatalf("FD of a set with itself = %g, want 0", self)
	}
	// Two samples of one distribution are close but not identical.
	c := gaussianSample(20000, mean1, sd1, 3)
	if same, _ := FrechetDistance(a, c, 4); same > 0.05 || same == 0 {
		t.Fatalf("FD of two samples of one Gaussian = %g", same)
	}
}

func TestFrechetScalingAndShift(t *testing.T) {
	a := gaussianSample(500, []float64{0, 1, 0}, []float64{1, 0.5, 2}, 4)
	b := gaussianSample(400, []float64{1, 0, 0}, []float64{2, 0.5, 1}, 5)
	base, err := FrechetDistance(a, b, 3)
	if err != nil {
		t.Fatal(err)
	}
	transform := func(x []float32, scale float32, shift []float32) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = scale*v + shift[i%3]
		}
		return out
	}
	zero := []float32{0, 0, 0}
	d := []float32{3, -1, 0.5}

	// Scaling every feature by c scales the distance by c².
	scaled, err := FrechetDistance(transform(a, 3, zero), transform(b, 3, zero), 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(scaled-9*base) > 1e-3*base {
		t.Fatalf("scaled FD %v, want 9×%v", scaled, base)
	}
	// Shifting both sets changes nothing.
	both, _ := FrechetDistance(transform(a, 1, d), transform(b, 1, d), 3)
	if math.Abs(both-base) > 1e-3*base {
		t.Fatalf("FD after shifting both %v, want %v", both, base)
	}
	// Shifting one set by d only changes the mean term: ‖μa − μb − d‖².
	ga, _ := FitGaussian(a, 3)
	gb, _ := FitGaussian(b, 3)
	var before, after float64
	for j := 0; j < 3; j++ {
		dm := ga.Mean[j] - gb.Mean[j]
		before += dm * dm
		dm -= float64(d[j])
		after += dm * dm
	}
	one, _ := FrechetDistance(transform(a, 1, zero), transform(b, 1, d), 3)
	if want := base - before + after; math.Abs(one-want) > 1e-3*want {
		t.Fatalf("FD after shifting one set %v, want %v", one, want)
	}
}

func TestFitGaussian(t *testing.T) {
	x := []float32{1, 2, 3, 6, 5, 4} // three 2-vectors: (1,2), (3,6), (5,4)
	g, err := FitGaussian(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	if g.N != 3 || g.Mean[0] != 3 || g.Mean[1] != 4 {
		t.Fatalf("N %d mean %v, want 3 and (3, 4)", g.N, g.Mean)
	}
	// Deviations (−2,−2), (0,2), (2,0); unbiased: divide by 2.
	want := [2][2]float64{{4, 2}, {2, 4}}
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			if math.Abs(g.Cov.At(i, j)-want[i][j]) > 1e-12 {
				t.Fatalf("cov = %v, want %v", mat.Formatted(g.Cov), want)
			}
		}
	}
}

func TestFrechetInvalidInput(t *testing.T) {
	ok := []float32{1, 2, 3, 4}
	tests := []struct {
		name string
		a, b []float32
		k    int
	}{
		{"zero dimension", ok, ok, 0},
		{"ragged", ok, []float32{1, 2, 3}, 2},
		{"one vector", ok, []float32{1, 2}, 2},
		{"not finite", ok, []float32{1, float32(math.NaN()), 3, 4}, 2},
		{"infinite", []float32{float32(math.Inf(1)), 0, 0, 0}, ok, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := FrechetDistance(tt.a, tt.b, tt.k); atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
		})
	}
	g2 := diagGaussian([]float64{0, 0}, []float64{1, 1})
	g3 := diagGaussian([]float64{0, 0, 0}, []float64{1, 1, 1})
	if _, err := FrechetGaussians(g2, g3); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("different dimensions: err = %v", err)
	}
}

func BenchmarkFrechet64(b *testing.B) {
	x := gaussianSample(1000, make([]float64, 64), onesF(64), 1)
	y := gaussianSample(1000, make([]float64, 64), onesF(64), 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FrechetDistance(x, y, 64); err != nil {
			b.Fatal(err)
		}
	}
}

func onesF(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
