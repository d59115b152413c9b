package composite

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/transfer"
)

// Defaults for a zero Options.
const (
	DefaultFeather = 1.5  // pixels at 1024 px
	DefaultShadow  = 0.35 // darkening at the shadow's darkest
)

// Options tune Place; the zero value gives the defaults.
type Options struct {
	// Feather is the radius, in pixels of a 1024-px photo, of the box
	// blur that softens the mask's edge; it scales with the photo's longer
	// side and is at least one pixel. 0 means DefaultFeather.
	Feather float64
	// Shadow is the contact shadow's strength, the share of light it takes
	// from the background at its darkest, in (0, 1]. 0 means
	// DefaultShadow; a negative value draws no shadow.
	Shadow float64
}

// featherRadius is the feather's box radius in pixels for a w×h photo.
func (o Options) featherRadius(w, h int) int {
	f := o.Feather
	if f <= 0 {
		f = DefaultFeather
	}
	return max(1, int(math.Round(f*float64(max(w, h))/1024)))
}

func (o Options) shadow() float64 {
	switch {
	case o.Shadow < 0:
		return 0
	case o.Shadow == 0:
		return DefaultShadow
	}
	return math.Min(o.Shadow, 1)
}

// Place puts the product of photo, the region mask gives, onto bg, at the
// photo's size (see the package doc for how). The mask must be the
// photo's (same size) and not empty; bg must not be empty.
func Place(photo image.Image, mask transfer.Mask, bg image.Image, opt Options) (*image.NRGBA, error) {
	if err := check(photo, mask, bg); err != nil {
		return nil, err
	}
	w, h := mask.W, mask.H
	src := flatten(photo)
	out := cover(bg, w, h)
	if s := opt.shadow(); s > 0 {
		castShadow(out, mask, s)
	}
	r := opt.featherRadius(w, h)
	counts := boxCounts(mask.In, w, h, r)
	blendProduct(out, src, mask, counts, (2*r+1)*(2*r+1))
	return out, nil
}

// check returns an invalid-input error for a mask that is not the
// photo's, an empty mask or an empty background.
func check(photo image.Image, m transfer.Mask, bg image.Image) error {
	if photo == nil || bg == nil {
		return atelier.Errorf(atelier.KindInvalid, "a photo and a background are needed")
	}
	pb := photo.Bounds()
	if pb.Dx() != m.W || pb.Dy() != m.H || len(m.In) != m.W*m.H {
		return atelier.Errorf(atelier.KindInvalid, "the mask is %dx%d, the photo %dx%d: the mask must be the photo's", m.W, m.H, pb.Dx(), pb.Dy())
	}
	if m.W == 0 || m.H == 0 || m.X1 <= m.X0 || m.Y1 <= m.Y0 || m.Count() == 0 {
		return atelier.Errorf(atelier.KindInvalid, "the mask is empty: no product to place")
	}
	if bg.Bounds().Empty() {
		return atelier.Errorf(atelier.KindInvalid, "the background is empty")
	}
	return nil
}

// flatten is the photo as 8-bit RGBA over white (the catalog's backdrop,
// as imaging.FromImage does); an opaque photo's pixels are unchanged.
func flatten(photo image.Image) *image.RGBA {
	b := photo.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if copyOpaque(out, photo) {
		return out
	}
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), photo, b.Min, draw.Over)
	return out
}

// copyOpaque copies an opaque *image.NRGBA or *image.RGBA into dst (of
// its size) row by row and reports whether it did: the common case,
// several times faster than compositing it over white.
func copyOpaque(dst *image.RGBA, src image.Image) bool {
	var pix []uint8
	var stride int
	b := src.Bounds()
	switch s := src.(type) {
	case *image.NRGBA:
		pix, stride = s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride
	case *image.RGBA:
		pix, stride = s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], s.Stride
	default:
		return false
	}
	w := 4 * b.Dx()
	for y := range b.Dy() {
		row := pix[y*stride : y*stride+w]
		for i := 3; i < w; i += 4 {
			if row[i] != 0xff {
				return false
			}
		}
		copy(dst.Pix[y*dst.Stride:], row)
	}
	return true
}

