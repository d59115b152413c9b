package recommender

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/atelier-app/atelier"
)

// DefaultColdFraction is the share of the catalog that `atelier eval
// recommender` holds out as cold items unless told otherwise.
const DefaultColdFraction = 0.1

// SplitConfig configures the split. The zero value holds out no items,
// the plain DVBPR split.
type SplitConfig struct {
	ColdFraction float64 // share of items held out as cold, in [0, 1); rounded to whole items
	Seed         uint64  // picks the cold items
}

// Split is the time-ordered DVBPR split of an interaction log with cold
// items held out (see the package documentation): per consumer the last
// distinct item is the test item, the last earlier one that is not cold
// the validation item, the other non-cold ones training. Consumers with
// fewer than three distinct items have no test item and keep their
// non-cold items in training; Val and Test are -1 when there is none.
type Split struct {
	Config   SplitConfig // how the items were held out
	NumItems int
	Train    [][]int // per consumer, distinct training items in time order
	Val      []int   // per consumer, validation item or -1
	Test     []int   // per consumer, test item (possibly cold) or -1

	sorted    [][]int // Train per consumer, sorted, for membership tests
	counts    []int   // training interactions per item
	cold      []bool  // per item, held out of training
	coldItems []int   // the cold items in index order
	coldTaken [][]int // per consumer, cold items taken before the test item
}

// NewSplit splits the dataset's interactions.
func NewSplit(d *Dataset, cfg SplitConfig) (*Split, error) {
	return SplitInteractions(len(d.Consumers), len(d.Items), d.Interactions, cfg)
}

// SplitInteractions splits a log over numConsumers consumers and numItems
// items, holding out round(ColdFraction·numItems) items drawn with the
// seed. Ties in time keep the log's order; a repeated (consumer, item)
// pair counts once, at its first time.
func SplitInteractions(numConsumers, numItems int, log []Interaction, cfg SplitConfig) (*Split, error) {
	f := cfg.ColdFraction
	if !(f >= 0 && f < 1) { // also rejects NaN
		return nil, atelier.FieldErrorf("cold_fraction", "must be at least 0 and below 1, got %v", f)
	}
	cold := make([]bool, numItems)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x636f6c64))
	for _, i := range rng.Perm(len(cold))[:int(math.Round(f*float64(len(cold))))] {
		cold[i] = true
	}
	s, err := splitHoldingOut(numConsumers, numItems, log, cold)
	if err != nil {
		return nil, err
	}
	s.Config = cfg
	return s, nil
}

// splitHoldingOut splits the log with the given items (a mask over the
// catalog) held out as cold.
func splitHoldingOut(numConsumers, numItems int, log []Interaction, cold []bool) (*Split, error) {
	per := make([][]Interaction, numConsumers)
	for k, in := range log {
		if in.Consumer < 0 || in.Consumer >= numConsumers || in.Item < 0 || in.Item >= numItems {
			return nil, atelier.Errorf(atelier.KindInvalid,
				"interaction %d: consumer %d or item %d out of range", k, in.Consumer, in.Item)
		}
		per[in.Consumer] = append(per[in.Consumer], in)
	}
	s := &Split{
		NumItems:  numItems,
		Train:     make([][]int, numConsumers),
		Val:       make([]int, numConsumers),
		Test:      make([]int, numConsumers),
		sorted:    make([][]int, numConsumers),
		counts:    make([]int, numItems),
		cold:      cold,
		coldTaken: make([][]int, numConsumers),
	}
	for i, c := range cold {
		if c {
			s.coldItems = append(s.coldItems, i)
		}
	}
	seen := map[int]bool{}
	for u, ins := range per {
		sort.SliceStable(ins, func(a, b int) bool { return ins[a].Time < ins[b].Time })
		clear(seen)
		items := make([]int, 0, len(ins))
		for _, in := range ins {
			if !seen[in.Item] {
				seen[in.Item] = true
				items = append(items, in.Item)
			}
		}
		s.Val[u], s.Test[u] = -1, -1
		if n := len(items); n >= 3 {
			s.Test[u] = items[n-1]
			items = items[:n-1]
		}
		// Cold items leave training and validation; the test item stays
		// whatever it is, so a cold one is a cold-start case.
		kept := items[:0]
		for _, i := range items {
			if cold[i] {
				s.coldTaken[u] = append(s.coldTaken[u], i)
			} else {
				kept = append(kept, i)
			}
		}
		// Validation only when some training remains: a consumer with no
		// training item cannot be fitted, so there is nothing to validate.
		if n := len(kept); s.Test[u] >= 0 && n >= 2 {
			s.Val[u] = kept[n-1]
			kept = kept[:n-1]
		}
		s.Train[u] = kept
		s.sorted[u] = slices.Sorted(slices.Values(kept))
		for _, i := range kept {
			s.counts[i]++
		}
	}
	return s, nil
}

