package recommender

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
)

func TestSplitInteractions(t *testing.T) {
	log := []Interaction{
		// Consumer 0: out of order in the log, item 4 repeated later, a tie.
		{0, 3, 30}, {0, 1, 10}, {0, 4, 20}, {0, 2, 40}, {0, 4, 50}, {0, 5, 40},
		// Consumer 1: two items only.
		{1, 1, 5}, {1, 2, 6},
		// Consumer 2: exactly three.
		{2, 0, 1}, {2, 1, 2}, {2, 2, 3},
		// Consumer 3: nothing.
	}
	s, err := SplitInteractions(4, 6, log, SplitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Consumer 0 by time: 1@10, 4@20 (the repeat at 50 dropped), 3@30, then
	// 2@40 and 5@40 tied in log order.
	if !slices.Equal(s.Train[0], []int{1, 4, 3}) || s.Val[0] != 2 || s.Test[0] != 5 {
		t.Errorf("consumer 0: train %v val %d test %d, want [1 4 3] 2 5", s.Train[0], s.Val[0], s.Test[0])
	}
	if !slices.Equal(s.Train[1], []int{1, 2}) || s.Val[1] != -1 || s.Test[1] != -1 {
		t.Errorf("consumer 1: train %v val %d test %d, want all train", s.Train[1], s.Val[1], s.Test[1])
	}
	if !slices.Equal(s.Train[2], []int{0}) || s.Val[2] != 1 || s.Test[2] != 2 {
		t.Errorf("consumer 2: train %v val %d test %d", s.Train[2], s.Val[2], s.Test[2])
	}
	if len(s.Train[3]) != 0 || s.Test[3] != -1 {
		t.Errorf("consumer 3: train %v test %d", s.Train[3], s.Test[3])
	}
	if got := s.Evaluated(); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("evaluated %v, want [0 2]", got)
	}
	if got := s.TrainCounts(); !slices.Equal(got, []int{1, 2, 1, 1, 1, 0}) {
		t.Errorf("train counts %v", got)
	}
	if got := s.WarmItems(); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("warm items %v", got)
	}
	if s.NumTrain() != 6 || s.NumConsumers() != 4 {
		t.Errorf("NumTrain %d NumConsumers %d", s.NumTrain(), s.NumConsumers())
	}
	if !s.InTrain(0, 4) || s.InTrain(0, 2) || s.InTrain(0, 5) {
		t.Error("InTrain wrong for consumer 0")
	}
}

func TestSplitInteractionsOutOfRange(t *testing.T) {
	for _, in := range []Interaction{{-1, 0, 0}, {2, 0, 0}, {0, 3, 0}} {
		if _, err := SplitInteractions(2, 3, []Interaction{in}, SplitConfig{}); err == nil {
			t.Errorf("interaction %+v accepted", in)
		}
	}
}

