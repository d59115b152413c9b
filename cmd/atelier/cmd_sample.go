package main

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier/gan"
)

// runSample draws a grid of generated images:
// `atelier sample --gan FILE --n 64 --out grid.png`.
func runSample(ctx context.Context, e env, args []string) error {
	fs := newFlags("sample", e)
	path := fs.String("gan", "", "GAN checkpoint or models `file` (required)")
	n := fs.Int("n", 64, "number of images")
	out := fs.String("out", "", "output PNG `file` (required)")
	seed := fs.Int64("seed", 1, "seed of the latent vectors")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *path == "":
		return usagef("sample: --gan is required")
	case *out == "":
		return usagef("sample: --out is required")
	case *n < 1 || *n > 1024:
		return usagef("sample: --n %d: want 1 to 1024", *n)
	}
	m, err := gan.LoadModels(*path)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	img, err := m.SampleGrid(ctx, *n, *seed)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	if err := writePNGFile(*out, img); err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d samples at %d px\n", *out, *n, m.Size())
	return nil
}
