package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// fast is a configuration with short times, so that retries, heartbeats
// and rescues happen within a test; RescueAfter leaves room for a machine
// busy with other work.
func fast(workers int) jobs.Config {
	return jobs.Config{
		Workers:          workers,
		RescueAfter:      2 * time.Second,
		RetryBackoff:     150 * time.Millisecond,
		ProgressInterval: 20 * time.Millisecond,
		PollInterval:     100 * time.Millisecond,
	}
}

// openQueue opens a queue on s and starts its workers; it is stopped and
// closed when the test ends.
func openQueue(t *testing.T, s *storage.Store, cfg jobs.Config, h jobs.Handlers) *jobs.Queue {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := jobs.Open(context.Background(), s, cfg, h, log)
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("start queue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
		q.Close()
	})
	return q
}

// testWriter sends log lines to t.Log; lines after the test ended (from
// goroutines still stopping) are dropped.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }()
	w.t.Log(string(p))
	return len(p), nil
}

// waitFor polls cond every 20 ms until it holds, failing after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus waits until job id has a final status and returns the job.
func waitFinal(t *testing.T, s *storage.Store, id string, timeout time.Duration) atelier.Job {
	t.Helper()
	var j atelier.Job
	waitFor(t, timeout, "job "+id+" to finish", func() bool {
		var err error
		j, err = s.GetJob(context.Background(), id, atelier.AllScope())
		if err != nil {
			t.Fatal(err)
		}
		return j.Status.Final()
	})
	return j
}

// world is what a redesign needs: a seller with an item, a segment.
type world struct {
	seller  atelier.Seller
	item    atelier.Item
	segment atelier.Segment
}

func newWorld(t testing.TB, s *storage.Store) world {
	t.Helper()
	ctx := context.Background()
	var w world
	var err error
	if w.seller, _, err = s.CreateSeller(ctx, atelier.Seller{Name: "Alice"}, ""); err != nil {
		t.Fatal(err)
	}
	w.item, err = s.CreateItem(ctx, atelier.Item{
		ExternalID: "alice-1", OwnerID: w.seller.ID, Category: "dress", Attributes: map[string]string{},
		Images: []atelier.Image{{OriginalKey: "items/a/o.jpg", ModelKey: "items/a/m.png", Width: 64, Height: 64, ContentType: "image/jpeg"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.segment, err = s.CreateSegment(ctx, atelier.Segment{Name: "students", Kind: atelier.SegmentImported}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w world) redesign(seed int64) atelier.RedesignJob {
	return atelier.RedesignJob{SellerID: w.seller.ID, ItemID: w.item.ID, SegmentID: w.segment.ID, N: 3, Epsilon: 0.5, Steps: 10, Seed: seed}
}

// variants is a redesign's result for job id: n variants.
func variants(id string, n int) atelier.RedesignResult {
	var r atelier.RedesignResult
	for i := 1; i <= n; i++ {
		r.Variants = append(r.Variants, atelier.Variant{
			Rank: i, ImageKey: fmt.Sprintf("redesigns/%s/%d.png", id, i), Scores: map[string]float64{"lift": 1 / float64(i)}, Passed: true,
		})
	}
	return r
}

// runs counts handler runs per job id.
type runs struct {
	mu    sync.Mutex
	calls map[string][]time.Time
}

func (r *runs) add(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string][]time.Time{}
	}
	r.calls[id] = append(r.calls[id], time.Now())
	return len(r.calls[id])
}

func (r *runs) of(id string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.calls[id]...)
}

// steps runs n steps of d each, reporting progress before each, and stops
// early when ctx ends.
func steps(ctx context.Context, report progress.Func, stage string, n int, d time.Duration) error {
	for i := range n {
		report.Report(progress.Update{Stage: stage, Step: i, Total: n})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	report.Report(progress.Update{Stage: stage, Step: n, Total: n})
	return nil
}

var _ = storagetest.Databases
