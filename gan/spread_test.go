package gan

import (
	"errors"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
)

func TestGoldenSectionFindsTheLeastValue(t *testing.T) {
	for _, want := range []float64{0.5, 0.73, 1.234, 2} {
		tries := 0
		x, fx, err := goldenSection(0.5, 2, 0.01, func(x float64) (float64, error) {
			tries++
			return (x - want) * (x - want), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(x-want) > 0.01 || fx != (x-want)*(x-want) {
			t.Errorf("least value of (x − %v)² on [0.5, 2]: x = %v, f = %v", want, x, fx)
		}
		if n := goldenTries(0.5, 2, 0.01); tries != n {
			t.Errorf("%d evaluations, goldenTries says %d", tries, n)
		}
	}
	boom := errors.New("boom")
	if _, _, err := goldenSection(0.5, 2, 0.01, func(float64) (float64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("error of f: got %v", err)
	}
}

// onePointPrior is one component at the standardised centre a of blobs
// with an isotropic spread sd.
func onePointPrior(d int, sd float32) (*Prior, []float64) {
	_, a, _ := blobs(0, d, 0, 0, nil)
	p := &Prior{ZDim: d, Weights: []float64{1}, Means: make([]float32, d), Chol: make([]float32, d*d)}
	for i := range d {
		p.Means[i] = float32(a[i])
		p.Chol[i*d+i] = sd
	}
	return p, a
}

func TestPriorSpreadScalesDeviations(t *testing.T) {
	const d, n = 8, 2000
	p, a := onePointPrior(d, 0.05)
	meanDist := func(spread float64) (float64, []float32) {
		p.Spread = spread
		z := p.Sample(rand.New(rand.NewSource(3)), n)
		var s float64
		for i := 0; i < n; i++ {
			s += dist(z[i*d:(i+1)*d], a) / n
		}
		return s, z
	}
	_, z0 := meanDist(0)
	d1, z1 := meanDist(1)
	d3, _ := meanDist(3)
	if !slices.Equal(z0, z1) {
		t.Error("spread 0 (unset) draws other latents than spread 1")
	}
	if r := d3 / d1; r < 2.5 || r > 3.2 {
		t.Errorf("spread 3 puts samples %.2f× as far from the mean as spread 1 (%.4f vs %.4f), want about 3", r, d3, d1)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		p.Spread = bad
		if err := p.Validate(); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("spread %v: Validate says %v", bad, err)
		}
	}
}

func TestCalibrateSpreadRecoversTheSpreadOfTheData(t *testing.T) {
	const d, truth = 8, 1.6
	m := tinyModels(t)
	p, _ := onePointPrior(d, 0.3)
	p.Weights, p.Means, p.Chol = append(p.Weights, 1), append(p.Means, p.Means...), append(p.Chol, p.Chol...)
	for i := d; i < 2*d; i++ {
		p.Means[i] = -p.Means[i] // a second component, opposite the first
	}
	p.Weights = []float64{0.5, 0.5}
	m.Prior = p

	// The "catalog" is G's own samples at spread 1.6, on other draws.
	p.Spread = truth
	data, err := m.G.Generate(t.Context(), p.Sample(rand.New(rand.NewSource(11)), 800), 64)
	if err != nil {
		t.Fatal(err)
	}
	p.Spread = 1
	rep, err := CalibrateSpread(t.Context(), m, tensorSet(data), SpreadConfig{Samples: 800, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.Spread-truth) > 0.2 {
		t.Errorf("calibrated spread %.3f, the data were drawn at %v", rep.Spread, truth)
	}
	if m.Prior.Spread != rep.Spread {
		t.Errorf("prior spread %v after calibrating to %v", m.Prior.Spread, rep.Spread)
	}
	if !(rep.Distance < rep.AtOne) || rep.Tries != goldenTries(0.5, 2, 0.01)+1 {
		t.Errorf("report %+v: want a distance below the one at 1, and %d tries", rep, goldenTries(0.5, 2, 0.01)+1)
	}
}

func TestCalibrateSpreadRefusesWhatItCannotUse(t *testing.T) {
	m := tinyModels(t)
	data := newSquares(4, 16, 1)
	if _, err := CalibrateSpread(t.Context(), m, data, SpreadConfig{}, nil); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Errorf("no prior: %v", err)
	}
	m.Prior, _ = onePointPrior(8, 0.3)
	for _, cfg := range []SpreadConfig{{Min: 2, Max: 1}, {Min: -1, Max: 1}, {Samples: 1}, {Tol: -1}} {
		if _, err := CalibrateSpread(t.Context(), m, data, cfg, nil); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("config %+v: %v", cfg, err)
		}
	}
	m.E = nil
	if _, err := CalibrateSpread(t.Context(), m, data, SpreadConfig{}, nil); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Errorf("no encoder: %v", err)
	}
}

// tinyModels is an untrained 16 px generator and encoder with 8-dim
// latents.
func tinyModels(t *testing.T) *Models {
	t.Helper()
	enc, err := NewEncoder(EncoderConfig{Size: 16, Widths: []int{8, 16}, ZDim: 8}, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	g := tinyGAN(t, 1)
	return &Models{G: g.GEMA, D: g.D, E: enc}
}
