package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// geometry splits a (B, C, ...) shape into batch, channels and spatial size.
func geometry(s tensor.Shape) (batch, ch, sp int, ok bool) {
	if s.Dims() != 2 && s.Dims() != 4 {
		return 0, 0, 0, false
	}
	batch, ch = s[0], s[1]
	return batch, ch, s.TotalSize() / (batch * ch), true
}

// PixelNorm normalises every pixel's feature vector to unit root mean
// square over channels:
//
//	y[b,c,s] = x[b,c,s] / √(mean_c x[b,·,s]² + ε)
//
// on x of shape (B, C, H, W), or (B, C) where it normalises each row (the
// usual treatment of a GAN's latent input). It has no parameters and no
// batch dependence, so training and inference agree.
func PixelNorm(g *Graph, x *G.Node, eps float32) *G.Node {
	if !g.ok(x) {
		return nil
	}
	batch, ch, sp, ok := geometry(x.Shape())
	if !ok {
		return g.Fail(fmt.Errorf("input shape %v, want (B, C) or (B, C, H, W)", x.Shape()), "nn: pixel norm")
	}
	if eps <= 0 {
		return g.Fail(fmt.Errorf("eps %v must be positive", eps), "nn: pixel norm")
	}
	s := x.Shape().Clone()
	k := &Kernel{
		Name: fmt.Sprintf("PixelNorm(%g)", eps),
		In:   []tensor.Shape{s},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			eachPart(batch, func(lo, hi int) {
				m := ch * sp
				pixelNormLoop(out[lo*m:hi*m], in[0][lo*m:hi*m], hi-lo, ch, sp, eps)
			})
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				eachPart(batch, func(lo, hi int) {
					m := ch * sp
					pixelNormGradLoop(dst[lo*m:hi*m], in[0][lo*m:hi*m], gout[lo*m:hi*m], hi-lo, ch, sp, eps)
				})
			},
		},
	}
	y, err := k.apply(x)
	if err != nil {
		return g.Fail(err, "nn: pixel norm")
	}
	return y
}

// pixelNormSamples writes y = PixelNorm(x) for n samples of ch channels of
// sp pixels.
func pixelNormSamples(y, x []float32, n, ch, sp int, eps float32) {
	r := make([]float32, sp)
	m := ch * sp
	for b := 0; b < n; b++ {
		xb, yb := x[b*m:(b+1)*m], y[b*m:(b+1)*m]
		pixelNormScales(r, xb, ch, sp, eps)
		for c := 0; c < ch; c++ {
			xc := xb[c*sp : (c+1)*sp]
			yc, r := yb[c*sp : (c+1)*sp][:len(xc)], r[:len(xc)]
			for i, v := range xc {
				yc[i] = v * r[i]
			}
		}
	}
}

// pixelNormScales fills r[s] = 1/√(mean_c x² + ε) for one sample. The loops
// reslice their operands to one channel's length, so the compiler drops
// the bounds checks of the inner loops.
func pixelNormScales(r, x []float32, ch, sp int, eps float32) {
	invC := 1 / float32(ch)
	r = r[:sp]
	clear(r)
	for c := 0; c < ch; c++ {
		for i, v := range x[c*sp : (c+1)*sp] {
			r[i] += v * v
		}
	}
	for i, v := range r {
		r[i] = float32(1 / math.Sqrt(float64(v*invC+eps)))
	}
}

// pixelNormSamplesGrad writes the gradient dx of PixelNorm at x for the
// output gradient g, for n samples. With r = (mean_c x² + ε)^(−1/2):
// dx_k = r·g_k − r³·x_k·(Σ_c g_c x_c)/C.
func pixelNormSamplesGrad(dx, x, g []float32, n, ch, sp int, eps float32) {
	invC := 1 / float32(ch)
	r, dot := make([]float32, sp), make([]float32, sp)
	m := ch * sp
	for b := 0; b < n; b++ {
		xb, gb, db := x[b*m:(b+1)*m], g[b*m:(b+1)*m], dx[b*m:(b+1)*m]
		pixelNormScales(r, xb, ch, sp, eps)
		dot, r := dot[:sp], r[:sp]
		clear(dot)
		for c := 0; c < ch; c++ {
			xc := xb[c*sp : (c+1)*sp]
			gc := gb[c*sp : (c+1)*sp][:len(xc)]
			for i, v := range xc {
				dot[i] += v * gc[i]
			}
		}
		for i, ri := range r {
			dot[i] *= ri * ri * ri * invC
		}
		for c := 0; c < ch; c++ {
			xc := xb[c*sp : (c+1)*sp]
			gc, dc := gb[c*sp : (c+1)*sp][:len(xc)], db[c*sp : (c+1)*sp][:len(xc)]
			for i, v := range xc {
				dc[i] = r[i]*gc[i] - v*dot[i]
			}
		}
	}
}

