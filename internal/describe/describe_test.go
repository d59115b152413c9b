package describe

import (
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// canvas is a white size×size photo with fill(x, y) painted inside the
// square [lo, hi)².
func canvas(size, lo, hi int, fill func(x, y int) [3]float32) imaging.Tensor {
	t := imaging.NewTensor(size, size)
	n := size * size
	for y := lo; y < hi; y++ {
		for x := lo; x < hi; x++ {
			c := fill(x, y)
			i := y*size + x
			t.Pix[i], t.Pix[n+i], t.Pix[2*n+i] = c[0], c[1], c[2]
		}
	}
	return t
}

func flat(c [3]float32) func(x, y int) [3]float32 { return func(int, int) [3]float32 { return c } }

var (
	red  = [3]float32{0.85, 0.08, 0.08}
	navy = [3]float32{0.05, 0.08, 0.45}
	gold = [3]float32{0.95, 0.8, 0.1}
)

func TestDescribeHandBuilt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		photo   imaging.Tensor
		family  string
		pattern string
		size    string
	}{
		{"red square", canvas(128, 24, 104, flat(red)), "red", "solid", "large"},
		{"small navy square", canvas(200, 80, 120, flat(navy)), "blue", "solid", "small"},
		{"horizontal stripes", canvas(128, 16, 112, func(_, y int) [3]float32 {
			if y/6%2 == 0 {
				return red
			}
			return navy
		}), "", "stripes", "large"},
		{"vertical stripes", canvas(128, 16, 112, func(x, _ int) [3]float32 {
			if x/5%2 == 0 {
				return gold
			}
			return navy
		}), "", "stripes", "large"},
		{"checks", canvas(128, 16, 112, func(x, y int) [3]float32 {
			if (x/8+y/8)%2 == 0 {
				return red
			}
			return gold
		}), "", "checks", "large"},
		{"dots", canvas(128, 16, 112, func(x, y int) [3]float32 {
			dx, dy := x%12-6, y%12-6
			if dx*dx+dy*dy < 9 {
				return gold
			}
			return navy
		}), "blue", "dots", "large"},
		{"gradient", canvas(128, 16, 112, func(_, y int) [3]float32 {
			f := float32(y-16) / 96
			return [3]float32{0.9 - 0.8*f, 0.2 + 0.2*f, 0.1 + 0.8*f}
		}), "", "other", "large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Photo(tc.photo, "tshirt")
			if err != nil {
				t.Fatal(err)
			}
			if tc.family != "" && d.Colours[0].Family != tc.family {
				t.Errorf("main colour %+v, want family %s", d.Colours[0], tc.family)
			}
			if d.Pattern != tc.pattern {
				t.Errorf("pattern %s, want %s (%s)", d.Pattern, tc.pattern, d.Sentence)
			}
			if d.Size != tc.size {
				t.Errorf("size %s, want %s (coverage %.2f, span %.2f)", d.Size, tc.size, d.Coverage, d.Span)
			}
			if !strings.Contains(d.Sentence, "t-shirt") || !strings.HasPrefix(d.Sentence, "a") {
				t.Errorf("sentence %q", d.Sentence)
			}
		})
	}
}

func TestDescribeRedSquareWords(t *testing.T) {
	d, err := Photo(canvas(128, 24, 104, flat(red)), "tshirt")
	if err != nil {
		t.Fatal(err)
	}
	if d.Colours[0].Name != "crimson" && d.Colours[0].Name != "red" && d.Colours[0].Name != "firebrick" {
		t.Errorf("name %q for a red square", d.Colours[0].Name)
	}
	for _, want := range []string{"warm", "bold"} {
		if !contains(d.Moods, want) {
			t.Errorf("moods %v lack %q", d.Moods, want)
		}
	}
	t.Log(d.Sentence)
}

func TestDescribeEmptyPhoto(t *testing.T) {
	_, err := Photo(imaging.NewTensor(64, 64), "")
	if atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("blank photo: %v, want an invalid-input error", err)
	}
}

func TestDescribeLargePhotoIsScaled(t *testing.T) {
	d, err := Photo(canvas(1024, 200, 824, flat(navy)), "dress")
	if err != nil {
		t.Fatal(err)
	}
	if d.Colours[0].Family != "blue" || d.Pattern != "solid" {
		t.Errorf("%+v", d)
	}
}

func TestScene(t *testing.T) {
	d := Scene(canvas(64, 0, 64, func(_, y int) [3]float32 {
		if y/4%2 == 0 {
			return [3]float32{0.9, 0.85, 0.75}
		}
		return [3]float32{0.6, 0.45, 0.3}
	}))
	if d.Pattern != "stripes" || d.Size != "full" || !strings.Contains(d.Sentence, "backdrop") {
		t.Errorf("%+v", d)
	}
}
