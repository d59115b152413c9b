package gan

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
)

// Realism calibrates the discriminator's realism logit against real
// catalog images, once per model: a variant is flagged when D scores it
// below the given percentile of D's scores on real images.
//
// D has a minibatch standard deviation channel, so a lone image gets a
// statistic D never saw in training. Every image, real or generated, is
// therefore scored in a group with the same Group−1 real reference images,
// which makes scores comparable.
type Realism struct {
	Refs       []imaging.Tensor // the reference images scored with each image
	Scores     []float64        // D on the real images, ascending
	Percentile float64          // the flagging percentile, in [0, 100]
	Threshold  float64          // the score at Percentile
}

// CalibrateRealism scores real images with D and returns the calibration
// at the given percentile (5 in the method). It needs at least Group + 1
// images; a few hundred give a stable threshold.
func CalibrateRealism(ctx context.Context, d *Discriminator, real []imaging.Tensor, percentile float64) (*Realism, error) {
	group := d.Config.Group
	if len(real) < group+1 {
		return nil, atelier.Errorf(atelier.KindInvalid, "realism calibration needs at least %d real images, got %d", group+1, len(real))
	}
	if percentile < 0 || percentile > 100 {
		return nil, atelier.Errorf(atelier.KindInvalid, "realism percentile %v not in [0, 100]", percentile)
	}
	r := &Realism{Refs: append([]imaging.Tensor(nil), real[:group-1]...), Percentile: percentile}
	scores, err := r.Score(ctx, d, real)
	if err != nil {
		return nil, err
	}
	sort.Float64s(scores)
	r.Scores = scores
	r.Threshold = quantile(scores, percentile/100)
	return r, nil
}

// quantile interpolates linearly in sorted xs.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}

// PercentileOf returns the share (in percent) of real images D scored
// below s.
func (r *Realism) PercentileOf(s float64) float64 {
	i := sort.SearchFloat64s(r.Scores, s)
	return 100 * float64(i) / float64(len(r.Scores))
}

// Score returns D's realism logit of every image, each scored in a group
// with the reference images.
func (r *Realism) Score(ctx context.Context, d *Discriminator, ims []imaging.Tensor) ([]float64, error) {
	group, size := d.Config.Group, d.Config.Size
	if len(r.Refs) != group-1 {
		return nil, atelier.Errorf(atelier.KindInvalid, "realism has %d reference images, the discriminator's group needs %d", len(r.Refs), group-1)
	}
	const chunk = 8 // images per run
	per := min(chunk, len(ims))
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Input("x", per*group, 3, size, size)
	out := g.Output(d.Forward(g, x, group))
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("gan: realism graph: %w", err)
	}
	stride := 3 * size * size
	scores := make([]float64, 0, len(ims))
	for lo := 0; lo < len(ims); lo += per {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+per, len(ims))
		buf := g.InputData(x)
		for b := range per {
			im := ims[min(lo+b, hi-1)] // pad a short last chunk with its last image
			if len(im.Pix) != stride {
				return nil, atelier.Errorf(atelier.KindInvalid, "image is %dx%d, the discriminator takes %dx%d", im.W, im.H, size, size)
			}
			copy(buf[b*group*stride:], im.Pix)
			for j, ref := range r.Refs {
				copy(buf[(b*group+1+j)*stride:], ref.Pix)
			}
		}
		if err := g.Run(); err != nil {
			return nil, fmt.Errorf("gan: realism: %w", err)
		}
		logits := out.Data().([]float32)
		for b := range hi - lo {
			scores = append(scores, float64(logits[b*group]))
		}
	}
	return scores, nil
}

// FidelityConfig bounds how far a variant may drift and still pass.
type FidelityConfig struct {
	// MinSSIM is the least SSIM of a variant to the base image (default
	// 0.3): below it the variant is no longer the seller's product.
	MinSSIM float64
	// MaxPerceptual is the largest perceptual distance to the base image
	// (default 1.5, of at most 4 per discriminator layer).
	MaxPerceptual float64
	// DuplicateSSIM flags a variant whose SSIM to a better-ranked one is
	// above it (default 0.98).
	DuplicateSSIM float64
}

