package nn

import (
	"fmt"
	"math/rand"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvConfig describes a square 2-D convolution.
type ConvConfig struct {
	In, Out int // channels
	Kernel  int // kernel height = width
	Stride  int // 0 means 1
	Pad     int // zero padding on every side
	NoBias  bool
	// Gain scales the He initialisation; 0 means LeakyGain(0.2), the gain
	// for the leaky ReLUs this package's networks use.
	Gain float64
}

// Conv2d is a convolution over NCHW float32 batches:
//
//	y[b,o,i,j] = bias[o] + Σ_{c,u,v} W[o,c,u,v] · x[b,c,i·s+u−p,j·s+v−p]
//
// with W of shape (Out, In, K, K) as in PyTorch. It is one op (see
// convKernel) computed by the fastest backend compiled in: oneDNN's direct
// convolutions with -tags onednn, otherwise im2col and one BLAS sgemm per
// group of samples.
type Conv2d struct {
	Name   string
	W      Param // (Out, In, K, K)
	B      Param // (Out); zero Param when NoBias
	Stride int
	Pad    int
}

// NewConv2d returns a convolution named name (parameters name.weight and
// name.bias), He-initialised from rng, with zero bias.
func NewConv2d(name string, cfg ConvConfig, rng *rand.Rand) (*Conv2d, error) {
	if cfg.In <= 0 || cfg.Out <= 0 || cfg.Kernel <= 0 || cfg.Stride < 0 || cfg.Pad < 0 {
		return nil, fmt.Errorf("nn: conv %s: invalid config %+v", name, cfg)
	}
	if cfg.Stride == 0 {
		cfg.Stride = 1
	}
	gain := cfg.Gain
	if gain == 0 {
		gain = LeakyGain(0.2)
	}
	c := &Conv2d{
		Name:   name,
		W:      NewParam(name+".weight", cfg.Out, cfg.In, cfg.Kernel, cfg.Kernel),
		Stride: cfg.Stride,
		Pad:    cfg.Pad,
	}
	HeNormal(c.W, cfg.In*cfg.Kernel*cfg.Kernel, gain, rng)
	if !cfg.NoBias {
		c.B = NewParam(name+".bias", cfg.Out)
	}
	return c, nil
}

// Params returns the weight and, when present, the bias.
func (c *Conv2d) Params() []Param {
	if c.B.Value == nil {
		return []Param{c.W}
	}
	return []Param{c.W, c.B}
}

// OutSize returns the output height (or width) for an input of size n.
func (c *Conv2d) OutSize(n int) int {
	k := c.W.Value.Shape()[2]
	return (n+2*c.Pad-k)/c.Stride + 1
}

// Forward applies the convolution to x of shape (B, In, H, W).
func (c *Conv2d) Forward(g *Graph, x *G.Node) *G.Node { return c.apply(g, x, 0, false) }

// ForwardLeaky returns LeakyReLU(c.Forward(x), slope), slope in (0, 1), as
// one op with the same results: the backend applies the activation as the
// convolution writes its output (with oneDNN, a post-op of the
// convolution), which saves an op, a pass over the output and the output's
// memory; the backward pass reads the activation's derivative off the sign
// of the output.
func (c *Conv2d) ForwardLeaky(g *Graph, x *G.Node, slope float32) *G.Node {
	if !(slope > 0 && slope < 1) {
		return g.Fail(fmt.Errorf("slope %v not in (0, 1)", slope), "nn: conv %s", c.Name)
	}
	return c.apply(g, x, slope, false)
}

// apply adds the convolution of x, or of x upsampled by two (up, see
// upconv.go), followed by a leaky ReLU of that slope unless slope is 0.
func (c *Conv2d) apply(g *Graph, x *G.Node, slope float32, up bool) *G.Node {
	if !g.ok(x) {
		return nil
	}
	ws := c.W.Value.Shape()
	s := x.Shape()
	if s.Dims() != 4 || s[1] != ws[1] {
		return g.Fail(fmt.Errorf("input shape %v, want (B, %d, H, W)", s, ws[1]), "nn: conv %s", c.Name)
	}
	if up {
		s = s.Clone()
		s[2], s[3] = 2*s[2], 2*s[3]
	}
	if c.OutSize(s[2]) <= 0 || c.OutSize(s[3]) <= 0 {
		return g.Fail(fmt.Errorf("input %dx%d too small for kernel %d", s[2], s[3], ws[2]), "nn: conv %s", c.Name)
	}
	inputs := []*G.Node{x, g.Param(c.W)}
	if c.B.Value != nil {
		inputs = append(inputs, g.Param(c.B))
	}
	if !g.ok(inputs...) {
		return nil
	}
	k, err := convKernel(inputs, c.Stride, c.Pad, slope, g.parts, up)
	if err != nil {
		return g.Fail(err, "nn: conv %s", c.Name)
	}
	y, err := k.apply(inputs...)
	if err != nil {
		return g.Fail(err, "nn: conv %s", c.Name)
	}
	return y
}

// AddBias adds a per-channel bias b of shape (C) to x of shape (B, C, ...).
func AddBias(g *Graph, x, b *G.Node) *G.Node {
	if !g.ok(x, b) {
		return nil
	}
	s := x.Shape()
	if s.Dims() < 2 || b.Shape().Dims() != 1 || b.Shape()[0] != s[1] {
		return g.Fail(fmt.Errorf("x %v, bias %v", s, b.Shape()), "nn: add bias")
	}
	batch, ch := s[0], s[1]
	sp := s.TotalSize() / (batch * ch)
	k := &Kernel{
		Name: "AddBias",
		In:   []tensor.Shape{s.Clone(), b.Shape().Clone()},
		Out:  s.Clone(),
		Forward: func(out []float32, in [][]float32) {
			x, bias := in[0], in[1]
			for p := 0; p < batch*ch; p++ {
				v := bias[p%ch]
				o, xi := out[p*sp:(p+1)*sp], x[p*sp:(p+1)*sp]
				for i := range o {
					o[i] = xi[i] + v
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) { copy(dst, gout) },
			func(dst []float32, _ [][]float32, _, gout []float32) {
				clear(dst)
				for p := 0; p < batch*ch; p++ {
					var s float32
					for _, v := range gout[p*sp : (p+1)*sp] {
						s += v
					}
					dst[p%ch] += s
				}
			},
		},
	}
	y, err := k.apply(x, b)
	if err != nil {
		return g.Fail(err, "nn: add bias")
	}
	return y
}

// Linear is a fully connected layer y = x·Wᵀ + b on x of shape (B, In), with
// W of shape (Out, In) as in PyTorch. It is one op calling BLAS sgemm
// directly (no transpose copies, and batch 1 behaves like any batch).
type Linear struct {
	Name string
	W    Param // (Out, In)
	B    Param // (Out); zero Param without bias
}

// NewLinear returns a He-initialised linear layer (gain as in ConvConfig:
// 0 means LeakyGain(0.2)) with zero bias.
func NewLinear(name string, in, out int, bias bool, gain float64, rng *rand.Rand) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: linear %s: invalid size %d -> %d", name, in, out)
	}
	if gain == 0 {
		gain = LeakyGain(0.2)
	}
	l := &Linear{Name: name, W: NewParam(name+".weight", out, in)}
	HeNormal(l.W, in, gain, rng)
	if bias {
		l.B = NewParam(name+".bias", out)
	}
	return l, nil
}

