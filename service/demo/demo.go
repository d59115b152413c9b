// Package demo prepares the product on its embedded defaults: the default
// synthetic world generated under the data folder (once), imported
// (idempotent), the committed demo models registered as model versions,
// and a demo seller whose key is kept in the data folder. Every step may
// run again on every start.
package demo

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
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Seed is the seed of the default synthetic world; the committed demo
// models were trained on the world it generates.
const Seed = 1

// Prepared is what a prepared demo offers its user.
type Prepared struct {
	SellerKey string // the demo seller's API key
	Segments  []atelier.Segment
}

// Config is where the demo lives and what its import accepts.
type Config struct {
	DataDir string
	Limits  dataimport.Limits
	// Log receives one line per step done (world generated, rows imported,
	// model versions registered).
	Log io.Writer
}

// Prepare makes the demo ready on the store and blob store.
func Prepare(ctx context.Context, store *storage.Store, blobs blob.Store, cfg Config, prog progress.Func) (Prepared, error) {
	world := filepath.Join(cfg.DataDir, "world")
	if err := ensureWorld(ctx, world, cfg.Log, prog); err != nil {
		return Prepared{}, fmt.Errorf("synthetic world: %w", err)
	}
	sum, err := dataimport.Import(ctx, prog, store, blobs, world, dataimport.Options{
		MaxImageBytes: cfg.Limits.MaxImageBytes, MaxImagePixels: cfg.Limits.MaxImagePixels})
	if err != nil {
		return Prepared{}, fmt.Errorf("import %s: %w", world, err)
	}
	fmt.Fprintf(cfg.Log, "demo: catalog imported (%d new rows, %d skipped)\n", sum.New(), sum.Skipped())
	if err := RegisterModels(ctx, store, blobs, cfg.Log); err != nil {
		return Prepared{}, fmt.Errorf("models: %w", err)
	}
	key, err := sellerKey(ctx, store, filepath.Join(cfg.DataDir, "demo-seller.key"))
	if err != nil {
		return Prepared{}, fmt.Errorf("seller: %w", err)
	}
	segs, err := store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil {
		return Prepared{}, fmt.Errorf("segments: %w", err)
	}
	return Prepared{SellerKey: key, Segments: segs}, nil
}

// ensureWorld generates the default synthetic world in dir unless it is
// there.
func ensureWorld(ctx context.Context, dir string, log io.Writer, prog progress.Func) error {
	_, err := os.Stat(filepath.Join(dir, "items.csv"))
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fmt.Fprintf(log, "demo: generating the default synthetic world in %s\n", dir)
	_, err = synth.Write(ctx, dir, synth.DefaultConfig(Seed), false, prog)
	return err
}

// RegisterModels stores the committed demo models files (the recommender,
// and the GAN models file of generator, discriminator and encoder) as
// model versions, and activates each where no version of its kind is
// active.
func RegisterModels(ctx context.Context, store *storage.Store, blobs blob.Store, log io.Writer) error {
	for _, m := range []struct {
		kind, file string
		metrics    func(io.Reader) (map[string]float64, error)
	}{
		{atelier.ModelRecommender, "recommender.safetensors", catalog.RecommenderMetrics},
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
		mv, err := catalog.RegisterModel(ctx, store, blobs, m.kind, data, metrics)
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "demo: %s model version %s (active: %v)\n", m.kind, mv.ID, mv.Active)
	}
	return nil
}

// sellerKey returns the demo seller's API key, creating the seller the
// first time and keeping its key in path (keys are stored hashed, so the
// file is the only place the plain key lives).
func sellerKey(ctx context.Context, store *storage.Store, path string) (string, error) {
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
