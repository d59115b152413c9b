package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

// DiscriminatorConfig is the discriminator's architecture, stored in
// checkpoints.
type DiscriminatorConfig struct {
	// Size is the side of the images it takes.
	Size int `json:"size"`
	// Widths are the channels after each stride-2 convolution, at size/2,
	// size/4, ..., 4 px: log₂(size/4) of them.
	Widths []int `json:"widths"`
	// Group is the minibatch-stddev group size used in training.
	Group int `json:"mbstd_group"`
	// Gain is the spectral norm γ of every weight (see spectralNorm); 0
	// means 1.
	Gain float64 `json:"sn_gain,omitempty"`
}

// DefaultDiscriminatorConfig mirrors the default generator at 64 px.
func DefaultDiscriminatorConfig() DiscriminatorConfig {
	return DiscriminatorConfig{Size: 64, Widths: []int{24, 48, 96, 128}, Group: 4, Gain: 2}
}

// Validate checks the configuration.
func (c DiscriminatorConfig) Validate() error {
	if c.Size < 8 || c.Size&(c.Size-1) != 0 {
		return fmt.Errorf("discriminator: size %d is not a power of two ≥ 8", c.Size)
	}
	n := 0
	for s := c.Size; s > 4; s /= 2 {
		n++
	}
	if len(c.Widths) != n {
		return fmt.Errorf("discriminator: %d widths for %d px; want %d (one per halving down to 4 px)", len(c.Widths), c.Size, n)
	}
	for _, w := range c.Widths {
		if w < 1 || w > 1024 {
			return fmt.Errorf("discriminator: width %d not in [1, 1024]", w)
		}
	}
	if c.Gain < 0 || c.Gain > 10 {
		return fmt.Errorf("discriminator: spectral gain %v not in [0, 10]", c.Gain)
	}
	if c.Group < 1 {
		return fmt.Errorf("discriminator: minibatch stddev group %d < 1", c.Group)
	}
	return nil
}

// Discriminator scores how real an image looks (a logit; higher is more
// real) and provides the features of the perceptual distance:
//
//	f₁ = LReLU(conv₃ₓ₃,s2(x))            size/2
//	fₖ = LReLU(conv₃ₓ₃,s2(fₖ₋₁))         ... down to 4×4
//	h  = LReLU(conv₃ₓ₃([f_last, mbstd]))  4×4
//	D(x) = wᵀ·flatten(h) + b
//
// Every weight is spectrally normalised to norm Gain (see spectralNorm) and mbstd is the
// minibatch standard deviation channel over groups of Group samples (see
// minibatchStddev). f₁...f_last are the perceptual features: they come
// before the minibatch statistic, so they depend on the image alone.
type Discriminator struct {
	Config DiscriminatorConfig
	convs  []*nn.Conv2d // stride-2 convolutions
	final  *nn.Conv2d
	head   *nn.Linear
	sn     []*spectralNorm // one per weight: convs..., final, head
	biases []nn.Param
}

// NewDiscriminator builds a discriminator with He-initialised weights
// from rng.
func NewDiscriminator(cfg DiscriminatorConfig, rng *rand.Rand) (*Discriminator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Widths = append([]int(nil), cfg.Widths...)
	m := &Discriminator{Config: cfg}
	prev := 3
	for i, w := range cfg.Widths {
		c, err := nn.NewConv2d(fmt.Sprintf("down%d", i), nn.ConvConfig{In: prev, Out: w, Kernel: 3, Stride: 2, Pad: 1}, rng)
		if err != nil {
			return nil, err
		}
		m.convs = append(m.convs, c)
		prev = w
	}
	gain := cfg.Gain
	if gain == 0 {
		gain = 1
	}
	var err error
	if m.final, err = nn.NewConv2d("final", nn.ConvConfig{In: prev + 1, Out: prev, Kernel: 3, Pad: 1}, rng); err != nil {
		return nil, err
	}
	if m.head, err = nn.NewLinear("head", 16*prev, 1, true, 1, rng); err != nil {
		return nil, err
	}
	for _, c := range append(append([]*nn.Conv2d(nil), m.convs...), m.final) {
		m.sn = append(m.sn, newSpectralNorm(c.W, gain, rng))
		m.biases = append(m.biases, c.B)
	}
	m.sn = append(m.sn, newSpectralNorm(m.head.W, gain, rng))
	m.biases = append(m.biases, m.head.B)
	if err := nn.CheckParams(m.Params()); err != nil {
		return nil, err
	}
	return m, nil
}

