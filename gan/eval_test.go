package gan

import (
	"context"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
)

// colourScorer is a stand-in for the recommender: φ(x) is the mean colour
// of the image, and the category is its strongest channel.
type colourScorer struct{ size int }

func (s colourScorer) Features(g *nn.Graph, x *G.Node) *G.Node { return nn.GlobalAvgPool(g, x) }
func (s colourScorer) CategoryLogits(_ *nn.Graph, f *G.Node) *G.Node {
	return f
}
func (s colourScorer) Dim() int             { return 3 }
func (s colourScorer) Categories() []string { return []string{"red", "green", "blue"} }
func (s colourScorer) ImageSize() int       { return s.size }

var _ Scorer = colourScorer{}

// diagFrechet is the Fréchet distance between diagonal Gaussians, a
// stand-in for the full one.
func diagFrechet(a, b []float32, k int) (float64, error) {
	ma, va := diagMoments(a, k)
	mb, vb := diagMoments(b, k)
	var d float64
	for i := 0; i < k; i++ {
		d += (ma[i]-mb[i])*(ma[i]-mb[i]) + va[i] + vb[i] - 2*math.Sqrt(va[i]*vb[i])
	}
	return d, nil
}

func diagMoments(x []float32, k int) (mean, variance []float64) {
	n := len(x) / k
	mean, variance = make([]float64, k), make([]float64, k)
	for r := 0; r < n; r++ {
		for i := 0; i < k; i++ {
			mean[i] += float64(x[r*k+i]) / float64(n)
		}
	}
	for r := 0; r < n; r++ {
		for i := 0; i < k; i++ {
			d := float64(x[r*k+i]) - mean[i]
			variance[i] += d * d / float64(n-1)
		}
	}
	return mean, variance
}

// meanAbsSimilarity is a stand-in for SSIM: 1 − mean |a − b|.
func meanAbsSimilarity(a, b imaging.Tensor) (float64, error) {
	var s float64
	for i, v := range a.Pix {
		s += math.Abs(float64(v - b.Pix[i]))
	}
	return 1 - s/float64(len(a.Pix)), nil
}

func TestMeanGap(t *testing.T) {
	// Means (1, 2) and (4, 6): squared distance 9 + 16.
	a := []float32{0, 2, 2, 2}
	b := []float32{4, 5, 4, 7, 4, 6}
	if got := meanGap(a, b, 2); math.Abs(got-25) > 1e-9 {
		t.Errorf("meanGap = %v, want 25", got)
	}
	if got := meanGap(a, a, 2); got != 0 {
		t.Errorf("meanGap of a set with itself = %v, want 0", got)
	}
}

