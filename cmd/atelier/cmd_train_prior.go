package main

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
)

// runTrainPrior fits the latent prior of a models file to a catalog and
// writes the models with it: `atelier train prior --dataset DIR --gan FILE
// --out FILE`. `atelier train encoder` does this at its end; this command
// refits it (another K, another catalog) without retraining anything.
func runTrainPrior(ctx context.Context, e env, args []string) error {
	fs := newFlags("train prior", e)
	dataset := fs.String("dataset", "", "dataset `directory` whose images/ to encode (required)")
	ganPath := fs.String("gan", "", "models `file` with a generator and an encoder (required)")
	out := fs.String("out", "", "models `file` to write (required; may be --gan itself)")
	components := fs.Int("components", gan.DefaultPriorComponents, "Gaussians in the mixture")
	seed := fs.Int64("seed", 1, "seed of the clustering")
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
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("train prior: %w", err)
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
	if err := gan.FitPriorTo(ctx, m, gan.Subset{Set: images, Indices: train}, gan.PriorConfig{Components: *components, Seed: *seed}, bar.Func()); err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	if err := m.Save(*out); err != nil {
		return fmt.Errorf("train prior: %w", err)
	}
	bar.Done()
	fmt.Fprintf(e.stdout, "fitted a %d-component latent prior to %d codes; models %s\n", m.Prior.Components(), len(train), *out)
	return nil
}
