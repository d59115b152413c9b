package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier/api"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/lowprio"
	"github.com/atelier-app/atelier/service/backgrounds"
	"github.com/atelier-app/atelier/service/probes"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/service/sessions"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/ui"
)

// recommenderRefresh is how often the service checks for a newly activated
// recommender or new catalog items.
const recommenderRefresh = 30 * time.Second

// runServe runs the HTTP service, and ATELIER_WORKERS job workers of each
// kind, until SIGINT/SIGTERM; then it drains in-flight requests and lets
// running jobs finish, each for up to ATELIER_SHUTDOWN_TIMEOUT.
func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlags("serve", e)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	log.Info("starting atelier", "version", version, "config", cfg)

	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	return serve(ctx, cfg, log, b)
}

// serve runs the HTTP service on opened backends until ctx ends.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, b *backends) error {
	if cfg.AdminKey != "" {
		if _, err := b.store.EnsureOperator(ctx, "operator", cfg.AdminKey); err != nil {
			return fmt.Errorf("ATELIER_ADMIN_KEY: %w", err)
		}
	}

	queue, err := openQueue(ctx, cfg, b, log, cfg.Workers)
	if err != nil {
		return err
	}
	defer queue.Close()

	var blobHandler http.Handler
	if l, ok := b.blobs.(*blob.Local); ok {
		blobHandler = l.Handler() // the local store serves its own signed URLs
	}
	// The recommender runtime serves the active model version; it follows
	// activations by other processes and catalog growth by polling.
	rt := serving.New(serving.Config{Store: b.store, Blobs: b.blobs, Load: recommenderLoader(b.blobs),
		Log: log.With("component", "serving"), ProbeShare: cfg.ProbeShare})
	if err := rt.Refresh(ctx); err != nil {
		log.Warn("no recommender served yet", "err", err)
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go rt.Watch(wctx, recommenderRefresh) // logs its own failures

	bgs, err := openBackgrounds(wctx, cfg, b, rt, log)
	if err != nil {
		return err
	}
	defer bgs.Close()

	gin.SetMode(gin.ReleaseMode)
	srv := api.New(api.Deps{
		Log:         log,
		Checks:      []api.Check{{Name: "database", Checker: b.store}, {Name: "blob", Checker: b.blobs}},
		BlobHandler: blobHandler,
		Store:       b.store,
		Blobs:       b.blobs,
		Recommender: rt,
		Jobs:        queue,
		Limits: api.Limits{MaxUploadBytes: cfg.MaxUploadBytes, MaxUploadPixels: cfg.MaxUploadPixels, MaxReportRedesigns: cfg.ReportRedesignMax,
			MaxJSONBytes: cfg.MaxJSONBytes, RateAnon: cfg.RateAnon, RateSeller: cfg.RateSeller,
			SessionsPerClient: cfg.SessionsPerClient, SessionTTL: cfg.SessionTTL,
			RequestTimeout: cfg.RequestTimeout, UploadTimeout: cfg.UploadTimeout},
		Timeouts:       api.Timeouts{ReadHeader: cfg.ReadHeaderTimeout, Read: cfg.ReadTimeout, Write: cfg.WriteTimeout, Idle: cfg.IdleTimeout},
		TrustedProxies: cfg.TrustedProxies,
		ProbePool:      cfg.ProbePool,
		ImageURLTTL:    cfg.ImageURLTTL,
		Pages:          ui.Register,
		Backgrounds:    bgs,
	})
	// Abandoned choice sessions expire (ATELIER_SESSION_TTL).
	go sessions.Sweeper{Store: b.store, TTL: cfg.SessionTTL, Log: log.With("component", "sessions")}.Run(wctx)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ATELIER_ADDR=%s: %w", cfg.Addr, err)
	}
	// Workers start once the address is ours: a service that cannot
	// listen takes no jobs.
	if err := queue.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	// The choice flow's probes: a pool for the active models, queued once
	// per pair (a worker builds it; the runtime loads it when ready).
	if cfg.ProbePool > 0 {
		if _, _, err := probes.Ensure(ctx, b.store, queue, cfg.ProbePool); err != nil {
			log.Warn("probe pool not queued", "err", err)
		}
	}
	log.Info("listening", "addr", ln.Addr().String())
	serveErr := srv.Serve(ctx, ln, cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := errors.Join(serveErr, queue.Stop(sctx)); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// openBackgrounds opens the background suggestions with their index in the
// data directory, and seeds the built-in library in the background (the
// first suggestions wait for it).
func openBackgrounds(ctx context.Context, cfg config.Config, b *backends, rt *serving.Runtime, log *slog.Logger) (*backgrounds.Service, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("ATELIER_DATA_DIR=%s: %w", cfg.DataDir, err)
	}
	svc, err := backgrounds.New(backgrounds.Config{Store: b.store, Blobs: b.blobs,
		IndexPath: filepath.Join(cfg.DataDir, "backgrounds.bleve"), Categorize: rt, Log: log.With("component", "backgrounds")})
	if err != nil {
		return nil, err
	}
	// At a lower priority than requests: rendering and encoding the
	// scenes takes seconds of CPU at a first start.
	lowprio.Go(func() {
		if err := svc.EnsureLibrary(ctx); err != nil && ctx.Err() == nil {
			log.Warn("background library not seeded yet", "err", err)
		}
	})
	return svc, nil
}
