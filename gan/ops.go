package gan

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier/internal/nn"
)

// The GAN's own kernels: each is one op with hand-written loops (see
// nn.Kernel), checked against finite differences in ops_test.go.

// ok reports whether building may go on with the given nodes: the graph
// has no error and none of them is nil (a nil node without an error is a
// bug in the caller, recorded as the graph's error).
func ok(g *nn.Graph, nodes ...*G.Node) bool {
	if g.Err() != nil {
		return false
	}
	for _, n := range nodes {
		if n == nil {
			g.Fail(errors.New("nil node"), "gan: build graph")
			return false
		}
	}
	return true
}

// standardize maps each row of x (B, K) to zero mean and unit (population)
// standard deviation:
//
//	y = (x − μ) / σ,  σ = √(mean (x−μ)² + ε)
//
// the form every latent vector takes in this package (the encoder's output,
// and z after each inversion step).
func standardize(g *nn.Graph, x *G.Node) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 2 {
		return g.Fail(fmt.Errorf("shape %v, want (B, K)", s), "gan: standardize")
	}
	batch, k := s[0], s[1]
	return g.Apply(&nn.Kernel{
		Name: "Standardize",
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			for b := 0; b < batch; b++ {
				standardizeRow(out[b*k:(b+1)*k], in[0][b*k:(b+1)*k])
			}
		},
		// With y the output: dx = (g − mean g − y·mean(g·y)) / σ.
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, out, gout []float32) {
				for b := 0; b < batch; b++ {
					x, y, gr, d := in[0][b*k:(b+1)*k], out[b*k:(b+1)*k], gout[b*k:(b+1)*k], dst[b*k:(b+1)*k]
					_, sd := meanStd(x)
					var mg, mgy float64
					for i := range gr {
						mg += float64(gr[i])
						mgy += float64(gr[i]) * float64(y[i])
					}
					mg /= float64(k)
					mgy /= float64(k)
					for i := range d {
						d[i] = float32((float64(gr[i]) - mg - float64(y[i])*mgy) / sd)
					}
				}
			},
		},
	}, x)
}

const standardizeEps = 1e-8

// meanStd returns the mean and √(variance + ε) of x.
func meanStd(x []float32) (mean, sd float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss/float64(len(x)) + standardizeEps)
}

// standardizeRow writes (x − mean x) / std x into dst (dst may be x).
func standardizeRow(dst, x []float32) {
	mean, sd := meanStd(x)
	for i, v := range x {
		dst[i] = float32((float64(v) - mean) / sd)
	}
}

// meanSquaredDiff returns the (1)-shaped mean over all elements of
// (a − b)², the pixel term of the reconstruction losses and, on
// channel-normalised features, one layer of the perceptual distance.
func meanSquaredDiff(g *nn.Graph, a, b *G.Node) *G.Node {
	if !ok(g, a, b) {
		return nil
	}
	if !a.Shape().Eq(b.Shape()) {
		return g.Fail(fmt.Errorf("shapes %v and %v", a.Shape(), b.Shape()), "gan: mean squared difference")
	}
	s := a.Shape().Clone()
	inv := 1 / float64(s.TotalSize())
	grad := func(sign float32) func(dst []float32, in [][]float32, out, gout []float32) {
		return func(dst []float32, in [][]float32, _, gout []float32) {
			c := sign * 2 * float32(inv) * gout[0]
			for i := range dst {
				dst[i] = c * (in[0][i] - in[1][i])
			}
		}
	}
	return g.Apply(&nn.Kernel{
		Name: "MeanSquaredDiff",
		In:   []tensor.Shape{s, s.Clone()},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var acc float64
			for i, v := range in[0] {
				d := float64(v - in[1][i])
				acc += d * d
			}
			out[0] = float32(acc * inv)
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){grad(1), grad(-1)},
	}, a, b)
}

// softplusLoss returns the (1)-shaped Σ_b w_b·softplus(s_b·x_b) over logits
// x of shape (B, 1), with fixed signs s and weights w. With s = −1 on real
// and +1 on fake samples and w = 1/count this is the discriminator's
// non-saturating logistic loss; with s = −1 on fakes it is the generator's.
func softplusLoss(g *nn.Graph, x *G.Node, signs, weights []float32) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 2 || s[1] != 1 || len(signs) != s[0] || len(weights) != s[0] {
		return g.Fail(fmt.Errorf("logits %v with %d signs and %d weights", s, len(signs), len(weights)), "gan: softplus loss")
	}
	signs, weights = append([]float32(nil), signs...), append([]float32(nil), weights...)
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("SoftplusLoss(%v,%v)", signs, weights),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			var acc float64
			for b, v := range in[0] {
				acc += float64(weights[b]) * softplus(float64(signs[b]*v))
			}
			out[0] = float32(acc)
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				for b, v := range in[0] {
					u := float64(signs[b] * v)
					dst[b] = gout[0] * weights[b] * signs[b] * float32(1/(1+math.Exp(-u)))
				}
			},
		},
	}, x)
}

