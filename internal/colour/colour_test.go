package colour

import "testing"

func TestNameAndFamily(t *testing.T) {
	for _, tc := range []struct {
		c            RGB
		name, family string
	}{
		{RGB{1, 0, 0}, "red", "red"},
		{RGB{0.9, 0.05, 0.05}, "red", "red"},
		{RGB{0, 0, 0.5}, "navy", "blue"},
		{RGB{0.5, 0.5, 0.5}, "gray", "grey"},
		{RGB{1, 1, 1}, "white", "white"},
		{RGB{0.02, 0.02, 0.02}, "black", "black"},
		{RGB{0.96, 0.96, 0.86}, "beige", "white"}, // the name's beige is almost white
		{RGB{0.82, 0.71, 0.55}, "tan", "beige"},
		{RGB{0.55, 0.27, 0.07}, "saddle brown", "brown"},
		{RGB{1, 0.75, 0.8}, "pink", "pink"},
		{RGB{0.5, 0, 0.5}, "purple", "purple"},
		{RGB{0.13, 0.55, 0.13}, "forest green", "green"},
		{RGB{1, 0.65, 0}, "orange", "orange"},
		{RGB{1, 1, 0}, "yellow", "yellow"},
	} {
		got := Name(tc.c)
		if got.Name != tc.name || got.Family != tc.family {
			t.Errorf("Name(%v) = %q/%q, want %q/%q", tc.c, got.Name, got.Family, tc.name, tc.family)
		}
	}
}

func TestLabRoundTrip(t *testing.T) {
	for _, c := range []RGB{{0.1, 0.5, 0.9}, {1, 1, 1}, {0, 0, 0}, {0.8, 0.2, 0.3}} {
		back := c.Lab().RGB()
		if d := c.Lab().Dist(back.Lab()); d > 1e-3 {
			t.Errorf("%v → %v: Lab distance %g", c, back, d)
		}
	}
	if d := (RGB{1, 1, 1}).Lab(); d.L < 99.99 || d.L > 100.01 {
		t.Errorf("white L = %g", d.L)
	}
}

func TestContrast(t *testing.T) {
	if c := Contrast(RGB{1, 1, 1}, RGB{0, 0, 0}); c < 20.99 || c > 21.01 {
		t.Errorf("white/black contrast = %g, want 21", c)
	}
	if c := Contrast(RGB{0.3, 0.3, 0.3}, RGB{0.3, 0.3, 0.3}); c != 1 {
		t.Errorf("equal colours' contrast = %g, want 1", c)
	}
}

func TestHex(t *testing.T) {
	if h := (RGB{1, 0.5, 0}).Hex(); h != "#ff8000" {
		t.Errorf("Hex = %s", h)
	}
}
