package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// EncoderConfig is the encoder's architecture, stored in checkpoints.
type EncoderConfig struct {
	Size int `json:"size"`
	// Widths are the channels after each stride-2 convolution, at size/2,
	// ..., 4 px.
	Widths []int `json:"widths"`
	ZDim   int   `json:"z_dim"`
}

// DefaultEncoderConfig is the demo encoder for the default generator.
func DefaultEncoderConfig() EncoderConfig {
	return EncoderConfig{Size: 64, Widths: []int{32, 64, 128, 256}, ZDim: 128}
}

// Validate checks the configuration.
func (c EncoderConfig) Validate() error {
	d := DiscriminatorConfig{Size: c.Size, Widths: c.Widths, Group: 1}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("encoder: %w", err)
	}
	if c.ZDim < 2 || c.ZDim > 4096 {
		return fmt.Errorf("encoder: z dimension %d not in [2, 4096]", c.ZDim)
	}
	return nil
}

// Encoder maps an image to the latent vector the generator would draw it
// from, as the starting point of inversion:
//
//	hₖ   = LReLU(conv₃ₓ₃,s2(hₖ₋₁)),  h₀ = x     down to 4×4
//	E(x) = standardize(A·flatten(h) + a)
//
// standardize makes each output zero-mean with unit standard deviation,
// the form of every z here.
type Encoder struct {
	Config EncoderConfig
	convs  []*nn.Conv2d
	fc     *nn.Linear
	params []nn.Param
}

// NewEncoder builds an encoder with He-initialised weights from rng.
func NewEncoder(cfg EncoderConfig, rng *rand.Rand) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Widths = append([]int(nil), cfg.Widths...)
	m := &Encoder{Config: cfg}
	var layers []nn.Layer
	prev := 3
	for i, w := range cfg.Widths {
		c, err := nn.NewConv2d(fmt.Sprintf("enc%d", i), nn.ConvConfig{In: prev, Out: w, Kernel: 3, Stride: 2, Pad: 1}, rng)
		if err != nil {
			return nil, err
		}
		m.convs = append(m.convs, c)
		layers = append(layers, c)
		prev = w
	}
	var err error
	if m.fc, err = nn.NewLinear("enc_fc", 16*prev, cfg.ZDim, true, 1, rng); err != nil {
		return nil, err
	}
	if m.params, err = nn.Collect(append(layers, m.fc)...); err != nil {
		return nil, err
	}
	return m, nil
}

// Params returns the encoder's parameters.
func (m *Encoder) Params() []nn.Param { return m.params }

// Forward adds E(x) to g for x of shape (B, 3, size, size) and returns the
// (B, ZDim) standardised latent vectors.
func (m *Encoder) Forward(g *nn.Graph, x *G.Node) *G.Node {
	if !ok(g, x) {
		return nil
	}
	if s := x.Shape(); s.Dims() != 4 || s[1] != 3 || s[2] != m.Config.Size || s[3] != m.Config.Size {
		return g.Fail(fmt.Errorf("input shape %v, want (B, 3, %d, %d)", s, m.Config.Size, m.Config.Size), "gan: encoder")
	}
	h := x
	for _, c := range m.convs {
		h = c.ForwardLeaky(g, h, 0.2)
	}
	return standardize(g, m.fc.Forward(g, nn.Flatten(g, h)))
}