// softplus is log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// scalar turns a (1)-shaped node into the scalar a loss must be.
func scalar(g *nn.Graph, x *G.Node) *G.Node {
	if !ok(g, x) {
		return nil
	}
	y, err := G.Sum(x)
	if err != nil {
		return g.Fail(err, "gan: scalar loss")
	}
	return y
}

// add returns a + b for two nodes of the same shape.
func add(g *nn.Graph, a, b *G.Node) *G.Node {
	if !ok(g, a, b) {
		return nil
	}
	y, err := G.Add(a, b)
	if err != nil {
		return g.Fail(err, "gan: add")
	}
	return y
}

// scale returns c·x.
func scale(g *nn.Graph, x *G.Node, c float32) *G.Node {
	if !ok(g, x) {
		return nil
	}
	if c == 1 {
		return x
	}
	s := x.Shape().Clone()
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("Scale(%g)", c),
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			for i, v := range in[0][:len(out)] {
				out[i] = c * v
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for i, v := range gout[:len(dst)] {
					dst[i] = c * v
				}
			},
		},
	}, x)
}

// minibatchStddev appends one channel to x (B, C, H, W): for each group of
// `group` consecutive samples, the standard deviation of every feature
// over the group, averaged over features,
//
//	s = mean_{c,h,w} √( mean_{i∈group} (x_i − x̄)² + ε )
//
// broadcast over the group's samples and pixels. A discriminator that sees
// it can tell a collapsed (too uniform) batch of fakes from real ones, which
// pushes the generator toward variety (Karras et al., ProGAN).
func minibatchStddev(g *nn.Graph, x *G.Node, group int) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 4 || group < 1 || s[0]%group != 0 {
		return g.Fail(fmt.Errorf("input %v with group %d; want (B, C, H, W), B a multiple of the group", s, group), "gan: minibatch stddev")
	}
	batch, ch, sp := s[0], s[1], s[2]*s[3]
	feat := ch * sp
	groups := batch / group
	const eps = 1e-8
	// The forward pass keeps each group's means and deviations for the
	// backward pass of its run, which follows it with the same input.
	mus, sds := make([]float64, groups*feat), make([]float64, groups*feat)
	// stats fills mus and sds for group q and returns the deviations' mean.
	stats := func(x []float32, q int) float64 {
		mu, sd := mus[q*feat:(q+1)*feat], sds[q*feat:(q+1)*feat]
		var total float64
		for e := range feat {
			var m float64
			for i := 0; i < group; i++ {
				m += float64(x[(q*group+i)*feat+e])
			}
			m /= float64(group)
			var ss float64
			for i := 0; i < group; i++ {
				d := float64(x[(q*group+i)*feat+e]) - m
				ss += d * d
			}
			mu[e], sd[e] = m, math.Sqrt(ss/float64(group)+eps)
			total += sd[e]
		}
		return total / float64(feat)
	}
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("MinibatchStddev(%d)", group),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{batch, ch + 1, s[2], s[3]},
		Forward: func(out []float32, in [][]float32) {
			for q := 0; q < groups; q++ {
				v := float32(stats(in[0], q))
				for i := 0; i < group; i++ {
					b := q*group + i
					o := out[b*(feat+sp) : (b+1)*(feat+sp)]
					copy(o[:feat], in[0][b*feat:(b+1)*feat])
					for j := feat; j < feat+sp; j++ {
						o[j] = v
					}
				}
			}
		},
		// ∂s/∂x_i,e = (x_i,e − x̄_e) / (group · sd_e · feat).
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				x := in[0]
				for q := 0; q < groups; q++ {
					mu, sd := mus[q*feat:(q+1)*feat], sds[q*feat:(q+1)*feat]
					var gs float64
					for i := 0; i < group; i++ {
						b := q*group + i
						for _, v := range gout[b*(feat+sp)+feat : (b+1)*(feat+sp)] {
							gs += float64(v)
						}
					}
					for e := range feat {
						c := gs / (float64(group) * sd[e] * float64(feat))
						for i := 0; i < group; i++ {
							b := q*group + i
							dst[b*feat+e] = gout[b*(feat+sp)+e] + float32(c*(float64(x[b*feat+e])-mu[e]))
						}
					}
				}
			},
		},
	}, x)
}

// depthToSpace rearranges x (B, C·r², H, W) into (B, C, r·H, r·W):
//
//	y[b, c, r·i+di, r·j+dj] = x[b, c·r² + r·di + dj, i, j]
//
// so that a convolution at H×W producing r² values per output channel
// draws every pixel of the r-times larger image (sub-pixel convolution, Shi
// et al. 2016) without computing at the large size.
func depthToSpace(g *nn.Graph, x *G.Node, r int) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() != 4 || r < 1 || s[1]%(r*r) != 0 {
		return g.Fail(fmt.Errorf("input %v, factor %d", s, r), "gan: depth to space")
	}
	batch, c, h, w := s[0], s[1]/(r*r), s[2], s[3]
	oh, ow := h*r, w*r
	// index maps output element o to input element index[o].
	index := make([]int32, s.TotalSize())
	for b := 0; b < batch; b++ {
		for ch := 0; ch < c; ch++ {
			for oi := 0; oi < oh; oi++ {
				for oj := 0; oj < ow; oj++ {
					i, di, j, dj := oi/r, oi%r, oj/r, oj%r
					src := (((b*c+ch)*r*r+di*r+dj)*h+i)*w + j
					index[((b*c+ch)*oh+oi)*ow+oj] = int32(src)
				}
			}
		}
	}
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("DepthToSpace(%d)", r),
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{batch, c, oh, ow},
		Forward: func(out []float32, in [][]float32) {
			for o, i := range index {
				out[o] = in[0][i]
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				for o, i := range index {
					dst[i] = gout[o]
				}
			},
		},
	}, x)
}

