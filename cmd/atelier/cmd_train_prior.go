package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/training"
)

// runTrainPrior fits the latent prior of a models file to a catalog and
// writes the models with it: `atelier train prior --dataset DIR --gan FILE
// --out FILE`. `atelier train encoder` does this at its end; this command
// refits it (another K, another catalog) without retraining anything, or
// with --keep only calibrates the spread of the prior the models have.
func runTrainPrior(ctx context.Context, e env, args []string) error {
	fs := newFlags("train prior", e)
	dataset := fs.String("dataset", "", "dataset `directory` whose images/ to encode (required)")
	ganPath := fs.String("gan", "", "models `file` with a generator and an encoder (required)")
	out := fs.String("out", "", "models `file` to write (required; may be --gan itself)")
	components := fs.Int("components", gan.DefaultPriorComponents, "Gaussians in the mixture")
	keep := fs.Bool("keep", false, "keep the models' prior instead of fitting one: only set its spread")
	seed := fs.Int64("seed", 1, "seed of the clustering and of the spread calibration's draws")
	spread := spreadFlag(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "":
		return usagef("train prior: --dataset is required")
	case *ganPath == "":
		return usagef("train prior: --gan is required")
	case *out == "":
		return usagef("train prior: --out is required")
	case *components < 1:
		return usagef("train prior: --components must be positive")
	case *keep && givenFlags(fs)["components"]:
		return usagef("train prior: --keep and --components exclude each other")
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	if *keep && m.Prior == nil {
		return usagef("train prior: --keep: %s has no latent prior to keep", *ganPath)
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	images, err := loadCatalogImages(ctx, *dataset, m.Size(), bar.Func())
	if err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	// The encoder's held-out images stay out of the fit too, so that
	// evaluations on them see a prior that never saw them.
	train, _ := gan.EncoderSplit(images.Len())
	set := gan.Subset{Set: images, Indices: train}
	if !*keep {
		if err := gan.FitPriorTo(ctx, m, set, gan.PriorConfig{Components: *components, Seed: *seed}, bar.Func()); err != nil {
			return fmt.Errorf("train prior: %w", err)
		}
	}
	if err := training.SetSpread(ctx, m, set, spread.Spread, *seed, e.stderr, bar.Func()); err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	if err := m.Save(*out); err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	bar.Done()
	verb := "fitted"
	if *keep {
		verb = "kept"
	}
	fmt.Fprintf(e.stdout, "%s a %d-component latent prior (spread %.3f, %d codes); models %s\n", verb, m.Prior.Components(), m.Prior.Spread, len(train), *out)
	return nil
}

// spreadSetting is the --spread flag: "auto" (calibrate) or a fixed
// positive τ.
type spreadSetting struct{ training.Spread }

// spreadFlag adds --spread to fs, "auto" by default.
func spreadFlag(fs *flag.FlagSet) *spreadSetting {
	s := &spreadSetting{training.AutoSpread}
	fs.Var(s, "spread", "spread τ of the latent prior's components: auto (calibrated so that the encoder's codes of samples match the catalog's) or a positive number (1: as fitted)")
	return s
}

func (s *spreadSetting) Set(v string) (err error) {
	s.Spread, err = training.ParseSpread(v)
	return err
}
