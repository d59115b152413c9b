package transfer

import (
	"slices"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// BackgroundTolerance is how far (largest channel difference, in [0,1]) a
// pixel may be from the background colour and still be background: above
// JPEG noise on a plain backdrop, below a pale product's difference from it.
const BackgroundTolerance = 0.08

// minProductShare is the smallest share of the photo a product may cover:
// below it the photo is taken to show no product.
const minProductShare = 0.002

// Mask is the product region of a photo: In[y·W+x] is true for product
// pixels.
type Mask struct {
	W, H int
	In   []bool
	// Background is the backdrop's colour (RGB in [0,1]), the median of the
	// photo's border pixels.
	Background [3]float32
	// Box is the product's bounding box, in pixels: [X0, X1) × [Y0, Y1).
	X0, Y0, X1, Y1 int
}

// Count is the number of product pixels.
func (m Mask) Count() int {
	n := 0
	for _, in := range m.In {
		if in {
			n++
		}
	}
	return n
}

// ProductMask finds the product in a photo of a product on a plain
// backdrop: the backdrop's colour is the median of the border pixels; the
// background is the pixels within BackgroundTolerance of it that connect
// to the border (so pale parts inside the product stay product), and the
// deep enclosed areas of that colour (holes such as the space inside a
// handle, see openHoles); specks much smaller than the largest product
// part are dropped. A photo with
// (almost) no product is a KindInvalid error.
func ProductMask(t imaging.Tensor) (Mask, error) {
	m := Mask{W: t.W, H: t.H, In: make([]bool, t.W*t.H), Background: borderMedian(t)}
	if t.W < 3 || t.H < 3 {
		return m, atelier.Errorf(atelier.KindInvalid, "a %dx%d photo is too small to find a product in", t.W, t.H)
	}
	bg := backgroundLike(t, m.Background)
	outside := connectedToBorder(bg, t.W, t.H)
	for i := range m.In {
		m.In[i] = !outside[i]
	}
	dropSpecks(m.In, t.W, t.H)
	// Holes are enclosed, so opening them leaves the box as it is.
	m.X0, m.Y0, m.X1, m.Y1 = box(m.In, t.W, t.H)
	openHoles(m, bg)
	if float64(m.Count()) < minProductShare*float64(t.W*t.H) {
		return m, atelier.Errorf(atelier.KindInvalid,
			"no product found: the photo is all backdrop (a product on a plain background is needed)")
	}
	return m, nil
}

// borderMedian is the per-channel median of the outermost pixels.
func borderMedian(t imaging.Tensor) [3]float32 {
	var out [3]float32
	n := t.W * t.H
	for c := range 3 {
		var vals []float32
		plane := t.Pix[c*n : (c+1)*n]
		for x := 0; x < t.W; x++ {
			vals = append(vals, plane[x], plane[(t.H-1)*t.W+x])
		}
		for y := 1; y < t.H-1; y++ {
			vals = append(vals, plane[y*t.W], plane[y*t.W+t.W-1])
		}
		slices.Sort(vals)
		out[c] = vals[len(vals)/2]
	}
	return out
}

func backgroundLike(t imaging.Tensor, bg [3]float32) []bool {
	n := t.W * t.H
	out := make([]bool, n)
	for i := range out {
		d := float32(0)
		for c := range 3 {
			v := t.Pix[c*n+i] - bg[c]
			if v < 0 {
				v = -v
			}
			d = max(d, v)
		}
		out[i] = d <= BackgroundTolerance
	}
	return out
}

// connectedToBorder marks the pixels of like that a 4-connected path of
// like pixels joins to the image border.
func connectedToBorder(like []bool, w, h int) []bool {
	seen := make([]bool, len(like))
	stack := make([]int32, 0, 2*(w+h))
	push := func(i int) {
		if like[i] && !seen[i] {
			seen[i] = true
			stack = append(stack, int32(i))
		}
	}
	for x := 0; x < w; x++ {
		push(x)
		push((h-1)*w + x)
	}
	for y := 0; y < h; y++ {
		push(y * w)
		push(y*w + w - 1)
	}
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		if x > 0 {
			push(i - 1)
		}
		if x < w-1 {
			push(i + 1)
		}
		if y > 0 {
			push(i - w)
		}
		if y < h-1 {
			push(i + w)
		}
	}
	return seen
}

