package composite

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
)

// redSquare is a size×size white photo with a red square over
// [lo, hi)² and its mask.
func redSquare(t testing.TB, size, lo, hi int) (*image.NRGBA, transfer.Mask) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(lo, lo, hi, hi), image.NewUniform(color.NRGBA{R: 230, G: 20, B: 30, A: 255}), image.Point{}, draw.Src)
	m, err := transfer.ProductMask(imaging.FromImage(img))
	if err != nil {
		t.Fatal(err)
	}
	return img, m
}

func uniform(size int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

var blue = color.NRGBA{R: 40, G: 70, B: 200, A: 255}

func TestPlaceRedSquareOnBlue(t *testing.T) {
	photo, m := redSquare(t, 256, 64, 160)
	out, err := Place(photo, m, uniform(256, blue), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds() != photo.Bounds() {
		t.Fatalf("output %v, photo %v", out.Bounds(), photo.Bounds())
	}
	if got, want := out.NRGBAAt(100, 100), photo.NRGBAAt(100, 100); got != want {
		t.Errorf("inside the product: %v, want the photo's %v", got, want)
	}
	for _, p := range []image.Point{{5, 5}, {250, 30}, {100, 30}, {200, 100}} {
		if got := out.NRGBAAt(p.X, p.Y); got != blue {
			t.Errorf("background at %v: %v, want %v", p, got, blue)
		}
	}
	// The feathered rim: mixes of red and blue, never lighter than both.
	red := photo.NRGBAAt(100, 100)
	for _, p := range []image.Point{{64, 100}, {159, 100}, {100, 64}, {100, 159}} {
		c := out.NRGBAAt(p.X, p.Y)
		if lum(c) > max(lum(red), lum(blue))+1 {
			t.Errorf("rim pixel %v = %v is lighter than the product and the background: a halo", p, c)
		}
		if c == red || c == blue {
			t.Errorf("rim pixel %v = %v is not a mix", p, c)
		}
	}
	// The shadow: just below the product darker than the background, above it none.
	below, above := out.NRGBAAt(112, 162), out.NRGBAAt(112, 60)
	if lum(below) >= lum(blue)-2 {
		t.Errorf("below the product %v, want darker than the background %v", below, blue)
	}
	if above != blue {
		t.Errorf("above the product %v, want the background %v", above, blue)
	}
}

func TestPlaceKeepsEveryInnerPixel(t *testing.T) {
	photo, m := redSquare(t, 128, 30, 90)
	// Make the product textured, so a copy cannot be told from a recolour.
	for y := 40; y < 80; y++ {
		for x := 40; x < 80; x++ {
			photo.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 3), G: uint8(y * 2), B: uint8(x + y), A: 255})
		}
	}
	m, err := transfer.ProductMask(imaging.FromImage(photo))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Place(photo, m, uniform(300, blue), Options{Feather: 20})
	if err != nil {
		t.Fatal(err)
	}
	for y := 40; y < 80; y++ {
		for x := 40; x < 80; x++ {
			if out.NRGBAAt(x, y) != photo.NRGBAAt(x, y) {
				t.Fatalf("(%d,%d) = %v, photo %v", x, y, out.NRGBAAt(x, y), photo.NRGBAAt(x, y))
			}
		}
	}
}

func TestPlaceRejectsBadInput(t *testing.T) {
	photo, m := redSquare(t, 64, 20, 40)
	small, sm := redSquare(t, 32, 10, 20)
	empty := m
	empty.In = make([]bool, len(m.In))
	empty.X0, empty.Y0, empty.X1, empty.Y1 = 0, 0, 0, 0
	for name, tc := range map[string]struct {
		photo image.Image
		mask  transfer.Mask
		bg    image.Image
	}{
		"mask of another size":  {photo, sm, small},
		"photo of another size": {small, m, photo},
		"empty mask":            {photo, empty, photo},
		"empty background":      {photo, m, image.NewNRGBA(image.Rect(0, 0, 0, 0))},
		"no background":         {photo, m, nil},
	} {
		if _, err := Place(tc.photo, tc.mask, tc.bg, Options{}); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("%s: err %v, want an invalid-input error", name, err)
		}
	}
}

