package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/dataimport"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/storage"
)

// demoSeed is the seed of the default synthetic world; the committed demo
// models were trained on the world it generates.
const demoSeed = 1

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

	world := filepath.Join(cfg.DataDir, "world")
	if _, err := os.Stat(filepath.Join(world, "items.csv")); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "demo: generating the default synthetic world in %s\n", world)
		if _, err := synth.Write(ctx, world, synth.DefaultConfig(demoSeed), false, bar.Func()); err != nil {
			return fmt.Errorf("demo: synthetic world: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()

	sum, err := dataimport.Import(ctx, bar.Func(), b.store, b.blobs, world, dataimport.Options{
		MaxImageBytes:  cfg.MaxUploadBytes,
		MaxImagePixels: cfg.MaxUploadPixels,
	})
	bar.Done()
	if err != nil {
		return fmt.Errorf("demo: import %s: %w", world, err)
	}
	fmt.Fprintf(e.stderr, "demo: catalog imported (%d new rows, %d skipped)\n", sum.New(), sum.Skipped())

	if err := registerDemoModels(ctx, b, e.stderr); err != nil {
		return fmt.Errorf("demo: models: %w", err)
	}
	key, err := demoSellerKey(ctx, b.store, filepath.Join(cfg.DataDir, "demo-seller.key"))
	if err != nil {
		return fmt.Errorf("demo: seller: %w", err)
	}
	segs, err := b.store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil {
		return fmt.Errorf("demo: segments: %w", err)
	}
	fmt.Fprintf(e.stdout, "Atelier demo: http://%s\n", cfg.Addr)
	fmt.Fprintf(e.stdout, "demo seller API key: %s\n", key)
	fmt.Fprintf(e.stdout, "segments:\n")
	for _, s := range segs {
		fmt.Fprintf(e.stdout, "  %s  %s (%s)\n", s.ID, s.Name, s.Kind)
	}
	if *prepareOnly {
		return nil
	}
	return serve(ctx, cfg, log, b)
}

// registerDemoModels stores the committed demo checkpoints (the
// recommender, and the GAN models file of generator, discriminator and
// encoder) as model versions, and activates each where no version of its
// kind is active.
func registerDemoModels(ctx context.Context, b *backends, w io.Writer) error {
	for _, m := range []struct {
		kind, file string
		metrics    func(io.Reader) (map[string]float64, error)
	}{
		{atelier.ModelRecommender, "recommender.safetensors", recommenderMetrics},
		{atelier.ModelGAN, "gan.safetensors", nil},
	} {
		data, err := models.Demo(m.file)
		if err != nil {
			return err
		}
		var metrics map[string]float64
		if m.metrics != nil {
			if metrics, err = m.metrics(bytes.NewReader(data)); err != nil {
				return fmt.Errorf("demo %s: %w", m.kind, err)
			}
		}
		mv, err := registerModel(ctx, b.store, b.blobs, m.kind, data, metrics)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "demo: %s model version %s (active: %v)\n", m.kind, mv.ID, mv.Active)
	}
	return nil
}

// demoSellerKey returns the demo seller's API key, creating the seller the
// first time and keeping its key in path (keys are stored hashed, so the
// file is the only place the plain key lives).
func demoSellerKey(ctx context.Context, store *storage.Store, path string) (string, error) {
	if raw, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(raw))
		if _, err := store.SellerByAPIKey(ctx, key); err == nil {
			return key, nil
		}
		// The database was reset under the key file: make a new seller.
	}
	_, key, err := store.CreateSeller(ctx, atelier.Seller{Name: "Demo seller"}, "")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", err
	}
	return key, nil
}
