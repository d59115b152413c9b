package gan

import (
	"context"
	"math"
	"testing"
)

// reconError is the mean pixel MSE of G(E(x)) over a set.
func reconError(t *testing.T, m *Models, set ImageSet) float64 {
	t.Helper()
	r, err := reconstruct(context.Background(), m, set, Metrics{}, 8)
	if err != nil {
		t.Fatal(err)
	}
	return r.MSE
}

func TestEncoderReducesReconstructionError(t *testing.T) {
	tr, _ := trainedTiny(t, 100)
	m := tr.GAN.Models()
	data := newSquares(100, 16, 5)
	train, heldOut := EncoderSplit(data.Len())
	cfg := EncoderTrainConfig{Steps: 1, Batch: 8, Shards: 2, Seed: 1, LR: 1e-3, Perceptual: 1, Latent: 0.1}
	if err := TrainEncoder(context.Background(), m, Subset{data, train}, cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	before := reconError(t, m, Subset{data, heldOut})
	cfg.Steps = 150
	var first, last EncoderStats
	if err := TrainEncoder(context.Background(), m, Subset{data, train}, cfg, nil, func(st EncoderStats) error {
		if st.Step == 1 {
			first = st
		}
		last = st
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := reconError(t, m, Subset{data, heldOut})
	t.Logf("held-out MSE %.4f → %.4f; training loss %.4f → %.4f, latent %.3f → %.3f", before, after, first.Loss, last.Loss, first.Latent, last.Latent)
	// The tiny generator draws squares only roughly, which bounds how
	// well any encoder can do on held-out ones; the training terms must
	// fall far, the held-out error must fall.
	if after >= before {
		t.Errorf("held-out reconstruction MSE %v → %v; want a reduction", before, after)
	}
	if last.Loss > 0.6*first.Loss {
		t.Errorf("training loss %v → %v; want a 40%% reduction", first.Loss, last.Loss)
	}
	if last.Latent > 0.1*first.Latent {
		t.Errorf("latent loss %v → %v; want a 10x reduction", first.Latent, last.Latent)
	}
}

func TestInversionLossFallsAndZStaysStandardised(t *testing.T) {
	tr, data := trainedTiny(t, 100)
	m := tr.GAN.Models()
	// A generated target is reachable exactly, so the loss must fall far.
	target := generate(t, m.G, 1, 77)[0]
	inv, err := Invert(context.Background(), m, target, InvertConfig{Steps: 60, LR: 0.05, Snapshots: []int{0, 30, 60}, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := inv.Losses[0], inv.Losses[len(inv.Losses)-1]
	t.Logf("loss %.5f → %.5f (best %.5f) in %d steps", first, last, inv.Loss, inv.Steps)
	if !(inv.Loss < 0.5*first) {
		t.Errorf("best loss %v not below half the starting %v", inv.Loss, first)
	}
	if len(inv.Snapshots) != 3 || inv.Steps != 60 || len(inv.Losses) != 61 {
		t.Errorf("%d snapshots, %d steps, %d losses; want 3, 60, 61", len(inv.Snapshots), inv.Steps, len(inv.Losses))
	}
	mean, sd := meanStd(inv.Z)
	if math.Abs(mean) > 1e-5 || math.Abs(sd-1) > 1e-3 {
		t.Errorf("z has mean %v and deviation %v; want 0 and 1", mean, sd)
	}

	// A real image: the loss still falls, and early stopping stops.
	inv, err = Invert(context.Background(), m, data[0], InvertConfig{Steps: 500, Patience: 10, MinDelta: 0.01, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Steps >= 500 || inv.Loss >= inv.Losses[0] {
		t.Errorf("early stop at %d of 500 steps, loss %v from %v", inv.Steps, inv.Loss, inv.Losses[0])
	}
}

func TestInvertRejectsWrongSize(t *testing.T) {
	tr, _ := trainedTiny(t, 1)
	if _, err := Invert(context.Background(), tr.GAN.Models(), newSquares(1, 32, 1)[0], InvertConfig{}, nil); err == nil {
		t.Error("no error for a 32 px image and a 16 px generator")
	}
}