func TestTripletSampler(t *testing.T) {
	w := newGroupWorld(t, 20, 40, 6, 2, 0, 1)
	s := w.split
	a, err := NewTripletSampler(s, nil, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewTripletSampler(s, nil, 7)
	if a.EpochSize() != s.NumTrain() {
		t.Errorf("epoch size %d, want %d", a.EpochSize(), s.NumTrain())
	}
	seenJ := map[int]bool{}
	for n := 0; n < 2000; n++ {
		u, i, j := a.Next()
		if !s.InTrain(u, i) || s.InTrain(u, j) {
			t.Fatalf("triplet (%d,%d,%d): i must be taken in training, j not", u, i, j)
		}
		if u2, i2, j2 := b.Next(); u2 != u || i2 != i || j2 != j {
			t.Fatal("same seed gave different triplets")
		}
		seenJ[j] = true
	}
	if len(seenJ) < 30 {
		t.Errorf("only %d distinct negatives drawn from 40 items", len(seenJ))
	}

	// Negatives restricted to a candidate list.
	c, err := NewTripletSampler(s, []int{0, 39, 39}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 200; n++ {
		if _, _, j := c.Next(); j != 0 && j != 39 {
			t.Fatalf("negative %d outside the candidates", j)
		}
	}

	// A consumer who took every candidate has no negative.
	one, _ := SplitInteractions(1, 2, []Interaction{{0, 0, 1}, {0, 1, 2}}, SplitConfig{})
	if _, err := NewTripletSampler(one, nil, 1); err == nil {
		t.Error("sampler with no possible negative accepted")
	}
	if _, err := NewTripletSampler(s, []int{40}, 1); err == nil {
		t.Error("out-of-range candidate accepted")
	}
}

func TestSplitHoldsOutColdItems(t *testing.T) {
	// Items 5 and 6 are cold.
	log := []Interaction{
		// Consumer 0: validation would be cold item 5; it takes 2 instead.
		{0, 1, 1}, {0, 2, 2}, {0, 3, 3}, {0, 5, 4}, {0, 4, 5},
		// Consumer 1: cold test item; cold 6 taken twice before it.
		{1, 6, 1}, {1, 0, 2}, {1, 6, 3}, {1, 1, 4}, {1, 2, 5}, {1, 5, 6},
		// Consumer 2: one non-cold item before the test item: training, no
		// validation.
		{2, 5, 1}, {2, 3, 2}, {2, 6, 3}, {2, 0, 4},
		// Consumer 3: two items, one cold: not evaluated, cold one dropped.
		{3, 6, 1}, {3, 4, 2},
	}
	cold := []bool{false, false, false, false, false, true, true}
	s, err := splitHoldingOut(4, 7, log, cold)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		train     []int
		val, test int
		coldTaken []int
	}{
		{[]int{1, 2}, 3, 4, []int{5}},
		{[]int{0, 1}, 2, 5, []int{6}},
		{[]int{3}, -1, 0, []int{5, 6}},
		{[]int{4}, -1, -1, []int{6}},
	}
	for u, w := range want {
		if !slices.Equal(s.Train[u], w.train) || s.Val[u] != w.val || s.Test[u] != w.test || !slices.Equal(s.coldTaken[u], w.coldTaken) {
			t.Errorf("consumer %d: train %v val %d test %d cold taken %v, want %v %d %d %v",
				u, s.Train[u], s.Val[u], s.Test[u], s.coldTaken[u], w.train, w.val, w.test, w.coldTaken)
		}
	}
	if got := s.ColdItems(); !slices.Equal(got, []int{5, 6}) || !s.IsCold(6) || s.IsCold(4) {
		t.Errorf("cold items %v", got)
	}
	if got := s.TrainCounts(); !slices.Equal(got, []int{1, 2, 1, 1, 1, 0, 0}) {
		t.Errorf("train counts %v", got)
	}
	if got := s.Evaluated(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("evaluated %v, want [0 1 2]", got)
	}
}

// randomLog has consumers taking perConsumer distinct items uniformly.
func randomLog(consumers, items, perConsumer int, seed uint64) []Interaction {
	rng := rand.New(rand.NewPCG(seed, 5))
	var log []Interaction
	for u := 0; u < consumers; u++ {
		for k, i := range rng.Perm(items)[:perConsumer] {
			log = append(log, Interaction{Consumer: u, Item: i, Time: int64(k)})
		}
	}
	return log
}

func TestSplitColdFraction(t *testing.T) {
	log := randomLog(400, 500, 10, 1)
	cfg := SplitConfig{ColdFraction: 0.1, Seed: 4}
	s, err := SplitInteractions(400, 500, log, cfg)
	if err != nil {
		t.Fatal(err)
	}
	coldItems := s.ColdItems()
	if len(coldItems) != 50 {
		t.Fatalf("%d cold items, want 10%% of 500", len(coldItems))
	}
	again, _ := SplitInteractions(400, 500, log, cfg)
	if !slices.Equal(again.ColdItems(), coldItems) {
		t.Error("same seed held out other items")
	}
	other, _ := SplitInteractions(400, 500, log, SplitConfig{ColdFraction: 0.1, Seed: 5})
	if slices.Equal(other.ColdItems(), coldItems) {
		t.Error("another seed held out the same items")
	}

	// Test items are those of the plain split; what a consumer loses from
	// training and validation is exactly their cold items.
	plain, _ := SplitInteractions(400, 500, log, SplitConfig{})
	coldTests := 0
	for u := range 400 {
		if s.Test[u] != plain.Test[u] {
			t.Fatalf("consumer %d: test item %d, plain split %d", u, s.Test[u], plain.Test[u])
		}
		if s.Test[u] >= 0 && s.IsCold(s.Test[u]) {
			coldTests++
		}
		if s.Val[u] >= 0 && s.IsCold(s.Val[u]) {
			t.Errorf("consumer %d: cold validation item %d", u, s.Val[u])
		}
		var kept, lost []int
		for _, i := range append(slices.Clone(plain.Train[u]), plain.Val[u]) {
			if i >= 0 && s.IsCold(i) {
				lost = append(lost, i)
			} else if i >= 0 {
				kept = append(kept, i)
			}
		}
		got := slices.Clone(s.Train[u])
		if s.Val[u] >= 0 {
			got = append(got, s.Val[u])
		}
		if !slices.Equal(got, kept) || !slices.Equal(s.coldTaken[u], lost) {
			t.Errorf("consumer %d: train %v val %d cold taken %v, plain train %v val %d",
				u, s.Train[u], s.Val[u], s.coldTaken[u], plain.Train[u], plain.Val[u])
		}
		for _, i := range s.Train[u] {
			if s.IsCold(i) {
				t.Errorf("consumer %d trains on cold item %d", u, i)
			}
		}
	}
	// Uniform taste: about a tenth of the consumers are cold-start cases.
	if coldTests < 20 || coldTests > 60 {
		t.Errorf("%d of 400 consumers have a cold test item, want about 40", coldTests)
	}

	// No cold item is ever a positive or a negative, whether the sampler
	// picks its candidates or is given some cold ones.
	for _, cands := range [][]int{nil, append([]int{0, 1, 2}, coldItems...)} {
		ts, err := NewTripletSampler(s, cands, 3)
		if err != nil {
			t.Fatal(err)
		}
		for range 20000 {
			if u, i, j := ts.Next(); s.IsCold(i) || s.IsCold(j) {
				t.Fatalf("triplet (%d,%d,%d) has a cold item", u, i, j)
			}
		}
	}
	if _, err := NewTripletSampler(s, coldItems, 3); err == nil {
		t.Error("sampler with only cold candidates accepted")
	}
}

func TestSplitColdFractionErrors(t *testing.T) {
	for _, f := range []float64{-0.1, 1, 1.5, math.NaN()} {
		_, err := SplitInteractions(2, 3, nil, SplitConfig{ColdFraction: f})
		if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.Contains(fmt.Sprint(err), "cold_fraction") {
			t.Errorf("cold fraction %v: err %v, want an invalid cold_fraction", f, err)
		}
	}
}
