package transfer

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/imgmetric"
	"github.com/atelier-app/atelier/internal/testkit"
)

// A seller's photo that is not square, where the product does not fill
// the frame, saved as JPEG, reaches the model as the catalog shows items:
// the model's view of it is close to the same item rendered for the
// catalog, and the product stays where it was.
func TestSellerPhotosAreFramedLikeTheCatalog(t *testing.T) {
	const side = 300
	item := catalogPhotos(t, 1, side)[0]
	catalogView := catalogPhotos(t, 1, atelier.ModelSize)[0]
	for _, quality := range []int{85, 95} {
		canvas := image.NewNRGBA(image.Rect(0, 0, 800, 500))
		draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(canvas, image.Rect(420, 120, 420+side, 120+side), item.Image(), image.Point{}, draw.Src)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: quality}); err != nil {
			t.Fatal(err)
		}
		decoded, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		p := testkit.Must(Prepare(imaging.FromImage(decoded), atelier.ModelSize))(t)
		if !(p.Frame.X0 <= p.Mask.X0 && p.Frame.Y0 <= p.Mask.Y0 && p.Frame.X0+p.Frame.Side >= p.Mask.X1 && p.Frame.Y0+p.Frame.Side >= p.Mask.Y1) {
			t.Errorf("JPEG %d: frame %+v does not hold the product's box %d,%d–%d,%d", quality, p.Frame, p.Mask.X0, p.Mask.Y0, p.Mask.X1, p.Mask.Y1)
		}
		if p.Mask.X0 < 420 || p.Mask.X1 > 420+side {
			t.Errorf("JPEG %d: product found at x %d–%d, outside where it was put", quality, p.Mask.X0, p.Mask.X1)
		}
		ssim := testkit.Must(imgmetric.SSIM(p.Input, catalogView))(t)
		if ssim < 0.6 {
			t.Errorf("JPEG %d: the model's view is unlike the catalog's (SSIM %.3f)", quality, ssim)
		}
		t.Logf("JPEG %d: frame %+v, SSIM to the catalog's view %.3f", quality, p.Frame, ssim)
		out := testkit.Must(Apply(p, warmer(p), Guided))(t)
		if bg := BackgroundChanged(out, p); bg != 0 {
			t.Errorf("JPEG %d: %.4f of the background changed", quality, bg)
		}
	}
}
