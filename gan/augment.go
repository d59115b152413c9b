package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

// Differentiable augmentation (Zhao et al., "Differentiable Augmentation
// for Data-Efficient GAN Training", 2020): the discriminator only ever sees
// augmented images, real and generated alike, and the augmentation is part
// of the generator's graph, so its gradient flows through it. With a few
// thousand catalog images and hundreds of passes over them, a discriminator
// without it memorises the catalog and stops teaching the generator.
//
// Two augmentations, both with per-sample random parameters:
//
//   - translation by (tx, ty) pixels, each uniform in [−m, m] with
//     m = AugTranslate·size, uncovered pixels white (the catalog's
//     background);
//   - cutout with probability AugCutout: a square of side size/2 centred
//     uniformly in the image set to mid grey.
//
// Both are linear in the pixels, so the gradient is the same map applied
// backwards.

// augParams is the number of parameters per sample: tx, ty, cutout (0/1),
// cutout centre x, y.
const augParams = 5

// AugmentConfig sets the strength of the discriminator's augmentation.
type AugmentConfig struct {
	// Translate is the largest shift as a fraction of the image side
	// (0.125: up to 8 pixels at 64 px); 0 disables translation.
	Translate float64 `json:"translate"`
	// Cutout is the probability of cutting a half-side square out of a
	// sample; 0 disables cutout.
	Cutout float64 `json:"cutout"`
}

// DefaultAugment is the augmentation the demo models were trained with.
func DefaultAugment() AugmentConfig { return AugmentConfig{Translate: 0.125, Cutout: 0.5} }

// Validate checks the ranges.
func (c AugmentConfig) Validate() error {
	if c.Translate < 0 || c.Translate > 0.5 {
		return fmt.Errorf("translate %v not in [0, 0.5]", c.Translate)
	}
	if c.Cutout < 0 || c.Cutout > 1 {
		return fmt.Errorf("cutout probability %v not in [0, 1]", c.Cutout)
	}
	return nil
}

// draw fills p (batch × augParams) with random parameters for images of the
// given side.
func (c AugmentConfig) draw(p []float32, size int, rng *rand.Rand) {
	m := int(c.Translate*float64(size) + 0.5)
	for b := 0; b < len(p)/augParams; b++ {
		q := p[b*augParams : (b+1)*augParams]
		q[0], q[1] = 0, 0
		if m > 0 {
			q[0] = float32(rng.Intn(2*m+1) - m)
			q[1] = float32(rng.Intn(2*m+1) - m)
		}
		q[2], q[3], q[4] = 0, 0, 0
		if c.Cutout > 0 && rng.Float64() < c.Cutout {
			q[2] = 1
			q[3] = float32(rng.Intn(size))
			q[4] = float32(rng.Intn(size))
		}
	}
}

const cutoutValue = 0.5

// fill sets every element of s to v.
func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// augment applies translation and cutout to x (B, C, H, W) with parameters
// params (B, augParams), an input of the graph that the trainer refills
// before every run. It is differentiable with respect to x only.
func augment(g *nn.Graph, x, params *G.Node) *G.Node {
	if !ok(g, x, params) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 4 || !params.Shape().Eq(tensor.Shape{s[0], augParams}) {
		return g.Fail(fmt.Errorf("images %v, parameters %v", s, params.Shape()), "gan: augment")
	}
	batch, ch, h, w := s[0], s[1], s[2], s[3]
	plane := h * w
	// geom is one sample's shift and cutout rectangle [y0,y1)×[x0,x1).
	type geom struct {
		tx, ty int
		cut    bool
		y0, y1 int
		x0, x1 int
	}
	geomOf := func(p []float32) geom {
		gm := geom{tx: int(p[0]), ty: int(p[1]), cut: p[2] > 0}
		if gm.cut {
			half := h / 4
			cy, cx := int(p[4]), int(p[3])
			gm.y0, gm.y1 = max(cy-half, 0), min(cy+half, h)
			half = w / 4
			gm.x0, gm.x1 = max(cx-half, 0), min(cx+half, w)
		}
		return gm
	}
	// span returns the columns [j0, j1) of an output row that read the
	// source (shifted by tx), and the row's cutout columns [c0, c1) (empty
	// unless the row is in the cutout rectangle).
	span := func(gm geom, i int) (j0, j1, c0, c1 int) {
		j0, j1 = max(0, gm.tx), min(w, w+gm.tx)
		if gm.cut && i >= gm.y0 && i < gm.y1 {
			c0, c1 = gm.x0, gm.x1
		}
		return j0, j1, c0, c1
	}
	return g.Apply(&nn.Kernel{
		Name: "Augment",
		In:   []tensor.Shape{s, params.Shape().Clone()},
		Out:  s,
		// Row by row: the shifted source span is one copy, the margins
		// it leaves are filled with 1 (white), then the cutout overwrites.
		Forward: func(out []float32, in [][]float32) {
			for b := 0; b < batch; b++ {
				gm := geomOf(in[1][b*augParams : (b+1)*augParams])
				for c := 0; c < ch; c++ {
					src := in[0][(b*ch+c)*plane : (b*ch+c+1)*plane]
					dst := out[(b*ch+c)*plane : (b*ch+c+1)*plane]
					for i := 0; i < h; i++ {
						row := dst[i*w : (i+1)*w]
						j0, j1, c0, c1 := span(gm, i)
						si := i - gm.ty
						if si < 0 || si >= h || j0 >= j1 {
							fill(row, 1)
						} else {
							fill(row[:j0], 1)
							copy(row[j0:j1], src[si*w+j0-gm.tx:si*w+j1-gm.tx])
							fill(row[j1:], 1)
						}
						fill(row[c0:c1], cutoutValue)
					}
				}
			}
		},
		// The shift maps each output pixel to at most one source pixel, so
		// the gradient is the same copy backwards, without the cutout.
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				clear(dst)
				for b := 0; b < batch; b++ {
					gm := geomOf(in[1][b*augParams : (b+1)*augParams])
					for c := 0; c < ch; c++ {
						gp := gout[(b*ch+c)*plane : (b*ch+c+1)*plane]
						dp := dst[(b*ch+c)*plane : (b*ch+c+1)*plane]
						for i := 0; i < h; i++ {
							si := i - gm.ty
							j0, j1, c0, c1 := span(gm, i)
							if si < 0 || si >= h || j0 >= j1 {
								continue
							}
							// Output columns [a, b) go to source columns [a−tx, b−tx):
							// those of [j0, j1) left and right of the cutout.
							seg := func(a, b int) {
								if a < b {
									copy(dp[si*w+a-gm.tx:si*w+b-gm.tx], gp[i*w+a:i*w+b])
								}
							}
							seg(j0, min(j1, c0))
							seg(max(j0, c1), j1)
						}
					}
				}
			},
		},
	}, x, params)
}
