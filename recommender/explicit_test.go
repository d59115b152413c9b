package recommender

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestExplicitTripletsInTheSampler checks which explicit triplets the
// sampler keeps and that an epoch draws them beside the training pairs.
func TestExplicitTripletsInTheSampler(t *testing.T) {
	w := newColourWorld(t, 20, 80, 4, 1)
	s := w.split
	warm := func(skip int) int {
		for i := range s.NumItems {
			if !s.cold[i] && i != skip && i != s.Val[0] && i != s.Test[0] {
				return i
			}
		}
		return -1
	}
	a := warm(-1)
	b := warm(a)
	cold := s.ColdItems()[0]
	ts := []Triplet{
		{0, a, b},         // kept
		{0, a, cold},      // a cold item: dropped
		{0, s.Test[0], b}, // the test item preferred: dropped
		{0, a, a},         // nothing to learn: dropped
	}
	sm, err := NewTripletSampler(s, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	pairs := sm.EpochSize()
	if kept, err := sm.addExplicit(ts, s.NumItems); err != nil || kept != 1 || sm.EpochSize() != pairs+1 {
		t.Fatalf("kept %d (%v), epoch %d; want 1 kept of 4 and an epoch of %d", kept, err, sm.EpochSize(), pairs+1)
	}
	seen := 0
	for range 200 * sm.EpochSize() {
		if u, i, j := sm.Next(); u == 0 && i == a && j == b {
			seen++
		}
	}
	// Expected 200 draws of the one explicit triplet, plus the rare times
	// the pair (0, a) draws b as its negative.
	if seen < 150 || seen > 300 {
		t.Errorf("the explicit triplet came up %d times in 200 epochs, want about 200", seen)
	}
	for _, bad := range []Triplet{{-1, a, b}, {0, a, s.NumItems}, {s.NumConsumers(), a, b}} {
		if _, err := sm.addExplicit([]Triplet{bad}, s.NumItems); err == nil {
			t.Errorf("triplet %+v accepted", bad)
		}
	}
}

// TestExplicitTripletsTeachMoreThanInteractions gives every consumer of
// the colour world one interaction, then one more piece of evidence: for
// one model an interaction with another item of their colour, for the
// other the same item preferred outright over an item of another colour
// (a pick). The pick must teach θ more: on items no one has seen, the
// consumers' own colour is ranked above the others more often, on average
// over five worlds (one world's margin is within training noise).
func TestExplicitTripletsTeachMoreThanInteractions(t *testing.T) {
	if testing.Short() {
		t.Skip("trains ten models")
	}
	var plain, picked float64
	for seed := uint64(1); seed <= 5; seed++ {
		p, e := interactionOrPick(t, seed)
		t.Logf("world %d: own colour ranked first on cold items %.3f with an interaction, %.3f with a pick", seed, p, e)
		plain, picked = plain+p/5, picked+e/5
	}
	if picked <= plain+0.01 {
		t.Errorf("a pick taught θ no more than an interaction: %.3f vs %.3f", picked, plain)
	}
}

// interactionOrPick trains the two models of one world and returns their
// coldColourAccuracy.
func interactionOrPick(t *testing.T, seed uint64) (plain, picked float64) {
	const consumers, items = 48, 160
	w := newColourWorld(t, consumers, items, 1, seed)
	rng := rand.New(rand.NewPCG(seed, 11))
	// The same cold items in both splits: the same configuration.
	var base, log []Interaction
	var picks []Triplet
	for u := range consumers {
		first := w.warmOf(rng, w.likes[u], -1)
		i, j := w.warmOf(rng, w.likes[u], first), -1
		for j < 0 || w.colour[j] == w.likes[u] {
			j = w.warmOf(rng, rng.IntN(len(worldColours)), -1)
		}
		base = append(base, Interaction{Consumer: u, Item: first, Time: 0})
		log = append(log, Interaction{Consumer: u, Item: first, Time: 0}, Interaction{Consumer: u, Item: i, Time: 1})
		picks = append(picks, Triplet{Consumer: u, Preferred: i, Other: j})
	}
	train := func(log []Interaction, explicit []Triplet) float64 {
		split, err := SplitInteractions(consumers, items, log, w.split.Config)
		if err != nil {
			t.Fatal(err)
		}
		cfg := tinyConfig()
		cfg.Epochs, cfg.Patience, cfg.Explicit = 6, 6, explicit
		m, err := Train(context.Background(), w.data, split, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		return w.coldColourAccuracy(t, m)
	}
	return train(log, nil), train(base, picks)
}

// warmOf draws an item of colour c that is not cold, other than skip.
func (w colourWorld) warmOf(rng *rand.Rand, c, skip int) int {
	for {
		i := rng.IntN(len(w.colour))
		if w.colour[i] == c && !w.split.cold[i] && i != skip {
			return i
		}
	}
}

// coldColourAccuracy is the share of (own colour, other colour) pairs of
// cold items that consumers' θ orders the right way, over all consumers.
func (w colourWorld) coldColourAccuracy(t *testing.T, m *Model) float64 {
	t.Helper()
	sc, err := m.NewScorer(context.Background(), consumersOf(w.data.ConsumerIDs), w.data.Images, 2)
	if err != nil {
		t.Fatal(err)
	}
	var right, pairs float64
	cold := w.split.ColdItems()
	for u := range w.likes {
		theta, _ := m.Theta(w.data.ConsumerIDs[u])
		for _, i := range cold {
			for _, j := range cold {
				if w.colour[i] != w.likes[u] || w.colour[j] == w.likes[u] {
					continue
				}
				pairs++
				if dot(theta, sc.Items[i]) > dot(theta, sc.Items[j]) {
					right++
				}
			}
		}
	}
	return right / pairs
}

// TestExplicitTripletsOfImagesPastTheItems: a triplet may compare an
// image no one took (a generated probe, appended after the items) with an
// item; training takes it and evaluates on the items alone.
func TestExplicitTripletsOfImagesPastTheItems(t *testing.T) {
	w := newColourWorld(t, 12, 40, 3, 2)
	stride := w.data.Images.Stride()
	probe := slices.Clone(w.data.Images.Pix[:stride]) // a copy of item 0's image
	data := w.data
	data.Images = &Images{Size: w.data.Images.Size, Pix: append(slices.Clone(w.data.Images.Pix), probe...)}
	data.ItemCategories = append(slices.Clone(w.data.ItemCategories), w.data.ItemCategories[0])
	n := w.split.NumItems
	sm, err := NewTripletSampler(w.split, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := sm.addExplicit([]Triplet{{0, n, 1}}, n+1); err != nil || kept != 1 {
		t.Fatalf("a triplet of image %d of %d: kept %d (%v)", n, n+1, kept, err)
	}
	cfg := tinyConfig()
	cfg.Epochs, cfg.Explicit = 1, []Triplet{{0, n, 1}, {1, n, 2}}
	m, err := Train(context.Background(), data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	data.ItemCategories = data.ItemCategories[:n]
	if _, err := Train(context.Background(), data, w.split, cfg, nil); err == nil {
		t.Error("images without a category each were accepted")
	}
}