// latentMoments returns the (1)-shaped moment loss of codes z (B, K)
// against the standard normal prior, per dimension over the batch:
//
//	L = (1/K) Σ_k [ m_k² + (v_k − 1)² ],  m_k, v_k = batch mean, variance of z[·,k]
//
// It keeps an encoder's codes spread like the generator's latents, so that
// what the encoder maps real images to is also where random samples come
// from.
func latentMoments(g *nn.Graph, z *G.Node) *G.Node {
	if !ok(g, z) {
		return nil
	}
	s := z.Shape().Clone()
	if s.Dims() != 2 || s[0] < 2 {
		return g.Fail(fmt.Errorf("codes %v; want (B ≥ 2, K)", s), "gan: latent moments")
	}
	batch, k := s[0], s[1]
	moments := func(z []float32) (m, v []float64) {
		m, v = make([]float64, k), make([]float64, k)
		for b := 0; b < batch; b++ {
			for j, x := range z[b*k : (b+1)*k] {
				m[j] += float64(x) / float64(batch)
			}
		}
		for b := 0; b < batch; b++ {
			for j, x := range z[b*k : (b+1)*k] {
				d := float64(x) - m[j]
				v[j] += d * d / float64(batch)
			}
		}
		return m, v
	}
	return g.Apply(&nn.Kernel{
		Name: "LatentMoments",
		In:   []tensor.Shape{s},
		Out:  tensor.Shape{1},
		Forward: func(out []float32, in [][]float32) {
			m, v := moments(in[0])
			var l float64
			for j := range m {
				l += m[j]*m[j] + (v[j]-1)*(v[j]-1)
			}
			out[0] = float32(l / float64(k))
		},
		// ∂L/∂z_bk = (2 m_k + 4 (v_k − 1)(z_bk − m_k)) / (B·K)
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				m, v := moments(in[0])
				c := float64(gout[0]) / float64(batch*k)
				for b := 0; b < batch; b++ {
					for j, x := range in[0][b*k : (b+1)*k] {
						dst[b*k+j] = float32(c * (2*m[j] + 4*(v[j]-1)*(float64(x)-m[j])))
					}
				}
			},
		},
	}, z)
}

// concatBatch stacks a (A, ...) and b (B, ...) into (A+B, ...), so that
// one pass of a network whose samples are independent (the generator)
// serves both: larger batches and one set of weight reorders and weight
// gradients instead of two.
func concatBatch(g *nn.Graph, a, b *G.Node) *G.Node {
	if !ok(g, a, b) {
		return nil
	}
	sa, sb := a.Shape().Clone(), b.Shape().Clone()
	if sa.Dims() < 1 || sa.Dims() != sb.Dims() || !sa[1:].Eq(sb[1:]) {
		return g.Fail(fmt.Errorf("shapes %v and %v", sa, sb), "gan: concat batch")
	}
	out := append(tensor.Shape{sa[0] + sb[0]}, sa[1:]...)
	na := sa.TotalSize()
	return g.Apply(&nn.Kernel{
		Name: "ConcatBatch",
		In:   []tensor.Shape{sa, sb},
		Out:  out,
		Forward: func(out []float32, in [][]float32) {
			copy(out, in[0])
			copy(out[na:], in[1])
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) { copy(dst, gout[:na]) },
			func(dst []float32, _ [][]float32, _, gout []float32) { copy(dst, gout[na:]) },
		},
	}, a, b)
}

// batchRange returns samples [lo, hi) of x (B, ...).
func batchRange(g *nn.Graph, x *G.Node, lo, hi int) *G.Node {
	if !ok(g, x) {
		return nil
	}
	s := x.Shape().Clone()
	if s.Dims() < 1 || lo < 0 || hi > s[0] || lo >= hi {
		return g.Fail(fmt.Errorf("samples [%d, %d) of %v", lo, hi, s), "gan: batch range")
	}
	per := s.TotalSize() / s[0]
	out := append(tensor.Shape{hi - lo}, s[1:]...)
	return g.Apply(&nn.Kernel{
		Name: fmt.Sprintf("BatchRange(%d,%d)", lo, hi),
		In:   []tensor.Shape{s},
		Out:  out,
		Forward: func(out []float32, in [][]float32) {
			copy(out, in[0][lo*per:hi*per])
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				clear(dst[:lo*per])
				copy(dst[lo*per:hi*per], gout)
				clear(dst[hi*per:])
			},
		},
	}, x)
}
