package composite

// boxCounts is, for every pixel, how many pixels of in lie in the
// (2r+1)×(2r+1) box about it, with the image's edge pixels repeated
// beyond it (so a product cut by the photo's border is not feathered
// there). Integer running sums make a full box exactly (2r+1)², which is
// what keeps the product's inner pixels bit for bit, and cost two passes
// whatever r; the vertical pass runs along rows, for the cache.
func boxCounts(in []bool, w, h, r int) []int32 {
	rows := make([]int32, w*h)
	for y := range h {
		row, out := in[y*w:(y+1)*w], rows[y*w:(y+1)*w]
		var acc int32
		for k := -r; k <= r; k++ {
			acc += b2i(row[clamp(k, w)])
		}
		out[0] = acc
		for x := 1; x < w; x++ {
			acc += b2i(row[clamp(x+r, w)]) - b2i(row[clamp(x-r-1, w)])
			out[x] = acc
		}
	}
	out := make([]int32, w*h)
	acc := out[:w]
	for k := -r; k <= r; k++ {
		addRow(acc, rows[clamp(k, h)*w:], 1)
	}
	for y := 1; y < h; y++ {
		cur := out[y*w : (y+1)*w]
		copy(cur, out[(y-1)*w:y*w])
		addRow(cur, rows[clamp(y+r, h)*w:], 1)
		addRow(cur, rows[clamp(y-r-1, h)*w:], -1)
	}
	return out
}

// addRow adds sign·src to dst, element by element.
func addRow(dst, src []int32, sign int32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += sign * src[i]
	}
}

// clamp is i limited to [0, n).
func clamp(i, n int) int { return min(max(i, 0), n-1) }

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
