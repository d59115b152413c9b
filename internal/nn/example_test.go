package nn_test

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
)

// classifier is a small conv net: two convolutions with group
// normalisation, global pooling and a linear head.
type classifier struct {
	conv1, conv2 *nn.Conv2d
	norm1        *nn.GroupNorm
	head         *nn.Linear
}

func newClassifier(rng *rand.Rand) (*classifier, error) {
	conv1, err := nn.NewConv2d("conv1", nn.ConvConfig{In: 3, Out: 8, Kernel: 3, Pad: 1}, rng)
	if err != nil {
		return nil, err
	}
	conv2, err := nn.NewConv2d("conv2", nn.ConvConfig{In: 8, Out: 16, Kernel: 4, Stride: 2, Pad: 1}, rng)
	if err != nil {
		return nil, err
	}
	norm1, err := nn.NewGroupNorm("norm1", 8, 4)
	if err != nil {
		return nil, err
	}
	head, err := nn.NewLinear("head", 16, 2, true, 1, rng)
	if err != nil {
		return nil, err
	}
	return &classifier{conv1, conv2, norm1, head}, nil
}

func (c *classifier) params() ([]nn.Param, error) {
	return nn.Collect(c.conv1, c.norm1, c.conv2, c.head)
}

// forward needs no error checks: a failing layer makes the graph's Err
// non-nil and later layers pass nil through.
func (c *classifier) forward(g *nn.Graph, x *G.Node) *G.Node {
	h := nn.LeakyReLU(g, c.norm1.Forward(g, c.conv1.Forward(g, x)), 0.2)
	h = nn.LeakyReLU(g, c.conv2.Forward(g, h), 0.2)
	h = nn.Dropout(g, nn.GlobalAvgPool(g, h), 0.1) // identity in Infer mode
	return c.head.Forward(g, h)
}

// Example builds a batch-8 training graph and a batch-1 inference graph over
// the same weights: each graph is built once and reused for every step, and
// the inference graph sees every Adam update without copying anything.
func Example() {
	rng := rand.New(rand.NewSource(1))
	model, err := newClassifier(rng)
	if err != nil {
		panic(err)
	}
	params, err := model.params()
	if err != nil {
		panic(err)
	}

	// Training graph: inputs, loss, gradients — built once.
	train := nn.NewGraph(nn.Train, 1)
	defer train.Close()
	x := train.Input("x", 8, 3, 16, 16)
	target := train.Input("target", 8, 2)
	diff := G.Must(G.Sub(model.forward(train, x), target))
	loss := G.Must(G.Mean(G.Must(G.Square(diff))))
	lossOut := train.Output(loss)
	if err := train.Backward(loss); err != nil {
		panic(err)
	}

	// Inference graph: batch 1, no dropout, same parameter storage.
	infer := nn.NewGraph(nn.Infer, 1)
	defer infer.Close()
	x1 := infer.Input("x", 1, 3, 16, 16)
	score := infer.Output(model.forward(infer, x1))
	if err := infer.Err(); err != nil {
		panic(err)
	}

	opt, err := nn.NewAdam(params, nn.AdamConfig{LR: 3e-3, WeightDecay: 1e-4})
	if err != nil {
		panic(err)
	}
	opt.BeforeStep = append(opt.BeforeStep, nn.ClipGradNorm(10))

	// Images whose first channel is bright should score (1, 0), dark ones
	// (0, 1).
	images := make([]float32, 8*3*16*16)
	targets := make([]float32, 8*2)
	for b := 0; b < 8; b++ {
		bright := b%2 == 0
		for i := 0; i < 3*16*16; i++ {
			v := float32(rng.NormFloat64()) * 0.3
			if i < 16*16 && bright {
				v += 1
			}
			images[b*3*16*16+i] = v
		}
		if bright {
			targets[b*2] = 1
		} else {
			targets[b*2+1] = 1
		}
	}
	var first, last float32
	for step := 0; step < 60; step++ {
		if err := train.Feed(x, images); err != nil {
			panic(err)
		}
		if err := train.Feed(target, targets); err != nil {
			panic(err)
		}
		if err := train.Run(); err != nil {
			panic(err)
		}
		if step == 0 {
			first = lossOut.Data().([]float32)[0]
		}
		last = lossOut.Data().([]float32)[0]
		if err := opt.Step(train.Grad); err != nil {
			panic(err)
		}
	}

	// Score the first (bright) image on the inference graph.
	copy(infer.InputData(x1), images[:3*16*16])
	if err := infer.Run(); err != nil {
		panic(err)
	}
	s := score.Data().([]float32)
	fmt.Println("loss fell by more than 5x:", last < first/5)
	fmt.Println("bright image scores higher on its class:", s[0] > s[1])
	// Output:
	// loss fell by more than 5x: true
	// bright image scores higher on its class: true
}
