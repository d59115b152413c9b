package gan

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
)

// Keep anchors learned shifts to the product they start from: an addition
// to the published objective (see Shift), which relies on the generator's
// latent space to keep variants realistic and in their category. Ours is
// smaller and coarser: maximising θ·φ alone moved many variants into
// another category or below the realism threshold on the demo models
// (docs/redesign.md, the Keep-term table), where the fidelity checks then
// rejected them.
//
// With c the base category and D's logit d, the term added to the loss is
//
//	w_c · mean_k CE(category_head(φ(G(z_k))), c) + w_r · mean_k softplus(−d(G(z_k)))
//
// the category head's cross-entropy toward the base category, and D's
// non-saturating generator loss, the push toward images D takes for real.
// A nil *Keep, or zero weights, is the published objective.
type Keep struct {
	// Category is the scorer's index of the base category; negative
	// leaves the category term out.
	Category       int
	CategoryWeight float32
	// Refs complete D's minibatch-deviation group for each variant (the
	// realism calibration's references); the realism term needs them.
	Refs          []imaging.Tensor
	RealismWeight float32
}

// DefaultKeepWeights are the weights Redesign uses unless set: chosen on
// the default world with `atelier eval redesign` (docs/redesign.md).
const (
	DefaultKeepCategoryWeight = 1
	DefaultKeepRealismWeight  = 1
)

func (k *Keep) category() bool { return k != nil && k.Category >= 0 && k.CategoryWeight > 0 }
func (k *Keep) realism() bool  { return k != nil && len(k.Refs) > 0 && k.RealismWeight > 0 }

// keepTerm adds the Keep term for images ims (n, 3, H, W) whose scorer
// features are feats, or returns nil when there is none to add.
func keepTerm(g *nn.Graph, m *Models, s Scorer, ims, feats *G.Node, keep *Keep) *G.Node {
	var terms []*G.Node
	if keep.category() {
		logits := s.CategoryLogits(g, feats)
		terms = append(terms, categoryKeepLoss(g, logits, keep.Category, keep.CategoryWeight))
	}
	if keep.realism() {
		group := len(keep.Refs) + 1
		if group != m.D.Config.Group {
			return g.Fail(fmt.Errorf("%d realism references, the discriminator's group needs %d", len(keep.Refs), m.D.Config.Group-1), "gan: realism keep")
		}
		logits := m.D.Forward(g, withRefs(g, ims, keep.Refs), group)
		terms = append(terms, realismKeepLoss(g, logits, group, keep.RealismWeight))
	}
	if len(terms) == 0 {
		return nil
	}
	sum := terms[0]
	for _, t := range terms[1:] {
		sum = add(g, sum, t)
	}
	return sum
}

// categoryKeepLoss is w · mean_b CE(logits_b, c) for logits (n, C): (1).
func categoryKeepLoss(g *nn.Graph, logits *G.Node, c int, w float32) *G.Node {
	if !ok(g, logits) {
		return nil
	}
	s := logits.Shape().Clone()
	if s.Dims() != 2 || c >= s[1] {
		return g.Fail(fmt.Errorf("category logits %v for category %d", s, c), "gan: category keep loss")
	}
	n, nc := s[0], s[1]
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("CategoryKeep(%d,%g)", c, w),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var l float64
			for b := range n {
				row := in[0][b*nc : (b+1)*nc]
				l += logSumExp(row) - float64(row[c])
			}
			out[0] = float32(float64(w) * l / float64(n))
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			// d CE / d logits_b = softmax(logits_b) − onehot(c).
			func(dst []float32, in [][]float32, _, gout []float32) {
				scale := float64(w) * float64(gout[0]) / float64(n)
				for b := range n {
					crossEntropyGrad(dst[b*nc:(b+1)*nc], in[0][b*nc:(b+1)*nc], c, scale)
				}
			},
		},
	}, logits)
}

// crossEntropyGrad writes scale · (softmax(row) − onehot(target)) to dst:
// the gradient of −log softmax(row)[target], scaled.
func crossEntropyGrad(dst, row []float32, target int, scale float64) {
	lse := logSumExp(row)
	for j, v := range row {
		p := math.Exp(float64(v) - lse)
		if j == target {
			p--
		}
		dst[j] = float32(scale * p)
	}
}

// realismKeepLoss is w · mean_q softplus(−d_{q·group}) for D's logits
// (n·group, 1), the variant of group q at row q·group: the generator's
// non-saturating loss of training (softplusLoss) on the variants' rows.
func realismKeepLoss(g *nn.Graph, logits *G.Node, group int, w float32) *G.Node {
	if !ok(g, logits) {
		return nil
	}
	rows := logits.Shape().TotalSize()
	if rows%group != 0 {
		return g.Fail(fmt.Errorf("logits %v for groups of %d", logits.Shape(), group), "gan: realism keep loss")
	}
	signs, weights := make([]float32, rows), make([]float32, rows)
	for q := 0; q < rows; q += group {
		signs[q], weights[q] = -1, w*float32(group)/float32(rows)
	}
	return softplusLoss(g, logits, signs, weights)
}
