package main

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/service/demo"
)

// runDemo prepares the product on the embedded defaults and serves it: it
// generates the default synthetic world under the data directory (once),
// imports it (idempotent), makes sure a demo seller exists, prints its key
// and the consumer segments, then runs the service.
func runDemo(ctx context.Context, e env, args []string) error {
	flags := newFlags("demo", e)
	prepareOnly := flags.Bool("prepare-only", false, "prepare the demo data, print the key and segments, and exit")
	if err := parseFlags(flags, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()

	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	ready, err := demo.Prepare(ctx, b.store, b.blobs, demo.Config{DataDir: cfg.DataDir, Log: e.stderr,
		Limits: dataimport.Limits{MaxImageBytes: cfg.MaxUploadBytes, MaxImagePixels: cfg.MaxUploadPixels}}, bar.Func())
	bar.Done()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(e.stdout, "Atelier demo: http://%s\n", cfg.Addr)
	fmt.Fprintf(e.stdout, "demo seller API key: %s\n", ready.SellerKey)
	fmt.Fprintf(e.stdout, "segments:\n")
	for _, s := range ready.Segments {
		fmt.Fprintf(e.stdout, "  %s  %s (%s)\n", s.ID, s.Name, s.Kind)
	}
	if *prepareOnly {
		return nil
	}
	return serve(ctx, cfg, log, b)
}
