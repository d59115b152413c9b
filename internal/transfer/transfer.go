package transfer

import (
	"fmt"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// Method names a way of transferring a change.
type Method string

// The methods (see the package documentation).
const (
	Naive  Method = "naive"
	Delta  Method = "delta"
	Guided Method = "guided"
	// GuidedResidual is Guided plus what its transforms could not express
	// (the fit's residual at model size, scaled up): pattern changes.
	GuidedResidual Method = "guided-residual"
)

// Methods lists every method; Guided is the default.
var Methods = []Method{Guided, GuidedResidual, Delta, Naive}

// ParseMethod reads a method's name.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", atelier.FieldErrorf("transfer", "unknown transfer method %q (want guided, delta or naive)", s)
}

// Photo is a seller's photo prepared for transfers: the pixels, the
// product region and the frame the model sees.
type Photo struct {
	Pix   imaging.Tensor
	Mask  Mask
	Frame Frame
	// Input is the model's view of the photo (ModelInput at the edits'
	// size).
	Input imaging.Tensor
}

// Prepare finds the product in pix and frames it for a model of the given
// size.
func Prepare(pix imaging.Tensor, size int) (*Photo, error) {
	m, err := ProductMask(pix)
	if err != nil {
		return nil, err
	}
	f := FrameOf(m)
	return &Photo{Pix: pix, Mask: m, Frame: f, Input: ModelInput(pix, f, m.Background, size)}, nil
}

// Edit is what a shift changed, at model size: the base reconstruction
// G(z₀) and the variant G(z_k).
type Edit struct {
	Base, Variant imaging.Tensor
}

func (e Edit) check(p *Photo) error {
	n := p.Input.W
	for _, t := range []imaging.Tensor{e.Base, e.Variant} {
		if t.W != n || t.H != n || len(t.Pix) != 3*n*n {
			return fmt.Errorf("transfer: edit images of %dx%d for a %dx%d model view", t.W, t.H, n, n)
		}
	}
	return nil
}

// Apply puts the edit onto the photo with the method, at the photo's
// resolution. Pixels outside the product region are the photo's.
func Apply(p *Photo, e Edit, method Method) (imaging.Tensor, error) {
	if err := e.check(p); err != nil {
		return imaging.Tensor{}, err
	}
	// Every method writes every pixel (the photo's outside the product):
	// one pass over a large photo's memory instead of a copy and a pass.
	out := imaging.Tensor{H: p.Pix.H, W: p.Pix.W, Pix: make([]float32, len(p.Pix.Pix))}
	switch method {
	case Naive:
		p.upsampleInto(out, e.Variant, nil)
	case Delta:
		p.upsampleInto(out, diff(e.Variant, e.Base), p.Pix.Pix)
	case Guided, GuidedResidual:
		target := add(p.Input, diff(e.Variant, e.Base))
		mask := p.modelMask()
		g := fitGrid(p.Input, target, mask)
		g.apply(p, out)
		if method == GuidedResidual {
			p.upsampleInto(out, diff(target, g.applyModel(p.Input, mask)), out.Pix)
		}
	default:
		return imaging.Tensor{}, fmt.Errorf("transfer: unknown method %q", method)
	}
	return out, nil
}

// upsampleInto writes field (model size) scaled up to the frame into the
// product pixels of out, added to onto's values there (nil: the field
// alone); the other pixels of out are the photo's.
func (p *Photo) upsampleInto(out, field imaging.Tensor, onto []float32) {
	n := field.W
	ax := newAxis(out.W, p.Frame.X0, p.Frame.Side, n)
	ay := newAxis(out.H, p.Frame.Y0, p.Frame.Side, n)
	plane := out.W * out.H
	for y := 0; y < out.H; y++ {
		for x := 0; x < out.W; x++ {
			i := y*out.W + x
			for c := range 3 {
				j := c*plane + i
				if !p.Mask.In[i] {
					out.Pix[j] = p.Pix.Pix[j]
					continue
				}
				v := bilinear(field.Pix[c*n*n:(c+1)*n*n], n, ax, ay, x, y)
				if onto != nil {
					v += onto[j]
				}
				out.Pix[j] = clamp01(v)
			}
		}
	}
}

// modelMask is the product region in the model's view: the model-size
// pixels whose centre falls on a product pixel of the photo.
func (p *Photo) modelMask() []bool {
	n := p.Input.W
	out := make([]bool, n*n)
	for v := range n {
		y := p.Frame.Y0 + int((float64(v)+0.5)*float64(p.Frame.Side)/float64(n))
		for u := range n {
			x := p.Frame.X0 + int((float64(u)+0.5)*float64(p.Frame.Side)/float64(n))
			if x >= 0 && y >= 0 && x < p.Mask.W && y < p.Mask.H {
				out[v*n+u] = p.Mask.In[y*p.Mask.W+x]
			}
		}
	}
	return out
}

func diff(a, b imaging.Tensor) imaging.Tensor {
	out := imaging.Tensor{H: a.H, W: a.W, Pix: make([]float32, len(a.Pix))}
	for i := range out.Pix {
		out.Pix[i] = a.Pix[i] - b.Pix[i]
	}
	return out
}

func add(a, b imaging.Tensor) imaging.Tensor {
	out := imaging.Tensor{H: a.H, W: a.W, Pix: make([]float32, len(a.Pix))}
	for i := range out.Pix {
		out.Pix[i] = a.Pix[i] + b.Pix[i]
	}
	return out
}

func clamp01(v float32) float32 { return min(1, max(0, v)) }
