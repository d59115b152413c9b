package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"slices"
	"testing"
)

func TestTensorRoundTrip(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	img.Set(2, 1, color.NRGBA{10, 128, 250, 255})
	img.Set(1, 0, color.NRGBA{0, 0, 0, 0}) // transparent: becomes white
	tn := FromImage(img)
	if r, g, b := tn.RGB(0, 0); r != 1 || g != 0 || b != 0 {
		t.Fatalf("red pixel = %v %v %v", r, g, b)
	}
	if r, g, b := tn.RGB(1, 0); r != 1 || g != 1 || b != 1 {
		t.Fatalf("transparent pixel = %v %v %v, want white", r, g, b)
	}
	back := tn.Image()
	if got := back.NRGBAAt(2, 1); got != (color.NRGBA{10, 128, 250, 255}) {
		t.Fatalf("round trip = %v", got)
	}
	if got := back.NRGBAAt(1, 0); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Fatalf("transparent round trip = %v", got)
	}
}

func TestResizeKeepsFlatColour(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 40, 90, 200, 255
	}
	tn := FromImageSize(img, 64)
	if tn.H != 64 || tn.W != 64 {
		t.Fatalf("size %dx%d", tn.W, tn.H)
	}
	r, g, b := tn.RGB(31, 17)
	if d := r - 40.0/255; d > 1e-3 || d < -1e-3 || g < 0.35 || b < 0.78 {
		t.Fatalf("colour drifted: %v %v %v", r, g, b)
	}
}

func TestWritePNGAndGrid(t *testing.T) {
	tile := NewTensor(4, 4).Image()
	g := Grid([]image.Image{tile, tile, tile}, 2, 1)
	if g.Bounds().Dx() != 2*5+1 || g.Bounds().Dy() != 2*5+1 {
		t.Fatalf("grid bounds %v", g.Bounds())
	}
	var buf bytes.Buffer
	if err := WritePNG(&buf, g); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
}

// TestFromImageFastPath checks that reading NRGBA and RGBA bytes directly
// gives what the generic path gives, opaque and translucent pixels alike.
func TestFromImageFastPath(t *testing.T) {
	n := image.NewNRGBA(image.Rect(3, 5, 20, 17))
	r := image.NewRGBA(n.Rect)
	for i := range n.Pix {
		n.Pix[i] = uint8(i * 37)
		r.Pix[i] = uint8(i * 53)
	}
	for i := 3; i < len(n.Pix); i += 4 {
		if i%12 != 3 {
			n.Pix[i], r.Pix[i] = 0xff, 0xff
		}
		r.Pix[i-1], r.Pix[i-2], r.Pix[i-3] = min(r.Pix[i-1], r.Pix[i]), min(r.Pix[i-2], r.Pix[i]), min(r.Pix[i-3], r.Pix[i])
	}
	for _, img := range []image.Image{n, r} {
		fast := FromImage(img)
		slow := FromImage(struct{ image.Image }{img}) // hides the type: generic path
		for i := range fast.Pix {
			if fast.Pix[i] != slow.Pix[i] {
				t.Fatalf("%T: value %d is %v, generic path %v", img, i, fast.Pix[i], slow.Pix[i])
			}
		}
	}
}

func TestShrink(t *testing.T) {
	src := NewTensor(5, 7)
	for i := range src.Pix {
		src.Pix[i] = float32(i % 11)
	}
	got := Shrink(src, 2)
	if got.W != 3 || got.H != 2 {
		t.Fatalf("size %dx%d, want 3x2", got.W, got.H)
	}
	// Channel 1, output (1, 1): the mean of rows 2-3, columns 2-3.
	var want float32
	for _, y := range []int{2, 3} {
		for _, x := range []int{2, 3} {
			want += src.At(1, y, x) / 4
		}
	}
	if v := got.At(1, 1, 1); v != want {
		t.Errorf("value %v, want %v", v, want)
	}
	if same := Shrink(src, 1); &same.Pix[0] != &src.Pix[0] {
		t.Error("factor 1 copied the tensor")
	}
}

// TestFromImageSizeInto checks that writing into a buffer gives what
// FromImageSize returns, at the image's own size and resized, and that a
// buffer of the wrong length is refused.
func TestFromImageSizeInto(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for _, size := range []int{12, 5} {
		want := FromImageSize(img, size)
		got := make([]float32, 3*size*size)
		if err := FromImageSizeInto(got, img, size); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want.Pix) {
			t.Errorf("size %d: differs from FromImageSize", size)
		}
	}
	if err := FromImageSizeInto(make([]float32, 10), img, 5); err == nil {
		t.Error("a 10-float buffer for a 5 px image was accepted")
	}
}