// markTaken sets taken[i] = v for every item consumer u took: training,
// validation and test items, and the cold items removed from training.
func (s *Split) markTaken(u int, taken []bool, v bool) {
	for _, i := range s.Train[u] {
		taken[i] = v
	}
	for _, i := range s.coldTaken[u] {
		taken[i] = v
	}
	for _, i := range []int{s.Val[u], s.Test[u]} {
		if i >= 0 {
			taken[i] = v
		}
	}
}

// NumConsumers is the number of consumers.
func (s *Split) NumConsumers() int { return len(s.Train) }

// InTrain reports whether consumer u took item i in training.
func (s *Split) InTrain(u, i int) bool {
	_, ok := slices.BinarySearch(s.sorted[u], i)
	return ok
}

// Evaluated returns the consumers with a test item, in index order.
func (s *Split) Evaluated() []int { return heldOut(s, HeldTest) }

// TrainCounts returns the number of consumers who took each item in
// training. The slice is shared; do not modify it.
func (s *Split) TrainCounts() []int { return s.counts }

// WarmItems returns the items someone took in training, in index order.
func (s *Split) WarmItems() []int {
	var items []int
	for i, c := range s.counts {
		if c > 0 {
			items = append(items, i)
		}
	}
	return items
}

// IsCold reports whether item i is held out of training as a cold item.
func (s *Split) IsCold(i int) bool { return s.cold[i] }

// ColdItems returns the cold items in index order. The slice is shared; do
// not modify it.
func (s *Split) ColdItems() []int { return s.coldItems }

// NumTrain is the number of training (consumer, item) pairs.
func (s *Split) NumTrain() int {
	n := 0
	for _, t := range s.Train {
		n += len(t)
	}
	return n
}

// TripletSampler draws BPR training triplets (u, i, j): (u, i) uniformly
// from the training pairs, j uniformly from a candidate set of items u did
// not take in training. Both BPR-MF and DVBPR train on it.
type TripletSampler struct {
	split      *Split
	pairs      [][2]int32
	explicit   [][3]int32 // (u, i, j) given outright (addExplicit)
	candidates []int
	src        *rand.PCG // the state of rng, saved with training checkpoints
	rng        *rand.Rand
}

// NewTripletSampler samples from split's training pairs with negatives
// drawn from candidates (nil: every item), leaving out the split's cold
// items: they stand for items nobody has seen, so no model may learn
// anything about them, not even that they were not taken. Consumers who
// took every candidate have no negative and are left out. Same seed, same
// sequence.
func NewTripletSampler(split *Split, candidates []int, seed uint64) (*TripletSampler, error) {
	isCand := make([]bool, split.NumItems)
	if candidates == nil {
		for j := range isCand {
			isCand[j] = true
		}
	}
	for _, j := range candidates {
		if j < 0 || j >= split.NumItems {
			return nil, atelier.Errorf(atelier.KindInvalid, "negative candidate %d out of range", j)
		}
		isCand[j] = true
	}
	// Rebuilt from the mask: deduplicated, in index order, without cold
	// items. Positives are never cold: cold items are not in training.
	candidates = candidates[:0:0]
	for j, ok := range isCand {
		if ok && !split.cold[j] {
			candidates = append(candidates, j)
		}
	}
	src := rand.NewPCG(seed, 0x6270722d7472)
	t := &TripletSampler{split: split, candidates: candidates, src: src, rng: rand.New(src)}
	for u, items := range split.Train {
		taken := 0
		for _, i := range items {
			if isCand[i] {
				taken++
			}
		}
		if taken == len(candidates) {
			continue
		}
		for _, i := range items {
			t.pairs = append(t.pairs, [2]int32{int32(u), int32(i)})
		}
	}
	if len(t.pairs) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "no training pair has a negative item to compare with")
	}
	return t, nil
}

// EpochSize is the number of training pairs and explicit triplets the
// sampler draws from; one epoch of SGD draws this many triplets.
func (t *TripletSampler) EpochSize() int { return len(t.pairs) + len(t.explicit) }

// Next returns a triplet: u took i in training and not j, or u preferred
// i over j outright. Without explicit triplets the random sequence is the
// one it always was, so older checkpoints resume alike.
func (t *TripletSampler) Next() (u, i, j int) {
	n := t.rng.IntN(len(t.pairs) + len(t.explicit))
	if n >= len(t.pairs) {
		e := t.explicit[n-len(t.pairs)]
		return int(e[0]), int(e[1]), int(e[2])
	}
	p := t.pairs[n]
	u, i = int(p[0]), int(p[1])
	for {
		// u has at least one candidate it did not take, so this ends; with
		// training sets small against the catalog, in one or two draws.
		j = t.candidates[t.rng.IntN(len(t.candidates))]
		if !t.split.InTrain(u, j) {
			return u, i, j
		}
	}
}

// State returns the sampler's random state, so that training can stop and
// resume with the same sequence of triplets.
func (t *TripletSampler) State() ([]byte, error) { return t.src.MarshalBinary() }

// Restore sets the random state to one returned by State.
func (t *TripletSampler) Restore(state []byte) error {
	if err := t.src.UnmarshalBinary(state); err != nil {
		return atelier.Errorf(atelier.KindInvalid, "triplet sampler state: %v", err)
	}
	return nil
}
