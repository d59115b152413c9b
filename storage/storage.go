// Package storage persists Atelier's records (sellers, consumers, items,
// interactions, choices, segments, model versions, background jobs with
// their redesigns and reports) in PostgreSQL or SQLite through GORM. Row
// structs with GORM tags stay in this package; callers see only the domain
// types of package atelier. The job queue that runs the jobs lives in
// storage/jobs.
package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// connectTimeout bounds how long Open waits for the database, so that a
// wrong URL fails at start instead of hanging.
const connectTimeout = 5 * time.Second

// Store is the metadata store of the service. It is safe for concurrent use
// and may be shared by several processes when backed by PostgreSQL.
type Store struct {
	db      *gorm.DB
	url     string // as given to Open; holds credentials
	dialect string // "sqlite" or "postgres"
	log     *slog.Logger
	now     func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that creation, update and job times are taken
// from (default time.Now), for reproducible tests.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database named by databaseURL (sqlite://PATH,
// postgres://... or postgresql://...), checks that it answers and brings
// the schema up to date. Migration only adds tables, columns and indexes;
// it never drops data. A nil log discards the store's log.
func Open(ctx context.Context, databaseURL string, log *slog.Logger, opts ...Option) (*Store, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dialector, dialect, where, err := dialectorFor(databaseURL)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		TranslateError:       true,
		DisableAutomaticPing: true, // we ping ourselves, with a deadline
		NowFunc:              func() time.Time { return dbTime(time.Now()) },
		Logger:               newLogger(log),
	})
	if err != nil {
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "database could not be reached (%s)", where)
	}
	s := &Store{db: db, url: databaseURL, dialect: dialect, log: log, now: time.Now}
	for _, opt := range opts {
		opt(s)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	if dialect == "postgres" {
		// As many idle connections as open ones: a burst of concurrent
		// requests returns its connections to the pool instead of closing
		// all but a few, which made every later burst open new ones (a
		// PostgreSQL backend forked and authenticated per request, the
		// choice flow's tail latency). Idle ones close after five minutes.
		sqlDB.SetMaxOpenConns(maxConns)
		sqlDB.SetMaxIdleConns(maxConns)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "database could not be reached (%s)", where)
	}
	if dialect == "sqlite" {
		mode, err := useWAL(pingCtx, sqlDB)
		if err != nil {
			sqlDB.Close()
			return nil, atelier.Wrap(atelier.KindUnavailable, err, "database could not be reached (%s): journal mode", where)
		}
		if mode != "wal" {
			// Some file systems (network mounts) refuse WAL; SQLite
			// keeps its rollback journal, which is correct, only slower.
			log.Warn("sqlite database is not in WAL mode", "where", where, "mode", mode)
		}
	}
	if err := s.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	log.Debug("database opened", "dialect", dialect, "where", where)
	return s, nil
}

// maxConns bounds one process's PostgreSQL connections (open and idle).
const maxConns = 20

