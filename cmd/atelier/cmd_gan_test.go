package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
)

// tinyWorld writes a small synthetic world at the GAN's 64 px.
func tinyWorld(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "world")
	if _, stderr, code := runInProcess(t, "synth", "--out", dir, "--items", "24", "--consumers", "4", "--interactions", "2"); code != 0 {
		t.Fatalf("synth: %s", stderr)
	}
	return dir
}

func TestGANCommands(t *testing.T) {
	world := tinyWorld(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "gan.safetensors")
	samples := filepath.Join(dir, "samples")

	out, stderr, code := runInProcess(t, "train", "gan", "--dataset", world, "--out", ckpt, "--steps", "2", "--batch", "8",
		"--samples", samples, "--sample-every", "1")
	if code != 0 {
		t.Fatalf("train gan: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "trained gan to step 2") {
		t.Errorf("train gan printed %q", out)
	}
	for _, f := range []string{"gan-step-000001.png", "gan-step-000002.png"} {
		img, err := imaging.ReadFile(filepath.Join(samples, f))
		if err != nil {
			t.Fatal(err)
		}
		// 64 tiles of 64 px in 8 columns with 2 px gutters.
		if b := img.Bounds(); b.Dx() != 8*66+2 || b.Dy() != 8*66+2 {
			t.Errorf("%s is %v", f, b)
		}
	}

	// Resume continues to the new total from the checkpoint's step.
	out, stderr, code = runInProcess(t, "train", "gan", "--dataset", world, "--out", ckpt, "--resume", ckpt, "--steps", "3")
	if code != 0 || !strings.Contains(out, "trained gan to step 3") {
		t.Fatalf("resume: exit %d: %s %s", code, out, stderr)
	}

	grid := filepath.Join(dir, "grid.png")
	if out, stderr, code = runInProcess(t, "sample", "--gan", ckpt, "--n", "9", "--out", grid, "--seed", "4"); code != 0 {
		t.Fatalf("sample: exit %d: %s", code, stderr)
	}
	img, err := imaging.ReadFile(grid)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 3*66+2 {
		t.Errorf("9 samples: grid %v, want 3 columns", b)
	}

	models := filepath.Join(dir, "models.safetensors")
	if out, stderr, code = runInProcess(t, "train", "encoder", "--dataset", world, "--gan", ckpt, "--out", models, "--steps", "2", "--batch", "4"); code != 0 {
		t.Fatalf("train encoder: exit %d: %s", code, stderr)
	}
	m, err := gan.LoadModels(models)
	if err != nil {
		t.Fatal(err)
	}
	if m.E == nil {
		t.Fatal("models file has no encoder")
	}
	// The tiny world's 22 training images allow 2 components of 8 codes.
	if m.Prior == nil || m.Prior.Components() > 2 {
		t.Fatalf("models file: prior %+v, want at most 2 components", m.Prior)
	}
	// Its spread was calibrated (--spread auto): set, inside the searched
	// interval, and said.
	if sp := m.Prior.Spread; !(sp >= 0.5 && sp <= 2) || !strings.Contains(stderr, "prior spread") {
		t.Errorf("train encoder: prior spread %v, stderr %q", sp, stderr)
	}
	// train prior --keep sets only the spread.
	spread := filepath.Join(dir, "spread.safetensors")
	if out, stderr, code = runInProcess(t, "train", "prior", "--dataset", world, "--gan", models, "--out", spread, "--keep", "--spread", "1.25"); code != 0 || !strings.Contains(out, "kept a") {
		t.Fatalf("train prior --keep: exit %d: %s %s", code, out, stderr)
	}
	if k, err := gan.LoadModels(spread); err != nil || k.Prior.Spread != 1.25 || !slices.Equal(k.Prior.Means, m.Prior.Means) || !slices.Equal(k.Prior.Chol, m.Prior.Chol) {
		t.Fatalf("train prior --keep --spread 1.25: %v; prior %+v", err, k.Prior)
	}
	for _, tc := range []struct {
		flags []string
		want  float64
	}{{nil, 1.25}, {[]string{"--spread", "0.8"}, 0.8}} {
		args := append([]string{"eval", "gan", "--dataset", world, "--gan", spread, "--json", "--inversions", "0", "--pairs", "2"}, tc.flags...)
		out, stderr, code := runInProcess(t, args...)
		var rep struct {
			Spread *float64 `json:"prior_spread"`
		}
		if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Spread == nil || *rep.Spread != tc.want {
			t.Errorf("eval gan %v: exit %d, %s; prior_spread %v, want %v", tc.flags, code, stderr, rep.Spread, tc.want)
		}
	}
	if _, stderr, code = runInProcess(t, "train", "prior", "--dataset", world, "--gan", ckpt, "--out", spread, "--keep"); code != 2 || !strings.Contains(stderr, "has no latent prior to keep") {
		t.Fatalf("train prior --keep without a prior: exit %d: %s", code, stderr)
	}

	// train prior refits it in place; --init continues training from it.
	if out, stderr, code = runInProcess(t, "train", "prior", "--dataset", world, "--gan", models, "--out", models, "--components", "1"); code != 0 || !strings.Contains(out, "1-component") {
		t.Fatalf("train prior: exit %d: %s %s", code, out, stderr)
	}
	if m, err = gan.LoadModels(models); err != nil || m.Prior == nil || m.Prior.Components() != 1 {
		t.Fatalf("after train prior: %v, %+v", err, m)
	}
	cont := filepath.Join(dir, "continued.safetensors")
	if out, stderr, code = runInProcess(t, "train", "gan", "--dataset", world, "--init", models, "--out", cont, "--steps", "1", "--batch", "8"); code != 0 || !strings.Contains(out, "trained gan to step 1") {
		t.Fatalf("train gan --init: exit %d: %s %s", code, out, stderr)
	}
	if c, err := gan.LoadModels(cont); err != nil || c.Prior == nil || !slices.Equal(c.Prior.Means, m.Prior.Means) {
		t.Fatalf("continued: %v; the checkpoint does not keep the models' prior", err)
	}
	// --prior-latents trains on that prior; models without one are
	// refused.
	if out, stderr, code = runInProcess(t, "train", "gan", "--dataset", world, "--init", models, "--out", cont, "--steps", "1", "--batch", "8", "--prior-latents"); code != 0 {
		t.Fatalf("train gan --init --prior-latents: exit %d: %s %s", code, out, stderr)
	}
	if c, err := gan.LoadModels(cont); err != nil || c.Prior == nil || !slices.Equal(c.Prior.Means, m.Prior.Means) {
		t.Fatalf("continued on the prior's latents: %v; the checkpoint does not carry the models' prior", err)
	}
	// train encoder --keep-prior keeps the prior that G was trained on.
	kept := filepath.Join(dir, "kept.safetensors")
	if out, stderr, code = runInProcess(t, "train", "encoder", "--dataset", world, "--gan", cont, "--out", kept, "--steps", "1", "--batch", "4", "--keep-prior"); code != 0 {
		t.Fatalf("train encoder --keep-prior: exit %d: %s %s", code, out, stderr)
	}
	if k, err := gan.LoadModels(kept); err != nil || k.Prior == nil || !slices.Equal(k.Prior.Means, m.Prior.Means) {
		t.Fatalf("train encoder --keep-prior: %v; the models file does not keep the prior", err)
	}
	if _, stderr, code = runInProcess(t, "train", "encoder", "--dataset", world, "--gan", ckpt, "--out", kept, "--keep-prior"); code != 2 || !strings.Contains(stderr, "has no latent prior to keep") {
		t.Fatalf("train encoder --keep-prior without a prior: exit %d: %s", code, stderr)
	}
	if _, stderr, code = runInProcess(t, "train", "gan", "--dataset", world, "--init", ckpt, "--out", cont, "--steps", "1", "--batch", "8", "--prior-latents"); code != 2 || !strings.Contains(stderr, "has no latent prior; fit one with `atelier train prior`") {
		t.Fatalf("train gan --prior-latents from models without a prior: exit %d: %s", code, stderr)
	}

	out, stderr, code = runInProcess(t, "eval", "gan", "--dataset", world, "--gan", models, "--json", "--inversions", "1", "--pairs", "4")
	if code != 0 {
		t.Fatalf("eval gan: exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval gan output %q: %v", out, err)
	}
	if enc, ok := rep["encoder"].(map[string]any); !ok || enc["mse"] == nil {
		t.Errorf("report %v has no encoder mse", rep)
	}
}

func TestGANCommandErrors(t *testing.T) {
	world := tinyWorld(t)
	dir := t.TempDir()
	notGAN := filepath.Join(dir, "not.safetensors")
	if err := os.WriteFile(notGAN, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.safetensors")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"train gan without dataset", []string{"train", "gan", "--out", out}, 2, "--dataset is required"},
		{"train gan without out", []string{"train", "gan", "--dataset", world}, 2, "--out is required"},
		{"train gan odd batch", []string{"train", "gan", "--dataset", world, "--out", out, "--batch", "7"}, 2, "--batch"},
		{"train gan negative perceptual weight", []string{"train", "gan", "--dataset", world, "--out", out, "--perceptual-weight", "-1"}, 2, "--perceptual-weight: must not be negative"},
		{"train gan feature matching without reconstructions", []string{"train", "gan", "--dataset", world, "--out", out, "--recon", "0", "--feature-match-weight", "1"}, 2, "--feature-match-weight: matches the step's reconstructed real images"},
		{"train gan widths not numbers", []string{"train", "gan", "--dataset", world, "--out", out, "--g-widths", "128,x,48,32"}, 2, "--g-widths: \"x\" is not a positive integer"},
		{"train gan widths for 128 px", []string{"train", "gan", "--dataset", world, "--out", out, "--g-widths", "128,64,48,32,16"}, 2, "5 widths make 128 px images"},
		{"train gan widths with init", []string{"train", "gan", "--dataset", world, "--out", out, "--init", notGAN, "--g-widths", "64,32,16,8"}, 2, "--resume and --init keep theirs"},
		{"train gan prior latents of a new GAN", []string{"train", "gan", "--dataset", world, "--out", out, "--prior-latents"}, 2, "--prior-latents draws from the latent prior of --init models"},
		{"train gan zero steps", []string{"train", "gan", "--dataset", world, "--out", out, "--steps", "0"}, 2, "--steps"},
		{"train gan bad rate", []string{"train", "gan", "--dataset", world, "--out", out, "--lr-d", "0"}, 2, "--lr"},
		{"train gan bad dataset", []string{"train", "gan", "--dataset", filepath.Join(dir, "none"), "--out", out}, 1, "train gan"},
		{"train gan resume from junk", []string{"train", "gan", "--dataset", world, "--out", out, "--resume", notGAN}, 1, "checkpoint"},
		{"train unknown target", []string{"train", "wat"}, 2, "unknown target"},
		{"train encoder without gan", []string{"train", "encoder", "--dataset", world, "--out", out}, 2, "--gan is required"},
		{"train gan init and resume", []string{"train", "gan", "--dataset", world, "--out", out, "--resume", notGAN, "--init", notGAN}, 2, "exclude each other"},
		{"train gan init from junk", []string{"train", "gan", "--dataset", world, "--out", out, "--init", notGAN}, 1, "checkpoint"},
		{"eval gan bad prior", []string{"eval", "gan", "--dataset", world, "--gan", notGAN, "--prior", "uniform"}, 2, "--prior"},
		{"train prior without gan", []string{"train", "prior", "--dataset", world, "--out", out}, 2, "--gan is required"},
		{"train prior no components", []string{"train", "prior", "--dataset", world, "--gan", notGAN, "--out", out, "--components", "0"}, 2, "--components"},
		{"train prior keep and fit", []string{"train", "prior", "--dataset", world, "--gan", notGAN, "--out", out, "--keep", "--components", "3"}, 2, "--keep and --components exclude each other"},
		{"train prior zero spread", []string{"train", "prior", "--dataset", world, "--gan", notGAN, "--out", out, "--spread", "0"}, 2, "for flag -spread: want auto or a positive number, got \"0\""},
		{"train encoder spread not a number", []string{"train", "encoder", "--dataset", world, "--gan", notGAN, "--out", out, "--spread", "wide"}, 2, "for flag -spread: want auto or a positive number, got \"wide\""},
		{"eval gan negative spread", []string{"eval", "gan", "--dataset", world, "--gan", notGAN, "--spread", "-1"}, 2, "--spread must be a positive number"},
		{"eval gan spread of the normal", []string{"eval", "gan", "--dataset", world, "--gan", notGAN, "--prior", "normal", "--spread", "1.2"}, 2, "--prior normal has none"},
		{"train prior from junk", []string{"train", "prior", "--dataset", world, "--gan", notGAN, "--out", out}, 1, "checkpoint"},
		{"train encoder keep and fit a prior", []string{"train", "encoder", "--dataset", world, "--gan", notGAN, "--out", out, "--keep-prior", "--prior-components", "3"}, 2, "--keep-prior and --prior-components exclude each other"},
		{"train encoder from junk", []string{"train", "encoder", "--dataset", world, "--gan", notGAN, "--out", out}, 1, "checkpoint"},
		{"sample without out", []string{"sample", "--gan", notGAN}, 2, "--out is required"},
		{"sample too many", []string{"sample", "--gan", notGAN, "--out", out, "--n", "5000"}, 2, "--n"},
		{"sample from junk", []string{"sample", "--gan", notGAN, "--out", out}, 1, "checkpoint"},
		{"eval gan without gan", []string{"eval", "gan", "--dataset", world}, 2, "--gan is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runInProcess(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

func TestTrainGANWidths(t *testing.T) {
	world := tinyWorld(t)
	ckpt := filepath.Join(t.TempDir(), "gan.safetensors")
	if out, stderr, code := runInProcess(t, "train", "gan", "--dataset", world, "--out", ckpt, "--steps", "1", "--batch", "8",
		"--g-widths", "32, 16,16,8"); code != 0 {
		t.Fatalf("train gan: exit %d: %s %s", code, out, stderr)
	}
	m, err := gan.LoadModels(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.G.Config.Widths; !slices.Equal(w, []int{32, 16, 16, 8}) {
		t.Errorf("checkpoint's generator widths %v, want 32,16,16,8", w)
	}
}
