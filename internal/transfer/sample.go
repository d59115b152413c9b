package transfer

import "math"

// axis maps each full-resolution pixel along one axis to the two low-res
// samples around it and the weight of the second: pixel p of the photo
// sits at (p − origin + ½)·n/side − ½ in the n-sample field that covers
// the frame [origin, origin+side).
type axis struct {
	lo, hi []int32
	w      []float32
}

func newAxis(pixels, origin, side, n int) axis {
	a := axis{lo: make([]int32, pixels), hi: make([]int32, pixels), w: make([]float32, pixels)}
	scale := float64(n) / float64(side)
	for p := range pixels {
		u := (float64(p-origin)+0.5)*scale - 0.5
		u = math.Max(0, math.Min(float64(n-1), u))
		lo := int(u)
		hi := min(lo+1, n-1)
		a.lo[p], a.hi[p], a.w[p] = int32(lo), int32(hi), float32(u-float64(lo))
	}
	return a
}

// bilinear samples plane (n×n, row-major) at the photo pixel (x, y).
func bilinear(plane []float32, n int, ax, ay axis, x, y int) float32 {
	x0, x1, wx := ax.lo[x], ax.hi[x], ax.w[x]
	y0, y1, wy := ay.lo[y], ay.hi[y], ay.w[y]
	top := plane[int(y0)*n+int(x0)]*(1-wx) + plane[int(y0)*n+int(x1)]*wx
	bot := plane[int(y1)*n+int(x0)]*(1-wx) + plane[int(y1)*n+int(x1)]*wx
	return top*(1-wy) + bot*wy
}
