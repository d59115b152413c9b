package recommender

import (
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/atelier-app/atelier"
)

// Split is the time-ordered DVBPR split of an interaction log: per consumer
// the last distinct item is the test item, the one before it the
// validation item, the rest training. Consumers with fewer than three
// distinct items keep them all in training and have Val = Test = -1.
type Split struct {
	NumItems int
	Train    [][]int // per consumer, distinct training items in time order
	Val      []int   // per consumer, validation item or -1
	Test     []int   // per consumer, test item or -1

	sorted [][]int // Train per consumer, sorted, for membership tests
	counts []int   // training interactions per item
}

// NewSplit splits the dataset's interactions.
func NewSplit(d *Dataset) (*Split, error) {
	return SplitInteractions(len(d.Consumers), len(d.Items), d.Interactions)
}

// SplitInteractions splits a log over numConsumers consumers and numItems
// items. Ties in time keep the log's order; a repeated (consumer, item)
// pair counts once, at its first time.
func SplitInteractions(numConsumers, numItems int, log []Interaction) (*Split, error) {
	per := make([][]Interaction, numConsumers)
	for k, in := range log {
		if in.Consumer < 0 || in.Consumer >= numConsumers || in.Item < 0 || in.Item >= numItems {
			return nil, atelier.Errorf(atelier.KindInvalid,
				"interaction %d: consumer %d or item %d out of range", k, in.Consumer, in.Item)
		}
		per[in.Consumer] = append(per[in.Consumer], in)
	}
	s := &Split{
		NumItems: numItems,
		Train:    make([][]int, numConsumers),
		Val:      make([]int, numConsumers),
		Test:     make([]int, numConsumers),
		sorted:   make([][]int, numConsumers),
		counts:   make([]int, numItems),
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
			s.Val[u], s.Test[u] = items[n-2], items[n-1]
			items = items[:n-2]
		}
		s.Train[u] = items
		s.sorted[u] = slices.Sorted(slices.Values(items))
		for _, i := range items {
			s.counts[i]++
		}
	}
	return s, nil
}

// NumConsumers is the number of consumers.
func (s *Split) NumConsumers() int { return len(s.Train) }

// InTrain reports whether consumer u took item i in training.
func (s *Split) InTrain(u, i int) bool {
	_, ok := slices.BinarySearch(s.sorted[u], i)
	return ok
}

// Evaluated returns the consumers with a test item, in index order.
func (s *Split) Evaluated() []int {
	var us []int
	for u, t := range s.Test {
		if t >= 0 {
			us = append(us, u)
		}
	}
	return us
}

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
	candidates []int
	rng        *rand.Rand
}

// NewTripletSampler samples from split's training pairs with negatives
// drawn from candidates (nil: every item). Consumers who took every
// candidate have no negative and are left out. Same seed, same sequence.
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
	// Rebuilt from the mask: deduplicated, in index order.
	candidates = candidates[:0:0]
	for j, ok := range isCand {
		if ok {
			candidates = append(candidates, j)
		}
	}
	t := &TripletSampler{split: split, candidates: candidates, rng: rand.New(rand.NewPCG(seed, 0x6270722d7472))}
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

// EpochSize is the number of training pairs the sampler draws from; one
// epoch of SGD draws this many triplets.
func (t *TripletSampler) EpochSize() int { return len(t.pairs) }

// Next returns a triplet: u took i in training and not j.
func (t *TripletSampler) Next() (u, i, j int) {
	p := t.pairs[t.rng.IntN(len(t.pairs))]
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
