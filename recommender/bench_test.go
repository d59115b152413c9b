package recommender

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchSplit is catalog-sized: 1,000 consumers with 20 items each out of
// 3,000, the scale of the synthetic world.
func benchSplit(b *testing.B) *Split {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 6))
	var log []Interaction
	for u := 0; u < 1000; u++ {
		for k, i := range rng.Perm(3000)[:20] {
			log = append(log, Interaction{Consumer: u, Item: i, Time: int64(k)})
		}
	}
	s, err := SplitInteractions(1000, 3000, log, SplitConfig{ColdFraction: DefaultColdFraction, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkEvaluate measures a full evaluation (all metrics, all 1,000
// consumers against all 3,000 items) of a K=64 factor model on 2 workers.
func BenchmarkEvaluate(b *testing.B) {
	s := benchSplit(b)
	sc, _ := NewDotScorer(randomFactors(1000, 64, 1), randomFactors(3000, 64, 2))
	for b.Loop() {
		if _, err := Evaluate(context.Background(), s, sc, EvalConfig{Workers: 2}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateRawPixels is the same with the 16×16 raw-pixel baseline
// (768-value vectors).
func BenchmarkEvaluateRawPixels(b *testing.B) {
	s := benchSplit(b)
	rng := rand.New(rand.NewPCG(2, 6))
	im := &Images{Size: 16, Pix: make([]float32, 3000*3*16*16)}
	for i := range im.Pix {
		im.Pix[i] = rng.Float32()
	}
	rp, err := NewRawPixels(s, im, RawPixelsConfig{Size: 16})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Evaluate(context.Background(), s, rp, EvalConfig{Workers: 2}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBPRMFEpoch is one epoch (18,000 triplets) at K=32.
func BenchmarkBPRMFEpoch(b *testing.B) {
	s := benchSplit(b)
	for b.Loop() {
		if _, err := TrainBPRMF(context.Background(), s, BPRMFConfig{Epochs: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimilar is one exact top-10 query over 3,000 items at K=64.
func BenchmarkSimilar(b *testing.B) {
	x, _ := NewCosineIndex(randomFactors(3000, 64, 3))
	for b.Loop() {
		if _, err := x.Similar(17, 10); err != nil {
			b.Fatal(err)
		}
	}
}
