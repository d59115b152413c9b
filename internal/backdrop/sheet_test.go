package backdrop

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/atelier-app/atelier/internal/imaging"
)

// TestContactSheet writes every scene at 128 px, labelled with its ID, to
// $ATELIER_BACKDROP_SHEET/backdrops.png, and one scene per kind at 1024 px
// beside it, for a person to look at.
func TestContactSheet(t *testing.T) {
	dir := os.Getenv("ATELIER_BACKDROP_SHEET")
	if dir == "" {
		t.Skip("set ATELIER_BACKDROP_SHEET=/some/dir to write a contact sheet of the library")
	}
	var tiles []image.Image
	for _, s := range Library() {
		tiles = append(tiles, labelled(s.Render(128), s.ID))
	}
	writePNG(t, filepath.Join(dir, "backdrops.png"), imaging.Grid(tiles, 8, 4))
	for _, k := range Kinds() {
		s := firstOf(k)
		writePNG(t, filepath.Join(dir, s.ID+".png"), s.Render(1024))
	}
}

// labelled is img with a strip below it carrying text.
func labelled(img *image.NRGBA, text string) image.Image {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+14))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, b, img, image.Point{}, draw.Src)
	d := font.Drawer{Dst: out, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13,
		Dot: fixed.P(1, b.Dy()+11)}
	d.DrawString(text)
	return out
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := imaging.WritePNG(f, img); err != nil {
		t.Fatal(err)
	}
}
