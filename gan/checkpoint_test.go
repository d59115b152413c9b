package gan

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/nn"
)

// trainedTiny returns a tiny GAN trained for a few steps on squares, so
// that every tensor (moving average, Adam moments, power iterations) holds
// something other than its initial value.
func trainedTiny(t *testing.T, steps int) (*Trainer, squares) {
	t.Helper()
	data := newSquares(32, 16, 3)
	tr := newTrainer(t, tinyGAN(t, 3), data, tinyTrainConfig(steps))
	if err := tr.Run(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	return tr, data
}

func TestModelsRoundTrip(t *testing.T) {
	tr, data := trainedTiny(t, 5)
	rng := rand.New(rand.NewSource(1))
	enc, err := NewEncoder(EncoderConfig{Size: 16, Widths: []int{8, 16}, ZDim: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m := &Models{G: tr.GAN.GEMA, D: tr.GAN.D, E: enc}
	codes := SampleZ(rng, 40, 8)
	if m.Prior, err = FitPrior(t.Context(), codes, 8, PriorConfig{Components: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	path := tempPath(t, "models.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadModels(path)
	if err != nil {
		t.Fatal(err)
	}
	z := SampleZ(rng, 4, 8)
	a, err := m.G.Generate(context.Background(), z, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.G.Generate(context.Background(), z, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !slices.Equal(a[i].Pix, b[i].Pix) {
			t.Fatalf("generated image %d differs after the round trip", i)
		}
	}
	// The same bytes read as a stream (how a blob is loaded) give the
	// same generator; cut short, they give an error naming the stream.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := ReadModels(bytes.NewReader(raw), "blob:models")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := streamed.G.Generate(context.Background(), z, 4); err != nil || !slices.Equal(a[0].Pix, c[0].Pix) {
		t.Fatalf("ReadModels gives another generator than LoadModels (%v)", err)
	}
	if _, err := ReadModels(bytes.NewReader(raw[:len(raw)/2]), "blob:models"); err == nil || !strings.Contains(err.Error(), "blob:models") {
		t.Fatalf("a truncated stream: %v, want an error naming blob:models", err)
	}
	x := append(append([]float32(nil), data[0].Pix...), data[1].Pix...)
	za, _ := m.E.Encode(x, 2)
	zb, err := got.E.Encode(x, 2)
	if err != nil || !slices.Equal(za, zb) {
		t.Fatalf("encoder output differs after the round trip (%v)", err)
	}
	if got.Prior == nil {
		t.Fatal("the prior was lost in the round trip")
	}
	pa, pb := m.SampleZ(rand.New(rand.NewSource(3)), 5), got.SampleZ(rand.New(rand.NewSource(3)), 5)
	if !slices.Equal(pa, pb) {
		t.Fatal("latents drawn from the prior differ after the round trip")
	}
	da, db := discriminatorScores(t, m.D, data), discriminatorScores(t, got.D, data)
	if !slices.Equal(da, db) {
		t.Fatalf("discriminator scores differ after the round trip: %v vs %v", da, db)
	}
}

func discriminatorScores(t *testing.T, d *Discriminator, data squares) []float32 {
	t.Helper()
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Input("x", 4, 3, 16, 16)
	out := g.Output(d.Forward(g, x, 2))
	for i := 0; i < 4; i++ {
		copy(g.InputData(x)[i*3*256:], data[i].Pix)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out.Data().([]float32)...)
}

func TestTrainingCheckpointHasGeneratorAverage(t *testing.T) {
	tr, _ := trainedTiny(t, 3)
	path := tempPath(t, "ckpt.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModels(path)
	if err != nil {
		t.Fatal(err)
	}
	// LoadModels takes the moving average, which differs from G.
	for i, p := range m.G.Params() {
		if !slices.Equal(p.Data(), tr.GAN.GEMA.Params()[i].Data()) {
			t.Fatalf("%s is not the moving average", p.Name)
		}
	}
	// The encoder trained along travels in the checkpoint.
	if m.E == nil {
		t.Fatal("no encoder in the checkpoint")
	}
	for i, p := range m.E.Params() {
		if !slices.Equal(p.Data(), tr.GAN.E.Params()[i].Data()) {
			t.Fatalf("encoder %s differs", p.Name)
		}
	}

	// A plain GAN (no reconstruction) has none.
	cfg := tinyTrainConfig(1)
	cfg.Recon = 0
	plain := newTrainer(t, tinyGAN(t, 3), newSquares(8, 16, 1), cfg)
	if err := plain.Run(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := plain.Save(path); err != nil {
		t.Fatal(err)
	}
	if m, err = LoadModels(path); err != nil || m.E != nil {
		t.Fatalf("plain GAN checkpoint: encoder %v, error %v", m.E, err)
	}
}

// A resumed run continues exactly as the uninterrupted one, also when it
// draws its latents from a prior, which the checkpoint carries.
func TestResumeContinuesIdentically(t *testing.T) {
	for _, fromPrior := range []bool{false, true} {
		t.Run(fmt.Sprintf("prior latents %v", fromPrior), func(t *testing.T) {
			data := newSquares(32, 16, 4)
			start := func(steps int) *Trainer {
				m := tinyGAN(t, 4)
				cfg := tinyTrainConfig(steps)
				if fromPrior {
					m.Prior, cfg.PriorLatents = pointPrior(t, m.G.Config.ZDim), true
				}
				return newTrainer(t, m, data, cfg)
			}
			whole := start(8)
			if err := whole.Run(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
			first := start(4)
			if err := first.Run(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
			path := tempPath(t, "ckpt.safetensors")
			if err := first.Save(path); err != nil {
				t.Fatal(err)
			}
			resumed, err := ResumeTrainer(path, data, func(c *TrainConfig) { c.Steps = 8 })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(resumed.Close)
			if resumed.Steps() != 4 {
				t.Fatalf("resumed at step %d, want 4", resumed.Steps())
			}
			if (resumed.GAN.Prior != nil) != fromPrior || fromPrior && !slices.Equal(resumed.GAN.Prior.Means, whole.GAN.Prior.Means) {
				t.Fatalf("resumed with prior %+v", resumed.GAN.Prior)
			}
			if err := resumed.Run(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2][]nn.Param{
				{whole.GAN.G.Params(), resumed.GAN.G.Params()},
				{whole.GAN.GEMA.Params(), resumed.GAN.GEMA.Params()},
				{whole.GAN.D.Params(), resumed.GAN.D.Params()},
				{whole.GAN.E.Params(), resumed.GAN.E.Params()},
			} {
				for i, p := range pair[0] {
					if !slices.Equal(p.Data(), pair[1][i].Data()) {
						t.Fatalf("%s differs between the uninterrupted and the resumed run", p.Name)
					}
				}
			}
		})
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	tr, _ := trainedTiny(t, 1)
	good := tempPath(t, "ckpt.safetensors")
	if err := tr.Save(good); err != nil {
		t.Fatal(err)
	}
	other := tempPath(t, "other.safetensors")
	if err := nn.SaveFile(other, tr.GAN.G.Params(), map[string]string{"format": "something-else"}); err != nil {
		t.Fatal(err)
	}
	noD := tempPath(t, "nod.safetensors")
	if err := nn.SaveFile(noD, nn.Prefixed("g", tr.GAN.G.Params()), map[string]string{
		metaFormat: checkpointFormat, metaGenerator: jsonString(tr.GAN.G.Config), metaDiscriminator: jsonString(tr.GAN.D.Config),
	}); err != nil {
		t.Fatal(err)
	}
	truncated := tempPath(t, "truncated.safetensors")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing": tempPath(t, "none"), "other format": other, "no discriminator": noD, "truncated": truncated} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadModels(path); err == nil {
				t.Error("LoadModels: no error")
			}
			if _, err := ResumeTrainer(path, newSquares(4, 16, 1), nil); err == nil {
				t.Error("ResumeTrainer: no error")
			}
		})
	}
}
