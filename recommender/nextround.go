package recommender

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/atelier-app/atelier"
)

// RoundPick is an answered round of the choice flow by item index: the
// consumer chose Chosen over each of Others.
type RoundPick struct {
	Chosen int
	Others []int
}

// RoundConfig configures NextRound; zero fields take the defaults shown.
type RoundConfig struct {
	K       int       // items per round (3)
	Prior   []float32 // θ₀, the prior mean of θ (zero when nil)
	Lambda  float64   // prior strength λ as in FoldIn (0.1): θ ~ N(θ₀, I/2λ)
	Samples int       // posterior draws the information gain is averaged over (32)
	Pool    int       // candidate items a later round is chosen from (40)
	// Generated flags the items that are generated probes rather than
	// catalog items (nil: none is); a round then holds GeneratedSlots of
	// them and K − GeneratedSlots catalog items (as many as there are
	// when a group runs short; 0: none generated).
	Generated      []bool
	GeneratedSlots int
}

func (c *RoundConfig) defaults() error {
	orDefault(&c.K, 3)
	orDefault(&c.Samples, 32)
	orDefault(&c.Pool, 40)
	if c.Lambda == 0 {
		c.Lambda = 0.1
	}
	switch {
	case c.K < 2:
		return atelier.FieldErrorf("k", "a round shows at least 2 items, got %d", c.K)
	case c.Lambda < 0 || c.Samples < 1 || c.Pool < c.K:
		return atelier.Errorf(atelier.KindInvalid, "next round: λ, samples and pool (at least k) must be positive")
	}
	return nil
}