// GroupNorm normalises each sample over groups of channels and applies a
// per-channel affine map:
//
//	μ, σ² = mean, variance of x[b, c∈group, ·]
//	y[b,c,s] = γ[c] · (x[b,c,s] − μ) / √(σ² + ε) + β[c]
//
// Groups = 1 is LayerNorm over (C, H, W); Groups = C is InstanceNorm. The
// statistics come from the sample itself, never from the batch or running
// averages, so the layer computes the same function (and the same
// gradients) in training and in inference — unlike gorgonia's BatchNorm.
type GroupNorm struct {
	Name   string
	Groups int
	Eps    float32
	Gamma  Param // (C), starts at 1
	Beta   Param // (C), starts at 0
}

// NewGroupNorm returns a group normalisation over ch channels split into
// groups groups (ch must be a multiple of groups), with ε = 1e-5.
func NewGroupNorm(name string, ch, groups int) (*GroupNorm, error) {
	if ch <= 0 || groups <= 0 || ch%groups != 0 {
		return nil, fmt.Errorf("nn: group norm %s: %d channels do not split into %d groups", name, ch, groups)
	}
	n := &GroupNorm{Name: name, Groups: groups, Eps: 1e-5,
		Gamma: NewParam(name+".weight", ch), Beta: NewParam(name+".bias", ch)}
	Fill(n.Gamma, 1)
	return n, nil
}

// Params returns γ and β.
func (n *GroupNorm) Params() []Param { return []Param{n.Gamma, n.Beta} }

// Forward normalises x of shape (B, C, H, W) or (B, C).
func (n *GroupNorm) Forward(g *Graph, x *G.Node) *G.Node {
	if !g.ok(x) {
		return nil
	}
	batch, ch, sp, ok := geometry(x.Shape())
	if !ok || ch != n.Gamma.Value.Shape()[0] {
		return g.Fail(fmt.Errorf("input shape %v, want (B, %d[, H, W])", x.Shape(), n.Gamma.Value.Shape()[0]), "nn: group norm %s", n.Name)
	}
	if !(n.Eps > 0) || n.Groups <= 0 || ch%n.Groups != 0 {
		return g.Fail(fmt.Errorf("eps %v, %d groups of %d channels", n.Eps, n.Groups, ch), "nn: group norm %s", n.Name)
	}
	gamma, beta := g.Param(n.Gamma), g.Param(n.Beta)
	if !g.ok(gamma, beta) {
		return nil
	}
	cpg := ch / n.Groups // channels per group
	eps := float64(n.Eps)
	s := x.Shape().Clone()
	cs := tensor.Shape{ch}
	k := &Kernel{
		Name: fmt.Sprintf("GroupNorm(%d,%g)", n.Groups, n.Eps),
		In:   []tensor.Shape{s, cs, cs},
		Out:  s,
		Forward: func(out []float32, in [][]float32) {
			eachPart(batch, func(lo, hi int) {
				a, b := lo*ch*sp, hi*ch*sp
				groupNormLoop(out[a:b], in[0][a:b], in[1], in[2], hi-lo, n.Groups, cpg, sp, eps)
			})
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, _, gout []float32) {
				eachPart(batch, func(lo, hi int) {
					a, b := lo*ch*sp, hi*ch*sp
					groupNormGradLoop(dst[a:b], in[0][a:b], gout[a:b], in[1], hi-lo, n.Groups, cpg, sp, eps)
				})
			},
			func(dst []float32, in [][]float32, _, gout []float32) {
				groupNormGammaLoop(dst, in[0], gout, batch, n.Groups, cpg, sp, eps)
			},
			func(dst []float32, _ [][]float32, _, gout []float32) {
				groupNormBetaLoop(dst, gout, batch, ch, sp)
			},
		},
	}
	y, err := k.apply(x, gamma, beta)
	if err != nil {
		return g.Fail(err, "nn: group norm %s", n.Name)
	}
	return y
}

