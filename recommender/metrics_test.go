package recommender

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRankAUC(t *testing.T) {
	tests := []struct {
		name   string
		score  float32
		others []float32
		want   float64
	}{
		{"perfect", 0.5, []float32{0.1, 0.2, 0.3}, 1},
		{"reversed", 0.5, []float32{0.6, 0.7, 0.8}, 0},
		{"half ties", 0.5, []float32{0.5, 0.1}, 0.75},
		{"all tied", 1, []float32{1, 1, 1}, 0.5},
		{"one in four above", 0.5, []float32{0.9, 0.1, 0.2, 0.3}, 0.75},
	}
	for _, tt := range tests {
		if got := RankOf(tt.score, tt.others).AUC(); !near(got, tt.want) {
			t.Errorf("%s: AUC %v, want %v", tt.name, got, tt.want)
		}
	}
	if !math.IsNaN(RankOf(1, nil).AUC()) {
		t.Error("AUC with no negatives should be NaN")
	}
}

func TestRankNDCGAndHit(t *testing.T) {
	tests := []struct {
		r          Rank
		k          int
		ndcg, hit  float64
		annotation string
	}{
		{Rank{Above: 0}, 10, 1, 1, "top"},
		{Rank{Above: 2}, 10, 0.5, 1, "rank 2: 1/log2(4)"},
		{Rank{Above: 6}, 10, 1.0 / 3, 1, "rank 6: 1/log2(8)"},
		{Rank{Above: 10}, 10, 0, 0, "just outside"},
		{Rank{Above: 9, Tied: 1}, 10, 1 / math.Log2(11) / 2, 0.5, "tie across the cut"},
		{Rank{Above: 8, Tied: 3}, 10, (1/math.Log2(10) + 1/math.Log2(11)) / 4, 0.5, "ranks 8..11"},
		{Rank{Above: 0, Tied: 1}, 1, 0.5, 0.5, "two tied for the only slot"},
		{Rank{Above: 40, Tied: 0}, 50, 1 / math.Log2(42), 1, "@50"},
	}
	for _, tt := range tests {
		if got := tt.r.NDCG(tt.k); !near(got, tt.ndcg) {
			t.Errorf("%s: NDCG@%d = %v, want %v", tt.annotation, tt.k, got, tt.ndcg)
		}
		if got := tt.r.Hit(tt.k); !near(got, tt.hit) {
			t.Errorf("%s: HR@%d = %v, want %v", tt.annotation, tt.k, got, tt.hit)
		}
	}
}

// tableScorer returns fixed scores per consumer.
type tableScorer [][]float32

func (s tableScorer) Score(u int, out []float32) { copy(out, s[u]) }

