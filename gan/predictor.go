package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// ShiftPredictor is the small CNN that keeps latent shifts distinct (Voynov
// & Babenko 2020, as used by Kumar et al. 2025): from a generated image it
// predicts which of the n shifts produced it and the shift itself,
//
//	h   = GAP(LReLU(conv₃ₓ₃,s2(… LReLU(conv₃ₓ₃,s2(x)) …)))   three stride-2 layers
//	ĉ   = A_c·h + a_c        n logits: which shift
//	k̂   = A_k·h + a_k        zdim values: the shift vector
//
// It is trained jointly with the shifts, so two shifts that produce
// indistinguishable images cost cross-entropy and are pushed apart.
type ShiftPredictor struct {
	convs  []*nn.Conv2d
	class  *nn.Linear
	shift  *nn.Linear
	params []nn.Param
}

// predictorWidths are the channels of the three convolutions; tiny on
// purpose: the predictor only has to tell n images apart.
var predictorWidths = [3]int{16, 32, 32}

// NewShiftPredictor builds a predictor for n shifts of zdim dimensions,
// He-initialised from rng.
func NewShiftPredictor(n, zdim int, rng *rand.Rand) (*ShiftPredictor, error) {
	if n < 1 || zdim < 1 {
		return nil, fmt.Errorf("gan: shift predictor: %d shifts of %d dimensions", n, zdim)
	}
	p := &ShiftPredictor{}
	var layers []nn.Layer
	prev := 3
	for i, w := range predictorWidths {
		c, err := nn.NewConv2d(fmt.Sprintf("pred%d", i), nn.ConvConfig{In: prev, Out: w, Kernel: 3, Stride: 2, Pad: 1}, rng)
		if err != nil {
			return nil, err
		}
		p.convs = append(p.convs, c)
		layers = append(layers, c)
		prev = w
	}
	var err error
	if p.class, err = nn.NewLinear("pred_class", prev, n, true, 1, rng); err != nil {
		return nil, err
	}
	if p.shift, err = nn.NewLinear("pred_shift", prev, zdim, true, 1, rng); err != nil {
		return nil, err
	}
	if p.params, err = nn.Collect(append(layers, p.class, p.shift)...); err != nil {
		return nil, err
	}
	return p, nil
}

// Params returns the predictor's parameters.
func (p *ShiftPredictor) Params() []nn.Param { return p.params }

// Forward adds the predictor to g for images x (B, 3, S, S) and returns the
// (B, n) class logits and the (B, zdim) predicted shifts.
func (p *ShiftPredictor) Forward(g *nn.Graph, x *G.Node) (logits, shift *G.Node) {
	if !ok(g, x) {
		return nil, nil
	}
	h := x
	for _, c := range p.convs {
		h = c.ForwardLeaky(g, h, 0.2)
	}
	h = nn.GlobalAvgPool(g, h)
	return p.class.Forward(g, h), p.shift.Forward(g, h)
}
