package main

import (
	"context"
	"fmt"
)

// runWorker runs job workers until SIGINT/SIGTERM, then lets running jobs
// finish for up to ATELIER_SHUTDOWN_TIMEOUT and puts the others back in the
// queue. Several workers (and `atelier serve` processes) may share one
// database and blob store; with SQLite they must run on the same machine.
func runWorker(ctx context.Context, e env, args []string) error {
	fs := newFlags("worker", e)
	workers := fs.Int("workers", -1, "jobs of each kind to run at once (default: ATELIER_WORKERS)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	n := cfg.Workers
	if *workers >= 0 {
		n = *workers
	}
	if n < 1 || n > 64 {
		return usagef("worker: want 1 to 64 workers per kind (ATELIER_WORKERS or -workers), got %d", n)
	}
	log := newLogger(cfg, e.stderr)
	log.Info("starting atelier worker", "version", version, "config", cfg, "workers_per_kind", n)

	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	q, err := openQueue(ctx, cfg, b, log, n)
	if err != nil {
		return err
	}
	defer q.Close()
	if err := q.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := q.Stop(sctx); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	log.Info("stopped")
	return nil
}
