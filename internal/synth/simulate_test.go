package synth

import (
	"context"
	"testing"
)

// world is a small simulated world with the default personas.
type world struct {
	personas  []Persona
	items     []Item
	feats     []Features
	consumers []Consumer
	inter     []Interaction
}

func smallWorld(t testing.TB, items, consumers, picks int) world {
	t.Helper()
	w := world{personas: DefaultPersonas(), items: DrawCatalog(11, items)}
	var err error
	w.feats, err = RenderCatalog(context.Background(), w.items, DefaultSize, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.consumers = DrawConsumers(w.personas, consumers, 11)
	w.inter, err = Simulate(context.Background(), w.consumers, w.items, w.feats, SimConfig{Interactions: picks, Seed: 11}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSimulatedTastesAreDistinct(t *testing.T) {
	w := smallWorld(t, 600, 200, 10)
	if len(w.inter) != 200*10 {
		t.Fatalf("%d interactions, want 2000", len(w.inter))
	}
	np := len(w.personas)
	pidx := map[string]int{}
	for i, p := range w.personas {
		pidx[p.Name] = i
	}

	// Each consumer's own utility: of its picks vs of the whole catalog.
	own, all := make([]float64, np), make([]float64, np)
	nOwn, nAll := make([]int, np), make([]int, np)
	for _, c := range w.consumers {
		p := pidx[c.Persona]
		for _, f := range w.feats {
			all[p] += c.Utility(f)
		}
		nAll[p] += len(w.feats)
	}
	// cross[p][q]: persona p's expected utility of the items persona q's
	// consumers took.
	cross := make([][]float64, np)
	nCross := make([]int, np)
	for i := range cross {
		cross[i] = make([]float64, np)
	}
	for _, in := range w.inter {
		c := w.consumers[in.Consumer]
		q := pidx[c.Persona]
		own[q] += c.Utility(w.feats[in.Item])
		nOwn[q]++
		for p := range w.personas {
			cross[p][q] += PersonaUtility(w.personas[p], w.feats[in.Item])
		}
		nCross[q]++
	}
	for p, ps := range w.personas {
		mOwn, mAll := own[p]/float64(nOwn[p]), all[p]/float64(nAll[p])
		t.Logf("%-15s taken %.3f  catalog %.3f", ps.Name, mOwn, mAll)
		if mOwn < mAll+0.3 {
			t.Errorf("persona %s: mean utility of taken items %.3f is not clearly above the catalog's %.3f", ps.Name, mOwn, mAll)
		}
		for q := range w.personas {
			if q == p {
				continue
			}
			mine, theirs := cross[p][p]/float64(nCross[p]), cross[p][q]/float64(nCross[q])
			if mine <= theirs {
				t.Errorf("persona %s prefers the picks of %s (%.3f) to its own (%.3f)", ps.Name, w.personas[q].Name, theirs, mine)
			}
		}
	}
}

func TestSimulationInvariants(t *testing.T) {
	w := smallWorld(t, 120, 30, 15)
	last := map[int]int64{}
	seen := map[[2]int]bool{}
	catCount := map[string][NumCategories]int{}
	for _, in := range w.inter {
		if ts, ok := last[in.Consumer]; ok && in.Timestamp <= ts {
			t.Fatalf("consumer %d: timestamp %d not after %d", in.Consumer, in.Timestamp, ts)
		}
		last[in.Consumer] = in.Timestamp
		k := [2]int{in.Consumer, in.Item}
		if seen[k] {
			t.Fatalf("consumer %d took item %d twice", in.Consumer, in.Item)
		}
		seen[k] = true
		p := w.consumers[in.Consumer].Persona
		cc := catCount[p]
		cc[w.items[in.Item].Category.Index()]++
		catCount[p] = cc
	}
	// Browsing follows the affinities: each persona's favourite category is
	// its most frequent one.
	for _, p := range w.personas {
		best, bestA := 0, -1e9
		for i, a := range affinities(p.Categories) {
			if a > bestA {
				best, bestA = i, a
			}
		}
		cc := catCount[p.Name]
		for i, n := range cc {
			if n > cc[best] {
				t.Errorf("persona %s: category %s (%d picks) above its favourite %s (%d)", p.Name, Categories()[i], n, Categories()[best], cc[best])
			}
		}
	}

	// A consumer who wants more than the catalog holds stops when it has
	// taken everything.
	tiny := DrawCatalog(1, 7)
	f, err := RenderCatalog(context.Background(), tiny, 32, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Simulate(context.Background(), w.consumers[:1], tiny, f, SimConfig{Interactions: 20, Seed: 1}, nil)
	if err != nil || len(got) != 7 {
		t.Fatalf("got %d interactions, err %v; want all 7 items", len(got), err)
	}
}

func TestSimulateIsDeterministic(t *testing.T) {
	a := smallWorld(t, 60, 20, 5)
	b := smallWorld(t, 60, 20, 5)
	if len(a.inter) != len(b.inter) {
		t.Fatal("lengths differ")
	}
	for i := range a.inter {
		if a.inter[i] != b.inter[i] {
			t.Fatalf("interaction %d differs: %+v vs %+v", i, a.inter[i], b.inter[i])
		}
	}
}
