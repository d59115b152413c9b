package backdrop

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/colour"
)

func TestLibrary(t *testing.T) {
	lib := Library()
	if len(lib) < 60 {
		t.Fatalf("library has %d scenes, want at least 60", len(lib))
	}
	ids := map[string]bool{}
	kinds := map[Kind]int{}
	for _, s := range lib {
		if ids[s.ID] {
			t.Errorf("duplicate ID %s", s.ID)
		}
		ids[s.ID] = true
		kinds[s.Kind]++
		cap := s.Caption()
		main := colour.Name(s.Main())
		if !strings.Contains(cap, main.Name) || !strings.Contains(cap, string(s.Kind)) || !strings.Contains(cap, s.Tone) {
			t.Errorf("%s: caption %q lacks its colour %q, kind or tone", s.ID, cap, main.Name)
		}
		if n := strings.Count(" "+strings.ReplaceAll(cap, ",", " ")+" ", " "+string(s.Kind)+" "); n != 1 {
			t.Errorf("%s: caption %q names its kind %d times", s.ID, cap, n)
		}
		if f := s.Fields(); f.Kind != string(s.Kind) || f.Families[0] != main.Family || len(f.Colours) != len(s.Colours) {
			t.Errorf("%s: fields %+v", s.ID, f)
		}
	}
	for _, k := range Kinds() {
		if kinds[k] < 3 {
			t.Errorf("kind %s has %d scenes, want several", k, kinds[k])
		}
	}
	if a, b := Library(), Library(); a[17].ID != b[17].ID || a[17].Caption() != b[17].Caption() {
		t.Error("Library differs between calls")
	}
}

// TestRenderOnAnyProcs: the pixels do not depend on how many goroutines
// draw them (200 px: several bands of rows).
func TestRenderOnAnyProcs(t *testing.T) {
	for _, s := range Library() {
		if !bytes.Equal(s.RenderOn(200, 1).Pix, s.RenderOn(200, 3).Pix) {
			t.Errorf("%s: one goroutine and three draw different pixels", s.ID)
		}
	}
}

func TestRenderDeterministicAndTone(t *testing.T) {
	const size = 64
	lum := map[string][]float64{}
	for _, s := range Library() {
		img := s.Render(size)
		if img.Bounds() != image.Rect(0, 0, size, size) {
			t.Fatalf("%s: bounds %v", s.ID, img.Bounds())
		}
		if !bytes.Equal(img.Pix, s.Render(size).Pix) {
			t.Errorf("%s: two renders differ", s.ID)
		}
		lum[s.Tone] = append(lum[s.Tone], meanLuminance(img))
	}
	light, mid, dark := mean(lum[Light]), mean(lum[Mid]), mean(lum[Dark])
	if !(light > mid && mid > dark) {
		t.Errorf("mean luminance light %.3f, mid %.3f, dark %.3f: want decreasing", light, mid, dark)
	}
	if maxOf(lum[Dark]) >= minOf(lum[Light]) {
		t.Errorf("a dark scene (%.3f) is as bright as a light one (%.3f)", maxOf(lum[Dark]), minOf(lum[Light]))
	}
}

func TestRenderSizes(t *testing.T) {
	s := Library()[0]
	for _, n := range []int{0, 1, 3, 200} {
		if got := s.Render(n).Bounds().Dx(); got != max(n, 1) {
			t.Errorf("Render(%d) is %d wide", n, got)
		}
	}
}

func TestMoodRule(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want []string
		not  []string
	}{
		{"linen-natural-01", []string{"natural", "soft", "warm"}, []string{"bold", "dark"}},
		{"marble-nero-03", []string{"dark", "elegant", "bold"}, []string{"warm", "soft"}},
		{"geometric-memphis-03", []string{"playful", "warm"}, []string{"dark"}},
		{"studio-cool-grey-02", []string{"soft", "calm"}, []string{"natural", "warm"}},
		{"tiles-cobalt-04", []string{"cool", "bold", "playful"}, nil},
	} {
		s := find(t, tc.id)
		for _, m := range tc.want {
			if !contains(s.Moods, m) {
				t.Errorf("%s: moods %v lack %s", tc.id, s.Moods, m)
			}
		}
		for _, m := range tc.not {
			if contains(s.Moods, m) {
				t.Errorf("%s: moods %v have %s", tc.id, s.Moods, m)
			}
		}
	}
}

func BenchmarkRender1024(b *testing.B) {
	for _, k := range Kinds() {
		s := firstOf(k)
		b.Run(strings.Fields(string(k))[0], func(b *testing.B) {
			for b.Loop() {
				s.Render(1024)
			}
		})
	}
}

func find(t *testing.T, id string) Spec {
	t.Helper()
	for _, s := range Library() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no scene %s", id)
	return Spec{}
}

func firstOf(k Kind) Spec {
	for _, s := range Library() {
		if s.Kind == k {
			return s
		}
	}
	return Spec{}
}

func contains(list []string, w string) bool {
	for _, x := range list {
		if x == w {
			return true
		}
	}
	return false
}

func meanLuminance(img *image.NRGBA) float64 {
	sum := 0.0
	for i := 0; i < len(img.Pix); i += 4 {
		c := colour.RGB{R: float64(img.Pix[i]) / 255, G: float64(img.Pix[i+1]) / 255, B: float64(img.Pix[i+2]) / 255}
		sum += c.Luminance()
	}
	return sum / float64(len(img.Pix)/4)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}
