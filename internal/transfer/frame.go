package transfer

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// The share of the model's square view that the product's longer side
// takes in the catalog the models learned from, over the default synthetic
// world's items (TestFramingMatchesTheCatalog): from MinFill (handbags,
// drawn small) to MaxFill, Fill in the middle. A square photo whose
// product takes MinFill to MaxFill of it is framed like a catalog item and
// reaches the model whole; any other photo is cropped to a square in which
// the product takes Fill.
const (
	MinFill = 0.5
	Fill    = 0.77
	MaxFill = 0.9
)

// Frame is the square region of the photo the model sees, in photo pixels;
// it may reach past the photo's borders (the backdrop fills that part).
type Frame struct {
	X0, Y0, Side int
}

// FrameOf frames the product of m as the catalog frames its items: a
// square around the product's box, centred on it (see Fill).
func FrameOf(m Mask) Frame {
	long := max(m.X1-m.X0, m.Y1-m.Y0)
	if m.W == m.H {
		if fill := float64(long) / float64(m.W); fill >= MinFill && fill <= MaxFill {
			return Frame{0, 0, m.W}
		}
	}
	side := int(math.Ceil(float64(long) / Fill))
	cx, cy := (m.X0+m.X1)/2, (m.Y0+m.Y1)/2
	return Frame{X0: cx - side/2, Y0: cy - side/2, Side: side}
}

// ModelInput is what the model sees of the photo: the frame, the backdrop
// colour where it reaches past the photo, scaled to size×size (Catmull-Rom,
// as every model-size image is made).
func ModelInput(photo imaging.Tensor, f Frame, bg [3]float32, size int) imaging.Tensor {
	if f.X0 == 0 && f.Y0 == 0 && f.Side == photo.W && f.Side == photo.H {
		return imaging.FromImageSize(photo.Image(), size)
	}
	crop := image.NewNRGBA(image.Rect(0, 0, f.Side, f.Side))
	draw.Draw(crop, crop.Bounds(), image.NewUniform(color.NRGBA{to8(bg[0]), to8(bg[1]), to8(bg[2]), 255}), image.Point{}, draw.Src)
	src := photo.Image()
	draw.Draw(crop, src.Bounds().Add(image.Pt(-f.X0, -f.Y0)), src, image.Point{}, draw.Src)
	return imaging.FromImageSize(crop, size)
}

func to8(v float32) uint8 {
	return uint8(min(255, max(0, math.Round(float64(v)*255))))
}
