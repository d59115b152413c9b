package recommender

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// DVBPR throughput at the demo's sizes: the default architecture on 64×64
// images. Run with pure-Go BLAS and with OpenBLAS:
//
//	go test -run XXX -bench DVBPR ./recommender/
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run XXX -bench DVBPR ./recommender/

func benchImages(n, size int) *Images {
	rng := rand.New(rand.NewPCG(3, 6))
	im := &Images{Size: size, Pix: make([]float32, n*3*size*size)}
	for i := range im.Pix {
		im.Pix[i] = rng.Float32()
	}
	return im
}

var benchCategories = []string{"dress", "handbag", "heel", "sneaker", "trousers", "tshirt"}

// BenchmarkDVBPRFeatures computes φ for 256 images on 1 and 2 workers.
func BenchmarkDVBPRFeatures(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			m, err := NewModel(DefaultArch(benchCategories), []string{"c1"}, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			im := benchImages(256, 64)
			if _, err := m.ImageFeatures(context.Background(), im, workers); err != nil { // build the graphs
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.ImageFeatures(context.Background(), im, workers); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*im.Len())/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkDVBPRTrainStep is one training step (64 triplets, forward and
// backward through φ for their distinct images, Adam) on 1 and 2 workers,
// on the catalog-sized benchSplit.
func BenchmarkDVBPRTrainStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := benchSplit(b)
			data := TrainData{Images: benchImages(s.NumItems, 64), Categories: benchCategories,
				ItemCategories: make([]int, s.NumItems), ConsumerIDs: make([]string, s.NumConsumers())}
			for i := range data.ItemCategories {
				data.ItemCategories[i] = i % len(benchCategories)
			}
			for u := range data.ConsumerIDs {
				data.ConsumerIDs[u] = fmt.Sprintf("c%d", u)
			}
			tr, err := newTrainer(data, s, TrainConfig{Workers: workers, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.close()
			for b.Loop() {
				if err := tr.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*tr.cfg.Batch)/b.Elapsed().Seconds(), "triplets/s")
		})
	}
}
