package recommender

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/atelier-app/atelier/internal/progress"
)

// colourWorld is an easy world for DVBPR: 16×16 images of a shape
// (category "square" or "bar") in one of four colours on white, with a
// little noise, and consumers who like one colour and take items of it
// only, whatever their shape. A fifth of the items are held out as cold.
type colourWorld struct {
	split  *Split
	data   TrainData
	colour []int // per item
	likes  []int // per consumer, the colour they take
}

var worldColours = [][3]float32{{0.9, 0.1, 0.1}, {0.1, 0.2, 0.9}, {0.1, 0.7, 0.2}, {0.9, 0.8, 0.1}}

func newColourWorld(t testing.TB, consumers, items, perConsumer int, seed uint64) colourWorld {
	t.Helper()
	const size = 16
	rng := rand.New(rand.NewPCG(seed, 7))
	nc := len(worldColours)
	w := colourWorld{colour: make([]int, items), likes: make([]int, consumers), data: TrainData{
		Images:         &Images{Size: size, Pix: make([]float32, items*3*size*size)},
		Categories:     []string{"bar", "square"},
		ItemCategories: make([]int, items),
		ConsumerIDs:    make([]string, consumers),
		Fingerprint:    fmt.Sprintf("colour-world-%d", seed),
	}}
	byColour := make([][]int, nc)
	for i := 0; i < items; i++ {
		w.colour[i] = i % nc
		byColour[i%nc] = append(byColour[i%nc], i)
		cat := (i / nc) % 2
		w.data.ItemCategories[i] = cat
		col := worldColours[i%nc]
		px := w.data.Images.Item(i).Pix
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				in := x >= 4 && x < 12 && y >= 4 && y < 12 // square
				if cat == 0 {
					in = y >= 6 && y < 10 && x >= 1 && x < 15 // bar
				}
				for c := 0; c < 3; c++ {
					v := float32(1)
					if in {
						v = col[c] + 0.1*(rng.Float32()-0.5)
					}
					px[(c*size+y)*size+x] = v
				}
			}
		}
	}
	var log []Interaction
	for u := 0; u < consumers; u++ {
		w.likes[u] = u % nc
		w.data.ConsumerIDs[u] = fmt.Sprintf("c%03d", u)
		pool := byColour[w.likes[u]]
		for k, p := range rng.Perm(len(pool))[:perConsumer] {
			log = append(log, Interaction{Consumer: u, Item: pool[p], Time: int64(k)})
		}
	}
	s, err := SplitInteractions(consumers, items, log, SplitConfig{ColdFraction: 0.2, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	w.split = s
	return w
}

// oracle scores 1 for the items of the consumer's colour, 0 for others:
// the best any model can do here, since items of one colour are alike.
func (w colourWorld) oracle() Scorer {
	sc := make(tableScorer, len(w.likes))
	for u, c := range w.likes {
		sc[u] = make([]float32, len(w.colour))
		for i, ci := range w.colour {
			if ci == c {
				sc[u][i] = 1
			}
		}
	}
	return sc
}

// tinyConfig is a small, fast configuration for 16×16 images.
func tinyConfig() TrainConfig {
	return TrainConfig{Arch: Arch{Dim: 8, Channels: []int{8, 16}}, Epochs: 8, Batch: 32, LR: 3e-3, LRDecay: 0.9, Patience: 8, Seed: 5}
}

func TestDVBPRLearnsColourTaste(t *testing.T) {
	w := newColourWorld(t, 60, 200, 8, 1)
	cfg := tinyConfig()
	cfg.Epochs = 12
	m, err := Train(context.Background(), w.data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := m.Info.History
	if len(h) != 12 || m.Info.Epochs != 12 {
		t.Fatalf("trained %d epochs (history %d), want 12", m.Info.Epochs, len(h))
	}
	if first, last := h[0].Loss, h[len(h)-1].Loss; !(last < 0.7*first) {
		t.Errorf("BPR loss went from %.4f to %.4f; want it to fall by 30%%", first, last)
	}
	sc, err := m.NewScorer(context.Background(), consumersOf(w.data.ConsumerIDs), w.data.Images, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(context.Background(), w.split, sc, EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	best, err := Evaluate(context.Background(), w.split, w.oracle(), EvalConfig{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Items of the liked colour that a consumer did not take are ties for
	// the oracle, so even it stays well below 1 (about 0.87 here).
	t.Logf("AUC %.3f (oracle %.3f), cold-start %.3f (oracle %.3f), validation %.3f", got.AUC, best.AUC, got.AUCCold, best.AUCCold, m.Info.ValAUC)
	if m.Info.ValAUC < 0.8 {
		t.Errorf("validation AUC %.3f, want > 0.8", m.Info.ValAUC)
	}
	if got.AUC < 0.8 || got.AUC < best.AUC-0.03 {
		t.Errorf("test AUC %.3f, want > 0.8 and within 0.03 of the oracle's %.3f", got.AUC, best.AUC)
	}
	// Cold items were never seen in training; pixels still place them.
	if got.ColdConsumers < 5 || got.AUCCold < 0.8 || got.AUCCold < best.AUCCold-0.05 {
		t.Errorf("cold-start AUC %.3f over %d consumers, want > 0.8 and within 0.05 of the oracle's %.3f", got.AUCCold, got.ColdConsumers, best.AUCCold)
	}
	if acc := CategoryAccuracy(m, sc.Items, w.data.ItemCategories, w.split.ColdItems()); acc < 0.9 || acc != m.Info.CategoryAcc {
		t.Errorf("category accuracy on cold items %.3f (recorded %.3f), want > 0.9 and equal", acc, m.Info.CategoryAcc)
	}
	// θ points the way of the consumer's colour: each consumer prefers
	// the cold items of their colour to the others.
	for u := 0; u < len(worldColours); u++ {
		theta, ok := m.Theta(w.data.ConsumerIDs[u])
		if !ok {
			t.Fatalf("no θ for %s", w.data.ConsumerIDs[u])
		}
		mean := make([]float32, len(worldColours))
		count := make([]float32, len(worldColours))
		for _, i := range w.split.ColdItems() {
			mean[w.colour[i]] += dot(theta, sc.Items[i])
			count[w.colour[i]]++
		}
		for c := range mean {
			mean[c] /= count[c]
		}
		if slices.Index(mean, slices.Max(mean)) != w.likes[u] {
			t.Errorf("consumer %d likes colour %d; mean cold-item scores by colour %v", u, w.likes[u], mean)
		}
	}
}

func consumersOf(ids []string) []Consumer {
	cs := make([]Consumer, len(ids))
	for u, id := range ids {
		cs[u] = Consumer{ID: id}
	}
	return cs
}

// TestDVBPRFoldIn folds in a new consumer from picks of red over blue and
// checks the estimated θ prefers red images it was not shown.
func TestDVBPRFoldIn(t *testing.T) {
	w := newColourWorld(t, 60, 200, 8, 2)
	m, err := Train(context.Background(), w.data, w.split, tinyConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	feats, err := m.ImageFeatures(context.Background(), w.data.Images, 2)
	if err != nil {
		t.Fatal(err)
	}
	var picks []Pick
	for r := 0; r < 4; r++ { // red (colour 0) over blue and yellow
		picks = append(picks, Pick{Chosen: feats[4*r], Others: [][]float32{feats[4*r+1], feats[4*r+3]}})
	}
	theta, err := m.FoldIn(picks, FoldInConfig{})
	if err != nil {
		t.Fatal(err)
	}
	wins := 0
	for k := 16; k < 116; k += 4 { // red k against blue k+1
		if dot(theta, feats[k]) > dot(theta, feats[k+1]) {
			wins++
		}
	}
	if wins < 23 {
		t.Errorf("folded-in consumer prefers red to blue in %d of 25 unseen pairs", wins)
	}
}

func TestDVBPRDeterministicAndResumable(t *testing.T) {
	w := newColourWorld(t, 40, 120, 6, 3)
	cfg := tinyConfig()
	cfg.Epochs = 4
	straight, err := Train(context.Background(), w.data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer straight.Close()

	// Same run, stopped in the middle of epoch 2 (as by Ctrl-C), resumed
	// with 3 epochs, then resumed again with 4.
	cfg.Checkpoint = t.TempDir() + "/train.ckpt"
	cfg.Resume = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := func(u progress.Update) {
		if u.Stage == "train epoch 2/4" && u.Step >= 3 {
			cancel()
		}
	}
	if _, err := Train(ctx, w.data, w.split, cfg, stop); err == nil || ctx.Err() == nil {
		t.Fatalf("interrupted training returned %v", err)
	}
	cfg.Epochs = 3
	if _, err := Train(context.Background(), w.data, w.split, cfg, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 4
	resumed, err := Train(context.Background(), w.data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	for k, p := range straight.params() {
		if q := resumed.params()[k]; !slices.Equal(p.Data(), q.Data()) {
			t.Errorf("%s differs between the straight and the resumed run", p.Name)
		}
	}
	a, b := straight.Info.History, resumed.Info.History
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("histories of %d and %d epochs", len(a), len(b))
	}
	for e := range a {
		if a[e].Loss != b[e].Loss || a[e].ValAUC != b[e].ValAUC {
			t.Errorf("epoch %d: loss %v / %v, validation AUC %v / %v", e+1, a[e].Loss, b[e].Loss, a[e].ValAUC, b[e].ValAUC)
		}
	}
	if straight.Info.BestEpoch != resumed.Info.BestEpoch {
		t.Errorf("best epoch %d vs %d", straight.Info.BestEpoch, resumed.Info.BestEpoch)
	}

	// A checkpoint from other settings is refused, not silently mixed in.
	cfg.LR *= 2
	if _, err := Train(context.Background(), w.data, w.split, cfg, nil); err == nil {
		t.Error("resumed a checkpoint saved with another learning rate")
	}
}

func TestDVBPREarlyStopping(t *testing.T) {
	w := newColourWorld(t, 40, 120, 6, 4)
	cfg := tinyConfig()
	cfg.Epochs, cfg.Patience = 40, 2
	cfg.LR = 3e-2 // fast to converge, then no better validation AUC
	m, err := Train(context.Background(), w.data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Info
	if info.Epochs >= 40 || info.Epochs != info.BestEpoch+2 {
		t.Errorf("trained %d epochs, best %d; want a stop 2 epochs after the best", info.Epochs, info.BestEpoch)
	}
	best := math.Inf(-1)
	for _, e := range info.History {
		best = max(best, e.ValAUC)
	}
	if info.ValAUC != best || info.History[info.BestEpoch-1].ValAUC != best {
		t.Errorf("kept validation AUC %v, best of history %v", info.ValAUC, best)
	}
	// The weights kept are the best epoch's: validating them again gives
	// its AUC.
	feats, err := m.ImageFeatures(context.Background(), w.data.Images, 1)
	if err != nil {
		t.Fatal(err)
	}
	thetas := make([][]float32, len(w.data.ConsumerIDs))
	for u := range thetas {
		thetas[u] = m.row(u)
	}
	sc, _ := NewDotScorer(thetas, feats)
	got, err := Evaluate(context.Background(), w.split, sc, EvalConfig{Held: HeldValidation, Seed: cfg.Seed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.AUC != best {
		t.Errorf("validation AUC of the returned weights %v, best epoch's %v", got.AUC, best)
	}
}

func TestTrainConfigValidation(t *testing.T) {
	w := newColourWorld(t, 10, 40, 4, 5)
	for _, tc := range []struct {
		name string
		edit func(*TrainConfig, *TrainData)
	}{
		{"negative epochs", func(c *TrainConfig, _ *TrainData) { c.Epochs = -1 }},
		{"negative batch", func(c *TrainConfig, _ *TrainData) { c.Batch = -4 }},
		{"more workers than triplets", func(c *TrainConfig, _ *TrainData) { c.Batch, c.Workers = 2, 3 }},
		{"negative learning rate", func(c *TrainConfig, _ *TrainData) { c.LR = -1 }},
		{"NaN learning rate", func(c *TrainConfig, _ *TrainData) { c.LR = float32(math.NaN()) }},
		{"learning rate growing", func(c *TrainConfig, _ *TrainData) { c.LRDecay = 1.5 }},
		{"negative weight decay", func(c *TrainConfig, _ *TrainData) { c.WeightDecay = -1 }},
		{"image size not halvable", func(c *TrainConfig, _ *TrainData) { c.Arch.Channels = []int{4, 4, 4, 4, 4} }},
		{"zero channels", func(c *TrainConfig, _ *TrainData) { c.Arch.Channels = []int{8, 0} }},
		{"missing images", func(_ *TrainConfig, d *TrainData) { d.Images = &Images{Size: 16} }},
		{"category out of range", func(_ *TrainConfig, d *TrainData) { d.ItemCategories = slices.Repeat([]int{2}, 40) }},
		{"no categories", func(_ *TrainConfig, d *TrainData) { d.Categories, d.ItemCategories = nil, make([]int, 40) }},
		{"repeated consumer", func(_ *TrainConfig, d *TrainData) {
			d.ConsumerIDs = slices.Clone(d.ConsumerIDs)
			d.ConsumerIDs[1] = d.ConsumerIDs[0]
		}},
		{"consumer count", func(_ *TrainConfig, d *TrainData) { d.ConsumerIDs = d.ConsumerIDs[1:] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, data := tinyConfig(), w.data
			cfg.Epochs = 1
			tc.edit(&cfg, &data)
			if _, err := Train(context.Background(), data, w.split, cfg, nil); err == nil {
				t.Error("no error")
			}
		})
	}
}
