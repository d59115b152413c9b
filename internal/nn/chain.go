package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A convolutional feature extractor is a stack of blocks, each a
// convolution, a normalisation and an activation. Added layer by layer,
// every block's activations pass through memory in the plain NCHW layout
// between ops, and a backend that computes in a layout of its own (oneDNN:
// channels in blocks of the vector width) reorders each convolution's
// input and output, with a pass over memory each for the normalisation and
// the activation. For a graph that only runs forward through the stack (a
// model's inference graphs), a backend can instead run the whole stack as
// one op: activations stay in its layout from the first convolution to the
// last, and each block's normalisation and activation are one pass over
// them in place. InferBlocks does that where the backend can
// (chainBackends) and adds the blocks layer by layer elsewhere; the two
// compute the same function up to the order of floating-point sums.

// ConvBlock is one block of a feature extractor: a convolution, then a
// group normalisation unless Norm is nil, then a leaky ReLU of slope Slope
// unless Slope is 0.
type ConvBlock struct {
	Conv  *Conv2d
	Norm  *GroupNorm
	Slope float32
}

// chainLayer is one block's geometry as a chain backend sees it.
type chainLayer struct {
	geo    convGeom
	out    int     // output channels
	bias   bool    // the convolution has a bias
	groups int     // normalisation groups; 0 without normalisation
	eps    float32 // the normalisation's ε
	slope  float32 // the leaky ReLU's slope; 0 without one
}

// chainOps runs a stack of blocks forward for a fixed batch size. params
// holds each block's parameters in order: the convolution's weights, its
// bias if it has one, then γ and β if the block normalises. Not safe for
// concurrent use.
type chainOps interface {
	forward(y, x []float32, params [][]float32)
}

// chainBackends are the backends that run a stack of blocks as one op, by
// name. A nil result without error means the backend does not take these
// layers (InferBlocks then adds them layer by layer).
var chainBackends = map[string]func(layers []chainLayer, batch int) (chainOps, error){}

// InferBlocks applies blocks in turn to x (B, C, H, W), as one op where the
// backend runs whole stacks (see the top of this file), else as
// ForwardBlocks does. The op computes no gradients: Graph.Backward fails
// when the loss depends on a parameter or input it is asked for through
// it. Use it in graphs that only run forward, ForwardBlocks in graphs that
// differentiate.
func InferBlocks(g *Graph, x *G.Node, blocks []ConvBlock) *G.Node {
	if !g.ok(x) {
		return nil
	}
	layers, inputs, err := chainOf(g, x.Shape(), blocks)
	if err != nil {
		return g.Fail(err, "nn: conv blocks")
	}
	if !g.ok(inputs...) {
		return nil
	}
	var parts []chainOps
	var bounds []int
	if mk, ok := chainBackends[Backend()]; ok {
		batch := x.Shape()[0]
		if parts, bounds, err = perPart(batch, g.parts, func(n int) (chainOps, error) { return mk(layers, n) }); err != nil {
			return g.Fail(err, "nn: conv blocks")
		}
	}
	if len(parts) == 0 || slices.Contains(parts, nil) {
		return ForwardBlocks(g, x, blocks)
	}
	y, err := chainKernel(layers, x.Shape(), inputs, parts, bounds).apply(append([]*G.Node{x}, inputs...)...)
	if err != nil {
		return g.Fail(err, "nn: conv blocks")
	}
	return y
}

// ForwardBlocks applies blocks in turn to x (B, C, H, W), each layer an op
// of its own, differentiable (a block without normalisation fuses its
// activation into the convolution, see Conv2d.ForwardLeaky).
func ForwardBlocks(g *Graph, h *G.Node, blocks []ConvBlock) *G.Node {
	for _, b := range blocks {
		switch {
		case b.Norm == nil && b.Slope != 0:
			h = b.Conv.ForwardLeaky(g, h, b.Slope)
		case b.Norm == nil:
			h = b.Conv.Forward(g, h)
		case b.Slope != 0:
			h = LeakyReLU(g, b.Norm.Forward(g, b.Conv.Forward(g, h)), b.Slope)
		default:
			h = b.Norm.Forward(g, b.Conv.Forward(g, h))
		}
	}
	return h
}

