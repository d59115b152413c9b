package recommender

import "math/rand/v2"

// Random scores items uniformly at random: the floor every model must
// beat (AUC 0.5 in expectation). Scores depend on the seed and the
// consumer only, so evaluation stays deterministic under any scheduling.
type Random struct {
	Seed uint64
}

var _ Scorer = Random{}

// Score implements Scorer.
func (r Random) Score(u int, out []float32) {
	rng := rand.New(rand.NewPCG(r.Seed, uint64(u)^0x72616e646f6d))
	for i := range out {
		out[i] = rng.Float32()
	}
}

// Popularity scores an item by how many consumers took it in training, the
// same for every consumer. It is the baseline that a personalised model has
// to beat on a catalog with best-sellers; it cannot rank cold items.
type Popularity struct {
	counts []float32
}

var _ Scorer = (*Popularity)(nil)

// NewPopularity counts the training interactions of split.
func NewPopularity(split *Split) *Popularity {
	p := &Popularity{counts: make([]float32, split.NumItems)}
	for i, c := range split.TrainCounts() {
		p.counts[i] = float32(c)
	}
	return p
}

// Score implements Scorer.
func (p *Popularity) Score(_ int, out []float32) { copy(out, p.counts) }