// handSplit is a small log over 10 items of which 7, 8 and 9 are cold.
func handSplit(t *testing.T) *Split {
	t.Helper()
	log := []Interaction{
		{0, 0, 1}, {0, 8, 2}, {0, 1, 3}, {0, 2, 4}, {0, 3, 5}, // train 0,1 val 2 test 3; cold 8 removed
		{1, 3, 1}, {1, 4, 2}, {1, 5, 3}, {1, 0, 4}, // train 3,4 val 5 test 0
		{2, 1, 1}, {2, 0, 2}, {2, 7, 3}, // train 1 val 0 test 7 (cold)
		{3, 6, 1},                       // too few to evaluate
		{4, 9, 1}, {4, 2, 2}, {4, 8, 3}, // train 2, no val, test 8 (cold); cold 9 removed
	}
	cold := make([]bool, 10)
	cold[7], cold[8], cold[9] = true, true, true
	s, err := splitHoldingOut(5, 10, log, cold)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEvaluateByHand(t *testing.T) {
	s := handSplit(t)
	sc := tableScorer{
		// Items taken (training, validation, removed cold) score 10: they
		// must not count.
		{10, 10, 10, 0.5, 0.9, 0.1, 0.5, 0.2, 10, 0.3}, // test 3 vs 4,5,6,7,9: 1 above, 1 tied, 3 below
		{1, 0, 0, 10, 10, 10, 0, 0, 0, 0},              // test 0 above all of 1,2,6,7,8,9
		{10, 10, 1, 1, 1, 1, 1, 0, 0.5, -1},            // test 7 vs 2..6,8,9: 6 above, 1 below; cold 8 above, 9 below
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 10, 0.9, 0, 0, 0, 0.6, 0.7, 10}, // test 8 vs 0,1,3..7: 1 above; cold 7 below
	}
	m, err := Evaluate(context.Background(), s, sc, EvalConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ndcg0 := (1/math.Log2(3) + 1/math.Log2(4)) / 2
	want := Metrics{
		AUC:           (0.7 + 1 + 1.0/7 + 6.0/7) / 4,
		AUCSampled:    (0.7 + 1 + 1.0/7 + 6.0/7) / 4, // fewer than 100 negatives: all of them
		AUCCold:       (0.5 + 1) / 2,
		NDCG10:        (ndcg0 + 1 + 1/math.Log2(8) + 1/math.Log2(3)) / 4,
		Recall10:      1,
		Recall50:      1,
		HR10:          1,
		Consumers:     4,
		ColdConsumers: 2,
	}
	checkMetrics(t, m, want)

	// Validation: each consumer's validation item scores 10, above all
	// negatives (consumer 0: item 2 over 4,5,6,7,9, the test item 3 and
	// the removed cold item 8 excluded). Consumer 4 has no validation item
	// and validation items are never cold.
	mv, err := Evaluate(context.Background(), s, sc, EvalConfig{Held: HeldValidation}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(mv.AUC, 1) || mv.Consumers != 3 || mv.ColdConsumers != 0 || !math.IsNaN(mv.AUCCold) || !near(mv.NDCG10, 1) {
		t.Errorf("validation metrics %+v", mv)
	}
}

// Cold-start AUC on the two-group world: the true preference ranks a cold
// test item above the other group's cold items and level with its own
// group's, about (37 + 34/2)/71 ≈ 0.76; random scores rank it by chance,
// and popularity, with every cold item at zero, ties them all.
func TestEvaluateColdAUC(t *testing.T) {
	w := newGroupWorld(t, 300, 300, 12, 2, 0.25, 11)
	eval := func(sc Scorer) Metrics {
		t.Helper()
		m, err := Evaluate(context.Background(), w.split, sc, EvalConfig{Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	oracle := eval(w.oracle())
	if oracle.ColdConsumers < 50 || oracle.AUCCold < 0.7 {
		t.Errorf("true preference: cold-start AUC %.3f over %d consumers, want ≥ 0.7 over ≥ 50", oracle.AUCCold, oracle.ColdConsumers)
	}
	if pop := eval(NewPopularity(w.split)); pop.AUCCold != 0.5 {
		t.Errorf("popularity: cold-start AUC %v, want exactly 0.5", pop.AUCCold)
	}
	// One random scorer's cold-start AUC has a standard deviation of about
	// 0.033 here; the mean of ten, about 0.01.
	random := 0.0
	for seed := range uint64(10) {
		random += eval(Random{Seed: seed}).AUCCold / 10
	}
	if math.Abs(random-0.5) > 0.04 {
		t.Errorf("random: mean cold-start AUC %.3f, want 0.5 ± 0.04", random)
	}
}

func checkMetrics(t *testing.T, got, want Metrics) {
	t.Helper()
	pairs := []struct {
		name      string
		got, want float64
	}{
		{"auc", got.AUC, want.AUC}, {"auc_sampled", got.AUCSampled, want.AUCSampled},
		{"auc_cold", got.AUCCold, want.AUCCold}, {"ndcg@10", got.NDCG10, want.NDCG10},
		{"recall@10", got.Recall10, want.Recall10}, {"recall@50", got.Recall50, want.Recall50},
		{"hr@10", got.HR10, want.HR10},
	}
	for _, p := range pairs {
		if !near(p.got, p.want) {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
	if got.Consumers != want.Consumers || got.ColdConsumers != want.ColdConsumers {
		t.Errorf("consumers %d (cold %d), want %d (%d)", got.Consumers, got.ColdConsumers, want.Consumers, want.ColdConsumers)
	}
}

func randomFactors(n, k int, seed uint64) [][]float32 {
	return gaussian(rand.New(rand.NewPCG(seed, 0)), n, k, 1)
}

func TestEvaluateDeterministic(t *testing.T) {
	w := newGroupWorld(t, 60, 400, 8, 4, 0.2, 3)
	sc, err := NewDotScorer(randomFactors(60, 8, 1), randomFactors(400, 8, 2))
	if err != nil {
		t.Fatal(err)
	}
	var first Metrics
	for k, workers := range []int{1, 2, 3} {
		m, err := Evaluate(context.Background(), w.split, sc, EvalConfig{Workers: workers, Seed: 5, SampledNegatives: 20}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			first = m
			continue
		}
		if m != first {
			t.Errorf("%d workers: %+v, 1 worker: %+v", workers, m, first)
		}
	}
	// Another seed draws other negatives: over a few seeds, some sampled
	// AUC differs (any single one may tie by chance), the full AUC never.
	differs := false
	for seed := uint64(6); seed < 10; seed++ {
		other, _ := Evaluate(context.Background(), w.split, sc, EvalConfig{Seed: seed, SampledNegatives: 20}, nil)
		differs = differs || other.AUCSampled != first.AUCSampled
		if other.AUC != first.AUC {
			t.Errorf("seed %d: full AUC %v, seed 5: %v", seed, other.AUC, first.AUC)
		}
	}
	if !differs {
		t.Error("sampled AUC did not depend on the evaluation seed")
	}
}

type nanScorer struct{}

func (nanScorer) Score(_ int, out []float32) {
	for i := range out {
		out[i] = float32(i)
	}
	out[len(out)-1] = float32(math.NaN())
}

func TestEvaluateRejectsNaN(t *testing.T) {
	_, err := Evaluate(context.Background(), handSplit(t), nanScorer{}, EvalConfig{}, nil)
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("err = %v, want a NaN error", err)
	}
}

func TestEvaluateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, handSplit(t), Random{}, EvalConfig{}, nil); err == nil {
		t.Error("cancelled evaluation returned no error")
	}
}

func TestMetricsJSON(t *testing.T) {
	m := Metrics{AUC: 0.75, AUCSampled: 0.7, AUCCold: math.NaN(), NDCG10: 0.1, Recall10: 0.2, Recall50: 0.3, HR10: 0.2, Consumers: 9}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"auc":0.75`, `"auc_cold":null`, `"ndcg@10":0.1`, `"recall@50":0.3`, `"hr@10":0.2`, `"consumers":9`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.AUCCold) || back.AUC != 0.75 || back.Consumers != 9 {
		t.Errorf("round trip gave %+v", back)
	}
}

func TestEvaluatorReport(t *testing.T) {
	s := handSplit(t)
	e := NewEvaluator(s, EvalConfig{}, nil)
	if _, err := e.Add(context.Background(), "random", Random{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Add(context.Background(), "popularity", NewPopularity(s)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Add(context.Background(), "random", Random{}); err == nil {
		t.Error("same model name accepted twice")
	}
	r := e.Report()
	if len(r.Models) != 2 || r.Order[0] != "random" || r.Order[1] != "popularity" {
		t.Errorf("report models %v order %v", r.Models, r.Order)
	}
	if r.Consumers != 5 || r.Items != 10 || r.Evaluated != 4 || r.ColdItems != 3 {
		t.Errorf("report counts %d consumers %d items %d evaluated %d cold items", r.Consumers, r.Items, r.Evaluated, r.ColdItems)
	}
}