func TestPlaceCoversAnyBackground(t *testing.T) {
	photo, m := redSquare(t, 100, 40, 60)
	// A wide background, left half green, right half blue: covering
	// crops its middle, so both show, split about the centre.
	bg := uniform(400, blue)
	draw.Draw(bg, image.Rect(0, 0, 200, 100), image.NewUniform(color.NRGBA{G: 255, A: 255}), image.Point{}, draw.Src)
	wide := bg.SubImage(image.Rect(0, 0, 400, 100))
	out, err := Place(photo, m, wide, Options{Shadow: -1})
	if err != nil {
		t.Fatal(err)
	}
	if l, r := out.NRGBAAt(5, 5), out.NRGBAAt(95, 5); l.G != 255 || r != blue {
		t.Errorf("covered background: left %v, right %v", l, r)
	}
}

func TestProductContrast(t *testing.T) {
	photo, m := redSquare(t, 256, 64, 160)
	onBlue, _ := Place(photo, m, uniform(256, blue), Options{})
	onRed, _ := Place(photo, m, uniform(256, color.NRGBA{R: 220, G: 30, B: 40, A: 255}), Options{})
	cb, err := ProductContrast(onBlue, m)
	if err != nil {
		t.Fatal(err)
	}
	cr, _ := ProductContrast(onRed, m)
	if !(cb.DeltaE > 50 && cr.DeltaE < 15 && cb.Ratio > cr.Ratio) {
		t.Errorf("red on blue %+v, red on red %+v: want blue to stand out", cb, cr)
	}
	if _, err := ProductContrast(uniform(10, blue), m); err == nil {
		t.Error("an image of another size gave no error")
	}
}

func BenchmarkPlace1024(b *testing.B) {
	photo, m := redSquare(b, 1024, 260, 760)
	bg := uniform(1024, blue)
	for b.Loop() {
		if _, err := Place(photo, m, bg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProductContrast1024(b *testing.B) {
	photo, m := redSquare(b, 1024, 260, 760)
	out, _ := Place(photo, m, uniform(1024, blue), Options{})
	for b.Loop() {
		if _, err := ProductContrast(out, m); err != nil {
			b.Fatal(err)
		}
	}
}

func lum(c color.NRGBA) int { return (299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000 }

// TestPlaceAntiAliasedEdgeHasNoFringe places a disc drawn with
// anti-aliased edges (edge pixels part white backdrop) on black: no pixel
// may come out lighter than the product in any channel, which a white
// fringe would be.
func TestPlaceAntiAliasedEdgeHasNoFringe(t *testing.T) {
	const size = 96
	prod := color.NRGBA{170, 20, 90, 255}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			// Coverage of the pixel by a disc of radius 30, 4×4 samples.
			cov := 0.0
			for sy := range 4 {
				for sx := range 4 {
					dx, dy := float64(x)+(float64(sx)+0.5)/4-48, float64(y)+(float64(sy)+0.5)/4-48
					if dx*dx+dy*dy < 30*30 {
						cov += 1.0 / 16
					}
				}
			}
			mix := func(p uint8) uint8 { return uint8(cov*float64(p) + (1-cov)*255 + 0.5) }
			img.SetNRGBA(x, y, color.NRGBA{mix(prod.R), mix(prod.G), mix(prod.B), 255})
		}
	}
	m, err := transfer.ProductMask(imaging.FromImage(img))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Place(img, m, uniform(size, color.NRGBA{0, 0, 0, 255}), Options{Shadow: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(out.Pix); i += 4 {
		if out.Pix[i] > prod.R+2 || out.Pix[i+1] > prod.G+2 || out.Pix[i+2] > prod.B+2 {
			t.Fatalf("pixel (%d, %d) = %v is lighter than the product %v: a fringe",
				i/4%size, i/4/size, out.Pix[i:i+3], prod)
		}
	}
}
