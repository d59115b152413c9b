package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	atelier "github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
)

// runSynth writes a synthetic world (`atelier synth --out DIR ...`) or a
// catalog overview picture (`atelier synth grid --out FILE`).
func runSynth(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "grid" {
		return runSynthGrid(ctx, e, args[1:])
	}
	fs := newFlags("synth", e)
	def := synth.DefaultConfig(1)
	out := fs.String("out", "", "output directory of the dataset (required)")
	items := fs.Int("items", def.Items, "catalog size")
	consumers := fs.Int("consumers", def.Consumers, "simulated consumers")
	interactions := fs.Int("interactions", def.Interactions, "picks per consumer")
	personas := fs.String("personas", "", "persona file (default: the built-in personas)")
	seed := fs.Uint64("seed", def.Seed, "random seed; the same seed gives the same world")
	size := fs.Int("size", synth.DefaultSize, "image side in pixels")
	temperature := fs.Float64("temperature", 0.1, "softmax temperature of each pick")
	workers := fs.Int("workers", 0, "render goroutines (0: one per core); never changes the output")
	force := fs.Bool("force", false, "replace a non-empty output directory")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return usagef("synth: --out is required")
	}
	cfg := synth.Config{
		Items: *items, Consumers: *consumers, Interactions: *interactions, Seed: *seed,
		Size: *size, Temperature: *temperature, Workers: *workers,
	}
	cfg.Personas = synth.DefaultPersonas()
	if *personas != "" {
		ps, err := synth.LoadPersonas(*personas)
		if err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		cfg.Personas = ps
	}
	if err := cfg.Validate(); err != nil {
		return flagError("synth", err, "items", "consumers", "interactions", "size", "temperature")
	}

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	s, err := synth.Write(ctx, *out, cfg, *force, bar.Func())
	bar.Done()
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	segs := make([]string, 0, len(cfg.Personas))
	for _, p := range cfg.Personas {
		segs = append(segs, fmt.Sprintf("%s %d", p.Name, s.Segments[p.Name]))
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d items (%d px), %d consumers (%s), %d interactions in %.1fs (render %.0f images/s)\n",
		s.Dir, s.Items, cfg.Size, s.Consumers, strings.Join(segs, ", "), s.Interactions, s.TotalSeconds, s.ImagesPerSecond)
	return nil
}

// runSynthGrid renders a catalog overview: one row per category.
func runSynthGrid(_ context.Context, e env, args []string) error {
	fs := newFlags("synth grid", e)
	out := fs.String("out", "", "output PNG file (required)")
	seed := fs.Uint64("seed", 1, "random seed")
	size := fs.Int("size", 128, "tile side in pixels")
	per := fs.Int("per-category", 8, "items per category (one row each)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *out == "":
		return usagef("synth grid: --out is required")
	case *size < synth.MinSize || *size > synth.MaxSize:
		return usagef("synth grid: --size: %d px: want %d to %d", *size, synth.MinSize, synth.MaxSize)
	case *per < 1 || *per > 64:
		return usagef("synth grid: --per-category: %d: want 1 to 64", *per)
	}
	img := synth.Grid(synth.GridItems(*seed, *per), *per, *size)
	// Write next to the target and rename, so a failure leaves no broken file.
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp-")
	if err != nil {
		return fmt.Errorf("synth grid: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := imaging.WritePNG(tmp, img); err != nil {
		tmp.Close()
		return fmt.Errorf("synth grid: write %s: %w", *out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("synth grid: write %s: %w", *out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("synth grid: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("synth grid: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d categories × %d items at %d px\n", *out, synth.NumCategories, *per, *size)
	return nil
}

// flagError turns a validation error about one of the named flags into a
// usage error naming the flag; other errors pass through with the command
// name.
func flagError(cmd string, err error, flags ...string) error {
	if f := atelier.ErrorField(err); slices.Contains(flags, f) {
		return usagef("%s: --%s: %s", cmd, f, strings.TrimPrefix(atelier.ErrorMessage(err), f+": "))
	}
	return fmt.Errorf("%s: %w", cmd, err)
}