func orDefault(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

// NextRound chooses the K items of the next round of the choice flow, so
// that the pick teaches the most about the consumer's θ. features are the
// items' φ vectors; exclude (nil, or one flag per item) marks items that
// may not be shown (e.g. those shown already); picks are the rounds
// answered so far. rng only breaks the symmetry of the first round and
// draws the candidate pool and posterior samples, so a fixed seed gives a
// fixed round.
//
// The first round (no picks) spreads out in φ space by farthest-point
// sampling: a random first item, then each next one the item whose
// smallest squared distance to those chosen is largest. Items far apart
// differ along many directions of φ, so whichever is chosen rules out a
// large part of θ space.
//
// Later rounds split the posterior over θ. With the picks' BPR likelihood
// and the prior N(θ₀, I/2λ) the posterior is approximated by a Gaussian at
// the fold-in estimate θ̂ with precision A = 2λI + Σ σ(s)σ(−s) d dᵀ
// (s = θ̂·d, d = f_c − f_o: the Laplace approximation, the negated Hessian
// FoldIn climbs with). With θ_m drawn from N(θ̂, A⁻¹) and the choice
// among a set S modelled as p_m(i) = softmax_{j∈S}(θ_m·f_j), the
// information a pick from S gives about θ is the mutual information
//
//	I(S) = H(p̄) − (1/M) Σ_m H(p_m),   p̄ = (1/M) Σ_m p_m
//
// (Houlsby et al. 2011, "BALD"): high when the consumer's answer is
// uncertain overall (H(p̄)) yet would be nearly certain if θ were known
// (small H(p_m)), i.e. when the items split the posterior's draws between
// them. S is built greedily over a candidate pool: the best pair, then
// the item adding the most until K. The pool holds the items the current
// estimate scores highest (where the consumer's taste is decided) and a
// random sample of the rest.
func NextRound(features [][]float32, picks []RoundPick, exclude []bool, cfg RoundConfig, rng *rand.Rand) ([]int, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	dim := -1 // any, the same for all
	if cfg.Prior != nil {
		dim = len(cfg.Prior)
	}
	if err := sameDim("item", features, dim); err != nil {
		return nil, err
	}
	if exclude != nil && len(exclude) != len(features) {
		return nil, atelier.Errorf(atelier.KindInvalid, "next round: %d exclude flags for %d items", len(exclude), len(features))
	}
	if cfg.Generated != nil && len(cfg.Generated) != len(features) {
		return nil, atelier.Errorf(atelier.KindInvalid, "next round: %d generated flags for %d items", len(cfg.Generated), len(features))
	}
	var eligible []int
	for i := range features {
		if (exclude == nil || !exclude[i]) && cfg.mayShow(i) {
			eligible = append(eligible, i)
		}
	}
	if len(eligible) < 2 {
		return nil, atelier.Errorf(atelier.KindConflict, "not enough items left to show a round (%d)", len(eligible))
	}
	k := min(cfg.K, len(eligible))
	for p, pk := range picks {
		for _, i := range append([]int{pk.Chosen}, pk.Others...) {
			if i < 0 || i >= len(features) {
				return nil, atelier.Errorf(atelier.KindInvalid, "next round: pick %d names item %d of %d", p, i, len(features))
			}
		}
	}
	if len(picks) == 0 {
		return farthestPoints(features, eligible, k, cfg.fits, rng), nil
	}
	return informativeRound(features, picks, eligible, k, cfg, rng)
}

func (c *RoundConfig) generated(i int) bool { return c.Generated != nil && c.Generated[i] }

// mayShow tells whether item i's kind has slots in a round at all.
func (c *RoundConfig) mayShow(i int) bool {
	if c.generated(i) {
		return c.GeneratedSlots > 0
	}
	return c.Generated == nil || c.GeneratedSlots < c.K
}

// fits tells whether item i may join the round set (see admits).
func (c *RoundConfig) fits(set []int, i int) bool {
	if c.Generated == nil {
		return true
	}
	gen := 0
	for _, j := range set {
		if c.generated(j) {
			gen++
		}
	}
	return c.admits(gen, len(set)-gen, c.generated(i), c.K)
}

// admits tells whether a round of k options that holds gen generated and
// found catalog items has room for one more of a kind: a generated item
// while it holds fewer than GeneratedSlots of them, a catalog item while
// it holds fewer than the other k − GeneratedSlots.
func (c *RoundConfig) admits(gen, found int, generated bool, k int) bool {
	if generated {
		return gen < c.GeneratedSlots
	}
	return found < k-c.GeneratedSlots
}

// farthestPoints picks k of the eligible items by farthest-point sampling
// from a random start (ties: the lower index), each one that fits the
// set; fewer when no more fit.
func farthestPoints(features [][]float32, eligible []int, k int, fits func([]int, int) bool, rng *rand.Rand) []int {
	chosen := []int{eligible[rng.IntN(len(eligible))]}
	nearest := make([]float64, len(eligible)) // squared distance to the closest chosen item
	for e := range nearest {
		nearest[e] = math.Inf(1)
	}
	for len(chosen) < k {
		last := features[chosen[len(chosen)-1]]
		best, bestDist := -1, -1.0
		for e, i := range eligible {
			nearest[e] = min(nearest[e], sqDist32(features[i], last))
			if nearest[e] > bestDist && !slices.Contains(chosen, i) && fits(chosen, i) {
				best, bestDist = i, nearest[e]
			}
		}
		if best < 0 {
			break
		}
		chosen = append(chosen, best)
	}
	return chosen
}

func sqDist32(a, b []float32) float64 {
	s := 0.0
	for d, x := range a {
		e := float64(x) - float64(b[d])
		s += e * e
	}
	return s
}

// informativeRound builds the round greedily by mutual information over
// posterior draws (see NextRound).
func informativeRound(features [][]float32, picks []RoundPick, eligible []int, k int, cfg RoundConfig, rng *rand.Rand) ([]int, error) {
	dim := len(features[0])
	fpicks := make([]Pick, len(picks))
	for p, pk := range picks {
		fpicks[p].Chosen = features[pk.Chosen]
		for _, o := range pk.Others {
			fpicks[p].Others = append(fpicks[p].Others, features[o])
		}
	}
	prior := cfg.Prior
	if prior == nil {
		prior = make([]float32, dim)
	}
	theta, err := FoldIn(fpicks, FoldInConfig{Lambda: cfg.Lambda, Prior: prior})
	if err != nil {
		return nil, err
	}
	draws, err := posteriorDraws(theta, fpicks, cfg.Lambda, cfg.Samples, rng)
	if err != nil {
		return nil, err
	}
	pool := cfg.candidates(features, theta, eligible, rng)
	// scores[m][c]: draw m's preference for pool item c.
	scores := make([][]float64, len(draws))
	for m, th := range draws {
		scores[m] = make([]float64, len(pool))
		for c, i := range pool {
			scores[m][c] = float64(dot(th, features[i]))
		}
	}
	// fits, by pool position: may pool item c join the positions in set?
	// Counted here rather than through cfg.fits, which would allocate the
	// set's items for every one of the pool's pairs.
	generated := func(p int) int {
		if cfg.Generated[pool[p]] {
			return 1
		}
		return 0
	}
	fits := func(set []int, c int) bool {
		if cfg.Generated == nil {
			return true
		}
		gen := 0
		for _, p := range set {
			gen += generated(p)
		}
		return cfg.admits(gen, len(set)-gen, generated(c) == 1, k)
	}
	pairFits := func(a, b int) bool {
		if cfg.Generated == nil {
			return true
		}
		ga := generated(a)
		return cfg.admits(0, 0, ga == 1, k) && cfg.admits(ga, 1-ga, generated(b) == 1, k)
	}
	set := bestPair(scores, len(pool), pairFits)
	for len(set) < k {
		best, bestGain := -1, math.Inf(-1)
		for c := range pool {
			if slices.Contains(set, c) || !fits(set, c) {
				continue
			}
			if g := mutualInformation(scores, append(set, c)); g > bestGain {
				best, bestGain = c, g
			}
		}
		if best < 0 {
			break
		}
		set = append(set, best)
	}
	out := make([]int, len(set))
	for s, c := range set {
		out[s] = pool[c]
	}
	return out, nil
}

// posteriorDraws samples θ from the Laplace approximation N(θ̂, A⁻¹): with
// A = L Lᵀ, θ = θ̂ + L⁻ᵀ z for z ~ N(0, I) has covariance L⁻ᵀL⁻¹ = A⁻¹.
func posteriorDraws(theta []float32, picks []Pick, lambda float64, n int, rng *rand.Rand) ([][]float32, error) {
	k := len(theta)
	a := make([]float64, k*k) // lower triangle of A
	for i := 0; i < k; i++ {
		a[i*k+i] = 2 * lambda
	}
	d := make([]float64, k)
	for _, p := range picks {
		for _, o := range p.Others {
			s := 0.0
			for i := range d {
				d[i] = float64(p.Chosen[i]) - float64(o[i])
				s += float64(theta[i]) * d[i]
			}
			w := sigmoid(s) * sigmoid(-s)
			for i := 0; i < k; i++ {
				for j := 0; j <= i; j++ {
					a[i*k+j] += w * d[i] * d[j]
				}
			}
		}
	}
	if !cholesky(a, k) {
		return nil, atelier.Errorf(atelier.KindInvalid, "next round: the posterior precision is not positive definite (λ = %g)", lambda)
	}
	out := make([][]float32, n)
	z := make([]float64, k)
	for m := range out {
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		for i := k - 1; i >= 0; i-- { // Lᵀ x = z
			s := z[i]
			for p := i + 1; p < k; p++ {
				s -= a[p*k+i] * z[p]
			}
			z[i] = s / a[i*k+i]
		}
		out[m] = make([]float32, k)
		for i := range z {
			out[m][i] = theta[i] + float32(z[i])
		}
	}
	return out, nil
}

// cholesky overwrites the lower triangle of the symmetric k×k matrix a
// (row-major) with L, A = L Lᵀ; false when A is not positive definite.
func cholesky(a []float64, k int) bool {
	for j := 0; j < k; j++ {
		s := a[j*k+j]
		for p := 0; p < j; p++ {
			s -= a[j*k+p] * a[j*k+p]
		}
		if s <= 0 || math.IsNaN(s) {
			return false
		}
		ljj := math.Sqrt(s)
		a[j*k+j] = ljj
		for i := j + 1; i < k; i++ {
			s := a[i*k+j]
			for p := 0; p < j; p++ {
				s -= a[i*k+p] * a[j*k+p]
			}
			a[i*k+j] = s / ljj
		}
	}
	return true
}

// candidates is the candidate pool of a later round. In a round of both
// kinds, catalog and generated items get their own pools, sized by the
// share of the round each fills: one pool over both would hold
// mostly whichever group is larger (a small shop's catalog among a
// thousand probes), leaving the other's slots to poor candidates.
func (c *RoundConfig) candidates(features [][]float32, theta []float32, eligible []int, rng *rand.Rand) []int {
	if c.Generated == nil || c.GeneratedSlots == 0 || c.GeneratedSlots >= c.K {
		return candidatePool(features, theta, eligible, c.Pool, rng)
	}
	var made, found []int
	for _, i := range eligible {
		if c.Generated[i] {
			made = append(made, i)
		} else {
			found = append(found, i)
		}
	}
	nMade := c.Pool * c.GeneratedSlots / c.K
	pool := append(candidatePool(features, theta, found, c.Pool-nMade, rng), candidatePool(features, theta, made, nMade, rng)...)
	slices.Sort(pool)
	return pool
}

// candidatePool returns up to size eligible items: the quarter the
// estimate θ̂ scores highest (ties: the lower index), then a random sample
// of the others, in ascending index order. The top quarter is selected in
// one pass rather than by sorting the catalog: this runs on every pick.
func candidatePool(features [][]float32, theta []float32, eligible []int, size int, rng *rand.Rand) []int {
	if len(eligible) <= size {
		return slices.Clone(eligible)
	}
	type scored struct {
		item  int
		score float32
	}
	nTop := size / 4
	top := make([]scored, 0, nTop+1) // best first; one spare slot for inserting
	for _, i := range eligible {
		if nTop == 0 {
			break
		}
		s := dot(theta, features[i])
		if len(top) == nTop && s <= top[nTop-1].score {
			continue
		}
		at := len(top)
		for at > 0 && top[at-1].score < s {
			at--
		}
		top = slices.Insert(top, at, scored{i, s})
		if len(top) == cap(top) {
			top = top[:len(top)-1]
		}
	}
	pool := make([]int, 0, size)
	for _, t := range top {
		pool = append(pool, t.item)
	}
	slices.Sort(pool)
	rest := make([]int, 0, len(eligible)-len(pool))
	for _, i := range eligible {
		if _, found := slices.BinarySearch(pool, i); !found {
			rest = append(rest, i)
		}
	}
	for n := 0; n < size-len(top); n++ { // partial Fisher–Yates over the rest
		j := n + rng.IntN(len(rest)-n)
		rest[n], rest[j] = rest[j], rest[n]
		pool = append(pool, rest[n])
	}
	slices.Sort(pool)
	return pool
}

// bestPair returns the pair of pool positions that fits with the most
// mutual information (ties: the first found).
func bestPair(scores [][]float64, n int, fits func(a, b int) bool) []int {
	best, bestGain := []int{0, 1}, math.Inf(-1)
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if !fits(a, b) {
				continue
			}
			// For two items p_m(a) = σ(s_a − s_b): no softmax needed.
			mean, within := 0.0, 0.0
			for _, s := range scores {
				p, h := sigmoidEntropy(s[a] - s[b])
				mean += p
				within += h
			}
			m := float64(len(scores))
			if g := binaryEntropy(mean/m) - within/m; g > bestGain {
				best, bestGain = []int{a, b}, g
			}
		}
	}
	return best
}

