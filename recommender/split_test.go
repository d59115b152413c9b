package recommender

import (
	"slices"
	"testing"
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
	s, err := SplitInteractions(4, 6, log)
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
		if _, err := SplitInteractions(2, 3, []Interaction{in}); err == nil {
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
	one, _ := SplitInteractions(1, 2, []Interaction{{0, 0, 1}, {0, 1, 2}})
	if _, err := NewTripletSampler(one, nil, 1); err == nil {
		t.Error("sampler with no possible negative accepted")
	}
	if _, err := NewTripletSampler(s, []int{40}, 1); err == nil {
		t.Error("out-of-range candidate accepted")
	}
}