func TestEvaluateReport(t *testing.T) {
	tr, _ := trainedTiny(t, 20)
	m := tr.GAN.Models()
	enc, err := NewEncoder(EncoderConfig{Size: 16, Widths: []int{8, 16}, ZDim: 8}, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	m.E = enc
	data := newSquares(200, 16, 6)
	rep, err := Evaluate(context.Background(), m, data, colourScorer{16},
		Metrics{SSIM: meanAbsSimilarity, Frechet: diagFrechet},
		EvalConfig{Inversions: 2, InvertSteps: []int{0, 3}, DiversityPairs: 50, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Category shares of the real images are the shares of square colours.
	want := map[string]float64{}
	for _, im := range data {
		best, bestV := "", -1.0
		for c, name := range []string{"red", "green", "blue"} {
			var s float64
			for _, v := range im.Pix[c*256 : (c+1)*256] {
				s += float64(v)
			}
			if s > bestV {
				best, bestV = name, s
			}
		}
		want[best] += 1.0 / float64(len(data))
	}
	var sumGen float64
	for name, w := range want {
		if got := rep.CategoryMix.Real[name]; math.Abs(got-w) > 1e-9 {
			t.Errorf("real share of %s = %v, want %v", name, got, w)
		}
	}
	for _, v := range rep.CategoryMix.Generated {
		sumGen += v
	}
	if math.Abs(sumGen-1) > 1e-9 {
		t.Errorf("generated shares sum to %v", sumGen)
	}
	// Two halves of one catalog are far closer than a barely trained
	// generator is to it.
	if !(*rep.FDPhiFloor >= 0 && *rep.FDPhiFloor < *rep.FDPhi/4) {
		t.Errorf("fd_phi %v, floor %v: want the floor well below", *rep.FDPhi, *rep.FDPhiFloor)
	}
	// φ is the mean colour, so the mean term is the squared distance of
	// the average colours; the diagonal covariance part is never negative.
	if rep.FDPhiMeans == nil || !(*rep.FDPhiMeans > 0 && *rep.FDPhiMeans <= *rep.FDPhi) {
		t.Errorf("fd_phi %v with mean term %v: want 0 < means <= fd_phi", *rep.FDPhi, rep.FDPhiMeans)
	}
	if rep.Diversity == nil || *rep.Diversity <= 0 || *rep.Diversity > 1 {
		t.Errorf("diversity %v not in (0, 1]", rep.Diversity)
	}
	if rep.HeldOutImages != 10 || rep.GeneratedImages != 100 || rep.RealImages != 200 {
		t.Errorf("counts %d held out, %d generated, %d real; want 10, 100, 200", rep.HeldOutImages, rep.GeneratedImages, rep.RealImages)
	}
	// The encoder's MSE is the mean over held-out images of G(E(x)) vs x.
	_, heldOut := EncoderSplit(200)
	rec, err := reconstruct(context.Background(), m, Subset{data, heldOut}, Metrics{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Within float rounding: the evaluation batches differently, and the
	// convolution backends group samples by batch (BLAS blocking, oneDNN's
	// kernels), which changes the order of float sums, not the function.
	if math.Abs(rec.MSE-rep.Encoder.MSE) > 1e-6*rec.MSE || rep.Encoder.SSIM == nil {
		t.Errorf("encoder report %+v, recomputed MSE %v", rep.Encoder, rec.MSE)
	}
	if len(rep.Inversion) != 2 || rep.Inversion["3"] < rep.Inversion["0"]-0.05 {
		t.Errorf("inversion curve %v", rep.Inversion)
	}

	// Without scorer or metrics, only what needs neither is reported.
	rep, err = Evaluate(context.Background(), m, data, nil, Metrics{}, EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FDPhi != nil || rep.CategoryMix != nil || rep.Diversity != nil || rep.Inversion != nil || rep.Encoder == nil || rep.Encoder.SSIM != nil {
		t.Errorf("report without scorer and metrics: %+v", rep)
	}
}

// energyScorer's φ(x) is the mean square of each channel, which a blur
// lowers wherever the image is not flat.
type energyScorer struct{ colourScorer }

func (s energyScorer) Features(g *nn.Graph, x *G.Node) *G.Node {
	sq, err := G.Square(x)
	if err != nil {
		return g.Fail(err, "energy scorer")
	}
	return nn.GlobalAvgPool(g, sq)
}

func TestEvaluateBlurredScale(t *testing.T) {
	tr, _ := trainedTiny(t, 2)
	data := newSquares(200, 16, 6)
	rep, err := Evaluate(context.Background(), tr.GAN.Models(), data, energyScorer{colourScorer{16}},
		Metrics{Frechet: diagFrechet}, EvalConfig{Inversions: -1, Seed: 1, BlurSigmas: []float64{0.5, 1.5, -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := rep.FDPhiBlurred
	if len(b) != 2 {
		t.Fatalf("fd_phi_blurred %v: want σ 0.5 and 1.5 (the negative one skipped)", b)
	}
	if !(*rep.FDPhiFloor < b["0.5"] && b["0.5"] < b["1.5"]) {
		t.Errorf("floor %v, blurred %v: want the distance to grow with the blur", *rep.FDPhiFloor, b)
	}
}
