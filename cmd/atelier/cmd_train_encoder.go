package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/training"
)

// runTrainEncoder trains the inversion encoder of a trained GAN and writes
// the models file the redesign engine loads: `atelier train encoder
// --dataset DIR --gan FILE --out FILE`. The output holds the generator to
// use (the moving average), the discriminator, the new encoder and the
// latent prior fitted to its codes, its spread calibrated (--spread), so
// the encoder always travels with the generator it was trained for.
func runTrainEncoder(ctx context.Context, e env, args []string) error {
	def := gan.DefaultEncoderTrainConfig()
	fs := newFlags("train encoder", e)
	dataset := fs.String("dataset", "", "dataset `directory` whose images/ to learn (required)")
	ganPath := fs.String("gan", "", "trained GAN checkpoint `file` (required)")
	out := fs.String("out", "", "models `file` to write: generator, discriminator and encoder (required)")
	steps := fs.Int("steps", def.Steps, "training steps")
	batch := fs.Int("batch", def.Batch, "real images per step (and as many generated ones)")
	seed := fs.Int64("seed", def.Seed, "seed of the initial weights and of every step's random draws")
	lr := fs.Float64("lr", float64(def.LR), "learning rate")
	every := fs.Int("checkpoint-every", 500, "write the models file every `N` steps")
	components := fs.Int("prior-components", gan.DefaultPriorComponents, "Gaussians in the latent prior fitted to the encoder's codes at the end (0: none, random latents stay standard normal)")
	keepPrior := fs.Bool("keep-prior", false, "keep the --gan models' latent prior instead of fitting one (for a generator trained on it: train gan --prior-latents)")
	spread := spreadFlag(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "":
		return usagef("train encoder: --dataset is required")
	case *ganPath == "":
		return usagef("train encoder: --gan is required")
	case *out == "":
		return usagef("train encoder: --out is required")
	case *every < 1:
		return usagef("train encoder: --checkpoint-every must be positive")
	case *components < 0:
		return usagef("train encoder: --prior-components must not be negative")
	case *keepPrior && givenFlags(fs)["prior-components"]:
		return usagef("train encoder: --keep-prior and --prior-components exclude each other")
	}
	cfg := def
	cfg.Steps, cfg.Batch, cfg.Seed, cfg.LR = *steps, *batch, *seed, float32(*lr)
	if err := cfg.Validate(); err != nil {
		return flagError("train encoder", err, "steps", "batch", "lr")
	}

	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("train encoder: %w", err)
	}
	if *keepPrior && m.Prior == nil {
		return usagef("train encoder: --keep-prior: %s has no latent prior to keep", *ganPath)
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	images, err := loadCatalogImages(ctx, *dataset, m.Size(), bar.Func())
	if err != nil {
		return fmt.Errorf("train encoder: %w", err)
	}
	train, heldOut := gan.EncoderSplit(images.Len())
	fmt.Fprintf(e.stderr, "train encoder: %d images (%d held out for evaluation), %d steps of batch %d\n", len(train), len(heldOut), cfg.Steps, cfg.Batch)
	start := time.Now()
	stage := training.EncoderStage{Encoder: cfg, Components: *components, KeepPrior: *keepPrior, Spread: spread.Spread,
		Log: prefixed{e.stderr, "train encoder: "},
		OnStep: func(st gan.EncoderStats) error {
			if st.Step%*every == 0 {
				return m.Save(*out)
			}
			return nil
		}}
	if _, err = stage.Run(ctx, m, images, bar.Func()); err == nil {
		err = m.Save(*out)
	}
	if err != nil {
		return fmt.Errorf("train encoder: %w", err)
	}
	bar.Done()
	fmt.Fprintf(e.stdout, "trained encoder for %d steps in %.0fs; models %s\n", cfg.Steps, time.Since(start).Seconds(), *out)
	return nil
}

// prefixed writes each line with a prefix naming the command.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}
