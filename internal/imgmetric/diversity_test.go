package imgmetric

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

func TestDiversityOfCopiesIsZero(t *testing.T) {
	a := randomTensor(32, 32, 1)
	got, err := Diversity(context.Background(), []imaging.Tensor{a, a, a, a}, DiversityConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Fatalf("diversity of copies = %v, want 0", got)
	}
}

func TestDiversityAllPairs(t *testing.T) {
	imgs := make([]imaging.Tensor, 5)
	for i := range imgs {
		imgs[i] = randomTensor(24, 24, uint64(i))
	}
	imgs[4] = imgs[0] // one duplicate pair lowers the mean
	var want float64
	pairs := 0
	for i := range imgs {
		for j := i + 1; j < len(imgs); j++ {
			s, err := SSIM(imgs[i], imgs[j])
			if err != nil {
				t.Fatal(err)
			}
			want += 1 - s
			pairs++
		}
	}
	want /= float64(pairs)
	var steps int
	got, err := Diversity(context.Background(), imgs, DiversityConfig{}, func(u progress.Update) { steps = u.Step })
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("diversity %v, want the all-pairs mean %v", got, want)
	}
	if steps != pairs {
		t.Fatalf("last progress step %d, want %d pairs", steps, pairs)
	}
	// A cap at or above the number of pairs still compares all of them.
	capped, _ := Diversity(context.Background(), imgs, DiversityConfig{MaxPairs: pairs}, nil)
	if capped != got {
		t.Fatalf("MaxPairs = #pairs gives %v, want %v", capped, got)
	}
}

func TestDiversitySampledPairs(t *testing.T) {
	imgs := make([]imaging.Tensor, 12)
	for i := range imgs {
		imgs[i] = randomTensor(16, 16, uint64(i%4)) // four distinct images, three copies each
	}
	ctx := context.Background()
	all, err := Diversity(ctx, imgs, DiversityConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DiversityConfig{MaxPairs: 40, Seed: 9}
	a, err := Diversity(ctx, imgs, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Diversity(ctx, imgs, cfg, nil)
	if a != b {
		t.Fatalf("same seed gives %v and %v", a, b)
	}
	cfg.Seed = 10
	c, _ := Diversity(ctx, imgs, cfg, nil)
	if c == a {
		t.Fatalf("different seeds give the same estimate %v", a)
	}
	// Pairs are copies (1 − SSIM = 0) with probability 2/11, otherwise ≈ 1:
	// a 40-pair estimate is within a few standard errors of the mean.
	for _, est := range []float64{a, c} {
		if math.Abs(est-all) > 0.2 {
			t.Fatalf("sampled estimate %v far from the all-pairs mean %v", est, all)
		}
	}
}

func TestDiversityErrors(t *testing.T) {
	a := randomTensor(16, 16, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Diversity(ctx, []imaging.Tensor{a, a}, DiversityConfig{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
	tests := []struct {
		name string
		imgs []imaging.Tensor
		cfg  DiversityConfig
	}{
		{"one image", []imaging.Tensor{a}, DiversityConfig{}},
		{"negative cap", []imaging.Tensor{a, a}, DiversityConfig{MaxPairs: -1}},
		{"sizes differ", []imaging.Tensor{a, randomTensor(17, 16, 1)}, DiversityConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Diversity(context.Background(), tt.imgs, tt.cfg, nil)
			if atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
		})
	}
}