// sigmoidEntropy returns p = σ(x) and its binary entropy H(p). bestPair
// calls it for every pair of pool items and every posterior draw (25,000
// times a pick), so it reads both from a table over |x| with linear
// interpolation (error below 10⁻⁵ at a step of 1/64, far under the differences between
// pairs that matter) instead of an exp and two logs each time.
func sigmoidEntropy(x float64) (p, h float64) {
	ax := math.Abs(x)
	var q float64 // σ(−|x|)
	if pos := ax * entropyTableStep; pos < entropyTableSize-1 {
		i := int(pos)
		f := pos - float64(i)
		t0, t1 := entropyTable[i], entropyTable[i+1]
		q, h = t0.q+f*(t1.q-t0.q), t0.h+f*(t1.h-t0.h)
	} // else σ(−|x|) < 3·10⁻¹⁶ and H < 10⁻¹⁴: both 0 in float64 sums

	if x >= 0 {
		return 1 - q, h
	}
	return q, h
}

// exactSigmoidEntropy returns σ(−a) and H(σ(a)) for a ≥ 0: with
// e = exp(−a), σ(−a) = e/(1+e) and H = ln(1+e) + a·e/(1+e), since
// ln σ(a) = −ln(1+e) and ln σ(−a) = −a − ln(1+e).
func exactSigmoidEntropy(a float64) (q, h float64) {
	e := math.Exp(-a)
	q = e / (1 + e)
	return q, math.Log1p(e) + a*q
}