// dropSpecks removes the 4-connected parts of in smaller than a
// fiftieth of the largest one (dust, compression noise), keeping products
// of several parts such as a pair of shoes.
func dropSpecks(in []bool, w, h int) {
	label := make([]int32, len(in))
	var sizes []int
	stack := []int32{}
	for start := range in {
		if !in[start] || label[start] != 0 {
			continue
		}
		id := int32(len(sizes) + 1)
		size := 0
		label[start] = id
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				switch {
				case j == i-1 && x == 0, j == i+1 && x == w-1, j == i-w && y == 0, j == i+w && y == h-1:
					continue
				}
				if in[j] && label[j] == 0 {
					label[j] = id
					stack = append(stack, int32(j))
				}
			}
		}
		sizes = append(sizes, size)
	}
	if len(sizes) < 2 {
		return
	}
	keep := max(slices.Max(sizes)/50, 1)
	for i, l := range label {
		if l != 0 && sizes[l-1] < keep {
			in[i] = false
		}
	}
}

// holeDepth is how deep, as a share of the product's longer side, an
// enclosed backdrop-coloured area must be (the distance from its middle
// to its edge) to be a hole through the product rather than part of it.
const holeDepth = 0.06

// openHoles gives back to the background the enclosed backdrop-coloured
// areas that are holes: the space inside a handbag's handle is backdrop
// seen through the product, while a white stripe, collar or piping is
// part of it. The difference is thickness: a hole is deep (its middle
// lies holeDepth of the product's size from any product pixel), a stripe
// is thin.
func openHoles(m Mask, bg []bool) {
	in, w, h := m.In, m.W, m.H
	if m.X1 <= m.X0 {
		return
	}
	minDepth := holeDepth * float64(max(m.X1-m.X0, m.Y1-m.Y0))
	enclosed := make([]bool, len(in))
	for i := range in {
		enclosed[i] = in[i] && bg[i]
	}
	depth := chamferDistance(enclosed, w, h)
	label := make([]int32, len(in))
	var stack []int32
	var id int32
	for start := range in {
		if !enclosed[start] || label[start] != 0 {
			continue
		}
		id++
		label[start] = id
		stack = append(stack[:0], int32(start))
		var members []int32
		deepest := float32(0)
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			members = append(members, int32(i))
			deepest = max(deepest, depth[i])
			x, y := i%w, i/w
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				switch {
				case j == i-1 && x == 0, j == i+1 && x == w-1, j == i-w && y == 0, j == i+w && y == h-1:
					continue
				}
				if enclosed[j] && label[j] == 0 {
					label[j] = id
					stack = append(stack, int32(j))
				}
			}
		}
		if float64(deepest) >= minDepth {
			for _, i := range members {
				in[i] = false
			}
		}
	}
}

// chamferDistance is, for each pixel of region, an approximate Euclidean
// distance (3-4 chamfer, in pixels) to the nearest pixel outside it.
func chamferDistance(region []bool, w, h int) []float32 {
	const inf = float32(1 << 30)
	d := make([]float32, len(region))
	for i, r := range region {
		if r {
			d[i] = inf
		}
	}
	relax := func(i, j int, cost float32) {
		if d[j]+cost < d[i] {
			d[i] = d[j] + cost
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			if d[i] == 0 {
				continue
			}
			if x > 0 {
				relax(i, i-1, 1)
			}
			if y > 0 {
				relax(i, i-w, 1)
				if x > 0 {
					relax(i, i-w-1, 1.4142)
				}
				if x < w-1 {
					relax(i, i-w+1, 1.4142)
				}
			}
		}
	}
	for y := h - 1; y >= 0; y-- {
		for x := w - 1; x >= 0; x-- {
			i := y*w + x
			if d[i] == 0 {
				continue
			}
			if x < w-1 {
				relax(i, i+1, 1)
			}
			if y < h-1 {
				relax(i, i+w, 1)
				if x < w-1 {
					relax(i, i+w+1, 1.4142)
				}
				if x > 0 {
					relax(i, i+w-1, 1.4142)
				}
			}
		}
	}
	return d
}

func box(in []bool, w, h int) (x0, y0, x1, y1 int) {
	x0, y0, x1, y1 = w, h, 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if in[y*w+x] {
				x0, x1 = min(x0, x), max(x1, x+1)
				y0, y1 = min(y0, y), max(y1, y+1)
			}
		}
	}
	return x0, y0, x1, y1
}
