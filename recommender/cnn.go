package recommender

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
)

// Arch is the architecture of a DVBPR model: everything needed to rebuild
// it before loading its weights.
type Arch struct {
	Dim        int      // K, the length of φ(X) and θ_u (64)
	Channels   []int    // width of each stride-2 convolution ([16 32 64 64])
	ImageSize  int      // side of the square RGB input (64)
	Categories []string // the category head's classes, in logit order
}

// DefaultArch returns the default architecture for the given categories.
func DefaultArch(categories []string) Arch {
	return Arch{Dim: 64, Channels: []int{16, 32, 64, 64}, ImageSize: 64, Categories: slices.Clone(categories)}
}

// finalSize is the side of the last feature map.
func (a Arch) finalSize() int { return a.ImageSize >> len(a.Channels) }

func (a Arch) validate() error {
	switch {
	case a.Dim < 1 || a.Dim > 4096:
		return atelier.FieldErrorf("dim", "must be in [1, 4096], got %d", a.Dim)
	case len(a.Channels) == 0 || len(a.Channels) > 8:
		return atelier.FieldErrorf("channels", "need 1 to 8 convolutions, got %d", len(a.Channels))
	case a.ImageSize < 1 || a.ImageSize > 1024:
		return atelier.FieldErrorf("image_size", "must be in [1, 1024], got %d", a.ImageSize)
	case a.ImageSize%(1<<len(a.Channels)) != 0:
		return atelier.FieldErrorf("image_size", "%d is not divisible by 2^%d (one halving per convolution)", a.ImageSize, len(a.Channels))
	case len(a.Categories) < 1:
		return atelier.FieldErrorf("categories", "need at least one category")
	}
	for i, c := range a.Channels {
		if c < 1 || c > 1024 {
			return atelier.FieldErrorf("channels", "convolution %d has %d channels, want 1 to 1024", i, c)
		}
	}
	seen := map[string]bool{}
	for _, c := range a.Categories {
		if c == "" || seen[c] {
			return atelier.FieldErrorf("categories", "empty or repeated category %q", c)
		}
		seen[c] = true
	}
	return nil
}

// macs is the number of multiply-accumulates of φ for one image.
func (a Arch) macs() int {
	n, in, size := 0, 3, a.ImageSize
	for _, c := range a.Channels {
		size /= 2
		n += size * size * c * in * 9
		in = c
	}
	return n + size*size*in*a.Dim + a.Dim*len(a.Categories)
}

// groupsOf is the number of group-normalisation groups for ch channels:
// groups of 8 channels, or one group for narrower layers.
func groupsOf(ch int) int {
	if ch%8 != 0 || ch < 16 {
		return 1
	}
	return ch / 8
}

func formatInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		out = append(out, x)
	}
	return out, nil
}

// cnn is φ with the category head: stride-2 3×3 convolutions, each
// followed by group normalisation (all but the first) and a leaky ReLU,
// then the last feature map flattened and mapped linearly to K features.
// Flattening rather than pooling keeps where things are in the image,
// which shape features such as a garment's length need.
type cnn struct {
	arch  Arch
	convs []*nn.Conv2d
	norms []*nn.GroupNorm // norms[0] is nil: the first layer is not normalised
	proj  *nn.Linear      // flattened map -> K
	head  *nn.Linear      // K -> categories
}

// leak is the negative slope of every leaky ReLU in φ.
const leak = 0.2

func newCNN(a Arch, rng *rand.Rand) (*cnn, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	c := &cnn{arch: a}
	in := 3
	for i, ch := range a.Channels {
		conv, err := nn.NewConv2d(fmt.Sprintf("phi.conv%d", i+1), nn.ConvConfig{In: in, Out: ch, Kernel: 3, Stride: 2, Pad: 1}, rng)
		if err != nil {
			return nil, err
		}
		c.convs = append(c.convs, conv)
		var norm *nn.GroupNorm
		if i > 0 {
			if norm, err = nn.NewGroupNorm(fmt.Sprintf("phi.norm%d", i+1), ch, groupsOf(ch)); err != nil {
				return nil, err
			}
		}
		c.norms = append(c.norms, norm)
		in = ch
	}
	s := a.finalSize()
	var err error
	if c.proj, err = nn.NewLinear("phi.proj", in*s*s, a.Dim, true, 1, rng); err != nil {
		return nil, err
	}
	if c.head, err = nn.NewLinear("category.head", a.Dim, len(a.Categories), true, 1, rng); err != nil {
		return nil, err
	}
	return c, nil
}

// params lists φ's parameters followed by the head's.
func (c *cnn) params() []nn.Param {
	var ps []nn.Param
	for i, conv := range c.convs {
		ps = append(ps, conv.Params()...)
		if c.norms[i] != nil {
			ps = append(ps, c.norms[i].Params()...)
		}
	}
	ps = append(ps, c.proj.Params()...)
	return append(ps, c.head.Params()...)
}

// features adds φ(x) to g for x of shape (N, 3, S, S) and returns (N, K),
// differentiable with respect to x and the weights.
func (c *cnn) features(g *nn.Graph, x *G.Node) *G.Node {
	return c.addFeatures(g, x, nn.ForwardBlocks)
}

// inferFeatures is features for graphs that differentiate nothing through
// φ: its convolutional blocks as one op where the backend can (see
// nn.InferBlocks).
func (c *cnn) inferFeatures(g *nn.Graph, x *G.Node) *G.Node {
	return c.addFeatures(g, x, nn.InferBlocks)
}

func (c *cnn) addFeatures(g *nn.Graph, x *G.Node, blocks func(*nn.Graph, *G.Node, []nn.ConvBlock) *G.Node) *G.Node {
	if x == nil || g.Err() != nil {
		return nil
	}
	s := c.arch.ImageSize
	if sh := x.Shape(); sh.Dims() != 4 || sh[1] != 3 || sh[2] != s || sh[3] != s {
		return g.Fail(fmt.Errorf("input shape %v, want (N, 3, %d, %d)", sh, s, s), "dvbpr: features")
	}
	return c.proj.Forward(g, nn.Flatten(g, blocks(g, x, c.blocks())))
}

// blocks returns φ's convolutional blocks, each activated by a leaky ReLU.
func (c *cnn) blocks() []nn.ConvBlock {
	bs := make([]nn.ConvBlock, len(c.convs))
	for i, conv := range c.convs {
		bs[i] = nn.ConvBlock{Conv: conv, Norm: c.norms[i], Slope: leak}
	}
	return bs
}

// categoryLogits adds the head to g for features f of shape (N, K).
func (c *cnn) categoryLogits(g *nn.Graph, f *G.Node) *G.Node {
	return c.head.Forward(g, f)
}