// cover is bg scaled (bilinear) to cover w×h and cropped to it about its
// centre, as an opaque NRGBA image; a bg of that size is copied as is.
func cover(bg image.Image, w, h int) *image.NRGBA {
	b := bg.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if b.Dx() == w && b.Dy() == h {
		if !copyOpaque(dst, bg) {
			draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
			draw.Draw(dst, dst.Bounds(), bg, b.Min, draw.Over)
		}
	} else {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		s := math.Max(float64(w)/float64(b.Dx()), float64(h)/float64(b.Dy()))
		sw, sh := min(b.Dx(), int(math.Round(float64(w)/s))), min(b.Dy(), int(math.Round(float64(h)/s)))
		x0, y0 := b.Min.X+(b.Dx()-sw)/2, b.Min.Y+(b.Dy()-sh)/2
		xdraw.BiLinear.Scale(dst, dst.Bounds(), bg, image.Rect(x0, y0, x0+sw, y0+sh), xdraw.Over, nil)
	}
	// Opaque, so premultiplied and straight colour are the same bytes.
	return &image.NRGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: dst.Rect}
}

// blendProduct writes the product over out: the photo's pixel where the
// feathered alpha is 1, a decontaminated mix on the feathered rim.
// counts/area is the feather of mask pixels; pixels outside the mask keep
// the background.
//
// On the rim the feather alone is not the pixel's coverage: an
// anti-aliased edge pixel can be mostly backdrop while its box count is
// high, and unmixing it with the feather would leave a light fringe. So
// each rim pixel's coverage is measured from its colour (coverage): how
// far it is from the backdrop relative to the most product-like pixel
// near it; the product colour is unmixed with that coverage, and drawn
// with coverage × feather.
func blendProduct(out *image.NRGBA, src *image.RGBA, m transfer.Mask, counts []int32, area int) {
	bk := [3]float32{m.Background[0] * 255, m.Background[1] * 255, m.Background[2] * 255}
	for y := range m.H {
		so, do := y*src.Stride, y*out.Stride
		for x := range m.W {
			i := y*m.W + x
			if !m.In[i] {
				continue
			}
			s := src.Pix[so+4*x : so+4*x+3 : so+4*x+3]
			d := out.Pix[do+4*x : do+4*x+3 : do+4*x+3]
			if int(counts[i]) == area {
				d[0], d[1], d[2] = s[0], s[1], s[2]
				continue
			}
			cov := coverage(src, m, x, y, bk)
			a := cov * float32(counts[i]) / float32(area)
			for c := range 3 {
				d[c] = unmix(float32(s[c]), bk[c], float32(d[c]), cov, a)
			}
		}
	}
}

// coverageRadius is how far (pixels) coverage looks for the product's
// own colour next to a rim pixel.
const coverageRadius = 2

// coverage is the share of pixel (x, y) the product covers, from its
// colour: its largest channel difference from the backdrop k over that of
// the most product-like mask pixel within coverageRadius (a two-colour
// mix scales every channel's difference alike), in [0, 1].
func coverage(src *image.RGBA, m transfer.Mask, x, y int, k [3]float32) float32 {
	diff := func(px, py int) float32 {
		o := py*src.Stride + 4*px
		var d float32
		for c := range 3 {
			d = max(d, abs32(float32(src.Pix[o+c])-k[c]))
		}
		return d
	}
	var ref float32
	for py := max(0, y-coverageRadius); py <= min(m.H-1, y+coverageRadius); py++ {
		for px := max(0, x-coverageRadius); px <= min(m.W-1, x+coverageRadius); px++ {
			if m.In[py*m.W+px] {
				ref = max(ref, diff(px, py))
			}
		}
	}
	if ref < 1 {
		return 1 // a product of the backdrop's colour: nothing to measure
	}
	return min(1, diff(x, y)/ref)
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// unmix takes the backdrop k out of the photo's pixel p at coverage cov
// (p = cov·f + (1−cov)·k, solved for the product's colour f, clamped to
// the 8-bit range) and mixes f over the new background g at alpha a: so a
// rim pixel that was part white backdrop shows the new background there,
// not white.
func unmix(p, k, g, cov, a float32) uint8 {
	f := p
	if cov > 0.05 {
		f = (p - (1-cov)*k) / cov
	}
	f = min(max(f, 0), 255)
	return uint8(a*f + (1-a)*g + 0.5)
}
