package sessions_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/sessions"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestRunSweepsIdleSessions: a serve process's sweeper deletes sessions
// idle past the TTL on both databases, and leaves live ones.
func TestRunSweepsIdleSessions(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		old := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "old", Rounds: 1}))(t)
		time.Sleep(1100 * time.Millisecond)
		live := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "live", Rounds: 1}))(t)
		w := sessions.Sweeper{Store: s, TTL: time.Second, Log: slog.New(slog.DiscardHandler)}
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := s.GetChoiceSession(ctx, old.ID)
			if atelier.ErrorKind(err) == atelier.KindNotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("idle session not swept: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-done
		// The live session stays, unless a later sweep found it idle for
		// the TTL too (a slow machine).
		if _, err := s.GetChoiceSession(context.Background(), live.ID); err != nil && time.Since(live.UpdatedAt) < w.TTL {
			t.Fatalf("live session swept: %v", err)
		}
	})
}

// batches is a fake store that has n sessions to sweep, or fails.
type batches struct {
	mu    sync.Mutex
	left  int
	calls int
	err   error
}

func (b *batches) SweepChoiceSessions(_ context.Context, _ time.Duration, limit int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.err != nil {
		return 0, b.err
	}
	n := min(b.left, limit)
	b.left -= n
	return n, nil
}

func TestOnceSweepsInBatches(t *testing.T) {
	b := &batches{left: 2500}
	n, err := sessions.Sweeper{Store: b, TTL: time.Hour}.Once(context.Background())
	if err != nil || n != 2500 || b.calls != 3 {
		t.Fatalf("swept %d in %d calls (%v), want 2500 in 3", n, b.calls, err)
	}
}

func TestRunLogsFailures(t *testing.T) {
	var logs bytes.Buffer
	b := &batches{err: errors.New("database down")}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	sessions.Sweeper{Store: b, TTL: time.Hour, Log: slog.New(slog.NewTextHandler(&logs, nil))}.Run(ctx)
	if !strings.Contains(logs.String(), "database down") {
		t.Fatalf("failure not logged: %q", logs.String())
	}
	if got := (sessions.Sweeper{TTL: 24 * time.Hour}).Every(); got != 10*time.Minute {
		t.Fatalf("sweep interval %s for a 24h TTL, want 10m", got)
	}
}
