package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/dataimport"
)

// openImported opens the backends that env configures (closed when the
// test ends), imports the synthetic world in dir into them and makes its
// persona segments, as an operator would with `atelier import`.
func openImported(ctx context.Context, t *testing.T, env map[string]string, dir string) (config.Config, *backends) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b, err := openBackends(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if _, err := dataimport.Import(ctx, nil, b.store, b.blobs, dir, dataimport.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.SyncImportedSegments(ctx); err != nil {
		t.Fatal(err)
	}
	return cfg, b
}

// registerFiles registers model files (by kind) as active versions.
func registerFiles(ctx context.Context, t *testing.T, b *backends, files map[string]string) {
	t.Helper()
	for kind, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.RegisterModel(ctx, b.store, b.blobs, kind, data, nil); err != nil {
			t.Fatal(err)
		}
	}
}
