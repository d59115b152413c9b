package transfer

import (
	"context"
	"image"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/internal/testkit"
)

// catalogPhotos renders n items of the synthetic catalog (seed 5) at size
// px: product photos on a white backdrop, framed like the catalog.
func catalogPhotos(t testing.TB, n, size int) []imaging.Tensor {
	t.Helper()
	out := make([]imaging.Tensor, n)
	_, err := synth.RenderCatalog(context.Background(), synth.DrawCatalog(5, n), size, 1, func(i int, img *image.NRGBA) error {
		out[i] = imaging.FromImage(img)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// warmer is an edit that warms the product's colours in the model's view,
// the kind of change a segment fond of warm colours asks for.
func warmer(p *Photo) Edit {
	n := p.Input.W
	base := p.Input
	v := imaging.Tensor{H: n, W: n, Pix: append([]float32(nil), base.Pix...)}
	mask := p.modelMask()
	for i, in := range mask {
		if in {
			v.Pix[i] = clamp01(v.Pix[i] + 0.12)
			v.Pix[2*n*n+i] = clamp01(v.Pix[2*n*n+i] - 0.08)
		}
	}
	return Edit{Base: base, Variant: v}
}

func TestTransferKeepsTheBackgroundAndShowsTheChange(t *testing.T) {
	for i, pix := range catalogPhotos(t, 6, 256) {
		p := testkit.Must(Prepare(pix, atelier.ModelSize))(t)
		if p.Frame != (Frame{0, 0, 256}) {
			t.Errorf("photo %d: catalog-framed photo cropped to %+v", i, p.Frame)
		}
		e := warmer(p)
		for _, m := range Methods {
			out := testkit.Must(Apply(p, e, m))(t)
			if bg := BackgroundChanged(out, p); bg != 0 {
				t.Errorf("photo %d %s: %.4f of the background changed", i, m, bg)
			}
			if c := EditConsistency(out, p, e); c < 0.8 {
				t.Errorf("photo %d %s: edit consistency %.3f", i, m, c)
			}
			sharp := SharpnessRatio(out, p)
			if m == Guided && sharp < 0.9 {
				t.Errorf("photo %d guided: sharpness ratio %.3f, want about 1", i, sharp)
			}
			if m == Naive && sharp > 0.8 {
				t.Errorf("photo %d naive: sharpness ratio %.3f, want the generator's softness", i, sharp)
			}
		}
	}
}

// edit changes the product's red and blue in the model's view by what d
// gives for each model pixel (u, v).
func edit(p *Photo, d func(u, v int) (dr, db float32)) Edit {
	n := p.Input.W
	base := p.Input
	v := imaging.Tensor{H: n, W: n, Pix: append([]float32(nil), base.Pix...)}
	for i, in := range p.modelMask() {
		if in {
			dr, db := d(i%n, i/n)
			v.Pix[i] = clamp01(v.Pix[i] + dr)
			v.Pix[2*n*n+i] = clamp01(v.Pix[2*n*n+i] + db)
		}
	}
	return Edit{Base: base, Variant: v}
}

// A change to one small part of the product (a pocket, a sole) stays
// there: the grid's cells are fine enough to follow it, and its pull
// toward the product's transform does not spread it over the rest. A
// grid of 16×16 cells read 0.41 on one of these photos, 0.73 on average.
func TestGuidedFollowsALocalChange(t *testing.T) {
	var sum float64
	photos := catalogPhotos(t, 6, 256)
	for i, pix := range photos {
		p := testkit.Must(Prepare(pix, atelier.ModelSize))(t)
		spot := edit(p, func(u, v int) (float32, float32) {
			if u >= 24 && u < 32 && v >= 24 && v < 32 { // 8×8 of 64×64
				return 0.2, -0.15
			}
			return 0, 0
		})
		out := testkit.Must(Apply(p, spot, Guided))(t)
		c := EditConsistency(out, p, spot)
		if c < 0.6 {
			t.Errorf("photo %d: edit consistency %.3f for a local change", i, c)
		}
		sum += c
	}
	if mean := sum / float64(len(photos)); mean < 0.8 {
		t.Errorf("mean edit consistency %.3f for a local change, want ≥ 0.8", mean)
	}
}

// An unchanged variant leaves the photo as it was.
func TestTransferOfNoChangeIsThePhoto(t *testing.T) {
	pix := catalogPhotos(t, 1, 128)[0]
	p := testkit.Must(Prepare(pix, atelier.ModelSize))(t)
	for _, m := range []Method{Guided, Delta} {
		out := testkit.Must(Apply(p, Edit{Base: p.Input, Variant: p.Input}, m))(t)
		var worst float32
		for i := range out.Pix {
			worst = max(worst, abs(out.Pix[i]-pix.Pix[i]))
		}
		if worst > 1.0/255 {
			t.Errorf("%s: a null edit moved a pixel by %.4f", m, worst)
		}
	}
}

func TestProductMask(t *testing.T) {
	// A red square with a white stripe inside it, on white, and a speck.
	img := imaging.NewTensor(40, 60)
	n := 40 * 60
	for y := 10; y < 30; y++ {
		for x := 20; x < 40; x++ {
			if y == 20 && x > 21 && x < 38 {
				continue // the white stripe stays white
			}
			img.Pix[y*60+x], img.Pix[n+y*60+x], img.Pix[2*n+y*60+x] = 0.9, 0.1, 0.1
		}
	}
	img.Pix[2*60+2], img.Pix[n+2*60+2] = 0, 0 // one stray pixel
	m := testkit.Must(ProductMask(img))(t)
	if m.Count() != 400 || !m.In[20*60+25] || m.In[2*60+2] {
		t.Errorf("mask of %d pixels (stripe in: %v, speck in: %v), want the 20×20 square with its stripe", m.Count(), m.In[20*60+25], m.In[2*60+2])
	}
	if m.X0 != 20 || m.Y0 != 10 || m.X1 != 40 || m.Y1 != 30 {
		t.Errorf("box %d,%d–%d,%d", m.X0, m.Y0, m.X1, m.Y1)
	}
	f := FrameOf(m)
	if f.Side != 26 || f.X0 != 30-13 || f.Y0 != 20-13 {
		t.Errorf("frame %+v: want a 26-px square around the product", f)
	}

	_, err := ProductMask(imaging.NewTensor(50, 50))
	testkit.WantKind(t, err, atelier.KindInvalid)
}

func abs(v float32) float32 { return max(v, -v) }

// The space inside a handle is backdrop seen through the product, and
// goes back to the background; a thin white stripe stays product.
func TestHolesGoBackToTheBackground(t *testing.T) {
	const w, h = 80, 80
	img := imaging.NewTensor(h, w)
	n := w * h
	paint := func(x, y int) { img.Pix[y*w+x], img.Pix[n+y*w+x], img.Pix[2*n+y*w+x] = 0.2, 0.5, 0.2 }
	for y := 40; y < 70; y++ { // the bag, with a white stripe
		for x := 20; x < 60; x++ {
			if y != 55 || x < 22 || x > 57 {
				paint(x, y)
			}
		}
	}
	for y := 15; y < 40; y++ { // the handle: a 3-px frame around a 24×22 gap
		for x := 25; x < 55; x++ {
			if y < 18 || x < 28 || x >= 52 {
				paint(x, y)
			}
		}
	}
	m := testkit.Must(ProductMask(img))(t)
	if m.In[30*w+40] {
		t.Error("the space inside the handle is taken for product")
	}
	if !m.In[55*w+40] {
		t.Error("the white stripe across the bag is taken for background")
	}
	if !m.In[16*w+40] || !m.In[50*w+40] {
		t.Error("the handle or the bag is missing")
	}
}
