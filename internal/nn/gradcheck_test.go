package nn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
)

// gradOpts tunes a finite-difference check.
type gradOpts struct {
	h       float32 // central-difference step
	samples int     // coordinates checked per tensor (all when the tensor is smaller)
	atol    float64
	rtol    float64
	// skip reports coordinates where the function is not smooth within h
	// (a leaky ReLU's kink); they are not checked.
	skip func(p Param, i int) bool
}

func defaultGradOpts() gradOpts {
	return gradOpts{h: 1e-2, samples: 24, atol: 5e-4, rtol: 2e-3}
}

// gradCheck compares the analytical gradients of L = Σ r ⊙ f(wrt) (r a
// fixed random tensor, so that every output element matters differently)
// against central finite differences, for sampled coordinates of every
// tensor in wrt: inputs and parameters alike. L is accumulated in float64
// from the float32 outputs, so the only float32 error is the forward pass's.
func gradCheck(build func(g *Graph) *G.Node, wrt []Param, o gradOpts, seed int64) error {
	g := NewGraph(Infer, seed)
	defer g.Close()
	y := build(g)
	if err := g.Err(); err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(seed))
	r := make([]float32, y.Shape().TotalSize())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	rn := g.Const("gradcheck.r", r, y.Shape()...)
	prod, err := G.HadamardProd(y, rn)
	if err != nil {
		return err
	}
	loss, err := G.Sum(prod)
	if err != nil {
		return err
	}
	out := g.Output(y)
	if err := g.Backward(loss, wrt...); err != nil {
		return err
	}
	if err := g.Run(); err != nil {
		return err
	}
	analytic := make([][]float32, len(wrt))
	for i, p := range wrt {
		analytic[i] = append([]float32(nil), g.Grad(p).Data().([]float32)...)
	}
	lossAt := func() (float64, error) {
		if err := g.Run(); err != nil {
			return 0, err
		}
		var l float64
		for i, v := range out.Data().([]float32) {
			l += float64(v) * float64(r[i])
		}
		return l, nil
	}
	for pi, p := range wrt {
		d := p.Data()
		idx := rng.Perm(len(d))
		if len(idx) > o.samples {
			idx = idx[:o.samples]
		}
		checked := 0
		for _, i := range idx {
			if o.skip != nil && o.skip(p, i) {
				continue
			}
			orig := d[i]
			d[i] = orig + o.h
			lp, err := lossAt()
			if err != nil {
				return err
			}
			d[i] = orig - o.h
			lm, err := lossAt()
			if err != nil {
				return err
			}
			d[i] = orig
			// The step actually taken, in float32.
			step := float64(orig+o.h) - float64(orig-o.h)
			num := (lp - lm) / step
			ana := float64(analytic[pi][i])
			if diff := math.Abs(num - ana); diff > o.atol+o.rtol*math.Max(math.Abs(num), math.Abs(ana)) {
				return fmt.Errorf("d/d %s[%d]: analytic %.6g, numeric %.6g (diff %.3g)", p.Name, i, ana, num, diff)
			}
			checked++
		}
		if checked == 0 {
			return fmt.Errorf("no coordinate of %s was checked", p.Name)
		}
	}
	return nil
}

func checkGrads(t *testing.T, build func(g *Graph) *G.Node, wrt []Param, o gradOpts) {
	t.Helper()
	if err := gradCheck(build, wrt, o, 7); err != nil {
		t.Fatal(err)
	}
}

// randParam returns a parameter with N(0, 1) entries.
func randParam(name string, rng *rand.Rand, shape ...int) Param {
	p := NewParam(name, shape...)
	d := p.Data()
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return p
}

// randomize fills a layer's parameters with N(mean, std²) values so that
// checks do not depend on special initial values (zero biases, unit gains).
func randomize(rng *rand.Rand, mean, std float64, ps ...Param) {
	for _, p := range ps {
		d := p.Data()
		for i := range d {
			d[i] = float32(mean + std*rng.NormFloat64())
		}
	}
}

// TestGradCheckCatchesWrongGradient makes sure the checker can fail: a
// kernel whose backward is off by 5% must be reported.
func TestGradCheckCatchesWrongGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	x := randParam("x", rng, 2, 3, 4, 4)
	build := func(g *Graph) *G.Node {
		k := upsampleKernel(x.Value.Shape().Clone(), 2)
		good := k.Backward[0]
		k.Backward[0] = func(dst []float32, in [][]float32, out, gout []float32) {
			good(dst, in, out, gout)
			for i := range dst {
				dst[i] *= 1.05
			}
		}
		y, err := k.apply(g.Param(x))
		if err != nil {
			return g.Fail(err, "apply")
		}
		return y
	}
	if err := gradCheck(build, []Param{x}, defaultGradOpts(), 3); err == nil {
		t.Fatal("gradient check accepted a gradient that is 5% off")
	}
}