// groupStats returns the mean and 1/√(σ²+ε) of one group's values x,
// summed in float64 blocks (reduce.go) so that large groups lose no
// precision.
func groupStats(x []float32, eps float64) (mu, r float64) {
	m := float64(len(x))
	mu = sum(x) / m
	return mu, 1 / math.Sqrt(sumSqDev(x, float32(mu))/m+eps)
}

// groupNormSamples writes y = GroupNorm(x) for n samples of groups groups
// of cpg channels of sp pixels, with the per-channel gamma and beta and
// each group's statistics from groupStats.
func groupNormSamples(y, x, gamma, beta []float32, n, groups, cpg, sp int, eps float64) {
	m := cpg * sp
	for q := range n * groups {
		xq := x[q*m : (q+1)*m]
		mu, r := groupStats(xq, eps)
		c0 := (q % groups) * cpg
		for c := 0; c < cpg; c++ {
			a := float32(r) * gamma[c0+c]
			b := beta[c0+c] - float32(mu)*a
			o := y[q*m+c*sp : q*m+(c+1)*sp]
			for i, v := range xq[c*sp : (c+1)*sp] {
				o[i] = v*a + b
			}
		}
	}
}

// groupNormSamplesGrad writes dx = dL/dx of groupNormSamples for n samples
// given g = dL/dy. With x̂ = (x−μ)·r and h = g·γ:
// dx = r·(h − mean(h) − x̂·mean(h·x̂)), means over the group.
func groupNormSamplesGrad(dx, x, g, gamma []float32, n, groups, cpg, sp int, eps float64) {
	m := cpg * sp
	for q := range n * groups {
		xq, gq, dq := x[q*m:(q+1)*m], g[q*m:(q+1)*m], dx[q*m:(q+1)*m]
		mu, r := groupStats(xq, eps)
		c0 := (q % groups) * cpg
		var sh, shx float64
		for c := range cpg {
			gm := float64(gamma[c0+c])
			gc, xc := gq[c*sp:(c+1)*sp], xq[c*sp:(c+1)*sp]
			sh += gm * sum(gc)
			shx += gm * dotDev(gc, xc, float32(mu)) * r
		}
		mh, mhx := sh/float64(m), shx/float64(m)
		off, slope := float32(r*mh), float32(r*r*mhx)
		for c := range cpg {
			gm := float32(r) * gamma[c0+c]
			gc, dc := gq[c*sp:(c+1)*sp], dq[c*sp:(c+1)*sp]
			for i, v := range xq[c*sp : (c+1)*sp] {
				dc[i] = gm*gc[i] - off - (v-float32(mu))*slope
			}
		}
	}
}

// groupNormGammaGrad writes dγ[c] = Σ_{b,s} g·x̂ over n samples.
func groupNormGammaGrad(dgamma, x, g []float32, n, groups, cpg, sp int, eps float64) {
	clear(dgamma)
	m := cpg * sp
	for q := range n * groups {
		xq, gq := x[q*m:(q+1)*m], g[q*m:(q+1)*m]
		mu, r := groupStats(xq, eps)
		c0 := (q % groups) * cpg
		for c := range cpg {
			dgamma[c0+c] += float32(dotDev(gq[c*sp:(c+1)*sp], xq[c*sp:(c+1)*sp], float32(mu)) * r)
		}
	}
}

// groupNormBetaGrad writes dβ[c] = Σ_{b,s} g over n samples of ch
// channels.
func groupNormBetaGrad(dbeta, g []float32, n, ch, sp int) {
	clear(dbeta)
	for p := range n * ch {
		dbeta[p%ch] += float32(sum(g[p*sp : (p+1)*sp]))
	}
}