// entropyTable holds exactSigmoidEntropy at |x| = i/entropyTableStep.
const (
	entropyTableStep = 64
	entropyTableSize = 36*entropyTableStep + 1 // |x| up to 36
)

var entropyTable = func() (t [entropyTableSize]struct{ q, h float64 }) {
	for i := range t {
		t[i].q, t[i].h = exactSigmoidEntropy(float64(i) / entropyTableStep)
	}
	return t
}()

func binaryEntropy(p float64) float64 {
	return xlogx(p) + xlogx(1-p)
}

// xlogx is −p ln p, 0 at p = 0.
func xlogx(p float64) float64 {
	if p <= 0 {
		return 0
	}
	return -p * math.Log(p)
}

// mutualInformation is I(S) of NextRound for the pool positions in set.
func mutualInformation(scores [][]float64, set []int) float64 {
	mean := make([]float64, len(set))
	p := make([]float64, len(set))
	within := 0.0
	for _, s := range scores {
		hi := math.Inf(-1)
		for j, c := range set {
			p[j] = s[c]
			hi = max(hi, p[j])
		}
		z := 0.0
		for j := range p {
			p[j] = math.Exp(p[j] - hi)
			z += p[j]
		}
		for j := range p {
			p[j] /= z
			mean[j] += p[j]
			within += xlogx(p[j])
		}
	}
	m := float64(len(scores))
	h := 0.0
	for _, x := range mean {
		h += xlogx(x / m)
	}
	return h - within/m
}