// chainOf checks blocks against an input of shape s and returns their
// geometry and their parameters' nodes in chainOps order.
func chainOf(g *Graph, s tensor.Shape, blocks []ConvBlock) ([]chainLayer, []*G.Node, error) {
	if len(blocks) == 0 {
		return nil, nil, errors.New("no blocks")
	}
	if s.Dims() != 4 {
		return nil, nil, fmt.Errorf("input shape %v, want (B, C, H, W)", s)
	}
	c, h, w := s[1], s[2], s[3]
	var layers []chainLayer
	var inputs []*G.Node
	for i, b := range blocks {
		if b.Conv == nil {
			return nil, nil, fmt.Errorf("block %d has no convolution", i)
		}
		ws := b.Conv.W.Value.Shape()
		if ws[1] != c {
			return nil, nil, fmt.Errorf("block %d (%s) takes %d channels, gets %d", i, b.Conv.Name, ws[1], c)
		}
		if !(b.Slope >= 0 && b.Slope < 1) {
			return nil, nil, fmt.Errorf("block %d (%s): slope %v not in [0, 1)", i, b.Conv.Name, b.Slope)
		}
		if b.Conv.OutSize(h) <= 0 || b.Conv.OutSize(w) <= 0 {
			return nil, nil, fmt.Errorf("block %d (%s): input %dx%d too small for kernel %d", i, b.Conv.Name, h, w, ws[2])
		}
		l := chainLayer{geo: newConvGeom(c, h, w, ws[2], b.Conv.Stride, b.Conv.Pad), out: ws[0], bias: b.Conv.B.Value != nil, slope: b.Slope}
		inputs = append(inputs, g.Param(b.Conv.W))
		if l.bias {
			inputs = append(inputs, g.Param(b.Conv.B))
		}
		if n := b.Norm; n != nil {
			if ch := n.Gamma.Value.Shape()[0]; ch != l.out || n.Groups <= 0 || ch%n.Groups != 0 || !(n.Eps > 0) {
				return nil, nil, fmt.Errorf("block %d: norm %s of %d channels in %d groups (eps %v) after %d channels", i, n.Name, ch, n.Groups, n.Eps, l.out)
			}
			l.groups, l.eps = n.Groups, n.Eps
			inputs = append(inputs, g.Param(n.Gamma), g.Param(n.Beta))
		}
		layers = append(layers, l)
		c, h, w = l.out, l.geo.oh, l.geo.ow
	}
	return layers, inputs, nil
}

// chainKernel is the stack as one forward-only op on (x, params...), one
// chainOps per part of the batch, the parts in parallel.
func chainKernel(layers []chainLayer, xs tensor.Shape, params []*G.Node, parts []chainOps, bounds []int) *Kernel {
	last := layers[len(layers)-1]
	inSize, outSize := xs[1]*xs[2]*xs[3], last.out*last.geo.oh*last.geo.ow
	shapes := []tensor.Shape{xs.Clone()}
	for _, p := range params {
		shapes = append(shapes, p.Shape().Clone())
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = fmt.Sprintf("Conv(k%d,s%d,p%d)", l.geo.k, l.geo.s, l.geo.p)
		if l.groups > 0 {
			names[i] += fmt.Sprintf("+GroupNorm(%d,%g)", l.groups, l.eps)
		}
		if l.slope != 0 {
			names[i] += fmt.Sprintf("+LeakyReLU(%g)", l.slope)
		}
	}
	return &Kernel{
		Name:        "Blocks[" + strings.Join(names, " ") + "]",
		In:          shapes,
		Out:         tensor.Shape{xs[0], last.out, last.geo.oh, last.geo.ow},
		ForwardOnly: true,
		Forward: func(out []float32, in [][]float32) {
			parallel(len(parts), func(i int) {
				lo, hi := bounds[i], bounds[i+1]
				parts[i].forward(out[lo*outSize:hi*outSize], in[0][lo*inSize:hi*inSize], in[1:])
			})
		},
	}
}
