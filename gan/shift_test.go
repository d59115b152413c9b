package gan

import (
	"context"
	"errors"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

func TestShiftStaysWithinEpsilonDistinctAndRaisesPreference(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	z := SampleZ(rand.New(rand.NewSource(2)), 1, m.ZDim())
	cfg := ShiftConfig{N: 4, Epsilon: 0.4, Steps: 25, Seed: 3}
	sh, err := Shift(t.Context(), m, s, z, redTaste, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.K) != 4 || len(sh.Images) != 4 || len(sh.Curve) != 26 {
		t.Fatalf("got %d shifts, %d images, %d curve points", len(sh.K), len(sh.Images), len(sh.Curve))
	}
	for i, k := range sh.K {
		for _, v := range k {
			if v < -0.4 || v > 0.4 {
				t.Fatalf("shift %d has element %v outside ±0.4", i, v)
			}
		}
	}
	for i := range sh.Images {
		for j := range i {
			if d := maxAbsDiff(sh.Images[i], sh.Images[j]); d < 1e-3 {
				t.Errorf("variants %d and %d are equal (max difference %g)", i, j, d)
			}
		}
	}
	first, last := sh.Curve[0].Preference, sh.Curve[len(sh.Curve)-1].Preference
	if !(last > first) {
		t.Errorf("segment preference did not rise: step 0 %.5f, last %.5f", first, last)
	}
	t.Logf("preference %.5f -> %.5f, class loss %.3f -> %.3f", first, last, sh.Curve[0].ClassLoss, sh.Curve[len(sh.Curve)-1].ClassLoss)

	// The random-shift baseline is the same draw, unoptimised.
	rnd, err := RandomShift(t.Context(), m, s, z, redTaste, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rnd.Curve) != 1 || rnd.Curve[0].Preference != first {
		t.Fatalf("random shifts: %d curve points, preference %v; want the initial draw's %v", len(rnd.Curve), rnd.Curve[0].Preference, first)
	}
}

func TestShiftCancelStopsWithinOneStep(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	z := SampleZ(rand.New(rand.NewSource(2)), 1, m.ZDim())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var steps []int
	prog := progress.Func(func(u progress.Update) {
		steps = append(steps, u.Step)
		if u.Step == 2 {
			cancel()
		}
	})
	_, err := Shift(ctx, m, s, z, redTaste, ShiftConfig{N: 2, Steps: 50}, prog)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if last := steps[len(steps)-1]; last > 3 {
		t.Errorf("ran to step %d after cancelling at step 2", last)
	}
}

func TestShiftRejectsBadInput(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	z := SampleZ(rand.New(rand.NewSource(2)), 1, m.ZDim())
	for name, tc := range map[string]struct {
		z, theta []float32
		cfg      ShiftConfig
	}{
		"short z":        {z: z[:3], theta: redTaste},
		"theta dim":      {z: z, theta: []float32{1}},
		"too many":       {z: z, theta: redTaste, cfg: ShiftConfig{N: 65}},
		"negative eps":   {z: z, theta: redTaste, cfg: ShiftConfig{Epsilon: -1}},
		"negative steps": {z: z, theta: redTaste, cfg: ShiftConfig{Steps: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Shift(t.Context(), m, s, tc.z, tc.theta, tc.cfg, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestShiftObjectiveGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const n, zd = 3, 4
	logits, kHat, k := randParam("l", rng, n, n), randParam("kh", rng, n, zd), randParam("k", rng, n, zd)
	prefs := randParam("p", rng, n)
	for name, x := range map[string]nn.Param{"logits": logits, "kHat": kHat, "k": k, "prefs": prefs} {
		t.Run(name, func(t *testing.T) {
			checkGrad(t, x, func(g *nn.Graph, xn *G.Node) *G.Node {
				in := map[string]*G.Node{}
				for nm, p := range map[string]nn.Param{"logits": logits, "kHat": kHat, "k": k, "prefs": prefs} {
					if nm == name {
						in[nm] = xn
					} else {
						in[nm] = g.Const(nm, p.Data(), p.Shape()...)
					}
				}
				return shiftObjective(g, in["logits"], in["kHat"], in["k"], in["prefs"], 0.1, 1)
			}, 2e-2)
		})
	}
	t.Run("rowDot", func(t *testing.T) {
		f := randParam("f", rng, n, 3)
		checkGrad(t, f, func(g *nn.Graph, x *G.Node) *G.Node { return rowDot(g, x, redTaste) }, 1e-2)
	})
}

// Keep's terms hold the variants to the base category and to what D takes
// for real, against a taste that pulls away from both.
func TestShiftKeepHoldsCategoryAndRealism(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	r := tinyRealism(t, m)
	z := SampleZ(rand.New(rand.NewSource(2)), 1, m.ZDim())
	run := func(keep *Keep) *Shifts {
		t.Helper()
		sh, err := Shift(t.Context(), m, s, z, redTaste, ShiftConfig{N: 4, Epsilon: 2, Steps: 30, LR: 0.05, Seed: 3, Keep: keep}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	// Blueness: mean blue minus mean red, what the colour scorer's
	// category "blue" (index 2) and the red taste pull apart.
	blueness := func(sh *Shifts) float64 {
		var b float64
		for _, im := range sh.Images {
			n := len(im.Pix) / 3
			for i := 0; i < n; i++ {
				b += float64(im.Pix[2*n+i]-im.Pix[i]) / float64(n*len(sh.Images))
			}
		}
		return b
	}
	free, kept := run(nil), run(&Keep{Category: 2, CategoryWeight: 20})
	if !(blueness(kept) > blueness(free)) {
		t.Errorf("keeping category blue: blueness %.4f, without %.4f", blueness(kept), blueness(free))
	}
	realKept := run(&Keep{Category: -1, Refs: r.Refs, RealismWeight: 20})
	dFree, err := r.Score(t.Context(), m.D, free.Images)
	if err != nil {
		t.Fatal(err)
	}
	dKept, err := r.Score(t.Context(), m.D, realKept.Images)
	if err != nil {
		t.Fatal(err)
	}
	if !(mean64(dKept) > mean64(dFree)) {
		t.Errorf("keeping realism: mean D %.4f, without %.4f", mean64(dKept), mean64(dFree))
	}
	t.Logf("blueness %.4f -> %.4f; D %.4f -> %.4f", blueness(free), blueness(kept), mean64(dFree), mean64(dKept))
}

func mean64(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
