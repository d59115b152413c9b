package transfer

import (
	"math"

	"github.com/atelier-app/atelier/internal/imaging"
)

// The bilateral grid of the Guided method: gridXY cells across the model's
// view in each direction, gridZ luminance bins. Each node holds a 4×3
// affine colour transform M, out = [r g b 1]·M. Cells of 2 model pixels
// follow the variant's local changes (a recoloured pocket or sole stays
// where the variant put it); 8 luminance bins tell a stripe from the
// ground between them.
//
// Fine cells alone would soften the photo: a node sees few pixels, often
// a narrow range of colours across an edge or inside a pattern, and the
// least-squares gains fitted there are ill-posed, free to take whatever
// value the generator's soft images suggest; a gain below 1 flattens the
// photo's edges and texture. lambda is a ridge toward the product's
// transform: along each colour direction a node keeps its own gain only
// where its pixels' spread in that direction, times their number,
// outweighs lambda, and its offset (the constant term, which every pixel
// supports) only where it saw more than about lambda pixels. So a node
// follows a local shift of colour freely but changes the photo's local
// contrast only where its pixels show it clearly. Grid and lambda were
// chosen together on a tuning set of photos and pairs apart from the
// evaluation's (docs/redesign.md): a finer grid follows the change more
// closely (edit consistency), a stronger pull keeps more of the photo's
// crispness.
const (
	gridXY = 32
	gridZ  = 8
	// lambda pulls each node's transform toward the whole product's
	// transform, in units of model pixels.
	lambda = 1.0
	// identityWeight pulls the global transform toward the identity, for
	// products of one flat colour whose transform is otherwise
	// underdetermined.
	identityWeight = 1e-3
)

// affine is a 4×3 colour transform, row-major: out_c = Σ_k v_k·m[k·3+c].
type affine [12]float64

// stats are the least-squares sums of a node: Σw·v·vᵀ and Σw·v·oᵀ.
type stats struct {
	vv [16]float64
	vo [12]float64
}

func (s *stats) add(w float64, v [4]float64, o [3]float64) {
	for a := range 4 {
		for b := range 4 {
			s.vv[a*4+b] += w * v[a] * v[b]
		}
		for c := range 3 {
			s.vo[a*3+c] += w * v[a] * o[c]
		}
	}
}

func (s *stats) addScaled(t *stats, w float64) {
	for i := range s.vv {
		s.vv[i] += w * t.vv[i]
	}
	for i := range s.vo {
		s.vo[i] += w * t.vo[i]
	}
}

