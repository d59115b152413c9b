// Package imaging converts between Go images and the float32 tensors the
// models use, and holds the small image utilities shared by the synthetic
// world, the recommender and the GAN.
//
// Tensor layout is CHW (channel, row, column), RGB, values in [0,1].
// Transparent pixels are composited onto white, the catalog's background.
package imaging

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"

	"golang.org/x/image/draw"
)

// Tensor is an RGB image as float32 CHW values in [0,1].
type Tensor struct {
	H, W int
	Pix  []float32 // len 3·H·W: all of R, then G, then B
}

// NewTensor returns a white h×w tensor.
func NewTensor(h, w int) Tensor {
	t := Tensor{H: h, W: w, Pix: make([]float32, 3*h*w)}
	for i := range t.Pix {
		t.Pix[i] = 1
	}
	return t
}

// At returns channel c at row y, column x.
func (t Tensor) At(c, y, x int) float32 { return t.Pix[(c*t.H+y)*t.W+x] }

// RGB returns the three channels of pixel (x, y).
func (t Tensor) RGB(x, y int) (r, g, b float32) {
	i, n := y*t.W+x, t.H*t.W
	return t.Pix[i], t.Pix[n+i], t.Pix[2*n+i]
}

// FromImage converts img to a tensor of the same size.
func FromImage(img image.Image) Tensor {
	b := img.Bounds()
	t := Tensor{H: b.Dy(), W: b.Dx(), Pix: make([]float32, 3*b.Dx()*b.Dy())}
	fill(t, img)
	return t
}

// fill writes img, of t's size, into t.
func fill(t Tensor, img image.Image) {
	b := img.Bounds()
	var pix []uint8
	stride := 0
	switch m := img.(type) { // decoded PNGs and our own images: read bytes
	case *image.NRGBA:
		pix, stride = m.Pix, m.Stride
	case *image.RGBA:
		pix, stride = m.Pix, m.Stride
	}
	n := t.H * t.W
	for y := 0; y < t.H; y++ {
		for x := 0; x < t.W; x++ {
			if pix != nil {
				// An opaque pixel reads the same in both layouts, and
				// gives what RGBA() would: v·0x101/0xffff.
				o := y*stride + 4*x
				if pix[o+3] == 0xff {
					i := y*t.W + x
					t.Pix[i] = float32(uint32(pix[o])*0x101) / 0xffff
					t.Pix[n+i] = float32(uint32(pix[o+1])*0x101) / 0xffff
					t.Pix[2*n+i] = float32(uint32(pix[o+2])*0x101) / 0xffff
					continue
				}
			}
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Premultiplied colour over a white background.
			white := float32(0xffff-a) / 0xffff
			i := y*t.W + x
			t.Pix[i] = float32(r)/0xffff + white
			t.Pix[n+i] = float32(g)/0xffff + white
			t.Pix[2*n+i] = float32(bl)/0xffff + white
		}
	}
}

// FromImageSize converts img to a size×size tensor, resizing with a
// Catmull-Rom filter when its size differs.
func FromImageSize(img image.Image, size int) Tensor {
	b := img.Bounds()
	if b.Dx() == size && b.Dy() == size {
		return FromImage(img)
	}
	return FromImage(Resize(img, size, size))
}

// FromImageSizeInto is FromImageSize writing into dst (3·size·size floats)
// instead of a new tensor: loading a catalog of thousands of images then
// allocates, and faults in, no memory per image beyond the decoder's.
func FromImageSizeInto(dst []float32, img image.Image, size int) error {
	if len(dst) != 3*size*size {
		return fmt.Errorf("imaging: %d floats for a %d px image, want %d", len(dst), size, 3*size*size)
	}
	if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
		img = Resize(img, size, size)
	}
	fill(Tensor{H: size, W: size, Pix: dst}, img)
	return nil
}

// Image converts the tensor to an 8-bit image, clamping values to [0,1].
func (t Tensor) Image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, t.W, t.H))
	n := t.H * t.W
	for i := 0; i < n; i++ {
		img.Pix[4*i] = to8(t.Pix[i])
		img.Pix[4*i+1] = to8(t.Pix[n+i])
		img.Pix[4*i+2] = to8(t.Pix[2*n+i])
		img.Pix[4*i+3] = 0xff
	}
	return img
}

func to8(v float32) uint8 {
	if v <= 0 || math.IsNaN(float64(v)) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// Resize scales img to w×h with a Catmull-Rom filter, on white.
func Resize(img image.Image, w, h int) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Over, nil)
	return dst
}

// WritePNG encodes img as PNG to w.
func WritePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

// ReadFile decodes the image file at path (PNG; JPEG and WebP where their
// decoders are registered by the program).
func ReadFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return img, nil
}

// Grid lays tiles out in rows of cols, with a pad-pixel white gutter.
func Grid(tiles []image.Image, cols, pad int) *image.NRGBA {
	if len(tiles) == 0 || cols <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	tw, th := tiles[0].Bounds().Dx(), tiles[0].Bounds().Dy()
	rows := (len(tiles) + cols - 1) / cols
	out := image.NewNRGBA(image.Rect(0, 0, cols*(tw+pad)+pad, rows*(th+pad)+pad))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, t := range tiles {
		x, y := pad+(i%cols)*(tw+pad), pad+(i/cols)*(th+pad)
		draw.Draw(out, image.Rect(x, y, x+tw, y+th), t, t.Bounds().Min, draw.Over)
	}
	return out
}

// Shrink returns t scaled down by the whole factor f: each output pixel
// is the mean of an f×f block (area averaging, the right filter for a
// large reduction); rows and columns past the last whole block are
// dropped. f ≤ 1 returns t.
func Shrink(t Tensor, f int) Tensor {
	if f <= 1 {
		return t
	}
	w, h := t.W/f, t.H/f
	out := Tensor{H: h, W: w, Pix: make([]float32, 3*w*h)}
	inv := 1 / float32(f*f)
	for c := 0; c < 3; c++ {
		src := t.Pix[c*t.H*t.W : (c+1)*t.H*t.W]
		dst := out.Pix[c*h*w : (c+1)*h*w]
		for y := 0; y < h; y++ {
			for dy := 0; dy < f; dy++ {
				row := src[(y*f+dy)*t.W:]
				for x := 0; x < w; x++ {
					var s float32
					for _, v := range row[x*f : x*f+f] {
						s += v
					}
					dst[y*w+x] += s
				}
			}
			for x := 0; x < w; x++ {
				dst[y*w+x] *= inv
			}
		}
	}
	return out
}
