package recommender

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
)

// The quality regression test of BPR-MF on a fixed easy world: two groups
// of consumers, each taking items only from its own half of the catalog; a
// quarter of the catalog is held out as cold items.
func TestBPRMFLearnsGroups(t *testing.T) {
	w := newGroupWorld(t, 300, 300, 12, 2, 0.25, 11)
	train := func(seed uint64) *BPRMF {
		t.Helper()
		m, err := TrainBPRMF(context.Background(), w.split, BPRMFConfig{Factors: 8, Epochs: 40, Reg: 0.05, Seed: seed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := train(1)
	if len(m.Losses) != 40 {
		t.Fatalf("%d epoch losses, want 40", len(m.Losses))
	}
	first, last := m.Losses[0], m.Losses[len(m.Losses)-1]
	t.Logf("loss %.4f -> %.4f", first, last)
	if last > 0.6*first {
		t.Errorf("training loss fell from %.4f only to %.4f", first, last)
	}
	met, err := Evaluate(context.Background(), w.split, m, EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bpr-mf %+v", met)
	if met.ColdConsumers < 50 {
		t.Fatalf("only %d cold consumers: the world is not testing cold start", met.ColdConsumers)
	}
	// A warm test item is in the consumer's half. Knowing the halves ranks
	// it above the other half (150 items) and level with the rest of its
	// own (138): (150+69)/288 ≈ 0.76. BPR-MF also ranks it above the ~35
	// cold items of its half, whose vectors are noise: about 0.82.
	warm, err := Evaluate(context.Background(), warmOnly(w.split), m, EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if warm.AUC < 0.75 || met.AUC < 0.7 {
		t.Errorf("AUC %.3f (warm test items %.3f), want ≥ 0.7 (≥ 0.75) on an easy two-group world", met.AUC, warm.AUC)
	}
	// BPR-MF orders the cold items by its random initial vectors, much the
	// same way for all consumers of a group (their θ are alike), so one
	// model's cold-start AUC has a standard deviation of about 0.05 around
	// 0.5 on this world; the mean of twenty models (seeds), about 0.012.
	cold := met.AUCCold
	for seed := uint64(2); seed <= 20; seed++ {
		mm, err := Evaluate(context.Background(), w.split, train(seed), EvalConfig{Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cold += mm.AUCCold
	}
	cold /= 20
	t.Logf("warm AUC %.3f; cold-start AUC %.3f, mean of 20 seeds %.3f", warm.AUC, met.AUCCold, cold)
	if math.Abs(cold-0.5) > 0.05 {
		t.Errorf("mean cold-start AUC %.3f, want 0.5 ± 0.05: BPR-MF cannot rank items nobody took", cold)
	}
	random, _ := Evaluate(context.Background(), w.split, Random{Seed: 1}, EvalConfig{Seed: 1}, nil)
	if met.Recall50 < random.Recall50+0.1 {
		t.Errorf("Recall@50 %.3f not above random's %.3f", met.Recall50, random.Recall50)
	}
}

// BPR-MF never touches a cold item: its vector stays the random initial
// one however long training runs, while items taken in training move.
func TestBPRMFLeavesColdItemsAlone(t *testing.T) {
	w := newGroupWorld(t, 60, 100, 8, 2, 0.2, 4)
	short, err := TrainBPRMF(context.Background(), w.split, BPRMFConfig{Factors: 4, Epochs: 1, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	long, _ := TrainBPRMF(context.Background(), w.split, BPRMFConfig{Factors: 4, Epochs: 5, Seed: 3}, nil)
	counts := w.split.TrainCounts()
	for i := range w.split.NumItems {
		same := slices.Equal(short.Q[i], long.Q[i])
		if w.split.IsCold(i) && !same {
			t.Errorf("cold item %d: vector changed in training", i)
		}
		if counts[i] > 0 && same {
			t.Errorf("item %d, taken %d times in training: vector did not change", i, counts[i])
		}
	}
	if len(w.split.ColdItems()) != 20 {
		t.Fatalf("%d cold items, want 20", len(w.split.ColdItems()))
	}
}

func TestBPRMFDeterministicAndSaveLoad(t *testing.T) {
	w := newGroupWorld(t, 40, 60, 6, 2, 0, 2)
	cfg := BPRMFConfig{Factors: 4, Epochs: 3, Seed: 9}
	a, err := TrainBPRMF(context.Background(), w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrainBPRMF(context.Background(), w.split, cfg, nil)
	var bufA, bufB bytes.Buffer
	if err := a.Save(&bufA); err != nil {
		t.Fatal(err)
	}
	b.Save(&bufB)
	if !bytes.Equal(bufA.Bytes(), bufB.Bytes()) {
		t.Error("same seed gave different models")
	}
	back, err := LoadBPRMF(bytes.NewReader(bufA.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want, got := make([]float32, 60), make([]float32, 60)
	for u := range 40 {
		a.Score(u, want)
		back.Score(u, got)
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("consumer %d item %d: loaded model scores %v, saved %v", u, i, got[i], want[i])
			}
		}
	}
	if _, err := LoadBPRMF(bytes.NewReader(bufA.Bytes()[:bufA.Len()-3])); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Errorf("truncated file: err %v, want invalid", err)
	}
	if _, err := LoadBPRMF(bytes.NewReader([]byte("ATBPRMF1\xff\xff\xff\xff\x01\x00\x00\x00\x01\x00\x00\x00"))); err == nil {
		t.Error("implausible K accepted")
	}
	if _, err := LoadBPRMF(bytes.NewReader([]byte("PNG..."))); err == nil {
		t.Error("foreign file accepted")
	}
}

func TestBPRMFConfigErrors(t *testing.T) {
	w := newGroupWorld(t, 10, 20, 4, 2, 0, 1)
	for _, cfg := range []BPRMFConfig{{Factors: -1}, {Epochs: -2}, {LearnRate: -0.1}} {
		if _, err := TrainBPRMF(context.Background(), w.split, cfg, nil); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("config %+v: err %v, want invalid", cfg, err)
		}
	}
}

func TestPopularityBeatsRandomOnBestSellers(t *testing.T) {
	s := popularWorld(t, 300, 200, 8, 4)
	pop, err := Evaluate(context.Background(), s, NewPopularity(s), EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rnd, err := Evaluate(context.Background(), s, Random{Seed: 3}, EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("popularity %+v\nrandom %+v", pop, rnd)
	if rnd.AUC < 0.45 || rnd.AUC > 0.55 {
		t.Errorf("random AUC %.3f, want about 0.5", rnd.AUC)
	}
	if pop.AUC < rnd.AUC+0.2 {
		t.Errorf("popularity AUC %.3f not well above random's %.3f", pop.AUC, rnd.AUC)
	}
	if pop.Recall50 < rnd.Recall50+0.1 {
		t.Errorf("popularity Recall@50 %.3f not above random's %.3f", pop.Recall50, rnd.Recall50)
	}
}

func TestRandomIsPerConsumerDeterministic(t *testing.T) {
	a, b := make([]float32, 5), make([]float32, 5)
	Random{Seed: 1}.Score(3, a)
	Random{Seed: 1}.Score(3, b)
	if a[0] != b[0] || a[4] != b[4] {
		t.Error("same seed and consumer gave different scores")
	}
	Random{Seed: 1}.Score(4, b)
	if a[0] == b[0] && a[1] == b[1] {
		t.Error("different consumers got the same scores")
	}
}
