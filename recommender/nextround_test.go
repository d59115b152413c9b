package recommender

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
)

// gaussianItems returns n feature vectors of length k with N(0,1) entries.
func gaussianItems(n, k int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := matrix(n, k)
	for _, f := range out {
		for d := range f {
			f[d] = float32(rng.NormFloat64())
		}
	}
	return out
}

func cosine(a, b []float32) float64 {
	return float64(dot(a, b)) / math.Sqrt(float64(dot(a, a))*float64(dot(b, b)))
}

// simulateFlow runs rounds of a choice flow for a consumer whose true taste
// is truth, who picks by the softmax of their preferences, with rounds
// chosen by choose, and returns the cosine between the folded-in θ and
// the truth.
func simulateFlow(t *testing.T, feats [][]float32, truth []float32, rounds int, rng *rand.Rand,
	choose func(picks []RoundPick, exclude []bool) []int) float64 {
	t.Helper()
	exclude := make([]bool, len(feats))
	var picks []RoundPick
	var fpicks []Pick
	for r := 0; r < rounds; r++ {
		shown := choose(picks, exclude)
		if len(shown) != 3 {
			t.Fatalf("round %d shows %v", r, shown)
		}
		w := make([]float64, len(shown))
		z := 0.0
		for j, i := range shown {
			if exclude[i] {
				t.Fatalf("round %d shows excluded item %d", r, i)
			}
			w[j] = math.Exp(float64(dot(truth, feats[i])))
			z += w[j]
		}
		u, c := rng.Float64()*z, 0
		for ; c < len(w)-1 && u > w[c]; c++ {
			u -= w[c]
		}
		pk := RoundPick{Chosen: shown[c]}
		fp := Pick{Chosen: feats[shown[c]]}
		for j, i := range shown {
			exclude[i] = true
			if j != c {
				pk.Others = append(pk.Others, i)
				fp.Others = append(fp.Others, feats[i])
			}
		}
		picks, fpicks = append(picks, pk), append(fpicks, fp)
	}
	theta, err := FoldIn(fpicks, FoldInConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return cosine(theta, truth)
}

// TestNextRoundLearnsMoreThanRandomRounds is the quality regression test of
// the round selection: over many simulated consumers, θ folded in from
// rounds chosen by NextRound points closer to the true taste than θ from
// rounds of random items.
func TestNextRoundLearnsMoreThanRandomRounds(t *testing.T) {
	const (
		trials = 24
		rounds = 5
		k      = 6
	)
	feats := gaussianItems(400, k, 7)
	var smart, random float64
	for trial := range trials {
		truthRng := rand.New(rand.NewPCG(uint64(trial), 2))
		truth := make([]float32, k)
		for d := range truth {
			truth[d] = float32(truthRng.NormFloat64() * 1.5)
		}
		rng := rand.New(rand.NewPCG(uint64(trial), 3))
		smart += simulateFlow(t, feats, truth, rounds, rand.New(rand.NewPCG(uint64(trial), 4)),
			func(picks []RoundPick, exclude []bool) []int {
				round, err := NextRound(feats, picks, exclude, RoundConfig{}, rng)
				if err != nil {
					t.Fatal(err)
				}
				return round
			})
		random += simulateFlow(t, feats, truth, rounds, rand.New(rand.NewPCG(uint64(trial), 4)),
			func(_ []RoundPick, exclude []bool) []int {
				var out []int
				for len(out) < 3 {
					if i := rng.IntN(len(feats)); !exclude[i] && !slices.Contains(out, i) {
						out = append(out, i)
					}
				}
				return out
			})
	}
	smart, random = smart/trials, random/trials
	t.Logf("mean cosine(θ̂, θ*) after %d rounds: NextRound %.3f, random rounds %.3f", rounds, smart, random)
	if smart < random+0.05 {
		t.Fatalf("NextRound rounds (%.3f) are not clearly more informative than random ones (%.3f)", smart, random)
	}
}

func TestFirstRoundSpreadsOut(t *testing.T) {
	feats := gaussianItems(300, 8, 11)
	minPairDist := func(round []int) float64 {
		d := math.Inf(1)
		for a := range round {
			for b := a + 1; b < len(round); b++ {
				d = min(d, sqDist32(feats[round[a]], feats[round[b]]))
			}
		}
		return d
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var spread, random float64
	for range 50 {
		round, err := NextRound(feats, nil, nil, RoundConfig{}, rng)
		if err != nil {
			t.Fatal(err)
		}
		spread += minPairDist(round)
		random += minPairDist([]int{rng.IntN(100), 100 + rng.IntN(100), 200 + rng.IntN(100)})
	}
	t.Logf("mean smallest squared distance in a first round: farthest-point %.1f, random %.1f", spread/50, random/50)
	if spread < 1.5*random {
		t.Fatalf("first rounds are not spread out: %.1f vs random %.1f", spread/50, random/50)
	}
}

func TestNextRoundIsReproducibleAndRespectsExclusions(t *testing.T) {
	feats := gaussianItems(50, 4, 3)
	exclude := make([]bool, len(feats))
	for i := 0; i < 40; i++ {
		exclude[i] = true
	}
	picks := []RoundPick{{Chosen: 0, Others: []int{1, 2}}, {Chosen: 5, Others: []int{3, 4}}}
	a, err := NextRound(feats, picks, exclude, RoundConfig{}, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NextRound(feats, picks, exclude, RoundConfig{}, rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different rounds: %v %v", a, b)
	}
	seen := map[int]bool{}
	for _, i := range a {
		if exclude[i] || seen[i] {
			t.Fatalf("round %v repeats or shows excluded items", a)
		}
		seen[i] = true
	}
	// Two items left: a round of two. One left: no round.
	for i := 40; i < 48; i++ {
		exclude[i] = true
	}
	if r, err := NextRound(feats, picks, exclude, RoundConfig{}, rand.New(rand.NewPCG(1, 1))); err != nil || len(r) != 2 {
		t.Fatalf("two items left: %v, %v", r, err)
	}
	exclude[48] = true
	_, err = NextRound(feats, picks, exclude, RoundConfig{}, rand.New(rand.NewPCG(1, 1)))
	if atelier.ErrorKind(err) != atelier.KindConflict {
		t.Fatalf("one item left: %v", err)
	}
}

func TestNextRoundRejectsBadInput(t *testing.T) {
	feats := gaussianItems(10, 3, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	for name, call := range map[string]func() error{
		"k of 1": func() error { _, err := NextRound(feats, nil, nil, RoundConfig{K: 1}, rng); return err },
		"ragged features": func() error {
			_, err := NextRound(append(feats, []float32{1}), nil, nil, RoundConfig{}, rng)
			return err
		},
		"prior length":   func() error { _, err := NextRound(feats, nil, nil, RoundConfig{Prior: []float32{1}}, rng); return err },
		"exclude length": func() error { _, err := NextRound(feats, nil, []bool{true}, RoundConfig{}, rng); return err },
		"pick out of range": func() error {
			_, err := NextRound(feats, []RoundPick{{Chosen: 10, Others: []int{1}}}, nil, RoundConfig{}, rng)
			return err
		},
	} {
		if err := call(); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
}

func BenchmarkNextRound(b *testing.B) {
	feats := gaussianItems(3000, 64, 5)
	picks := []RoundPick{{Chosen: 0, Others: []int{1, 2}}, {Chosen: 4, Others: []int{3, 5}}}
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		if _, err := NextRound(feats, picks, nil, RoundConfig{}, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSigmoidEntropyMatchesTheDefinition(t *testing.T) {
	for _, x := range []float64{-40, -35.99, -23.99, -7.5, -1.003, -0.01, 0, 0.3, 0.00390625, 2.1234, 9, 24, 35} {
		p, h := sigmoidEntropy(x)
		wantP := sigmoid(x)
		if math.Abs(p-wantP) > 1e-5 {
			t.Errorf("x = %g: σ %.15g, want %.15g", x, p, wantP)
		}
		if want := binaryEntropy(wantP); math.Abs(h-want) > 1e-5 {
			t.Errorf("x = %g: H %.15g, want %.15g", x, h, want)
		}
	}
}

// candidatePool's one-pass selection keeps exactly the items a full sort
// ranks highest, and pools smaller than 4 items (no top quarter) work.
func TestCandidatePoolTopQuarter(t *testing.T) {
	feats := gaussianItems(500, 6, 9)
	theta := []float32{1, -0.5, 0.25, 0, 2, -1}
	eligible := make([]int, 0, len(feats))
	for i := range feats {
		if i%7 != 0 {
			eligible = append(eligible, i)
		}
	}
	byScore := slices.Clone(eligible)
	slices.SortStableFunc(byScore, func(a, b int) int { return -cmp.Compare(dot(theta, feats[a]), dot(theta, feats[b])) })
	for _, size := range []int{3, 4, 40, 101} {
		pool := candidatePool(feats, theta, eligible, size, rand.New(rand.NewPCG(1, 2)))
		if len(pool) != size || !slices.IsSorted(pool) {
			t.Fatalf("size %d: pool %v", size, pool)
		}
		for _, want := range byScore[:size/4] {
			if _, ok := slices.BinarySearch(pool, want); !ok {
				t.Errorf("size %d: item %d of the top %d is not in the pool", size, want, size/4)
			}
		}
		for n, i := range pool {
			if i%7 == 0 || (n > 0 && pool[n-1] == i) {
				t.Fatalf("size %d: pool %v holds an excluded or repeated item", size, pool)
			}
		}
	}
}

// TestNextRoundFillsGeneratedSlots checks that a round holds exactly
// GeneratedSlots generated items and catalog items in the other slots,
// on the first round and later ones, and none of a kind without slots.
func TestNextRoundFillsGeneratedSlots(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, dim = 60, 6
	features := make([][]float32, n)
	generated := make([]bool, n)
	for i := range features {
		features[i] = make([]float32, dim)
		for d := range features[i] {
			features[i][d] = float32(rng.NormFloat64())
		}
		if i%3 != 0 { // two thirds are generated, and spread wider
			generated[i] = true
			for d := range features[i] {
				features[i][d] *= 3
			}
		}
	}
	picks := []RoundPick{{Chosen: 0, Others: []int{1, 2}}}
	for _, slots := range []int{0, 1, 2, 5} {
		for _, p := range [][]RoundPick{nil, picks} {
			cfg := RoundConfig{K: 5, Generated: generated, GeneratedSlots: slots}
			round, err := NextRound(features, p, nil, cfg, rand.New(rand.NewPCG(1, uint64(slots))))
			if err != nil {
				t.Fatal(err)
			}
			gen := 0
			for _, i := range round {
				if generated[i] {
					gen++
				}
			}
			if len(round) != 5 || gen != slots {
				t.Errorf("%d slots, %d picks: round %v holds %d generated items", slots, len(p), round, gen)
			}
		}
	}
	if _, err := NextRound(features, nil, nil, RoundConfig{Generated: generated[:3], GeneratedSlots: 1}, rng); err == nil {
		t.Error("generated flags of the wrong length were accepted")
	}
}
