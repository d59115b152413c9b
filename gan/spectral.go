package gan

import (
	"math"
	"math/rand"

	"github.com/atelier-app/atelier/internal/nn"
)

// spectralNorm keeps a layer weight at spectral norm γ (Miyato et al.,
// "Spectral Normalization for GANs", 2018, with a fixed gain as in Zhai et
// al.'s σReparam, 2023): the optimiser updates a raw weight V, and the
// layer computes with
//
//	W = γ · V / σ(V),   σ(V) ≈ uᵀ V v
//
// where u and v estimate V's leading singular vectors by power iteration,
// one iteration per training step (u persists between steps). Viewing V as
// a (rows × cols) matrix (rows = output channels):
//
//	v = Vᵀu / ‖Vᵀu‖,  σ = ‖Vᵀu‖ (= uᵀ V v)
//	u ← V v / ‖V v‖   (the power step)
//
// It bounds the discriminator's Lipschitz constant layer by layer; gradient
// penalties (R1, WGAN-GP) would need second derivatives, which the graph
// does not have. With γ = 1 the bound is so tight that the discriminator's
// logits stay near zero and it learns colour (a weaker signal than an
// item's silhouette) several times slower than an unconstrained one, and
// the generator's colours collapse to grey; γ = 2 per layer learned about
// as fast as no normalisation on a colour test while keeping a bound.
//
// The normalisation lives outside the graph so that several graphs (one
// per worker) share W without racing on u: sync writes W from (V, u)
// before the graphs run, and vGrad turns the graphs' summed dL/dW into
// dL/dV, treating u and v as constants as the reference implementation
// does:
//
//	dL/dV = (γ/σ) · (dL/dW − (⟨dL/dW, W⟩/γ) · u vᵀ)
type spectralNorm struct {
	W     nn.Param // what the layer binds; derived, never saved
	V     nn.Param // raw weight: name <W>_orig
	U     nn.Param // left singular vector estimate (rows): name <W>_u
	rows  int
	cols  int
	v     []float64
	sigma float64
	gain  float64
}

// newSpectralNorm wraps the layer weight w (already initialised): V starts
// as a copy of w and u as a random unit vector.
func newSpectralNorm(w nn.Param, gain float64, rng *rand.Rand) *spectralNorm {
	shape := w.Shape()
	rows := shape[0]
	s := &spectralNorm{
		W:    w,
		V:    nn.NewParam(w.Name+"_orig", shape...),
		U:    nn.NewParam(w.Name+"_u", rows),
		rows: rows,
		cols: w.Value.Size() / rows,
		v:    make([]float64, w.Value.Size()/rows),
		gain: gain,
	}
	copy(s.V.Data(), w.Data())
	u := s.U.Data()
	for i := range u {
		u[i] = float32(rng.NormFloat64())
	}
	normalize32(u)
	s.sync()
	return s
}

// powerStep improves u by one power iteration on the current V.
func (s *spectralNorm) powerStep() {
	s.rightVector()
	vw, u := s.V.Data(), s.U.Data()
	for r := 0; r < s.rows; r++ {
		var a float64
		row := vw[r*s.cols : (r+1)*s.cols]
		for c, x := range row {
			a += float64(x) * s.v[c]
		}
		u[r] = float32(a)
	}
	normalize32(u)
}

// rightVector sets v = Vᵀu / ‖Vᵀu‖ and σ = ‖Vᵀu‖.
func (s *spectralNorm) rightVector() {
	vw, u := s.V.Data(), s.U.Data()
	clear(s.v)
	for r := 0; r < s.rows; r++ {
		ur := float64(u[r])
		for c, x := range vw[r*s.cols : (r+1)*s.cols] {
			s.v[c] += ur * float64(x)
		}
	}
	var n float64
	for _, x := range s.v {
		n += x * x
	}
	n = math.Sqrt(n)
	if n < 1e-12 {
		n = 1e-12
	}
	for c := range s.v {
		s.v[c] /= n
	}
	s.sigma = n
}

// sync writes W = γV/σ from the current V and u (u unchanged), so a model
// loaded from a checkpoint computes exactly what the saved one did.
func (s *spectralNorm) sync() {
	s.rightVector()
	inv := float32(s.gain / s.sigma)
	w := s.W.Data()
	for i, x := range s.V.Data() {
		w[i] = x * inv
	}
}

// vGrad writes dL/dV into dst given gw = dL/dW (as of the last sync).
func (s *spectralNorm) vGrad(dst, gw []float32) {
	w, u := s.W.Data(), s.U.Data()
	var dot float64
	for i, g := range gw {
		dot += float64(g) * float64(w[i])
	}
	inv := s.gain / s.sigma
	dot /= s.gain
	for r := 0; r < s.rows; r++ {
		ur := dot * float64(u[r])
		for c := 0; c < s.cols; c++ {
			i := r*s.cols + c
			dst[i] = float32((float64(gw[i]) - ur*s.v[c]) * inv)
		}
	}
}

func normalize32(x []float32) {
	var n float64
	for _, v := range x {
		n += float64(v) * float64(v)
	}
	n = math.Sqrt(n)
	if n < 1e-12 {
		x[0], n = 1, 1
	}
	for i := range x {
		x[i] = float32(float64(x[i]) / n)
	}
}
