package imaging

import (
	"math"
	"testing"
)

func TestHSV(t *testing.T) {
	for _, c := range []struct{ r, g, b, h, s, v float64 }{
		{1, 0, 0, 0, 1, 1},
		{0, 1, 0, 120, 1, 1},
		{0, 0, 1, 240, 1, 1},
		{1, 0.5, 0, 30, 1, 1},
		{1, 0, 0.5, 330, 1, 1},
		{0.5, 0.5, 0.5, 0, 0, 0.5},
		{0, 0, 0, 0, 0, 0},
		{0.5, 0.25, 0.25, 0, 0.5, 0.5},
	} {
		h, s, v := HSV(c.r, c.g, c.b)
		if math.Abs(h-c.h) > 1e-9 || math.Abs(s-c.s) > 1e-9 || math.Abs(v-c.v) > 1e-9 {
			t.Errorf("HSV(%v, %v, %v) = %v, %v, %v; want %v, %v, %v", c.r, c.g, c.b, h, s, v, c.h, c.s, c.v)
		}
	}
}
