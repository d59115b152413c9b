package gan

import (
	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// Scorer is what the GAN needs from a visual recommender: its image features
// φ and its category head, built inside the caller's own graph so that
// gradients flow from preference and category back to generated pixels and
// on to the latent z.
//
// Preference of a consumer (or a segment, through its mean θ) for image x is
// θ · φ(x); the caller multiplies the features by θ itself.
type Scorer interface {
	// Features adds φ to g for a batch x of shape (N, 3, 64, 64) with values
	// in [0,1] and returns the (N, Dim()) feature node. The graph's mode
	// decides dropout; the scorer's parameters are bound, not copied.
	Features(g *nn.Graph, x *G.Node) *G.Node
	// CategoryLogits adds the category head to g for features f of shape
	// (N, Dim()) and returns (N, len(Categories())) logits.
	CategoryLogits(g *nn.Graph, f *G.Node) *G.Node
	// Dim is the feature dimension K.
	Dim() int
	// Categories names the category head's classes, in logit order.
	Categories() []string
	// ImageSize is the side of the square images the scorer takes.
	ImageSize() int
}
