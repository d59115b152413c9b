package recommender

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
)

// choiceWorld draws Gaussian item features and a hidden taste w.
type choiceWorld struct {
	rng   *rand.Rand
	k     int
	w     []float32
	items [][]float32
}

func newChoiceWorld(k, items int, seed uint64) *choiceWorld {
	rng := rand.New(rand.NewPCG(seed, 4))
	c := &choiceWorld{rng: rng, k: k, w: gaussian(rng, 1, k, 1)[0], items: gaussian(rng, items, k, 1)}
	return c
}

// picks simulates rounds of the choice flow: shown images drawn from the
// catalog, the one with the highest w·f chosen (no noise).
func (c *choiceWorld) picks(rounds, shown int) []Pick {
	var ps []Pick
	for r := 0; r < rounds; r++ {
		idx := c.rng.Perm(len(c.items))[:shown]
		best := idx[0]
		for _, i := range idx {
			if dot(c.w, c.items[i]) > dot(c.w, c.items[best]) {
				best = i
			}
		}
		p := Pick{Chosen: c.items[best]}
		for _, i := range idx {
			if i != best {
				p.Others = append(p.Others, c.items[i])
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// topVsRandom is the fraction of (top-decile item by w·f, random item)
// pairs that θ orders the same way: 0.5 for an uninformed θ, 1 for w.
func (c *choiceWorld) topVsRandom(theta []float32) float64 {
	n := len(c.items)
	byW := make([]int, n)
	for i := range byW {
		byW[i] = i
	}
	// Selection of the top decile by w·f (simple sort; n is small).
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if dot(c.w, c.items[byW[b]]) > dot(c.w, c.items[byW[a]]) {
				byW[a], byW[b] = byW[b], byW[a]
			}
		}
	}
	right, total := 0.0, 0.0
	for _, top := range byW[:n/10] {
		for j := 0; j < n; j++ {
			st, sj := dot(theta, c.items[top]), dot(theta, c.items[j])
			if top == j {
				continue
			}
			total++
			if st > sj {
				right++
			} else if st == sj {
				right += 0.5
			}
		}
	}
	return right / total
}

func TestFoldInRecoversTaste(t *testing.T) {
	for _, k := range []int{8, 64} {
		sum := 0.0
		const worlds = 10
		for seed := uint64(0); seed < worlds; seed++ {
			cw := newChoiceWorld(k, 300, seed)
			theta, err := FoldIn(cw.picks(6, 4), FoldInConfig{})
			if err != nil {
				t.Fatal(err)
			}
			sum += cw.topVsRandom(theta)
		}
		mean := sum / worlds
		t.Logf("K=%d: θ ranks top-decile items above random ones in %.3f of pairs", k, mean)
		// 18 pairs pin θ down well in 8 dimensions; in 64 they still point
		// it clearly towards w.
		want := map[int]float64{8: 0.85, 64: 0.65}[k]
		if mean < want {
			t.Errorf("K=%d: %.3f of pairs ordered right, want ≥ %.2f", k, mean, want)
		}
	}
}

func TestFoldInMoreChoicesHelp(t *testing.T) {
	few, many := 0.0, 0.0
	for seed := uint64(0); seed < 10; seed++ {
		cw := newChoiceWorld(16, 300, seed)
		a, _ := FoldIn(cw.picks(2, 4), FoldInConfig{})
		b, _ := FoldIn(cw.picks(20, 4), FoldInConfig{})
		few += cw.topVsRandom(a)
		many += cw.topVsRandom(b)
	}
	if many <= few {
		t.Errorf("20 rounds ordered %.3f of pairs right, 2 rounds %.3f", many/10, few/10)
	}
}

func TestFoldInMaximisesObjective(t *testing.T) {
	cw := newChoiceWorld(8, 50, 1)
	ps := cw.picks(6, 4)
	prior := gaussian(cw.rng, 1, 8, 0.3)[0]
	cfg := FoldInConfig{Lambda: 0.5, Prior: prior}
	theta, err := FoldIn(ps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	obj := func(th []float32) float64 {
		l := 0.0
		for _, p := range ps {
			for _, o := range p.Others {
				l -= softplus(-float64(dot(th, p.Chosen) - dot(th, o)))
			}
		}
		for i := range th {
			e := float64(th[i] - prior[i])
			l -= cfg.Lambda * e * e
		}
		return l
	}
	// At the maximum, every small move lowers the objective.
	best := obj(theta)
	for d := 0; d < 8; d++ {
		for _, h := range []float32{-1e-2, 1e-2} {
			moved := append([]float32(nil), theta...)
			moved[d] += h
			if obj(moved) > best+1e-9 {
				t.Errorf("moving θ[%d] by %v raises the objective %.9f to %.9f", d, h, best, obj(moved))
			}
		}
	}
	// No picks: the prior. Strong λ: close to the prior.
	if got, _ := FoldIn(nil, FoldInConfig{Prior: prior}); !equal32(got, prior) {
		t.Errorf("no picks gave %v, want the prior %v", got, prior)
	}
	strong, _ := FoldIn(ps, FoldInConfig{Lambda: 1e4, Prior: prior})
	for d := range strong {
		if math.Abs(float64(strong[d]-prior[d])) > 1e-2 {
			t.Fatalf("λ=1e4: θ %v strays from the prior %v", strong, prior)
		}
	}
}

func equal32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFoldInErrors(t *testing.T) {
	f2, f3 := []float32{1, 2}, []float32{1, 2, 3}
	tests := []struct {
		name  string
		picks []Pick
		cfg   FoldInConfig
	}{
		{"nothing", nil, FoldInConfig{}},
		{"ragged other", []Pick{{Chosen: f2, Others: [][]float32{f3}}}, FoldInConfig{}},
		{"ragged chosen", []Pick{{Chosen: f2, Others: [][]float32{f2}}, {Chosen: f3}}, FoldInConfig{}},
		{"prior length", []Pick{{Chosen: f2, Others: [][]float32{f2}}}, FoldInConfig{Prior: f3}},
		{"negative lambda", []Pick{{Chosen: f2, Others: [][]float32{f2}}}, FoldInConfig{Lambda: -1}},
	}
	for _, tt := range tests {
		if _, err := FoldIn(tt.picks, tt.cfg); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("%s: err %v, want invalid", tt.name, err)
		}
	}
}

func TestCholeskySolve(t *testing.T) {
	// A = [[4,2],[2,3]], b = [2, 5] → x = [-0.5, 2].
	a := []float64{4, 0, 2, 3} // lower triangle, row-major
	b := []float64{2, 5}
	if !choleskySolve(a, b, 2) || math.Abs(b[0]+0.5) > 1e-12 || math.Abs(b[1]-2) > 1e-12 {
		t.Errorf("solution %v, want [-0.5 2]", b)
	}
	if choleskySolve([]float64{-1}, []float64{1}, 1) {
		t.Error("negative definite matrix accepted")
	}
}

func BenchmarkFoldIn(b *testing.B) {
	cw := newChoiceWorld(64, 300, 1)
	ps := cw.picks(6, 4)
	prior := gaussian(cw.rng, 1, 64, 0.1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FoldIn(ps, FoldInConfig{Prior: prior}); err != nil {
			b.Fatal(err)
		}
	}
}

// The Woodbury solve of a few rank-one terms agrees with the full K×K one.
func TestNewtonSolverLowRankMatchesFull(t *testing.T) {
	const k, r, c = 8, 5, 0.2
	rng := rand.New(rand.NewPCG(3, 4))
	ds := make([][]float64, r)
	w := make([]float64, r)
	for a := range ds {
		ds[a] = make([]float64, k)
		for i := range ds[a] {
			ds[a][i] = rng.NormFloat64()
		}
		w[a] = rng.Float64() * 0.25
	}
	b := make([]float64, k)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	low, full := slices.Clone(b), slices.Clone(b)
	if !newtonSolver(k, r, c)(ds, w, low) || !newtonSolver(k, k, c)(ds, w, full) {
		t.Fatal("solve failed")
	}
	for i := range low {
		if math.Abs(low[i]-full[i]) > 1e-10 {
			t.Fatalf("x[%d]: Woodbury %.12g, full %.12g", i, low[i], full[i])
		}
	}
	// And x solves the system.
	for i := 0; i < k; i++ {
		s := c * low[i]
		for a, d := range ds {
			s += w[a] * d[i] * dot64(d, low)
		}
		if math.Abs(s-b[i]) > 1e-10 {
			t.Fatalf("row %d: A x = %.12g, b = %.12g", i, s, b[i])
		}
	}
}