// solve returns M minimising ‖V·M − O‖² + reg·‖M − prior‖².
func (s *stats) solve(reg float64, prior affine) affine {
	var a [4][7]float64
	for r := range 4 {
		for c := range 4 {
			a[r][c] = s.vv[r*4+c]
		}
		a[r][r] += reg
		for c := range 3 {
			a[r][4+c] = s.vo[r*3+c] + reg*prior[r*3+c]
		}
	}
	for col := range 4 {
		p := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		if a[col][col] == 0 {
			return prior
		}
		for r := range 4 {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for c := col; c < 7; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	var m affine
	for r := range 4 {
		for c := range 3 {
			m[r*3+c] = a[r][4+c] / a[r][r]
		}
	}
	return m
}

var identity = affine{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}

// grid holds the fitted transforms, node (x, y, z) at ((y·gridXY)+x)·gridZ+z.
type grid struct {
	n     int // the model view's side
	nodes []affine
}

func node(x, y, z int) int { return (y*gridXY+x)*gridZ + z }

// luma is the guide: Rec. 601 luminance.
func luma(r, g, b float32) float32 { return 0.299*r + 0.587*g + 0.114*b }

// fitGrid fits the transforms that map in to out over the product pixels
// (in and out at model size).
func fitGrid(in, out imaging.Tensor, mask []bool) grid {
	n := in.W
	plane := n * n
	nodes := make([]stats, gridXY*gridXY*gridZ)
	var global stats
	cell := float64(n) / gridXY
	for y := range n {
		fy, y0, y1 := gridPos(float64(y), cell, gridXY)
		for x := range n {
			i := y*n + x
			if !mask[i] {
				continue
			}
			r, g, b := in.Pix[i], in.Pix[plane+i], in.Pix[2*plane+i]
			v := [4]float64{float64(r), float64(g), float64(b), 1}
			o := [3]float64{float64(out.Pix[i]), float64(out.Pix[plane+i]), float64(out.Pix[2*plane+i])}
			global.add(1, v, o)
			fx, x0, x1 := gridPos(float64(x), cell, gridXY)
			fz, z0, z1 := lumaPos(luma(r, g, b))
			for _, cy := range [2]struct {
				i int
				w float64
			}{{y0, 1 - fy}, {y1, fy}} {
				for _, cx := range [2]struct {
					i int
					w float64
				}{{x0, 1 - fx}, {x1, fx}} {
					nodes[node(cx.i, cy.i, z0)].add(cx.w*cy.w*(1-fz), v, o)
					nodes[node(cx.i, cy.i, z1)].add(cx.w*cy.w*fz, v, o)
				}
			}
		}
	}
	nodes = blurStats(nodes)
	prior := global.solve(identityWeight*global.vv[15]+1e-6, identity)
	g := grid{n: n, nodes: make([]affine, len(nodes))}
	for k := range nodes {
		g.nodes[k] = nodes[k].solve(lambda, prior)
	}
	return g
}

// gridPos is the position of sample p (cell samples a cell) between grid
// nodes: the node below, the node above and the weight of the one above.
func gridPos(p, cell float64, nodes int) (w float64, lo, hi int) {
	u := (p+0.5)/cell - 0.5
	u = math.Max(0, math.Min(float64(nodes-1), u))
	lo = int(u)
	return u - float64(lo), lo, min(lo+1, nodes-1)
}

// lumaBins is lumaPos in float32, for the per-pixel loop.
func lumaBins(l float32) (lo, hi int, w float32) {
	u := min(float32(gridZ-1), max(0, l*gridZ-0.5))
	lo = int(u)
	return lo, min(lo+1, gridZ-1), u - float32(lo)
}

func lumaPos(l float32) (w float64, lo, hi int) {
	return gridPos(float64(l)*gridZ, 1, gridZ)
}

// blurStats smooths the sums over neighbouring nodes ([1 2 1] along each
// axis), so that transforms change gradually across the grid.
func blurStats(s []stats) []stats {
	for _, step := range [3][3]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} {
		next := make([]stats, len(s))
		for y := range gridXY {
			for x := range gridXY {
				for z := range gridZ {
					k := node(x, y, z)
					next[k].addScaled(&s[k], 0.5)
					for _, d := range [2]int{-1, 1} {
						nx, ny, nz := x+d*step[0], y+d*step[1], z+d*step[2]
						if nx < 0 || ny < 0 || nz < 0 || nx >= gridXY || ny >= gridXY || nz >= gridZ {
							nx, ny, nz = x, y, z // the edge repeats
						}
						next[k].addScaled(&s[node(nx, ny, nz)], 0.25)
					}
				}
			}
		}
		s = next
	}
	return s
}

// apply transforms every product pixel of the photo into out by the grid's
// transform at its place in the frame and its luminance (trilinear).
func (g grid) apply(p *Photo, out imaging.Tensor) {
	w, h := out.W, out.H
	plane := w * h
	cellPx := float64(p.Frame.Side) / gridXY
	xs := make([]struct {
		lo, hi int
		w      float32
	}, w)
	for x := range xs {
		f, lo, hi := gridPos(float64(x-p.Frame.X0), cellPx, gridXY)
		xs[x].lo, xs[x].hi, xs[x].w = lo, hi, float32(f)
	}
	// row holds the transforms interpolated to the current row, as
	// float32 for the per-pixel work: [x][z][12].
	row := make([]float32, gridXY*gridZ*12)
	src := p.Pix.Pix
	for y := range h {
		fy, y0, y1 := gridPos(float64(y-p.Frame.Y0), cellPx, gridXY)
		g.interpolateRow(row, y0, y1, fy)
		for x := range w {
			i := y*w + x
			r, gg, b := src[i], src[plane+i], src[2*plane+i]
			if !p.Mask.In[i] {
				out.Pix[i], out.Pix[plane+i], out.Pix[2*plane+i] = r, gg, b
				continue
			}
			z0, z1, wz := lumaBins(luma(r, gg, b))
			cx := xs[x]
			a00 := row[(cx.lo*gridZ+z0)*12 : (cx.lo*gridZ+z0)*12+12]
			a01 := row[(cx.lo*gridZ+z1)*12 : (cx.lo*gridZ+z1)*12+12]
			a10 := row[(cx.hi*gridZ+z0)*12 : (cx.hi*gridZ+z0)*12+12]
			a11 := row[(cx.hi*gridZ+z1)*12 : (cx.hi*gridZ+z1)*12+12]
			w00, w01 := (1-cx.w)*(1-wz), (1-cx.w)*wz
			w10, w11 := cx.w*(1-wz), cx.w*wz
			var m [12]float32
			for k := range m {
				m[k] = w00*a00[k] + w01*a01[k] + w10*a10[k] + w11*a11[k]
			}
			out.Pix[i] = clamp01(r*m[0] + gg*m[3] + b*m[6] + m[9])
			out.Pix[plane+i] = clamp01(r*m[1] + gg*m[4] + b*m[7] + m[10])
			out.Pix[2*plane+i] = clamp01(r*m[2] + gg*m[5] + b*m[8] + m[11])
		}
	}
}

func (g grid) interpolateRow(row []float32, y0, y1 int, fy float64) {
	for x := range gridXY {
		for z := range gridZ {
			lo, hi := &g.nodes[node(x, y0, z)], &g.nodes[node(x, y1, z)]
			dst := row[(x*gridZ+z)*12:]
			for k := range 12 {
				dst[k] = float32(lo[k]*(1-fy) + hi[k]*fy)
			}
		}
	}
}

// applyModel transforms a model-size image whose product pixels are mask
// by the grid, for the fit's residual.
func (g grid) applyModel(in imaging.Tensor, mask []bool) imaging.Tensor {
	n := in.W
	p := &Photo{Pix: in, Mask: Mask{W: n, H: n, In: mask}, Frame: Frame{Side: n}}
	out := imaging.Tensor{H: n, W: n, Pix: make([]float32, len(in.Pix))}
	g.apply(p, out)
	return out
}
