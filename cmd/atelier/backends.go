package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// backends are the process's connections to its database and blob store.
type backends struct {
	store *storage.Store
	blobs blob.Store
}

// loadConfig reads and validates the environment; its errors name the
// variable at fault.
func loadConfig(e env) (config.Config, error) {
	return config.Load(e.getenv)
}

// newLogger returns the process logger configured by cfg, writing to w.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openBackends connects to the database and the blob store named by cfg.
// An error names the variable whose target could not be used, so a bad
// ATELIER_DATABASE_URL fails fast with one line saying so.
func openBackends(ctx context.Context, cfg config.Config, log *slog.Logger) (*backends, error) {
	store, err := storage.Open(ctx, cfg.DatabaseURL, log.With("component", "storage"))
	if err != nil {
		return nil, fmt.Errorf("ATELIER_DATABASE_URL=%s: %w", config.Mask(cfg.DatabaseURL), err)
	}
	blobs, err := blob.Open(ctx, cfg.BlobURL)
	if err != nil {
		return nil, errors.Join(
			fmt.Errorf("ATELIER_BLOB_URL=%s: %w", config.Mask(cfg.BlobURL), err),
			store.Close())
	}
	return &backends{store: store, blobs: blobs}, nil
}

// Close closes the database connection.
func (b *backends) Close() error { return b.store.Close() }
