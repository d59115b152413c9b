// Package storagetest gives tests real backends: a fresh SQLite file or
// PostgreSQL database, a fresh local blob directory or MinIO bucket, each
// removed when the test ends. PostgreSQL and MinIO are used when their
// admin URLs are in the environment (PostgresEnv, MinIOEnv); without them
// those tests skip, or fail when RequireEnv is "1".
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Environment variables read by the helpers.
const (
	// PostgresEnv holds an admin URL, e.g.
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
	PostgresEnv = "ATELIER_TEST_POSTGRES_URL"
	// MinIOEnv holds a server URL without bucket, e.g.
	// minio://minioadmin:minioadmin@127.0.0.1:9000?tls=false.
	MinIOEnv = "ATELIER_TEST_MINIO_URL"
	// RequireEnv set to "1" turns a missing server URL into a failure.
	RequireEnv = "ATELIER_TEST_REQUIRE_SERVERS"
)

// cleanupTimeout bounds the removal of a test database or bucket.
const cleanupTimeout = 30 * time.Second

// serverURL returns the environment variable name's value, or skips (or,
// when servers are required, fails) the test.
func serverURL(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s is not set but %s=1", name, RequireEnv)
	}
	t.Skipf("%s is not set; skipping the real-server test", name)
	return ""
}

// randomName returns prefix followed by 12 random hex digits.
func randomName(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// SQLiteURL returns the URL of a new SQLite file in the test's temp dir.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "atelier.db")
}

// Backend is one kind of server a suite runs against.
type Backend struct {
	Name string                    // subtest name: sqlite, postgres, local, minio
	URL  func(t testing.TB) string // creates a fresh database or bucket
}

// Databases lists the database backends.
func Databases() []Backend {
	return []Backend{{"sqlite", SQLiteURL}, {"postgres", PostgresURL}}
}

// BlobStores lists the blob backends.
func BlobStores() []Backend {
	return []Backend{{"local", LocalBlobURL}, {"minio", MinIOURL}}
}

// ForEachDatabase runs fn as one subtest per database backend (named
// sqlite and postgres), each with a freshly opened, migrated store.
func ForEachDatabase(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Helper()
	for _, b := range Databases() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, OpenStore(t, b.URL(t)))
		})
	}
}

// ForEachBlobStore runs fn as one subtest per blob backend (named local and
// minio), each with a fresh, empty store.
func ForEachBlobStore(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Helper()
	for _, b := range BlobStores() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, OpenBlob(t, b.URL(t)))
		})
	}
}

// OpenStore opens databaseURL and closes the store when the test ends;
// the store's warnings go to the test log.
func OpenStore(t testing.TB, databaseURL string, opts ...storage.Option) *storage.Store {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := storage.Open(context.Background(), databaseURL, log, opts...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// OpenBlob opens a blob store by URL.
func OpenBlob(t testing.TB, rawURL string, opts ...blob.Option) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), rawURL, opts...)
	if err != nil {
		t.Fatalf("open blob store: %v", err)
	}
	return s
}

// LocalBlobURL returns the file:// URL of a new directory.
func LocalBlobURL(t testing.TB) string {
	t.Helper()
	return "file://" + filepath.Join(t.TempDir(), "blobs")
}

// testWriter sends log lines to t.Log, so they show with the failing test.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// ForEachBackend runs fn as one subtest per deployment the product
// supports: SQLite with a local blob folder (the embedded defaults) and
// PostgreSQL with MinIO (a deployment that scales out), each fresh.
func ForEachBackend(t *testing.T, fn func(t *testing.T, s *storage.Store, b blob.Store)) {
	t.Helper()
	t.Run("sqlite+local", func(t *testing.T) {
		fn(t, OpenStore(t, SQLiteURL(t)), OpenBlob(t, LocalBlobURL(t)))
	})
	t.Run("postgres+minio", func(t *testing.T) {
		fn(t, OpenStore(t, PostgresURL(t)), OpenBlob(t, MinIOURL(t)))
	})
}

// ForEachBackendPair runs fn as one subtest per pair of database and blob
// backends (sqlite/local, sqlite/minio, postgres/local, postgres/minio),
// for code whose behaviour depends on each backend separately.
func ForEachBackendPair(t *testing.T, fn func(t *testing.T, s *storage.Store, b blob.Store)) {
	t.Helper()
	for _, db := range Databases() {
		for _, bs := range BlobStores() {
			t.Run(db.Name+"/"+bs.Name, func(t *testing.T) {
				fn(t, OpenStore(t, db.URL(t)), OpenBlob(t, bs.URL(t)))
			})
		}
	}
}