func (c FidelityConfig) withDefaults() FidelityConfig {
	if c.MinSSIM == 0 {
		c.MinSSIM = 0.3
	}
	if c.MaxPerceptual == 0 {
		c.MaxPerceptual = 1.5
	}
	if c.DuplicateSSIM == 0 {
		c.DuplicateSSIM = 0.98
	}
	return c
}

// The flags a variant can carry.
const (
	FlagUnrealistic     = "unrealistic"      // D scores it below the real images' percentile
	FlagCategoryChanged = "category_changed" // the scorer sees another category than the base item's
	FlagTooFar          = "too_far"          // SSIM or perceptual distance to the base beyond bounds
	FlagDuplicate       = "duplicate"        // near-identical to a better-ranked variant
)

// perceptualDistances returns P(ims_i, base) for every image.
func perceptualDistances(d *Discriminator, base imaging.Tensor, ims []imaging.Tensor) ([]float64, error) {
	size := d.Config.Size
	n := len(ims) + 1
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Input("x", n, 3, size, size)
	buf := g.InputData(x)
	copy(buf, base.Pix)
	for i, im := range ims {
		copy(buf[(i+1)*len(base.Pix):], im.Pix)
	}
	feats := normalizedFeatures(g, d, x)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("gan: perceptual graph: %w", err)
	}
	var outs [][]float32
	for _, f := range feats {
		outs = append(outs, g.Output(f).Data().([]float32))
	}
	if err := g.Run(); err != nil {
		return nil, fmt.Errorf("gan: perceptual distance: %w", err)
	}
	dist := make([]float64, len(ims))
	for _, f := range outs {
		per := len(f) / n
		for i := range ims {
			var ss float64
			a, b := f[:per], f[(i+1)*per:(i+2)*per]
			for j, v := range a {
				e := float64(v - b[j])
				ss += e * e
			}
			dist[i] += ss / float64(per)
		}
	}
	return dist, nil
}

// scoredImages are the scorer's features and category probabilities of a
// set of images.
type scoredImages struct {
	feats []float32   // len × Dim
	probs [][]float64 // softmax of the category head
}

func scoreWith(ctx context.Context, s Scorer, ims []imaging.Tensor) (*scoredImages, error) {
	size, k, nc := s.ImageSize(), s.Dim(), len(s.Categories())
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Input("x", len(ims), 3, size, size)
	buf := g.InputData(x)
	for i, im := range ims {
		copy(buf[i*3*size*size:], im.Pix)
	}
	f := s.Features(g, x)
	fOut := g.Output(f)
	cOut := g.Output(s.CategoryLogits(g, f))
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("gan: scorer graph: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := g.Run(); err != nil {
		return nil, fmt.Errorf("gan: score images: %w", err)
	}
	out := &scoredImages{feats: append([]float32(nil), fOut.Data().([]float32)[:len(ims)*k]...)}
	logits := cOut.Data().([]float32)
	for i := range ims {
		row := logits[i*nc : (i+1)*nc]
		lse := logSumExp(row)
		p := make([]float64, nc)
		for j, v := range row {
			p[j] = math.Exp(float64(v) - lse)
		}
		out.probs = append(out.probs, p)
	}
	return out, nil
}

func (s *scoredImages) preference(i int, theta []float32) float64 {
	k := len(theta)
	var acc float64
	for j, v := range s.feats[i*k : (i+1)*k] {
		acc += float64(v) * float64(theta[j])
	}
	return acc
}

// baseCategory is the index of a base image's category: the one given, or
// else the one the scorer sees most likely (probs).
func baseCategory(cats []string, probs []float64, category string) int {
	if category != "" {
		return indexOf(cats, category)
	}
	return argmax(probs)
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
