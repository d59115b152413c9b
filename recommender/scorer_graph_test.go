package recommender

import (
	"context"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// visualScorer mirrors gan.Scorer (the GAN's view of this model), declared
// here because recommender must not import gan; the assertion below keeps
// Model satisfying it.
type visualScorer interface {
	Features(g *nn.Graph, x *G.Node) *G.Node
	CategoryLogits(g *nn.Graph, f *G.Node) *G.Node
	Dim() int
	Categories() []string
	ImageSize() int
}

var _ visualScorer = (*Model)(nil)

// TestPreferenceGradientWrtPixels builds, as the GAN does, a graph with an
// image as its input, the preference θ·φ(x) plus a category logit on top,
// differentiates with respect to the pixels and compares with central
// finite differences of the same quantity computed by ImageFeatures.
func TestPreferenceGradientWrtPixels(t *testing.T) {
	m, w := trainedTiny(t)
	var sc visualScorer = m
	s := sc.ImageSize()
	theta, _ := m.Theta(w.data.ConsumerIDs[0])
	const cat = 1 // "square"

	img := nn.NewParam("image", 1, 3, s, s)
	copy(img.Data(), w.data.Images.Item(5).Pix)
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	f := sc.Features(g, g.Param(img))
	logits := sc.CategoryLogits(g, f)
	th := g.Const("theta", theta, sc.Dim(), 1)
	if g.Err() != nil {
		t.Fatal(g.Err())
	}
	pref := G.Must(G.Sum(G.Must(G.Mul(f, th))))
	pick := make([]float32, len(sc.Categories()))
	pick[cat] = 1
	logit := G.Must(G.Sum(G.Must(G.Mul(logits, g.Const("pick", pick, len(pick), 1)))))
	objective := G.Must(G.Add(pref, logit))
	out := g.Output(objective)
	if err := g.Backward(objective, img); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	grad := g.Grad(img).Data().([]float32)

	// The same quantity in float64 from ImageFeatures and the head.
	value := func(pix []float32) float64 {
		im := &Images{Size: s, Pix: pix}
		feats, err := m.ImageFeatures(context.Background(), im, 1)
		if err != nil {
			t.Fatal(err)
		}
		v := float64(dot(theta, feats[0]))
		wc, bc := m.net.head.W.Data(), m.net.head.B.Data()
		return v + float64(bc[cat]) + float64(dot(wc[cat*sc.Dim():(cat+1)*sc.Dim()], feats[0]))
	}
	if v := value(img.Data()); math.Abs(v-float64(out.Data().([]float32)[0])) > 1e-4*(1+math.Abs(v)) {
		t.Fatalf("graph computes %v, ImageFeatures %v", out.Data().([]float32)[0], v)
	}
	// A background pixel, one on the edge of the shape, one inside it, in
	// different channels.
	checked := 0
	for _, p := range []int{0*s*s + 1*s + 1, 1*s*s + 4*s + 4, 2*s*s + 8*s + 8, 0*s*s + 7*s + 9} {
		const h = 1e-2
		pix := append([]float32(nil), img.Data()...)
		pix[p] += h
		up := value(pix)
		pix[p] -= 2 * h
		down := value(pix)
		numeric := (up - down) / (2 * h)
		if math.Abs(numeric-float64(grad[p])) > 1e-4+0.02*math.Abs(numeric) {
			t.Errorf("pixel %d: gradient %v, finite difference %v", p, grad[p], numeric)
		}
		if grad[p] != 0 {
			checked++
		}
	}
	if checked < 3 {
		t.Errorf("only %d of 4 pixels have a non-zero gradient", checked)
	}
}
