package gan

import (
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

// squares is a toy catalog: coloured squares of a few sizes at random
// places on white, size×size pixels.
type squares []imaging.Tensor

func (s squares) Len() int                  { return len(s) }
func (s squares) Item(i int) imaging.Tensor { return s[i] }

var squareColours = [][3]float32{{0.9, 0.1, 0.1}, {0.1, 0.3, 0.9}, {0.1, 0.7, 0.2}}

func newSquares(n, size int, seed int64) squares {
	rng := rand.New(rand.NewSource(seed))
	out := make(squares, n)
	for k := range out {
		t := imaging.NewTensor(size, size)
		side := size/3 + rng.Intn(size/4)
		y0, x0 := rng.Intn(size-side), rng.Intn(size-side)
		c := squareColours[rng.Intn(len(squareColours))]
		for ch := 0; ch < 3; ch++ {
			for y := y0; y < y0+side; y++ {
				for x := x0; x < x0+side; x++ {
					t.Pix[(ch*size+y)*size+x] = c[ch]
				}
			}
		}
		out[k] = t
	}
	return out
}

// tinyGAN returns a 16 px GAN small enough to train in a test.
func tinyGAN(t *testing.T, seed int64) *GAN {
	t.Helper()
	m, err := NewGAN(GeneratorConfig{ZDim: 8, Widths: []int{32, 16}},
		DiscriminatorConfig{Size: 16, Widths: []int{16, 32}, Group: 2, Gain: 2}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyTrainConfig(steps int) TrainConfig {
	cfg := DefaultTrainConfig()
	cfg.Steps, cfg.Batch, cfg.Shards = steps, 8, 2
	cfg.LRG, cfg.LRD = 5e-4, 5e-4
	cfg.EMA = 0.9
	cfg.Augment = AugmentConfig{Translate: 0.125, Cutout: 0}
	return cfg
}

func newTrainer(t *testing.T, m *GAN, data ImageSet, cfg TrainConfig) *Trainer {
	t.Helper()
	tr, err := NewTrainer(m, data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// stats returns the mean image and the mean per-pixel standard deviation of
// a set of images.
func stats(ims []imaging.Tensor) (mean []float64, sd float64) {
	n := len(ims[0].Pix)
	mean = make([]float64, n)
	for _, im := range ims {
		for i, v := range im.Pix {
			mean[i] += float64(v) / float64(len(ims))
		}
	}
	for i := range mean {
		var ss float64
		for _, im := range ims {
			d := float64(im.Pix[i]) - mean[i]
			ss += d * d
		}
		sd += math.Sqrt(ss/float64(len(ims))) / float64(n)
	}
	return mean, sd
}

// distributionGap measures how far generated images are from real ones by
// first and second moments: RMS difference of the mean images plus the
// difference of the mean per-pixel deviations.
func distributionGap(real, fake []imaging.Tensor) float64 {
	mr, sr := stats(real)
	mf, sf := stats(fake)
	var ss float64
	for i := range mr {
		d := mr[i] - mf[i]
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(mr))) + math.Abs(sr-sf)
}

func generate(t *testing.T, g *Generator, n int, seed int64) []imaging.Tensor {
	t.Helper()
	ims, err := g.Generate(context.Background(), SampleZ(rand.New(rand.NewSource(seed)), n, g.Config.ZDim), 16)
	if err != nil {
		t.Fatal(err)
	}
	return ims
}

func tempPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}
