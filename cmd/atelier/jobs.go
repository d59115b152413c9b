package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/atelier-app/atelier/api"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/service/probes"
	"github.com/atelier-app/atelier/service/redesign"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/service/training"
	"github.com/atelier-app/atelier/storage/jobs"
)

// The API queues and cancels jobs on the queue directly.
var _ api.Jobs = (*jobs.Queue)(nil)

// openQueue opens the job queue on the backends' database, with workers
// jobs of each kind running at once (0: the queue only enqueues, cancels
// and reads jobs). Start it to run the workers.
func openQueue(ctx context.Context, cfg config.Config, b *backends, log *slog.Logger, workers int) (*jobs.Queue, error) {
	q, err := jobs.Open(ctx, b.store, jobs.Config{
		Workers:      workers,
		RescueAfter:  cfg.JobRescueAfter,
		MaxAttempts:  cfg.JobMaxAttempts,
		RetryBackoff: cfg.JobRetryBackoff,
	}, jobHandlers(cfg, b), log.With("component", "jobs"))
	if err != nil {
		return nil, fmt.Errorf("ATELIER_DATABASE_URL=%s: %w", config.Mask(cfg.DatabaseURL), err)
	}
	return q, nil
}

// jobHandlers wires each job kind to the service package that does its
// work.
func jobHandlers(cfg config.Config, b *backends) jobs.Handlers {
	train := training.NewEngine(b.store, b.blobs)
	return jobs.Handlers{
		TrainRecommender: train.TrainRecommender,
		TrainGAN:         train.TrainGAN,
		Redesign:         redesign.NewEngine(b.store, b.blobs, cfg.WatermarkKey).Run,
		Import: dataimport.Job(b.store, b.blobs, dataimport.Limits{
			MaxImageBytes: cfg.MaxUploadBytes, MaxImagePixels: cfg.MaxUploadPixels}),
		Report:    report.NewEngine(b.store, b.blobs).Run,
		ProbePool: probes.Job(b.store, b.blobs, cfg.WatermarkKey),
	}
}
