package watermark

import (
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/atelier-app/atelier/internal/imaging"
)

// Threshold is the detection score at and above which an image counts as
// marked. For an unmarked image the score is a sum of independent fair ±1
// chips weighted by numbers computed from the image alone, normalised to
// unit variance, so by Hoeffding's inequality P(score ≥ t) ≤ exp(−t²/2)
// whatever the image: at most 1.5·10⁻⁸ at 6.
const Threshold = 6.0

// Weighting of the cells in the score (see correlate).
const (
	scaleFraction = 0.5       // of the median neighbourhood RMS, added to every cell's
	scaleFloor    = 1.0 / 255 // least added scale: one 8-bit level
)

// Verify reports whether img carries the invisible mark of key, and its
// detection score (about N(0,1) for unmarked images, well above Threshold
// for marked ones). Images smaller than Grid×Grid, or of one flat colour,
// score 0.
func Verify(img image.Image, key string) (present bool, score float64) {
	b := img.Bounds()
	if b.Dx() < Grid || b.Dy() < Grid || key == "" {
		return false, 0
	}
	s := correlate(residual(cellLumaImage(img)), pattern(key))
	return s >= Threshold, s
}

// Score returns the detection score of key's mark in t (see Verify).
func Score(t imaging.Tensor, key string) float64 {
	if t.H < Grid || t.W < Grid || len(t.Pix) != 3*t.H*t.W || key == "" {
		return 0
	}
	return correlate(residual(cellLuma(t)), pattern(key))
}

// localRMS returns for every cell the RMS of the residuals in its 3×3
// neighbourhood, without the cell itself when excludeSelf.
func localRMS(r []float64, excludeSelf bool) []float64 {
	s := make([]float64, len(r))
	for y := 0; y < Grid; y++ {
		for x := 0; x < Grid; x++ {
			var sum float64
			var n int
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if (excludeSelf && dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= Grid || yy >= Grid {
						continue
					}
					v := r[yy*Grid+xx]
					sum += v * v
					n++
				}
			}
			s[y*Grid+x] = math.Sqrt(sum / float64(n))
		}
	}
	return s
}

// correlate returns the score Σ uᵢpᵢ / √(Σ uᵢ²) of the chips p under the
// residuals r, with uᵢ = sign(rᵢ) / (sᵢ + ε): sᵢ is the RMS of the
// residuals of the cell's eight neighbours and ε = max(½·median(s), one
// 8-bit level). The sign keeps a cell's vote from growing with the image's
// own contrast (item edges and fabric patterns dwarf the chips), and the
// weight trusts cells in flat surroundings, where the residual is mostly
// the chip, over cells in texture, where it is mostly the image.
func correlate(r, p []float64) float64 {
	s := localRMS(r, true)
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	eps := max(scaleFraction*sorted[len(sorted)/2], scaleFloor)
	var num, den float64
	for i, v := range r {
		if v == 0 {
			continue
		}
		u := 1 / (s[i] + eps)
		if v < 0 {
			u = -u
		}
		num += u * p[i]
		den += u * u
	}
	if den == 0 {
		return 0
	}
	return num / math.Sqrt(den)
}

// residual subtracts from every cell the mean of its (up to 8) neighbours:
// a high-pass that removes the smooth part of the image and keeps the
// chips, which are independent from cell to cell.
func residual(cells []float64) []float64 {
	r := make([]float64, len(cells))
	for y := 0; y < Grid; y++ {
		for x := 0; x < Grid; x++ {
			var sum float64
			var n int
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if (dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= Grid || yy >= Grid {
						continue
					}
					sum += cells[yy*Grid+xx]
					n++
				}
			}
			r[y*Grid+x] = cells[y*Grid+x] - sum/float64(n)
		}
	}
	return r
}

// cellLuma returns the mean BT.601 luma of each grid cell of t, with
// pixels that straddle a cell boundary split by area, so that any
// resampling of the image gives nearly the same cells.
func cellLuma(t imaging.Tensor) []float64 {
	n := t.H * t.W
	return cellMeans(t.W, t.H, func(y int, dst []float64) {
		for x := range dst {
			i := y*t.W + x
			dst[x] = luma(t.Pix[i], t.Pix[n+i], t.Pix[2*n+i])
		}
	})
}

// cellLumaImage returns cellLuma(imaging.FromImage(img)), without holding a
// float copy of what may be a large photo.
func cellLumaImage(img image.Image) []float64 {
	b := img.Bounds()
	return cellMeans(b.Dx(), b.Dy(), func(y int, dst []float64) {
		y += b.Min.Y
		switch im := img.(type) {
		case *image.NRGBA: // what imaging writes and image/png decodes
			for x := range dst {
				p := im.Pix[im.PixOffset(b.Min.X+x, y):]
				dst[x] = lumaOverWhite(color.NRGBA{p[0], p[1], p[2], p[3]}.RGBA())
			}
		case *image.RGBA:
			for x := range dst {
				p := im.Pix[im.PixOffset(b.Min.X+x, y):]
				dst[x] = lumaOverWhite(color.RGBA{p[0], p[1], p[2], p[3]}.RGBA())
			}
		default:
			for x := range dst {
				dst[x] = lumaOverWhite(img.At(b.Min.X+x, y).RGBA())
			}
		}
	})
}

// lumaOverWhite composites a premultiplied colour over white, exactly as
// imaging.FromImage does (in float32), and returns its luma.
func lumaOverWhite(r, g, b, a uint32) float64 {
	white := float32(0xffff-a) / 0xffff
	return luma(float32(r)/0xffff+white, float32(g)/0xffff+white, float32(b)/0xffff+white)
}

func luma(r, g, b float32) float64 {
	return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
}

// cellMeans averages a w×h plane, given one row at a time, over the grid.
func cellMeans(w, h int, row func(y int, dst []float64)) []float64 {
	rx, ry := areaWeights(w), areaWeights(h)
	line := make([]float64, w)
	sums := make([]float64, Grid) // one image row, summed into column cells
	cells := make([]float64, Grid*Grid)
	for y := 0; y < h; y++ {
		row(y, line)
		clear(sums)
		for x, l := range line {
			for _, s := range rx[x] {
				sums[s.cell] += s.w * l
			}
		}
		for _, s := range ry[y] {
			out := cells[s.cell*Grid : (s.cell+1)*Grid]
			for j, v := range sums {
				out[j] += s.w * v
			}
		}
	}
	return cells
}

// share is the part w of a pixel that falls in a cell, as a fraction of
// the cell's size, so that shares into a cell sum to 1.
type share struct {
	cell int
	w    float64
}

// areaWeights splits pixels 0..size−1 (pixel i spans [i, i+1)) over Grid
// cells of size/Grid pixels each.
func areaWeights(size int) [][]share {
	out := make([][]share, size)
	// A pixel spans at most two cells when cells are at least a pixel
	// wide, so one backing array serves all pixels.
	all := make([]share, 0, 2*size)
	cellSize := float64(size) / Grid
	for i := range out {
		lo, hi := float64(i), float64(i+1)
		start := len(all)
		for c := int(lo / cellSize); c < Grid; c++ {
			cLo, cHi := float64(c)*cellSize, float64(c+1)*cellSize
			if cLo >= hi {
				break
			}
			if overlap := math.Min(hi, cHi) - math.Max(lo, cLo); overlap > 0 {
				all = append(all, share{c, overlap / cellSize})
			}
		}
		out[i] = all[start:len(all):len(all)]
	}
	return out
}
