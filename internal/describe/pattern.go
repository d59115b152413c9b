package describe

import (
	"math"

	"github.com/atelier-app/atelier/internal/colour"
)

const (
	// MinPatternRate is the least share of neighbour pairs, along x or y,
	// whose labels differ for the second colour to be a pattern rather
	// than blocks (the coarsest pattern, a period of a fifth of the product
	// at WorkSize, changes label about once in 20 pairs).
	MinPatternRate = 0.02
	// BlendShare is the share of pixels far from both main colours above
	// which the two are a blend (a gradient, a print), not two inks.
	BlendShare = 0.3
	// MinDotBlobs is the fewest separate blobs of a colour that read as a
	// pattern of dots or checks rather than a trim.
	MinDotBlobs = 6
)

// pattern reads the pattern of the region off its main colours (see the
// package doc). When the second colour is dots on a ground of the first
// or the other way round, it also says which one is the ground (0 or 1):
// the ground is the product's colour, whatever its share.
func pattern(labs []colour.Lab, region []bool, w, h int, cs []cluster) (p string, ground int) {
	if len(cs) < 2 {
		if spread(labs, region, cs) > BlendShare {
			return "other", 0
		}
		return "solid", 0
	}
	a, b := cs[0].centre, cs[1].centre
	gap := a.Dist(b)
	label := make([]int8, len(region)) // 0 outside, 1 main, 2 second
	n, blend := 0, 0
	for i, in := range region {
		if !in {
			continue
		}
		da, db := labs[i].Dist(a), labs[i].Dist(b)
		n++
		if min(da, db) > gap/3 {
			blend++
		}
		if da <= db {
			label[i] = 1
		} else {
			label[i] = 2
		}
	}
	if float64(blend) > BlendShare*float64(n) {
		return "other", 0
	}
	tx, ty := changeRates(label, w, h)
	if tx < MinPatternRate && ty < MinPatternRate {
		if spread(labs, region, cs) > BlendShare {
			return "other", 0
		}
		return "solid", 0
	}
	if tx < (tx+ty)/4 || ty < (tx+ty)/4 {
		return "stripes", 0
	}
	// Checks are islands of both colours (same-coloured squares meet only
	// at corners); dots are islands of one colour on a connected ground.
	b1, b2 := blobs(label, w, h, 1), blobs(label, w, h, 2)
	switch {
	case b1 >= MinDotBlobs && b2 >= MinDotBlobs:
		return "checks", 0
	case b2 >= MinDotBlobs:
		return "dots", 0
	case b1 >= MinDotBlobs:
		return "dots", 1
	}
	return "solid", 0
}

// spread is the share of the region's pixels farther than half
// MergeDistance from every main colour: flat inks (a body and its trims)
// leave only their edges and seams that far, a blend most of its pixels.
func spread(labs []colour.Lab, region []bool, cs []cluster) float64 {
	n, far := 0, 0
	for i, in := range region {
		if !in {
			continue
		}
		n++
		d := math.Inf(1)
		for _, c := range cs {
			d = math.Min(d, labs[i].Dist(c.centre))
		}
		if d > MergeDistance/2 {
			far++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(far) / float64(n)
}

// changeRates is the share of labelled horizontal (tx) and vertical (ty)
// neighbour pairs whose labels differ.
func changeRates(label []int8, w, h int) (tx, ty float64) {
	var cx, nx, cy, ny int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if label[i] == 0 {
				continue
			}
			if x+1 < w && label[i+1] != 0 {
				nx++
				if label[i+1] != label[i] {
					cx++
				}
			}
			if y+1 < h && label[i+w] != 0 {
				ny++
				if label[i+w] != label[i] {
					cy++
				}
			}
		}
	}
	if nx > 0 {
		tx = float64(cx) / float64(nx)
	}
	if ny > 0 {
		ty = float64(cy) / float64(ny)
	}
	return tx, ty
}

// blobs counts the 4-connected components of colour which (1 or 2) that
// are more than a speck (4 pixels).
func blobs(label []int8, w, h int, which int8) int {
	seen := make([]bool, len(label))
	stack := []int{}
	count := 0
	for start, l := range label {
		if l != which || seen[start] {
			continue
		}
		size := 0
		stack = append(stack[:0], start)
		seen[start] = true
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				if (j == i-1 && x == 0) || (j == i+1 && x == w-1) || (j < 0) || (j >= w*h) || (y == 0 && j == i-w) {
					continue
				}
				if label[j] == which && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		if size > 4 {
			count++
		}
	}
	return count
}
