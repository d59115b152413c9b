package recommender

import (
	"context"
	"math/rand/v2"
	"testing"
)

func benchImages(n, size int) *Images {
	rng := rand.New(rand.NewPCG(3, 6))
	im := &Images{Size: size, Pix: make([]float32, n*3*size*size)}
	for i := range im.Pix {
		im.Pix[i] = rng.Float32()
	}
	return im
}

func benchPhi(b *testing.B, workers int) {
	m, err := NewModel(DefaultArch([]string{"a", "b", "c", "d", "e", "f"}), []string{"c1"}, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	im := benchImages(256, 64)
	if _, err := m.ImageFeatures(context.Background(), im, workers); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.ImageFeatures(context.Background(), im, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*im.Len())/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkPhi1(b *testing.B) { benchPhi(b, 1) }
func BenchmarkPhi2(b *testing.B) { benchPhi(b, 2) }
