package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// GeneratorConfig is the generator's architecture, stored in checkpoints.
type GeneratorConfig struct {
	// ZDim is the latent dimension.
	ZDim int `json:"z_dim"`
	// Widths are the channels at 4×4, 8×8, ...: the image side is
	// 8·2^(len(Widths)−1), the last doubling done by the output layer.
	Widths []int `json:"widths"`
}

// DefaultGeneratorConfig is the demo generator: z of 128 dimensions to
// 64×64 images through 128, 64, 48 and 32 channels at 4, 8, 16 and 32 px
// (about 30 M multiply-adds per image; see MACs).
func DefaultGeneratorConfig() GeneratorConfig {
	return GeneratorConfig{ZDim: 128, Widths: []int{128, 64, 48, 32}}
}

// Size is the side of the generated images.
func (c GeneratorConfig) Size() int {
	if len(c.Widths) == 0 {
		return 0
	}
	return 8 << (len(c.Widths) - 1)
}

// Validate checks the configuration.
func (c GeneratorConfig) Validate() error {
	if c.ZDim < 2 || c.ZDim > 4096 {
		return fmt.Errorf("generator: z dimension %d not in [2, 4096]", c.ZDim)
	}
	if len(c.Widths) < 1 || len(c.Widths) > 7 {
		return fmt.Errorf("generator: %d widths; want 1 to 7 (4 to 256 px)", len(c.Widths))
	}
	for _, w := range c.Widths {
		if w < 1 || w > 1024 {
			return fmt.Errorf("generator: width %d not in [1, 1024]", w)
		}
	}
	return nil
}

// Generator maps a latent vector z to an RGB image in [0,1]:
//
//	h₄   = PN(LReLU(reshape(A·PN(z) + a)))             4×4×W₀
//	h₂ᵣ  = PN(LReLU(conv₃ₓ₃(up₂(hᵣ))))                one block per further width
//	x    = sigmoid(d2s(conv₃ₓ₃(h_{size/2})))           3×size×size
//
// with PN the pixel norm (each pixel's channel vector scaled to unit root
// mean square), LReLU of slope 0.2, up₂ nearest-neighbour upsampling and
// d2s the depth-to-space step that turns the last convolution's 12
// channels at size/2 into 3 channels at size (each output pixel is one of
// the four sub-pixels): the last doubling costs no convolution at full
// size, where a narrow layer is memory-bound and slowest per
// multiply-add. Each conv₃ₓ₃(up₂(·)) is one op
// (nn.Conv2d.ForwardUpsampled), which the oneDNN backend computes as the
// transposed convolution it equals: 4 multiply-adds per output and input
// channel instead of 9, and no upsampled map in memory.
//
// The pixel norm replaces batch normalisation (ProGAN): it has no batch
// statistics, so a sample's image never depends on its batchmates, training
// and inference agree, and the first PN makes G depend only on z's
// direction — which inversion relies on when it re-standardises z.
type Generator struct {
	Config GeneratorConfig
	fc     *nn.Linear
	convs  []*nn.Conv2d // convs[0] at 4×4, convs[i] after the i-th upsampling
	toRGB  *nn.Conv2d
	params []nn.Param
}

// NewGenerator builds a generator with He-initialised weights from rng.
func NewGenerator(cfg GeneratorConfig, rng *rand.Rand) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Widths = append([]int(nil), cfg.Widths...)
	m := &Generator{Config: cfg}
	var err error
	w0 := cfg.Widths[0]
	if m.fc, err = nn.NewLinear("fc", cfg.ZDim, 16*w0, true, 0, rng); err != nil {
		return nil, err
	}
	layers := []nn.Layer{m.fc}
	prev := w0
	for i, w := range cfg.Widths[1:] {
		c, err := nn.NewConv2d(fmt.Sprintf("up%d", i+1), nn.ConvConfig{In: prev, Out: w, Kernel: 3, Pad: 1}, rng)
		if err != nil {
			return nil, err
		}
		m.convs = append(m.convs, c)
		layers = append(layers, c)
		prev = w
	}
	if m.toRGB, err = nn.NewConv2d("rgb", nn.ConvConfig{In: prev, Out: 12, Kernel: 3, Pad: 1, Gain: 1}, rng); err != nil {
		return nil, err
	}
	// Start near the white background that covers most of every image.
	nn.Fill(m.toRGB.B, 1)
	icnr(m.toRGB.W, 4)
	layers = append(layers, m.toRGB)
	if m.params, err = nn.Collect(layers...); err != nil {
		return nil, err
	}
	return m, nil
}

// Params returns the generator's parameters.
func (m *Generator) Params() []nn.Param { return m.params }

// Forward adds G(z) to g for z of shape (B, ZDim) and returns the
// (B, 3, size, size) images.
func (m *Generator) Forward(g *nn.Graph, z *G.Node) *G.Node {
	if !ok(g, z) {
		return nil
	}
	if s := z.Shape(); s.Dims() != 2 || s[1] != m.Config.ZDim {
		return g.Fail(fmt.Errorf("z shape %v, want (B, %d)", s, m.Config.ZDim), "gan: generator")
	}
	const eps = 1e-8
	b, w0 := z.Shape()[0], m.Config.Widths[0]
	h := m.fc.Forward(g, nn.PixelNorm(g, z, eps))
	h = nn.Reshape(g, h, b, w0, 4, 4)
	h = nn.PixelNorm(g, nn.LeakyReLU(g, h, 0.2), eps)
	for _, c := range m.convs {
		h = nn.PixelNorm(g, c.ForwardUpsampled(g, h, 0.2), eps)
	}
	return nn.Sigmoid(g, depthToSpace(g, m.toRGB.Forward(g, h), 2))
}

// MACs returns the multiply-adds of one forward pass for one image, the
// figure the widths were chosen by.
func (c GeneratorConfig) MACs() int {
	w0 := c.Widths[0]
	n := c.ZDim * 16 * w0
	prev, side := w0, 4
	for _, w := range c.Widths[1:] {
		side *= 2
		n += side * side * 9 * prev * w
		prev = w
	}
	return n + side*side*9*prev*12
}

// icnr gives the r sub-pixel filters of each colour of a depth-to-space
// convolution (output channels c·r ... c·r+r−1 of w) the same initial
// weights (Aitken et al. 2017), so that at initialisation the rearranged
// output is a nearest-neighbour upsampling rather than a checkerboard of
// unrelated sub-pixels.
func icnr(w nn.Param, r int) {
	d := w.Data()
	out := w.Shape()[0]
	per := w.Value.Size() / out // weights per output channel
	for o := 0; o < out; o++ {
		if first := o - o%r; first != o {
			copy(d[o*per:(o+1)*per], d[first*per:(first+1)*per])
		}
	}
}
