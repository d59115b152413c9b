package imgmetric

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/atelier-app/atelier"
)

// Gaussian is a multivariate normal fitted to a set of feature vectors. A
// reference set's Gaussian can be fitted once and compared with many
// generated sets.
type Gaussian struct {
	Mean []float64     // sample mean, length K
	Cov  *mat.SymDense // unbiased sample covariance (divided by N−1), K×K
	N    int           // number of vectors it was fitted on
}

// FitGaussian fits a Gaussian to features, N vectors of k values each,
// row-major. It needs at least two vectors and finite values.
func FitGaussian(features []float32, k int) (Gaussian, error) {
	if k <= 0 {
		return Gaussian{}, atelier.Errorf(atelier.KindInvalid, "feature dimension must be positive, got %d", k)
	}
	if len(features)%k != 0 {
		return Gaussian{}, atelier.Errorf(atelier.KindInvalid, "%d feature values are not a whole number of %d-dimensional vectors", len(features), k)
	}
	n := len(features) / k
	if n < 2 {
		return Gaussian{}, atelier.Errorf(atelier.KindInvalid, "a Gaussian needs at least 2 feature vectors, got %d", n)
	}
	mean := make([]float64, k)
	for i, v := range features {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Gaussian{}, atelier.Errorf(atelier.KindInvalid, "feature vector %d has a non-finite value", i/k)
		}
		mean[i%k] += f
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	centred := mat.NewDense(n, k, nil)
	for r := 0; r < n; r++ {
		row := features[r*k : (r+1)*k]
		for j, v := range row {
			centred.Set(r, j, float64(v)-mean[j])
		}
	}
	cov := mat.NewSymDense(k, nil)
	cov.SymOuterK(1/float64(n-1), centred.T())
	return Gaussian{Mean: mean, Cov: cov, N: n}, nil
}

// FrechetDistance fits Gaussians to two feature sets (row-major, k values
// per vector) and returns the Fréchet distance between them.
func FrechetDistance(a, b []float32, k int) (float64, error) {
	ga, err := FitGaussian(a, k)
	if err != nil {
		return 0, err
	}
	gb, err := FitGaussian(b, k)
	if err != nil {
		return 0, err
	}
	return FrechetGaussians(ga, gb)
}

// FrechetGaussians returns ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½), computed
// through symmetric eigendecompositions (see the package documentation).
// Round-off can make the exact value 0 come out slightly negative; such
// results are reported as 0.
func FrechetGaussians(g1, g2 Gaussian) (float64, error) {
	k := len(g1.Mean)
	if k == 0 || len(g2.Mean) != k || g1.Cov == nil || g2.Cov == nil ||
		g1.Cov.SymmetricDim() != k || g2.Cov.SymmetricDim() != k {
		return 0, atelier.Errorf(atelier.KindInvalid, "Gaussians of different or empty dimensions")
	}
	var d2 float64
	for i, m := range g1.Mean {
		d := m - g2.Mean[i]
		d2 += d * d
	}
	s1, err := sqrtPSD(g1.Cov)
	if err != nil {
		return 0, err
	}
	// M = Σ1^½ Σ2 Σ1^½, symmetric up to round-off.
	var tmp, m mat.Dense
	tmp.Mul(s1, g2.Cov)
	m.Mul(&tmp, s1)
	sym := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, atelier.Errorf(atelier.KindInternal, "eigendecomposition of Σ1^½Σ2Σ1^½ did not converge")
	}
	var trSqrt float64
	for _, v := range eig.Values(nil) {
		if v > 0 {
			trSqrt += math.Sqrt(v)
		}
	}
	fd := d2 + mat.Trace(g1.Cov) + mat.Trace(g2.Cov) - 2*trSqrt
	if math.IsNaN(fd) {
		return 0, atelier.Errorf(atelier.KindInvalid, "Fréchet distance is not a number (non-finite covariance?)")
	}
	return math.Max(fd, 0), nil
}

// sqrtPSD returns the symmetric square root V·diag(√λ)·Vᵀ of a symmetric
// positive semi-definite matrix, with negative round-off eigenvalues
// treated as 0.
func sqrtPSD(a *mat.SymDense) (*mat.SymDense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return nil, atelier.Errorf(atelier.KindInternal, "eigendecomposition of a covariance did not converge")
	}
	vals := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	k := len(vals)
	// Scale column j of V by λj^¼ so that (VD^¼)(VD^¼)ᵀ = VD^½Vᵀ.
	for j, l := range vals {
		f := 0.0
		if l > 0 {
			f = math.Sqrt(math.Sqrt(l))
		}
		for i := 0; i < k; i++ {
			v.Set(i, j, v.At(i, j)*f)
		}
	}
	out := mat.NewSymDense(k, nil)
	out.SymOuterK(1, &v)
	return out, nil
}
