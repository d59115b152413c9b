package gan

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

// Feature matching (Salimans et al. 2016) asks the generator to match the
// first moment of the discriminator's features on real images rather than
// only to fool its last layer. With f̂_l the pixel-normalised feature maps
// of D's layer l (as in the perceptual distance), a batch of n generated
// images x̃ and m real ones x:
//
//	FM = Σ_l mean_{c,h,w} ( (1/n) Σ_i f̂_l(x̃_i) − (1/m) Σ_j f̂_l(x_j) )²
//
// Unlike the reconstruction terms it pairs no sample with a target, so it
// does not pull G toward the pixel average of what it cannot place
// exactly; it names a direction in which the whole batch of samples
// differs from the catalog, which is the kind of gap (softer, paler
// samples) that the φ distance of the evaluation measured.

// featureMatch adds FM between the images x (its generated batch) and the
// real images' precomputed normalised feature maps targets, as a (1) node.
func featureMatch(g *nn.Graph, d *Discriminator, x *G.Node, targets []*G.Node) *G.Node {
	return sumOverLayers(g, d, x, targets, batchMeanDistance, "gan: feature matching")
}

// batchMeanDistance returns the (1)-shaped mean over the per-sample
// elements of (mean over a's batch − mean over b's batch)², for a and b of
// equal per-sample shapes and any batch sizes.
func batchMeanDistance(g *nn.Graph, a, b *G.Node) *G.Node {
	if !ok(g, a, b) {
		return nil
	}
	sa, sb := a.Shape().Clone(), b.Shape().Clone()
	if sa.Dims() < 2 || sb.Dims() != sa.Dims() || !tensor.Shape(sa[1:]).Eq(tensor.Shape(sb[1:])) {
		return g.Fail(fmt.Errorf("shapes %v and %v", sa, sb), "gan: batch mean distance")
	}
	na, nb := sa[0], sb[0]
	per := sa.TotalSize() / na
	inv := 1 / float64(per)
	// gap is mean_a − mean_b per element, in float64.
	gap := func(in [][]float32) []float64 {
		d := make([]float64, per)
		for i, v := range in[0] {
			d[i%per] += float64(v) / float64(na)
		}
		for i, v := range in[1] {
			d[i%per] -= float64(v) / float64(nb)
		}
		return d
	}
	grad := func(c float64) func(dst []float32, in [][]float32, out, gout []float32) {
		return func(dst []float32, in [][]float32, _, gout []float32) {
			d := gap(in)
			for i := range dst {
				dst[i] = float32(c*d[i%per]) * gout[0]
			}
		}
	}
	return g.Apply(&nn.Kernel{
		Name: "BatchMeanDistance",
		In:   []tensor.Shape{sa, sb},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var acc float64
			for _, v := range gap(in) {
				acc += v * v
			}
			out[0] = float32(acc * inv)
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			grad(2 * inv / float64(na)), grad(-2 * inv / float64(nb)),
		},
	}, a, b)
}
