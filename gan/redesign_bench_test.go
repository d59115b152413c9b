package gan

import (
	"math/rand"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"

	G "gorgonia.org/gorgonia"
)

// benchScorer has the shape of the recommender's φ at the demo size: three
// stride-2 convolutions and a 64-dimensional linear head.
type benchScorer struct {
	convs []*nn.Conv2d
	fc    *nn.Linear
}

func newBenchScorer(b *testing.B) *benchScorer {
	rng := rand.New(rand.NewSource(1))
	s := &benchScorer{}
	prev := 3
	for i, w := range []int{16, 32, 64} {
		c, err := nn.NewConv2d("bs"+string(rune('0'+i)), nn.ConvConfig{In: prev, Out: w, Kernel: 3, Stride: 2, Pad: 1}, rng)
		if err != nil {
			b.Fatal(err)
		}
		s.convs, prev = append(s.convs, c), w
	}
	fc, err := nn.NewLinear("bs_fc", prev, 64, true, 1, rng)
	if err != nil {
		b.Fatal(err)
	}
	s.fc = fc
	return s
}

func (s *benchScorer) Features(g *nn.Graph, x *G.Node) *G.Node {
	h := x
	for _, c := range s.convs {
		h = nn.LeakyReLU(g, c.Forward(g, h), 0.2)
	}
	return s.fc.Forward(g, nn.GlobalAvgPool(g, h))
}
func (s *benchScorer) CategoryLogits(g *nn.Graph, f *G.Node) *G.Node { return f }
func (s *benchScorer) Dim() int                                      { return 64 }
func (s *benchScorer) Categories() []string {
	c := make([]string, 64)
	for i := range c {
		c[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return c
}
func (s *benchScorer) ImageSize() int { return 64 }

// BenchmarkRedesign splits one redesign job at the default model sizes
// (random weights) and the default settings (100 inversion steps; 8 shifts
// of 100 steps) into its stages; the per-step numbers are the ones to
// compare.
//
//	OPENBLAS_NUM_THREADS=1 go test -tags openblas -run '^$' -bench Redesign -benchtime 1x ./gan/
func BenchmarkRedesign(b *testing.B) {
	m, err := NewGAN(DefaultGeneratorConfig(), DefaultDiscriminatorConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := NewEncoder(DefaultEncoderConfig(), rand.New(rand.NewSource(2)))
	if err != nil {
		b.Fatal(err)
	}
	models := m.Models()
	models.E = enc
	s := newBenchScorer(b)
	theta := make([]float32, 64)
	for i := range theta {
		theta[i] = float32(rand.New(rand.NewSource(int64(i))).NormFloat64())
	}
	photo := newSquaresB(1, 64)[0]
	r, err := CalibrateRealism(b.Context(), models.D, []imaging.Tensor(newSquaresB(16, 64)), 5)
	if err != nil {
		b.Fatal(err)
	}
	const steps = 10
	b.Run("invert", func(b *testing.B) {
		for b.Loop() {
			if _, err := Invert(b.Context(), models, photo, InvertConfig{Steps: steps}, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*steps)*1000, "ms/step")
	})
	// shift is the published objective; shift-keep adds the Keep terms
	// Redesign uses by default (D on every variant's group).
	for _, keep := range []*Keep{nil, {Category: 0, CategoryWeight: 1, Refs: r.Refs, RealismWeight: 1}} {
		name := "shift"
		if keep != nil {
			name = "shift-keep"
		}
		b.Run(name, func(b *testing.B) {
			z := SampleZ(rand.New(rand.NewSource(3)), 1, models.ZDim())
			for b.Loop() {
				if _, err := Shift(b.Context(), models, s, z, theta, ShiftConfig{Steps: steps, Keep: keep}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*steps)*1000, "ms/step")
		})
	}
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if _, err := Redesign(b.Context(), models, s, r, RedesignRequest{Image: &photo, Theta: theta},
				RedesignConfig{Invert: InvertConfig{Steps: 1}, Shift: ShiftConfig{Steps: 1}, WatermarkKey: "k"}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