// Params returns what a checkpoint stores: raw weights, power-iteration
// vectors and biases. The normalised weights are derived from them.
func (m *Discriminator) Params() []nn.Param {
	var ps []nn.Param
	for _, s := range m.sn {
		ps = append(ps, s.V, s.U)
	}
	return append(ps, m.biases...)
}

// trainable returns the parameters the optimiser updates: raw weights and
// biases.
func (m *Discriminator) trainable() []nn.Param {
	var ps []nn.Param
	for _, s := range m.sn {
		ps = append(ps, s.V)
	}
	return append(ps, m.biases...)
}

// bound returns the parameters graphs bind: normalised weights and biases.
func (m *Discriminator) bound() []nn.Param {
	var ps []nn.Param
	for _, s := range m.sn {
		ps = append(ps, s.W)
	}
	return append(ps, m.biases...)
}

// Sync recomputes the normalised weights from the raw ones. Call it after
// loading parameters or changing them in place.
func (m *Discriminator) Sync() {
	for _, s := range m.sn {
		s.sync()
	}
}

// powerStep advances every layer's power iteration and re-syncs.
func (m *Discriminator) powerStep() {
	for _, s := range m.sn {
		s.powerStep()
		s.sync()
	}
}

// Features adds the perceptual feature maps f₁...f_last of x
// (B, 3, size, size) to g.
func (m *Discriminator) Features(g *nn.Graph, x *G.Node) []*G.Node {
	if !ok(g, x) {
		return nil
	}
	if s := x.Shape(); s.Dims() != 4 || s[1] != 3 || s[2] != m.Config.Size || s[3] != m.Config.Size {
		g.Fail(fmt.Errorf("input shape %v, want (B, 3, %d, %d)", s, m.Config.Size, m.Config.Size), "gan: discriminator")
		return nil
	}
	feats := make([]*G.Node, 0, len(m.convs))
	h := x
	for _, c := range m.convs {
		h = c.ForwardLeaky(g, h, 0.2)
		feats = append(feats, h)
	}
	if g.Err() != nil {
		return nil
	}
	return feats
}

// Forward adds D(x) to g and returns the (B, 1) logits. group is the
// minibatch-stddev group: B must be a multiple of it. Training uses
// Config.Group; a lone image (group 1) gets a zero deviation channel, which
// D never saw in training, so score single images in a group with real
// reference images instead.
func (m *Discriminator) Forward(g *nn.Graph, x *G.Node, group int) *G.Node {
	feats := m.Features(g, x)
	if feats == nil {
		return nil
	}
	h := minibatchStddev(g, feats[len(feats)-1], group)
	h = m.final.ForwardLeaky(g, h, 0.2)
	return m.head.Forward(g, nn.Flatten(g, h))
}

// gradients turns the summed gradients of the bound parameters (normalised
// weights and biases, as grad returns them) into gradients of the
// trainable ones, written into dst (same order as trainable()).
func (m *Discriminator) gradients(grad func(nn.Param) []float32, dst []*tensor.Dense) {
	for i, s := range m.sn {
		s.vGrad(dst[i].Data().([]float32), grad(s.W))
	}
	for i, b := range m.biases {
		copy(dst[len(m.sn)+i].Data().([]float32), grad(b))
	}
}
