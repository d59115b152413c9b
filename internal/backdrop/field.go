package backdrop

// field is a smooth function of position sampled on a coarse grid and
// read back bilinearly: the low-frequency parts of a texture (blotches,
// the warp of marble and wood grain) cost the same at 1024 px as at 256,
// which keeps a render at 1024 px fast.
type field struct {
	g    int // grid points per side − 1
	step float64
	v    []float32
}

// fieldCells is the most grid cells per side: at 1024 px a cell is 4
// pixels, finer than the shortest wavelength a field carries.
const fieldCells = 256

// newField samples f(u, v) on a grid of at most fieldCells cells per side.
func newField(n int, f func(u, v float64) float64) field {
	g := min(n, fieldCells)
	fd := field{g: g, step: float64(n) / float64(g), v: make([]float32, (g+1)*(g+1))}
	for j := 0; j <= g; j++ {
		for i := 0; i <= g; i++ {
			fd.v[j*(g+1)+i] = float32(f(float64(i)/float64(g), float64(j)/float64(g)))
		}
	}
	return fd
}

// at is the field at pixel (x, y).
func (f field) at(x, y int) float64 {
	fx, fy := (float64(x)+0.5)/f.step, (float64(y)+0.5)/f.step
	i, j := min(int(fx), f.g-1), min(int(fy), f.g-1)
	tx, ty := fx-float64(i), fy-float64(j)
	w := f.g + 1
	a, b := float64(f.v[j*w+i]), float64(f.v[j*w+i+1])
	c, d := float64(f.v[(j+1)*w+i]), float64(f.v[(j+1)*w+i+1])
	top := a + (b-a)*tx
	return top + (c+(d-c)*tx-top)*ty
}
