package recommender

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

// objective is DVBPR's training loss on one worker's share of a batch, as
// one kernel over the triplets' θ rows (b, K), the features of the batch's
// distinct images (S, K) and their category logits (S, C):
//
//	L = (1/B) Σ_t [softplus(−θ_t·(f_pos(t) − f_neg(t))) + λ_θ‖θ_t‖²]
//	  + (α/N) Σ_s CE(logits_s, label_s)
//
// with B the triplets and N the labelled images of the whole batch (all
// workers), so that the workers' gradients add up to the batch's. Slots
// beyond the batch's distinct images have label −1 and count for nothing.
// The caller sets pos, neg, labels and the scales before each Run; Forward
// leaves the parts of the loss in the fields after it.
type objective struct {
	pos, neg []int // per triplet, slot of the positive and negative image
	labels   []int // per slot, category index or −1
	invB     float32
	alphaN   float32 // α/N
	lambda   float32 // λ_θ

	// Written by Forward: sums over this worker's triplets and slots.
	bpr, reg, ce float64
	correct, n   int
}

func (o *objective) node(g *nn.Graph, theta, feats, logits *G.Node) *G.Node {
	if g.Err() != nil || theta == nil || feats == nil || logits == nil {
		return g.Fail(fmt.Errorf("missing input"), "dvbpr: objective")
	}
	b, k := theta.Shape()[0], theta.Shape()[1]
	s, c := feats.Shape()[0], logits.Shape()[1]
	if len(o.pos) != b || len(o.neg) != b || len(o.labels) != s || feats.Shape()[1] != k || logits.Shape()[0] != s {
		return g.Fail(fmt.Errorf("θ %v, features %v, logits %v for %d triplets and %d slots", theta.Shape(), feats.Shape(), logits.Shape(), len(o.pos), len(o.labels)), "dvbpr: objective")
	}
	// diff returns x_t = θ_t·(f_pos − f_neg) and the weight σ(−x_t) of its
	// gradient.
	diff := func(in [][]float32, t int) (x, w float32) {
		th := in[0][t*k : (t+1)*k]
		fp, fn := in[1][o.pos[t]*k:(o.pos[t]+1)*k], in[1][o.neg[t]*k:(o.neg[t]+1)*k]
		x = dot(th, fp) - dot(th, fn)
		return x, float32(sigmoid(-float64(x)))
	}
	kern := &nn.Kernel{
		Name:     "DVBPRObjective",
		In:       []tensor.Shape{{b, k}, {s, k}, {s, c}},
		Out:      tensor.Shape{1},
		Stateful: true, // indices and labels live outside the graph
		Forward: func(out []float32, in [][]float32) {
			o.bpr, o.reg, o.ce, o.correct, o.n = 0, 0, 0, 0, 0
			for t := 0; t < b; t++ {
				x, _ := diff(in, t)
				o.bpr += softplus(-float64(x))
				th := in[0][t*k : (t+1)*k]
				o.reg += float64(dot(th, th))
			}
			for sl, y := range o.labels {
				if y < 0 {
					continue
				}
				ce, argmax := crossEntropy(in[2][sl*c:(sl+1)*c], y)
				o.ce += ce
				o.n++
				if argmax == y {
					o.correct++
				}
			}
			out[0] = float32((o.bpr+float64(o.lambda)*o.reg)*float64(o.invB) + o.ce*float64(o.alphaN))
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) { // dL/dθ
				scale := gout[0] * o.invB
				for t := 0; t < b; t++ {
					_, w := diff(in, t)
					th := in[0][t*k : (t+1)*k]
					fp, fn := in[1][o.pos[t]*k:(o.pos[t]+1)*k], in[1][o.neg[t]*k:(o.neg[t]+1)*k]
					d := dst[t*k : (t+1)*k]
					for j := range d {
						d[j] = scale * (-w*(fp[j]-fn[j]) + 2*o.lambda*th[j])
					}
				}
			},
			func(dst []float32, in [][]float32, _, gout []float32) { // dL/df
				clear(dst)
				scale := gout[0] * o.invB
				for t := 0; t < b; t++ {
					_, w := diff(in, t)
					th := in[0][t*k : (t+1)*k]
					dp, dn := dst[o.pos[t]*k:(o.pos[t]+1)*k], dst[o.neg[t]*k:(o.neg[t]+1)*k]
					for j, v := range th {
						dp[j] -= scale * w * v
						dn[j] += scale * w * v
					}
				}
			},
			func(dst []float32, in [][]float32, _, gout []float32) { // dL/dlogits
				clear(dst)
				scale := gout[0] * o.alphaN
				for sl, y := range o.labels {
					if y < 0 {
						continue
					}
					z, d := in[2][sl*c:(sl+1)*c], dst[sl*c:(sl+1)*c]
					softmaxInto(d, z)
					d[y] -= 1
					for j := range d {
						d[j] *= scale
					}
				}
			},
		},
	}
	loss := g.Apply(kern, theta, feats, logits)
	if loss == nil {
		return nil
	}
	sum, err := G.Sum(loss)
	if err != nil {
		return g.Fail(err, "dvbpr: objective")
	}
	return sum
}

// softmaxInto writes softmax(z) into dst, computed stably.
func softmaxInto(dst, z []float32) {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum float64
	for j, v := range z {
		e := math.Exp(float64(v - mx))
		dst[j] = float32(e)
		sum += e
	}
	for j := range dst {
		dst[j] = float32(float64(dst[j]) / sum)
	}
}

// crossEntropy returns −ln softmax(z)_y and the argmax of z.
func crossEntropy(z []float32, y int) (float64, int) {
	mx, arg := z[0], 0
	for j, v := range z {
		if v > mx {
			mx, arg = v, j
		}
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v - mx))
	}
	return math.Log(sum) - float64(z[y]-mx), arg
}
