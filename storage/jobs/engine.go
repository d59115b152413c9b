package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// engine is what the queue uses of a River client; *river.Client[pgx.Tx]
// (PostgreSQL) and *river.Client[*sql.Tx] (SQLite) both have it.
type engine interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Engine settings that are not worth configuring.
const (
	connectTimeout = 5 * time.Second
	pgMaxConns     = 8
	// attemptSlack lets River deliver a job a few more times than the job
	// has attempts: deliveries that fail before an attempt starts (the
	// database was briefly away) should not use up the job's attempts.
	attemptSlack = 5
	// migrationLock is the PostgreSQL advisory lock that serialises River
	// migrations of processes starting at once.
	migrationLock = 0x72697665 // "rive"
)

// openEngine builds the River client for the store's dialect, after
// migrating River's tables. close releases what it opened.
func openEngine(ctx context.Context, store *storage.Store, q *Queue) (engine, func(), error) {
	switch store.Dialect() {
	case "postgres":
		pool, err := openPool(ctx, store.DatabaseURL())
		if err != nil {
			return nil, nil, err
		}
		driver := riverpgxv5.New(pool)
		err = withPGLock(ctx, pool, func() error { return migrate(ctx, driver, q.log) })
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		client, err := newClient(driver, q)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		return client, pool.Close, nil
	case "sqlite":
		// River shares the store's pool: one SQLite library instance per
		// file keeps its locking sound, and the pool's DSN sets busy
		// waiting and immediate transactions for River too.
		db, err := store.SQLDB()
		if err != nil {
			return nil, nil, fmt.Errorf("job queue: database handle: %w", err)
		}
		driver := riversqlite.New(db)
		if err := migrateSQLite(ctx, db, driver, q.log); err != nil {
			return nil, nil, err
		}
		client, err := newClient(driver, q)
		if err != nil {
			return nil, nil, err
		}
		return client, func() {}, nil
	default:
		return nil, nil, fmt.Errorf("job queue: unsupported database dialect %q", store.Dialect())
	}
}

func openPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	unavailable := func(err error) error {
		where := "postgres"
		if u, perr := url.Parse(databaseURL); perr == nil {
			where += " " + u.Host + u.Path
		}
		return atelier.Wrap(atelier.KindUnavailable, err, "job queue: database could not be reached (%s)", where)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "job queue: postgres URL does not parse")
	}
	cfg.MaxConns = pgMaxConns
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unavailable(err)
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, unavailable(err)
	}
	return pool, nil
}

// withPGLock runs fn holding a session advisory lock on one connection.
func withPGLock(ctx context.Context, pool *pgxpool.Pool, fn func() error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("job queue: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // the session ends with the connection anyway
	return fn()
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	return nil
}

// migrateSQLite migrates in one transaction. Its write lock (the store's
// DSN makes transactions immediate) serialises processes starting at once
// on the same file, which PostgreSQL does with an advisory lock.
func migrateSQLite(ctx context.Context, db *sql.DB, driver *riversqlite.Driver, log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	//lint:ignore SA1019 SQLite's migrations are plain DDL, safe in one transaction.
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("job queue: migrate: %w", err)
	}
	return nil
}

// newClient builds the River client: one River queue per kind this
// process works (named like the kind), each with q.cfg.Workers slots, so
// an hour of training never keeps a redesign waiting.
func newClient[TTx any](driver riverdriver.Driver[TTx], q *Queue) (*river.Client[TTx], error) {
	cfg := &river.Config{
		Logger:              quiet(q.log),
		MaxAttempts:         q.cfg.MaxAttempts + attemptSlack,
		RetryPolicy:         backoff{base: q.cfg.RetryBackoff, max: MaxRetryBackoff},
		FetchPollInterval:   q.cfg.PollInterval,
		FetchCooldown:       min(q.cfg.PollInterval, 100*time.Millisecond),
		SkipUnknownJobCheck: true, // kinds this process does not work are worked elsewhere
		// Every worker sets its kind's timeout, which also gates River's
		// rescue of its River jobs; the reaper (heartbeats) is the fast path.
		JobTimeout:           q.cfg.RescueAfter,
		RescueStuckJobsAfter: q.cfg.RescueAfter,
	}
	if len(q.runners) > 0 {
		cfg.Workers = river.NewWorkers()
		cfg.Queues = map[string]river.QueueConfig{}
		for kind := range q.runners {
			if err := addWorker(cfg.Workers, kind, q); err != nil {
				return nil, fmt.Errorf("job queue: %w", err)
			}
			cfg.Queues[kind] = river.QueueConfig{MaxWorkers: q.cfg.Workers}
		}
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return client, nil
}

// quiet passes on River's warnings and errors only: its routine
// information (fetches, leadership) would drown the service's own log.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{log.With("component", "river").Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
