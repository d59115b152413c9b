package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, raw := range []string{"", "mysql://x/y", "sqlite://", "postgres"} {
		_, err := storage.Open(context.Background(), raw, nil)
		testkit.WantKind(t, err, atelier.KindInvalid)
	}
}

func TestOpenFailsFastWhenUnreachable(t *testing.T) {
	start := time.Now()
	// Port 1 on loopback refuses connections at once; the point is a clear
	// error, not a hang.
	_, err := storage.Open(context.Background(), "postgres://postgres@127.0.0.1:1/atelier?sslmode=disable", nil)
	testkit.WantKind(t, err, atelier.KindUnavailable)
	if !strings.Contains(err.Error(), "could not be reached") {
		t.Fatalf("error %q does not say the database could not be reached", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Open took %s to fail", d)
	}
}

func TestSQLiteCreatesDirectoryAndKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "atelier.db")
	ctx := context.Background()
	s := storagetest.OpenStore(t, "sqlite://"+path)
	seller, key := newSeller(t, s, "Alice")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	// Reopening migrates again and must keep the rows.
	s2 := storagetest.OpenStore(t, "sqlite://"+path)
	got := testkit.Must(s2.SellerByAPIKey(ctx, key))(t)
	if got.ID != seller.ID {
		t.Fatalf("after reopen got seller %q, want %q", got.ID, seller.ID)
	}
}

func TestPing(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s.Dialect() != t.Name()[strings.LastIndex(t.Name(), "/")+1:] {
			t.Fatalf("dialect %q in subtest %s", s.Dialect(), t.Name())
		}
	})
}

func TestReopenPostgresKeepsData(t *testing.T) {
	url := storagetest.PostgresURL(t)
	ctx := context.Background()
	s := storagetest.OpenStore(t, url)
	c := testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "c-1"}))(t)
	s2 := storagetest.OpenStore(t, url)
	if got := testkit.Must(s2.GetConsumer(ctx, c.ID))(t); got.ExternalID != "c-1" {
		t.Fatalf("got %+v", got)
	}
}

func TestGetConsumers(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ids []string
		for i := range 1200 { // more than one IN list
			ids = append(ids, testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: fmt.Sprintf("c-%04d", i)}))(t).ID)
		}
		got := testkit.Must(s.GetConsumers(ctx, append(ids, "no-such-consumer")))(t)
		if len(got) != len(ids) {
			t.Fatalf("%d consumers, want %d", len(got), len(ids))
		}
		for i, id := range ids {
			if got[id].ExternalID != fmt.Sprintf("c-%04d", i) {
				t.Fatalf("consumer %s: %+v", id, got[id])
			}
		}
		if empty := testkit.Must(s.GetConsumers(ctx, nil))(t); len(empty) != 0 {
			t.Fatalf("no ids gave %v", empty)
		}
	})
}

func TestClock(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	s := storagetest.OpenStore(t, storagetest.SQLiteURL(t), storage.WithClock(func() time.Time { return now }))
	seller, _ := newSeller(t, s, "Alice")
	if !seller.CreatedAt.Equal(now) {
		t.Fatalf("created at %v, want the store clock's %v", seller.CreatedAt, now)
	}
}

// Several processes (serve and workers) may start at once on one SQLite
// file: their migrations must not trip over each other.
func TestConcurrentOpensOfOneSQLiteFile(t *testing.T) {
	url := storagetest.SQLiteURL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := storage.Open(context.Background(), url, nil)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	s := storagetest.OpenStore(t, url)
	db := testkit.Must(s.SQLDB())(t)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q (%v), want wal", mode, err)
	}
}
