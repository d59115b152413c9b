package gan

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// The perceptual distance between images a and b compares the
// discriminator's feature maps f₁...f_L (see Discriminator), LPIPS-style
// but unweighted:
//
//	P(a, b) = Σ_l  mean_{h,w} ‖ f̂_l(a)[·,h,w] − f̂_l(b)[·,h,w] ‖²
//
// where f̂ scales each pixel's channel vector to unit length. Each layer's
// term lies in [0, 4]; normalising per pixel makes the distance about
// which features are present where, not about activation magnitudes, which
// differ by orders between layers. It is computed as the mean over (c, h,
// w) of the squared difference of pixel-normalised maps (nn.PixelNorm
// scales to unit root mean square, √C times the unit vector), which is the
// same number.

// featureEps keeps the normalisation of near-zero feature vectors tame.
const featureEps = 1e-6

// normalizedFeatures returns D's pixel-normalised feature maps of x.
func normalizedFeatures(g *nn.Graph, d *Discriminator, x *G.Node) []*G.Node {
	feats := d.Features(g, x)
	for i, f := range feats {
		feats[i] = nn.PixelNorm(g, f, featureEps)
	}
	return feats
}

// perceptualTo adds P(x, ·) against precomputed normalised target feature
// maps (inputs or constants of g) and returns it as a (1) node: for a batch
// the mean over samples.
func perceptualTo(g *nn.Graph, d *Discriminator, x *G.Node, targets []*G.Node) *G.Node {
	return sumOverLayers(g, d, x, targets, meanSquaredDiff, "gan: perceptual distance")
}

// sumOverLayers returns Σ_l term(f̂_l(x), targets[l]) over D's normalised
// feature maps of x, a (1) node; what names the measure in errors.
func sumOverLayers(g *nn.Graph, d *Discriminator, x *G.Node, targets []*G.Node, term func(*nn.Graph, *G.Node, *G.Node) *G.Node, what string) *G.Node {
	feats := normalizedFeatures(g, d, x)
	if !ok(g, x) || feats == nil {
		return nil
	}
	if len(targets) != len(feats) {
		return g.Fail(fmt.Errorf("%d target maps for %d layers", len(targets), len(feats)), "%s", what)
	}
	var sum *G.Node
	for i, f := range feats {
		t := term(g, f, targets[i])
		if sum == nil {
			sum = t
		} else {
			sum = add(g, sum, t)
		}
	}
	return sum
}