// Params returns the weight and, when present, the bias.
func (l *Linear) Params() []Param {
	if l.B.Value == nil {
		return []Param{l.W}
	}
	return []Param{l.W, l.B}
}

// Forward applies the layer to x of shape (B, In).
func (l *Linear) Forward(g *Graph, x *G.Node) *G.Node {
	if !g.ok(x) {
		return nil
	}
	ws := l.W.Value.Shape()
	nOut, nIn := ws[0], ws[1]
	s := x.Shape()
	if s.Dims() != 2 || s[1] != nIn {
		return g.Fail(fmt.Errorf("input shape %v, want (B, %d)", s, nIn), "nn: linear %s", l.Name)
	}
	batch := s[0]
	inputs := []*G.Node{x, g.Param(l.W)}
	if l.B.Value != nil {
		inputs = append(inputs, g.Param(l.B))
	}
	if !g.ok(inputs...) {
		return nil
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, n := range inputs {
		shapes[i] = n.Shape().Clone()
	}
	sgemm := G.WhichBLAS().Sgemm
	k := &Kernel{
		Name: "Linear",
		In:   shapes,
		Out:  tensor.Shape{batch, nOut},
		Forward: func(out []float32, in [][]float32) {
			sgemm(blas.NoTrans, blas.Trans, batch, nOut, nIn, 1, in[0], nIn, in[1], nIn, 0, out, nOut)
			if len(in) == 3 {
				for r := 0; r < batch; r++ {
					row := out[r*nOut : (r+1)*nOut]
					for j, b := range in[2] {
						row[j] += b
					}
				}
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) { // dL/dx = G·W
				sgemm(blas.NoTrans, blas.NoTrans, batch, nIn, nOut, 1, gout, nOut, in[1], nIn, 0, dst, nIn)
			},
			func(dst []float32, in [][]float32, _, gout []float32) { // dL/dW = Gᵀ·x
				sgemm(blas.Trans, blas.NoTrans, nOut, nIn, batch, 1, gout, nOut, in[0], nIn, 0, dst, nIn)
			},
			func(dst []float32, _ [][]float32, _, gout []float32) { // dL/db = column sums of G
				clear(dst)
				for r := 0; r < batch; r++ {
					for j, v := range gout[r*nOut : (r+1)*nOut] {
						dst[j] += v
					}
				}
			},
		},
	}
	y, err := k.apply(inputs...)
	if err != nil {
		return g.Fail(err, "nn: linear %s", l.Name)
	}
	return y
}