// dialectorFor turns a database URL into a GORM dialector, the dialect name
// and a description of where the database is that is safe to log.
func dialectorFor(raw string) (gorm.Dialector, string, string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, "", "", atelier.Errorf(atelier.KindInvalid, "database URL must look like sqlite://PATH or postgres://HOST/DB")
	}
	switch scheme {
	case "sqlite":
		path, _, _ := strings.Cut(rest, "?")
		if path == "" {
			return nil, "", "", atelier.Errorf(atelier.KindInvalid, "sqlite URL has no file path (want sqlite://PATH)")
		}
		if strings.ContainsAny(path, "#\x00") {
			return nil, "", "", atelier.Errorf(atelier.KindInvalid, "sqlite path %q contains a character that is not allowed", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, "", "", atelier.Wrap(atelier.KindUnavailable, err, "database could not be reached (sqlite %s): cannot create its directory", path)
		}
		// Immediate transactions take the write lock up front, so two
		// writers wait (busy_timeout) instead of failing on lock upgrade.
		// WAL is set once per Open (useWAL), not per connection. (No
		// _time_format: the driver ignores _txlock when it is given. Times
		// are stored in Go's format, always in UTC, so they still compare
		// correctly as text.)
		dsn := "file:" + path + "?_pragma=foreign_keys(1)" +
			"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		return sqlite.Open(dsn), "sqlite", "sqlite " + path, nil
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil {
			return nil, "", "", atelier.Errorf(atelier.KindInvalid, "postgres URL does not parse: %v", err)
		}
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", fmt.Sprint(int(connectTimeout.Seconds())))
		}
		// pgx prepares and caches statements; after a few runs PostgreSQL
		// switches them to a generic plan, which no longer hashes long
		// "IN (...)" lists (import batches resolve 500 ids at once: 90 ms
		// generic against 1 ms custom). Custom plans cost little here.
		if q.Get("plan_cache_mode") == "" {
			q.Set("plan_cache_mode", "force_custom_plan")
		}
		u.RawQuery = q.Encode()
		where := "postgres " + u.Host + u.Path
		return postgres.Open(u.String()), "postgres", where, nil
	default:
		return nil, "", "", atelier.Errorf(atelier.KindInvalid, "unsupported database URL scheme %q (want sqlite, postgres or postgresql)", scheme)
	}
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// SQLDB returns the database handle under the store, and DatabaseURL the
// URL it was opened with (credentials included: never log it). They exist
// for the job queue's engine (storage/jobs), which opens its own pool on
// PostgreSQL and must share the store's pool on SQLite; nothing else
// should bypass the store.
func (s *Store) SQLDB() (*sql.DB, error) { return s.db.DB() }

// DatabaseURL: see SQLDB.
func (s *Store) DatabaseURL() string { return s.url }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return atelier.Wrap(atelier.KindUnavailable, err, "database is unavailable")
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	return sqlDB.Close()
}

// migrate creates or extends the schema. Several processes may start at
// once: on PostgreSQL an advisory lock serialises their migrations, on
// SQLite one immediate transaction does (SQLite's DDL is transactional).
func (s *Store) migrate(ctx context.Context) error {
	run := func(tx *gorm.DB) error {
		if err := s.checkLegacyJobSchema(tx); err != nil {
			return err
		}
		if err := tx.AutoMigrate(allRows()...); err != nil {
			return fmt.Errorf("migrate schema: %w", err)
		}
		return nil
	}
	db := s.db.WithContext(ctx)
	if s.dialect != "postgres" {
		return db.Transaction(run)
	}
	return db.Connection(func(tx *gorm.DB) error {
		const lockID = 0x6174656c696572 // "atelier"
		if err := tx.Exec("SELECT pg_advisory_lock(?)", lockID).Error; err != nil {
			return fmt.Errorf("migrate schema: lock: %w", err)
		}
		defer tx.Exec("SELECT pg_advisory_unlock(?)", lockID)
		return run(tx)
	})
}

// newID returns a fresh id: a version-7 UUID, which sorts by creation time
// so that ids double as a stable pagination cursor.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// dbTime normalises a time to what both databases store exactly: UTC with
// microsecond precision. Without it a time read back would differ from the
// one written, and the natural key of interactions would not match.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// stamp returns the store clock's current time, normalised.
func (s *Store) stamp() time.Time { return dbTime(s.now()) }

// ptrTime stores a zero time as NULL.
func ptrTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = dbTime(t)
	return &t
}

func valTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// ptrString stores "" as NULL (optional foreign keys).
func ptrString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func valString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.db.WithContext(ctx).Transaction(fn)
	// A transaction that could not begin, lost its connection midway or
	// could not commit: the database is down, not the request wrong.
	if err != nil && atelier.ErrorKind(err) == atelier.KindInternal && isUnavailable(err) {
		return unavailable(err, "transaction")
	}
	return err
}
