package recommender

import (
	"math"
	"math/rand"
	"testing"

	"github.com/atelier-app/atelier/internal/nn"
)

// TestObjectiveGradients checks the training objective's gradients against
// central finite differences, with slots shared by several triplets (an
// image that is one triplet's positive and another's negative) and an
// unused slot.
func TestObjectiveGradients(t *testing.T) {
	const b, k, s, c = 4, 3, 6, 2
	rng := rand.New(rand.NewSource(1))
	randParam := func(name string, shape ...int) nn.Param {
		p := nn.NewParam(name, shape...)
		for i := range p.Data() {
			p.Data()[i] = float32(rng.NormFloat64())
		}
		return p
	}
	theta, feats, logits := randParam("theta", b, k), randParam("feats", s, k), randParam("logits", s, c)
	o := &objective{
		pos:    []int{0, 1, 0, 3},
		neg:    []int{2, 0, 4, 2},
		labels: []int{1, 0, 1, 0, 1, -1}, // slot 5 unused
		invB:   1.0 / 8, alphaN: 0.3 / 5, lambda: 0.05,
	}
	g := nn.NewGraph(nn.Train, 1)
	defer g.Close()
	loss := o.node(g, g.Param(theta), g.Param(feats), g.Param(logits))
	out := g.Output(loss)
	if err := g.Backward(loss); err != nil {
		t.Fatal(err)
	}
	value := func() float64 {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		return float64(out.Data().([]float32)[0])
	}
	value()
	// Reference value, from the definition.
	want := 0.0
	for tr := 0; tr < b; tr++ {
		th := theta.Data()[tr*k : (tr+1)*k]
		x := dot(th, feats.Data()[o.pos[tr]*k:(o.pos[tr]+1)*k]) - dot(th, feats.Data()[o.neg[tr]*k:(o.neg[tr]+1)*k])
		want += (softplus(-float64(x)) + 0.05*float64(dot(th, th))) / 8
	}
	for sl, y := range o.labels {
		if y >= 0 {
			ce, _ := crossEntropy(logits.Data()[sl*c:(sl+1)*c], y)
			want += 0.3 / 5 * ce
		}
	}
	if got := value(); math.Abs(got-want) > 1e-5 {
		t.Fatalf("objective %v, want %v", got, want)
	}
	if o.n != 5 {
		t.Errorf("%d labelled images counted, want 5", o.n)
	}
	for _, p := range []nn.Param{theta, feats, logits} {
		value()
		grad := append([]float32(nil), g.Grad(p).Data().([]float32)...)
		for i := range p.Data() {
			const h = 1e-2
			orig := p.Data()[i]
			p.Data()[i] = orig + h
			up := value()
			p.Data()[i] = orig - h
			down := value()
			p.Data()[i] = orig
			numeric := (up - down) / (2 * h)
			if math.Abs(numeric-float64(grad[i])) > 1e-3+0.01*math.Abs(numeric) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name, i, grad[i], numeric)
			}
		}
	}
	// Nothing refers to the unused slot: no gradient reaches it.
	value()
	for j, v := range g.Grad(feats).Data().([]float32)[5*k:] {
		if v != 0 {
			t.Errorf("unused slot feature %d has gradient %v", j, v)
		}
	}
}
