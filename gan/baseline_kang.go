package gan

import (
	"context"
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// PreferenceMaxConfig sets the preference-maximisation baseline.
type PreferenceMaxConfig struct {
	N     int     // number of images (default 8)
	Steps int     // Adam steps (default 100)
	LR    float32 // Adam step size (default 0.05)
	Eta   float32 // weight of the realism term (default 1)
	Seed  int64   // draws the starting latents
}

func (c PreferenceMaxConfig) withDefaults() PreferenceMaxConfig {
	if c.N == 0 {
		c.N = 8
	}
	if c.Steps == 0 {
		c.Steps = 100
	}
	if c.LR == 0 {
		c.LR = 0.05
	}
	if c.Eta == 0 {
		c.Eta = 1
	}
	return c
}

// PreferenceMax is the result of PreferenceMaximize: the optimised
// images (as Shifts, K the total latent change) and the images of the
// starting latents, one per optimised image.
type PreferenceMax struct {
	*Shifts
	Starts  []imaging.Tensor // G(z0_k)
	StartZ  [][]float32
	Realism []float64 // D's logit of every image at the last step
}

// PreferenceMaximize is the baseline of Kang et al. 2017 ("Visually-aware
// fashion recommendation and design with generative image models"): from
// n random latents z0_k it maximises, by Adam on z with G, φ and D frozen,
//
//	θ·φ(G(z)) − η·(D(G(z)) − 1)²
//
// the preference of the segment plus a realism penalty on D's logit. It
// designs from scratch: nothing ties an image to a seller's product, so
// each image is checked against its own start G(z0_k). z is standardised
// inside the graph, as the generator was trained on. D scores every image
// in a group with the realism calibration's reference images, as the
// realism check does.
func PreferenceMaximize(ctx context.Context, m *Models, s Scorer, r *Realism, theta []float32, cfg PreferenceMaxConfig, prog progress.Func) (*PreferenceMax, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.N < 1 || cfg.N > 64:
		return nil, atelier.FieldErrorf("n", "number of images %d not in [1, 64]", cfg.N)
	case cfg.Steps < 0 || cfg.Steps > 10000:
		return nil, atelier.FieldErrorf("steps", "steps %d not in [0, 10000]", cfg.Steps)
	case !(cfg.LR > 0) || cfg.Eta < 0:
		return nil, atelier.Errorf(atelier.KindInvalid, "step size %v must be positive and η %v not negative", cfg.LR, cfg.Eta)
	case r == nil:
		return nil, atelier.Errorf(atelier.KindInvalid, "preference maximisation needs a realism calibration")
	}
	if err := checkScorer(m, s, theta); err != nil {
		return nil, err
	}
	zdim, size, n, group := m.ZDim(), m.Size(), cfg.N, m.D.Config.Group
	if len(r.Refs) != group-1 {
		return nil, atelier.Errorf(atelier.KindInvalid, "realism has %d reference images, the discriminator's group needs %d", len(r.Refs), group-1)
	}
	z := nn.NewParam("z", n, zdim)
	copy(z.Data(), m.SampleZ(rand.New(rand.NewSource(cfg.Seed)), n))
	z0 := append([]float32(nil), z.Data()...)

	g := nn.NewGraph(nn.Infer, cfg.Seed)
	defer g.Close()
	zs := standardize(g, g.Param(z))
	ims := m.G.Forward(g, zs)
	prefs := rowDot(g, s.Features(g, ims), theta)
	logits := m.D.Forward(g, withRefs(g, ims, r.Refs), group)
	loss := preferenceMaxObjective(g, prefs, logits, group, cfg.Eta)
	prefOut, dOut, imOut, zOut := g.Output(prefs), g.Output(logits), g.Output(ims), g.Output(zs)
	if err := g.Backward(scalar(g, loss), z); err != nil {
		return nil, fmt.Errorf("gan: preference maximisation graph: %w", err)
	}
	opt, err := nn.NewAdam([]nn.Param{z}, nn.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, err
	}
	res := &PreferenceMax{Shifts: &Shifts{}}
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := g.Run(); err != nil {
			return nil, fmt.Errorf("gan: preference maximisation step %d: %w", step, err)
		}
		if step == 0 {
			pix := imOut.Data().([]float32)
			for i := range n {
				res.Starts = append(res.Starts, imaging.Tensor{H: size, W: size, Pix: append([]float32(nil), pix[i*3*size*size:(i+1)*3*size*size]...)})
			}
		}
		pref := mean32(prefOut.Data().([]float32))
		res.Curve = append(res.Curve, ShiftStep{Preference: pref})
		prog.Report(progress.Update{Stage: "prefmax", Step: step, Total: cfg.Steps, Metrics: map[string]float64{"preference": pref}})
		if step == cfg.Steps {
			break
		}
		if err := opt.Step(g.Grad); err != nil {
			return nil, fmt.Errorf("gan: preference maximisation step %d: %w", step, err)
		}
	}
	stride := 3 * size * size
	pix, zk, pr, dl := imOut.Data().([]float32), zOut.Data().([]float32), prefOut.Data().([]float32), dOut.Data().([]float32)
	for i := range n {
		zi := append([]float32(nil), zk[i*zdim:(i+1)*zdim]...)
		start := append([]float32(nil), z0[i*zdim:(i+1)*zdim]...)
		k := make([]float32, zdim)
		for j := range k {
			k[j] = zi[j] - start[j]
		}
		res.K = append(res.K, k)
		res.Z = append(res.Z, zi)
		res.StartZ = append(res.StartZ, start)
		res.Images = append(res.Images, imaging.Tensor{H: size, W: size, Pix: append([]float32(nil), pix[i*stride:(i+1)*stride]...)})
		res.Preference = append(res.Preference, float64(pr[i]))
		res.Realism = append(res.Realism, float64(dl[i*group]))
	}
	return res, nil
}

