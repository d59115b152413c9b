package gan

import (
	"math/rand"
	"testing"
)

// Benchmarks at the demo sizes. Run with and without OpenBLAS:
//
//	go test -run '^$' -bench . ./gan/
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench . ./gan/

// BenchmarkTrainStep times one GAN training step at the default recipe
// (batch 32 over two shards) on 64 px images.
func BenchmarkTrainStep(b *testing.B) {
	m, err := NewGAN(DefaultGeneratorConfig(), DefaultDiscriminatorConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(m, newSquaresB(64, 64), DefaultTrainConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*tr.Config.Batch)/b.Elapsed().Seconds(), "images/s")
}

func newSquaresB(n, size int) squares {
	rng := rand.New(rand.NewSource(1))
	s := newSquares(n, size, 1)
	for _, im := range s {
		for i := range im.Pix {
			im.Pix[i] = im.Pix[i]*0.9 + 0.1*rng.Float32()
		}
	}
	return s
}
