package hugepage

import "testing"

func TestPageRange(t *testing.T) {
	cases := []struct{ addr, size, start, n uintptr }{
		{0x10000, 3 * pageSize, 0x10000, 3 * pageSize},   // aligned
		{0x10010, 3 * pageSize, 0x11000, 2 * pageSize},   // partial pages at both ends
		{0x10010, pageSize, 0x11000, 0},                  // no whole page
		{0x10000, pageSize - 1, 0x10000, 0},              // shorter than a page
		{0x10fff, 2*pageSize + 1, 0x11000, 2 * pageSize}, // ends on a boundary
		{0x10001, 5*pageSize - 2, 0x11000, 3 * pageSize},
	}
	for _, c := range cases {
		start, n := pageRange(c.addr, c.size)
		if start != c.start && c.n != 0 || n != c.n {
			t.Errorf("pageRange(%#x, %#x) = %#x, %#x; want %#x, %#x", c.addr, c.size, start, n, c.start, c.n)
		}
	}
}

// TestFloatsKeepsData checks that the advice leaves the buffer's contents
// as they were, for a large buffer, a small one and an empty one.
func TestFloatsKeepsData(t *testing.T) {
	for _, n := range []int{0, 3, 1 << 20} {
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = float32(i)
		}
		Floats(buf)
		for i, v := range buf {
			if v != float32(i) {
				t.Fatalf("len %d: [%d] = %v after the advice", n, i, v)
			}
		}
	}
}
