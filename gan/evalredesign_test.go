package gan

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/atelier-app/atelier/internal/imaging"
)

// colourOracle is the colour scorer's own preference, θ · mean colour,
// computed outside any graph.
func colourOracle(theta []float32) func(imaging.Tensor) float64 {
	return func(t imaging.Tensor) float64 {
		n := len(t.Pix) / 3
		var u float64
		for c := range 3 {
			var s float64
			for _, v := range t.Pix[c*n : (c+1)*n] {
				s += float64(v)
			}
			u += float64(theta[c]) * s / float64(n)
		}
		return u
	}
}

func redesignEvalFixture(t *testing.T) (*Models, *Realism, []RedesignPair, RedesignEvalConfig) {
	t.Helper()
	m := tinyModels64(t, 1)
	r := tinyRealism(t, m)
	r.Threshold = math.Inf(-1) // untrained D: check everything else
	items := newSquares(3, m.Size(), 9)
	tastes := [][]float32{redTaste, {-1, 0, 1}, {0, 1, 0}}
	var pairs []RedesignPair
	for i, th := range tastes {
		pairs = append(pairs, RedesignPair{Image: items[i], Theta: th, Size: []int{1, 5}[i%2], Oracle: colourOracle(th)})
	}
	clock := time.Unix(0, 0)
	cfg := RedesignEvalConfig{N: 3, Steps: 8, Seed: 1, Invert: InvertConfig{Steps: 2}, Epsilon: 1,
		Fidelity: FidelityConfig{MinSSIM: -1, MaxPerceptual: 100},
		Now:      func() time.Time { clock = clock.Add(time.Second); return clock }}
	return m, r, pairs, cfg
}

func TestEvaluateRedesign(t *testing.T) {
	m, r, pairs, cfg := redesignEvalFixture(t)
	rep, err := EvaluateRedesign(t.Context(), m, newColourScorer(t, m.Size()), r, pairs, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pairs != 3 || len(rep.Methods) != 3 {
		t.Fatalf("report %+v", rep)
	}
	for _, name := range []string{MethodGIS, MethodRandomShift, MethodPreferenceMax} {
		mr, ok := rep.Methods[name]
		if !ok {
			t.Fatalf("no %s in %+v", name, rep.Methods)
		}
		if mr.RealismPass != 1 || mr.CategoryConsistency < 0 || mr.CategoryConsistency > 1 || mr.SecondsPerJob <= 0 || mr.PassedFrac <= 0 {
			t.Errorf("%s: %+v", name, mr)
		}
	}
	gis, rnd := rep.Methods[MethodGIS], rep.Methods[MethodRandomShift]
	// Random shifts are the same draws unoptimised: on these tiny models
	// either may rank higher, but they must not be the same shifts.
	if !(gis.PredUplift > 0) || gis.PredUplift == rnd.PredUplift {
		t.Errorf("gis predicted uplift %v, random shifts %v", gis.PredUplift, rnd.PredUplift)
	}
	// The oracle is the scorer's own preference here, so a method's oracle
	// uplift is its predicted one.
	for name, mr := range rep.Methods {
		if math.Abs(mr.OracleUplift-mr.PredUplift) > 1e-4 {
			t.Errorf("%s: oracle uplift %v, predicted %v", name, mr.OracleUplift, mr.PredUplift)
		}
	}
	if len(rep.BySegmentSize) != 2 || rep.BySegmentSize[0].Size != 1 || rep.BySegmentSize[0].Pairs != 2 || rep.BySegmentSize[1].Pairs != 1 {
		t.Errorf("by segment size %+v", rep.BySegmentSize)
	}

	// The same seed gives the same report.
	m2, r2, pairs2, cfg2 := redesignEvalFixture(t)
	rep2, err := EvaluateRedesign(t.Context(), m2, newColourScorer(t, m.Size()), r2, pairs2, cfg2, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rep)
	b, _ := json.Marshal(rep2)
	if string(a) != string(b) {
		t.Errorf("not deterministic:\n%s\n%s", a, b)
	}
}

func TestEvaluateRedesignErrors(t *testing.T) {
	m, r, pairs, cfg := redesignEvalFixture(t)
	s := newColourScorer(t, m.Size())
	noOracle := append([]RedesignPair(nil), pairs...)
	noOracle[0].Oracle = nil
	badN := cfg
	badN.N = 100
	for _, tc := range []struct {
		name  string
		r     *Realism
		pairs []RedesignPair
		cfg   RedesignEvalConfig
	}{
		{"no pairs", r, nil, cfg},
		{"no realism", nil, pairs, cfg},
		{"no oracle", r, noOracle, cfg},
		{"bad n", r, pairs, badN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := EvaluateRedesign(t.Context(), m, s, tc.r, tc.pairs, tc.cfg, nil); err == nil {
				t.Error("no error")
			}
		})
	}
}
