package recommender

import (
	"math"

	"github.com/atelier-app/atelier"
)

// Pick is one round of the image-choice flow: the features φ of the image
// the consumer chose and of the others shown with it. It says "chosen over
// each other", one BPR pair each.
type Pick struct {
	Chosen []float32
	Others [][]float32
}

// FoldInConfig configures FoldIn; zero fields take the defaults shown.
type FoldInConfig struct {
	Lambda  float64   // λ, pull towards the prior (0.1)
	Prior   []float32 // θ₀: the mean θ of known consumers, or nil for zero
	MaxIter int       // Newton steps at most (20)
	Tol     float64   // stop when the Newton decrement g·Δ falls below (1e-8)
}

// FoldIn estimates the θ of a consumer the model was not trained on from
// their picks, with the item features fixed, by maximising
//
//	L(θ) = Σ_(c,o) ln σ(θ·(f_c − f_o)) − λ‖θ − θ₀‖²
//
// with Newton steps: g = Σ σ(−s)d − 2λ(θ−θ₀), H = −Σ σ(s)σ(−s) d dᵀ − 2λI
// for d = f_c − f_o, s = θ·d, and a backtracking line search. L is strictly
// concave, so this converges to its unique maximum, typically in under ten
// steps. With fewer pairs r than dimensions K (a few rounds of the choice
// flow: r = 2 per round), −H = 2λI + U Uᵀ (columns u = √(σ(s)σ(−s)) d)
// is solved by the Woodbury identity,
//
//	(cI + U Uᵀ)⁻¹ g = (g − U (cI_r + UᵀU)⁻¹ Uᵀ g) / c,   c = 2λ,
//
// an r×r system instead of a K×K one (6×6 against 64×64 after three
// rounds); otherwise a step is one K×K Cholesky solve. With no picks it
// returns the prior.
func FoldIn(picks []Pick, cfg FoldInConfig) ([]float32, error) {
	if cfg.Lambda == 0 {
		cfg.Lambda = 0.1
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 20
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-8
	}
	if cfg.Lambda < 0 || cfg.MaxIter < 0 || cfg.Tol < 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "fold-in: λ, iterations and tolerance must be positive")
	}
	k := len(cfg.Prior)
	if k == 0 && len(picks) > 0 {
		k = len(picks[0].Chosen)
	}
	if k == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "fold-in: no picks and no prior")
	}
	var diffs [][]float64
	for p, pk := range picks {
		if len(pk.Chosen) != k {
			return nil, atelier.Errorf(atelier.KindInvalid, "fold-in: pick %d: chosen features of length %d, want %d", p, len(pk.Chosen), k)
		}
		for o, other := range pk.Others {
			if len(other) != k {
				return nil, atelier.Errorf(atelier.KindInvalid, "fold-in: pick %d, other %d: features of length %d, want %d", p, o, len(other), k)
			}
			d := make([]float64, k)
			for i := range d {
				d[i] = float64(pk.Chosen[i]) - float64(other[i])
			}
			diffs = append(diffs, d)
		}
	}
	prior := make([]float64, k)
	for i, v := range cfg.Prior {
		prior[i] = float64(v)
	}
	theta := append([]float64(nil), prior...)
	lam := cfg.Lambda
	objective := func(th []float64) float64 {
		l := 0.0
		for _, d := range diffs {
			l -= softplus(-dot64(th, d))
		}
		for i := range th {
			e := th[i] - prior[i]
			l -= lam * e * e
		}
		return l
	}
	g := make([]float64, k)
	step := make([]float64, k)
	trial := make([]float64, k)
	weights := make([]float64, len(diffs))
	solve := newtonSolver(k, len(diffs), 2*lam)
	for it := 0; it < cfg.MaxIter && len(diffs) > 0; it++ {
		// Gradient, and the weights of −H's rank-one terms.
		for i := range g {
			g[i] = -2 * lam * (theta[i] - prior[i])
		}
		for r, d := range diffs {
			s := sigmoid(dot64(theta, d))
			weights[r] = s * (1 - s)
			for i, di := range d {
				g[i] += (1 - s) * di
			}
		}
		copy(step, g)
		if !solve(diffs, weights, step) {
			break // cannot happen for λ > 0; keep the current θ
		}
		decrement := dot64(g, step)
		if decrement < cfg.Tol {
			break
		}
		l0, t := objective(theta), 1.0
		for ; t > 1e-10; t /= 2 {
			for i := range trial {
				trial[i] = theta[i] + t*step[i]
			}
			if objective(trial) >= l0+0.25*t*decrement {
				break
			}
		}
		copy(theta, trial)
	}
	out := make([]float32, k)
	for i, v := range theta {
		out[i] = float32(v)
	}
	return out, nil
}

// newtonSolver returns a function that solves (cI + Σ_r w_r d_r d_rᵀ) x = b
// in place (b becomes x) for r rank-one terms in k dimensions: through the
// r×r Woodbury system when r < k, else the k×k matrix (see FoldIn). Its
// buffers are reused from call to call.
func newtonSolver(k, r int, c float64) func(ds [][]float64, w, b []float64) bool {
	if r >= k {
		h := make([]float64, k*k)
		return func(ds [][]float64, w, b []float64) bool {
			clear(h)
			for i := 0; i < k; i++ {
				h[i*k+i] = c
			}
			for n, d := range ds {
				for i, di := range d {
					row := h[i*k : i*k+i+1] // lower triangle only
					for j := range row {
						row[j] += w[n] * di * d[j]
					}
				}
			}
			return choleskySolve(h, b, k)
		}
	}
	m := make([]float64, r*r) // cI_r + UᵀU
	y := make([]float64, r)
	sw := make([]float64, r)
	return func(ds [][]float64, w, b []float64) bool {
		for a := range sw {
			sw[a] = math.Sqrt(w[a])
		}
		for a := 0; a < r; a++ {
			y[a] = sw[a] * dot64(ds[a], b) // Uᵀb
			for e := 0; e <= a; e++ {
				m[a*r+e] = sw[a] * sw[e] * dot64(ds[a], ds[e])
			}
			m[a*r+a] += c
		}
		if !choleskySolve(m, y, r) {
			return false
		}
		for a := 0; a < r; a++ { // b ← (b − U y)/c
			for i, di := range ds[a] {
				b[i] -= sw[a] * y[a] * di
			}
		}
		for i := range b {
			b[i] /= c
		}
		return true
	}
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// choleskySolve solves A x = b in place (b becomes x) for a symmetric
// positive definite k×k A given by its lower triangle (row-major), which
// it overwrites with the Cholesky factor L (A = L Lᵀ). It reports false
// when A is not positive definite.
func choleskySolve(a, b []float64, k int) bool {
	if !cholesky(a, k) {
		return false
	}
	for i := 0; i < k; i++ { // L y = b
		s := b[i]
		for p := 0; p < i; p++ {
			s -= a[i*k+p] * b[p]
		}
		b[i] = s / a[i*k+i]
	}
	for i := k - 1; i >= 0; i-- { // Lᵀ x = y
		s := b[i]
		for p := i + 1; p < k; p++ {
			s -= a[p*k+i] * b[p]
		}
		b[i] = s / a[i*k+i]
	}
	return true
}
