package gan

import (
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/atelier-app/atelier/internal/nn"
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
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*tr.Config.Batch)/b.Elapsed().Seconds(), "images/s")
	// CPU time per step, user and system, all threads: on a machine shared
	// with other work it varies less than the wall time.
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/op")
}

// cpuTime returns the CPU time this process has used so far.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
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

// benchGenerator times G at the default architecture: forward only, or
// forward and backward (gradients of a pixel loss with respect to the
// weights, as in training, or to z alone, as in inversion and shifting).
// Layers use GOMAXPROCS goroutines (-cpu 1: one) unless ATELIER_THREADS
// says otherwise.
func benchGenerator(b *testing.B, batch int, backward string) {
	m, err := NewGenerator(DefaultGeneratorConfig(), rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	z := nn.NewParam("z", batch, m.Config.ZDim)
	copy(z.Data(), SampleZ(rand.New(rand.NewSource(2)), batch, m.Config.ZDim))
	size := m.Config.Size()
	y := m.Forward(g, g.Param(z))
	loss := scalar(g, meanSquaredDiff(g, y, g.Const("target", make([]float32, batch*3*size*size), batch, 3, size, size)))
	switch backward {
	case "weights":
		err = g.Backward(loss, m.Params()...)
	case "z":
		err = g.Backward(loss, z)
	case "z+weights":
		// What inversion cost before frozen weights got no gradient ops:
		// z's gradient, with every weight's computed alongside.
		err = g.Backward(loss, append([]nn.Param{z}, m.Params()...)...)
	}
	if err == nil {
		err = g.Compile()
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := g.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkGeneratorForward1(b *testing.B)         { benchGenerator(b, 1, "") }
func BenchmarkGeneratorForward8(b *testing.B)         { benchGenerator(b, 8, "") }
func BenchmarkGeneratorBackwardWeights1(b *testing.B) { benchGenerator(b, 1, "weights") }
func BenchmarkGeneratorBackwardWeights8(b *testing.B) { benchGenerator(b, 8, "weights") }
func BenchmarkGeneratorBackwardLatent1(b *testing.B)  { benchGenerator(b, 1, "z") }
func BenchmarkGeneratorBackwardLatent8(b *testing.B)  { benchGenerator(b, 8, "z") }

// BenchmarkGeneratorBackwardLatentAllGrads8 is BackwardLatent8 with the
// weights' gradients computed too: the saving of skipping them.
func BenchmarkGeneratorBackwardLatentAllGrads8(b *testing.B) { benchGenerator(b, 8, "z+weights") }
