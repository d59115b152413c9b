// Package servicetest gives the service layer's tests what they share: a
// small synthetic world on disk, tiny models trained or drawn for it, the
// world imported into real backends, and models registered as active
// versions. Each helper creates what it needs in the test's temporary
// folders; the backends come from storagetest.
package servicetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// World writes a synthetic world of the given size (seed 1, 64 px images)
// to a fresh folder and returns its path.
func World(t testing.TB, items, consumers, interactions int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "world")
	cfg := synth.DefaultConfig(1)
	cfg.Items, cfg.Consumers, cfg.Interactions = items, consumers, interactions
	if _, err := synth.Write(context.Background(), dir, cfg, false, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Models are the paths of tiny models for a world: an untrained 64 px GAN
// and a recommender trained for two epochs.
type Models struct {
	GAN, Recommender string
}

// TinyModels makes tiny models for the world in dir.
func TinyModels(t testing.TB, dir string) Models {
	t.Helper()
	ctx := context.Background()
	out := Models{GAN: filepath.Join(t.TempDir(), "gan.safetensors"), Recommender: filepath.Join(t.TempDir(), "rec.safetensors")}
	g, err := gan.NewGAN(gan.GeneratorConfig{ZDim: 8, Widths: []int{8, 8, 8, 8}},
		gan.DiscriminatorConfig{Size: 64, Widths: []int{4, 4, 4, 4}, Group: 2, Gain: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Models().Save(out.GAN); err != nil {
		t.Fatal(err)
	}
	d, err := recommender.LoadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: recommender.DefaultColdFraction, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	images, err := d.LoadImages(ctx, atelier.ModelSize, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := recommender.Train(ctx, recommender.NewTrainData(d, images), split,
		recommender.TrainConfig{Arch: recommender.Arch{Dim: 8}, Epochs: 2, Batch: 16, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Save(out.Recommender); err != nil {
		t.Fatal(err)
	}
	return out
}

// Import loads the world in dir into the backends and makes its persona
// segments, as an operator does with `atelier import`.
func Import(t testing.TB, s *storage.Store, b blob.Store, dir string) {
	t.Helper()
	ctx := context.Background()
	if _, err := dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncImportedSegments(ctx); err != nil {
		t.Fatal(err)
	}
}

// Register registers the model files (by kind) as active versions.
func Register(t testing.TB, s *storage.Store, b blob.Store, files map[string]string) {
	t.Helper()
	for kind, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.RegisterModel(context.Background(), s, b, kind, data, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// ForEachImported runs fn on each deployment's backends
// (storagetest.ForEachBackend) with the world in dir imported.
func ForEachImported(t *testing.T, dir string, fn func(t *testing.T, s *storage.Store, b blob.Store)) {
	t.Helper()
	storagetest.ForEachBackend(t, func(t *testing.T, s *storage.Store, b blob.Store) {
		Import(t, s, b, dir)
		fn(t, s, b)
	})
}
