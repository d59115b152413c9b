package nn

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// chainBlocks returns blocks of every kind InferBlocks takes: a stride-2
// convolution with its leaky ReLU (φ's first), normalised blocks with and
// without an activation, with one group spanning several vectors of
// channels and with groups of 8, a convolution without bias, and one with
// neither normalisation nor activation.
func chainBlocks(t *testing.T, rng *rand.Rand) []ConvBlock {
	t.Helper()
	type spec struct {
		cfg    ConvConfig
		groups int
		slope  float32
	}
	specs := []spec{
		{ConvConfig{In: 3, Out: 16, Kernel: 3, Stride: 2, Pad: 1}, 0, 0.2},
		{ConvConfig{In: 16, Out: 32, Kernel: 3, Stride: 2, Pad: 1}, 1, 0.2},
		{ConvConfig{In: 32, Out: 32, Kernel: 3, Pad: 1, NoBias: true}, 4, 0.1},
		{ConvConfig{In: 32, Out: 16, Kernel: 1}, 2, 0},
		{ConvConfig{In: 16, Out: 16, Kernel: 3, Stride: 2, Pad: 1}, 0, 0},
	}
	var blocks []ConvBlock
	for i, s := range specs {
		conv, err := NewConv2d(fmt.Sprintf("b%d.conv", i), s.cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		if conv.B.Value != nil {
			randomize(rng, 0, 0.3, conv.B)
		}
		b := ConvBlock{Conv: conv, Slope: s.slope}
		if s.groups > 0 {
			if b.Norm, err = NewGroupNorm(fmt.Sprintf("b%d.norm", i), s.cfg.Out, s.groups); err != nil {
				t.Fatal(err)
			}
			randomize(rng, 1, 0.2, b.Norm.Gamma)
			randomize(rng, 0, 0.2, b.Norm.Beta)
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// runBlocks returns the output of blocks on x, added by InferBlocks
// (infer) or layer by layer, on backend, and whether the graph holds a
// fused stack.
func runBlocks(t *testing.T, backend string, blocks []ConvBlock, x Param, infer, whole bool) ([]float32, bool) {
	t.Helper()
	t.Setenv("ATELIER_NN_BACKEND", backend)
	g := NewGraph(Infer, 1)
	defer g.Close()
	if whole {
		g.WholeBatches()
	}
	var y *G.Node
	if infer {
		y = InferBlocks(g, g.Param(x), blocks)
	} else {
		y = ForwardBlocks(g, g.Param(x), blocks)
	}
	out := g.Output(y)
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	fused := false
	for _, n := range g.Expr().AllNodes() {
		if n.Op() != nil && strings.HasPrefix(n.Op().String(), "Blocks[") {
			fused = true
		}
	}
	return append([]float32(nil), out.Data().([]float32)...), fused
}

// TestInferBlocksAgreesWithLayers checks, on every backend, that
// InferBlocks computes what the layers compute one op at a time on the
// im2col backend, whole batches or split into parts, and that the
// backends that run stacks as one op (oneDNN) do so here.
func TestInferBlocksAgreesWithLayers(t *testing.T) {
	for _, batch := range []int{1, 5} {
		rng := rand.New(rand.NewSource(31))
		blocks := chainBlocks(t, rng)
		x := randParam("x", rng, batch, 3, 24, 24)
		want, _ := runBlocks(t, "im2col", blocks, x, false, false)
		for _, b := range Backends() {
			for _, whole := range []bool{false, true} {
				got, fused := runBlocks(t, b, blocks, x, true, whole)
				if err := closeSlices(got, want, 1e-4); err != nil {
					t.Errorf("batch %d, %s, whole %v: %v", batch, b, whole, err)
				}
				if _, ok := chainBackends[b]; ok != fused {
					t.Errorf("batch %d, %s: fused %v, want %v", batch, b, fused, ok)
				}
			}
		}
	}
}

// TestInferBlocksFallsBackToLayers checks that a stack a chain backend
// does not take (a normalised block of 12 channels, which oneDNN pads to
// two vectors of 8) is added layer by layer, with the same results.
func TestInferBlocksFallsBackToLayers(t *testing.T) {
	rng := rand.New(rand.NewSource(32))
	conv, err := NewConv2d("c", ConvConfig{In: 3, Out: 12, Kernel: 3, Stride: 2, Pad: 1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := NewGroupNorm("n", 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	blocks := []ConvBlock{{Conv: conv, Norm: norm, Slope: 0.2}}
	x := randParam("x", rng, 2, 3, 16, 16)
	want, _ := runBlocks(t, "im2col", blocks, x, false, true)
	for _, b := range Backends() {
		got, fused := runBlocks(t, b, blocks, x, true, true)
		if err := closeSlices(got, want, 1e-4); err != nil {
			t.Errorf("%s: %v", b, err)
		}
		if fused {
			t.Errorf("%s: 12 normalised channels ran as one op", b)
		}
	}
}

// TestBackwardThroughInferBlocksFails checks that asking for a gradient
// through a fused stack is an error naming it, not a silently partial
// gradient, and that parameters that do not pass through it still get
// theirs.
func TestBackwardThroughInferBlocksFails(t *testing.T) {
	if _, ok := chainBackends[Backend()]; !ok {
		t.Skipf("backend %s runs stacks layer by layer", Backend())
	}
	rng := rand.New(rand.NewSource(33))
	blocks := chainBlocks(t, rng)
	x := randParam("x", rng, 2, 3, 16, 16)
	head := randParam("head", rng, 2*16*2*2)
	build := func(wrt ...Param) error {
		g := NewGraph(Infer, 1)
		defer g.Close()
		y := InferBlocks(g, g.Param(x), blocks)
		flat, err := G.Reshape(y, []int{2 * 16 * 2 * 2})
		if err != nil {
			t.Fatal(err)
		}
		dot, err := G.Mul(flat, g.Param(head))
		if err != nil {
			t.Fatal(err)
		}
		return g.Backward(dot, wrt...)
	}
	err := build(x)
	if err == nil || !strings.Contains(err.Error(), "computes no gradients") || !strings.Contains(err.Error(), "Blocks[") {
		t.Errorf("gradient wrt the input through the stack: err = %v", err)
	}
	if err := build(blocks[1].Norm.Gamma); err == nil {
		t.Error("gradient wrt a block's γ through the stack: no error")
	}
	if err := build(head); err != nil {
		t.Errorf("gradient wrt a parameter after the stack: %v", err)
	}
}

// TestInferBlocksChecksItsBlocks checks that bad stacks fail when added,
// naming the block.
func TestInferBlocksChecksItsBlocks(t *testing.T) {
	rng := rand.New(rand.NewSource(34))
	blocks := chainBlocks(t, rng)
	for _, tc := range []struct {
		name   string
		blocks []ConvBlock
		want   string
	}{
		{"none", nil, "no blocks"},
		{"channels", blocks[1:], "takes 16 channels, gets 3"},
		{"slope", []ConvBlock{{Conv: blocks[0].Conv, Slope: 1.5}}, "slope 1.5"},
		{"norm", []ConvBlock{{Conv: blocks[0].Conv, Norm: blocks[1].Norm}}, "norm b1.norm of 32 channels"},
		{"conv", []ConvBlock{{}}, "block 0 has no convolution"},
	} {
		g := NewGraph(Infer, 1)
		x := g.Input("x", 1, 3, 16, 16)
		if y := InferBlocks(g, x, tc.blocks); y != nil || g.Err() == nil || !strings.Contains(g.Err().Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, g.Err(), tc.want)
		}
		g.Close()
	}
}