// withRefs interleaves every image of x (n, 3, H, W) with the constant
// reference images: (n·group, 3, H, W), image i at row i·group followed by
// the references. Gradients flow back to x only.
func withRefs(g *nn.Graph, x *G.Node, refs []imaging.Tensor) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 4 {
		return g.Fail(fmt.Errorf("input %v, want (B, C, H, W)", s), "gan: realism group")
	}
	n, stride, group := s[0], s[1]*s[2]*s[3], len(refs)+1
	for _, ref := range refs {
		if len(ref.Pix) != stride {
			return g.Fail(fmt.Errorf("reference of %d values for images of %d", len(ref.Pix), stride), "gan: realism group")
		}
	}
	out := tensor.Shape{n * group, s[1], s[2], s[3]}
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("WithRefs(%d,%p)", len(refs), refs),
		In:   []tensor.Shape{s},
		Out:  out,
		Forward: func(dst []float32, in [][]float32) {
			for i := range n {
				copy(dst[i*group*stride:], in[0][i*stride:(i+1)*stride])
				for j, ref := range refs {
					copy(dst[(i*group+1+j)*stride:], ref.Pix)
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i := range n {
					copy(dst[i*stride:(i+1)*stride], gout[i*group*stride:])
				}
			},
		},
	}, x)
}

// preferenceMaxObjective is the (1)-shaped loss of PreferenceMaximize from
// the preferences (n) and D's logits (n·group, 1), the generated image of
// group q at row q·group:
//
//	−mean prefs + η·mean_q (d_{q·group} − 1)²
func preferenceMaxObjective(g *nn.Graph, prefs, logits *G.Node, group int, eta float32) *G.Node {
	if !ok(g, prefs, logits) {
		return nil
	}
	n := prefs.Shape()[0]
	ls := logits.Shape().Clone()
	if ls.TotalSize() != n*group {
		return g.Fail(fmt.Errorf("preferences %v, logits %v, group %d", prefs.Shape(), ls, group), "gan: preference maximisation objective")
	}
	inv := 1 / float32(n)
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("PrefMaxObjective(%d,%g)", group, eta),
		In:   []tensor.Shape{{n}, ls},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var l float32
			for q := range n {
				d := in[1][q*group] - 1
				l += -in[0][q]*inv + eta*d*d*inv
			}
			out[0] = l
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i := range dst {
					dst[i] = -inv * gout[0]
				}
			},
			func(dst []float32, in [][]float32, _, gout []float32) {
				clear(dst)
				for q := range n {
					dst[q*group] = 2 * eta * (in[1][q*group] - 1) * inv * gout[0]
				}
			},
		},
	}, prefs, logits)
}
