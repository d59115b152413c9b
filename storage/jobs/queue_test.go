package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestJobsRunExactlyOnceWithCompetingWorkers(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		var ran runs
		h := jobs.Handlers{
			Import: func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
				ran.add(job.ID)
				if err := steps(ctx, report, "import", 3, 20*time.Millisecond); err != nil {
					return nil, err
				}
				return json.RawMessage(`{"items": 3}`), nil
			},
			Redesign: func(ctx context.Context, job atelier.RedesignJob, report progress.Func) (atelier.RedesignResult, error) {
				ran.add(job.ID)
				if err := steps(ctx, report, "shift", 3, 20*time.Millisecond); err != nil {
					return atelier.RedesignResult{}, err
				}
				return variants(job.ID, job.N), nil
			},
		}
		// Three worker processes share the database; a fourth only
		// enqueues.
		for range 3 {
			openQueue(t, s, fast(2), h)
		}
		api := openQueue(t, s, fast(0), jobs.Handlers{})
		var ids []string
		for i := range 8 {
			j, created, err := api.Enqueue(ctx, atelier.JobImport, "", json.RawMessage(fmt.Sprintf(`{"part": %d}`, i)), "")
			if err != nil || !created {
				t.Fatalf("enqueue: created=%v err=%v", created, err)
			}
			ids = append(ids, j.ID)
		}
		var redesigns []string
		for i := range 4 {
			r, _, err := api.EnqueueRedesign(ctx, w.redesign(int64(i)), "")
			if err != nil {
				t.Fatal(err)
			}
			redesigns = append(redesigns, r.ID)
		}
		for _, id := range append(ids, redesigns...) {
			j := waitFinal(t, s, id, 30*time.Second)
			if j.Status != atelier.JobSucceeded || j.Attempt != 1 || j.Error != "" {
				t.Errorf("job %s: %+v", id, j)
			}
			if n := len(ran.of(id)); n != 1 {
				t.Errorf("job %s ran %d times", id, n)
			}
		}
		for _, id := range ids {
			j := testkit.Must(api.Get(ctx, id, atelier.AllScope()))(t)
			if string(j.Result) != `{"items": 3}` || j.Progress.Stage != "import" || j.Progress.Step != 3 {
				t.Errorf("import %s: result %s progress %+v", id, j.Result, j.Progress)
			}
		}
		for _, id := range redesigns {
			r := testkit.Must(s.GetRedesignJob(ctx, id, atelier.AllScope()))(t)
			if len(r.Variants) != 3 || r.Progress != (atelier.Progress{Stage: "shift", Step: 3, Total: 3}) {
				t.Errorf("redesign %s: %d variants, progress %+v", id, len(r.Variants), r.Progress)
			}
		}
		list := testkit.Must(api.List(ctx, atelier.AllScope(), storage.JobFilter{Status: atelier.JobSucceeded}))(t)
		if len(list) != len(ids)+len(redesigns) {
			t.Errorf("%d succeeded jobs listed, want %d", len(list), len(ids)+len(redesigns))
		}
	})
}

func TestFailingJobIsRetriedWithBackoffThenFails(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ran runs
		cfg := fast(1)
		cfg.MaxAttempts = 3
		q := openQueue(t, s, cfg, jobs.Handlers{
			Import: func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
				n := ran.add(job.ID)
				var args struct{ Mode string }
				if err := json.Unmarshal(job.Args, &args); err != nil {
					return nil, err
				}
				switch {
				case args.Mode == "flaky" && n == 1:
					return nil, errors.New("connection reset")
				case args.Mode == "flaky":
					return json.RawMessage(`{}`), nil
				case args.Mode == "invalid":
					return nil, atelier.FieldErrorf("dir", "has no items.csv")
				case args.Mode == "unavailable":
					return nil, jobs.Permanent(atelier.Errorf(atelier.KindUnavailable, "imports are not available in this build"))
				}
				return nil, atelier.Errorf(atelier.KindUnavailable, "the image server is down")
			},
		})
		enqueue := func(mode string) string {
			j, _, err := q.Enqueue(ctx, atelier.JobImport, "", json.RawMessage(`{"mode":"`+mode+`"}`), "")
			if err != nil {
				t.Fatal(err)
			}
			return j.ID
		}
		down, flaky, invalid, unavailable := enqueue("down"), enqueue("flaky"), enqueue("invalid"), enqueue("unavailable")

		j := waitFinal(t, s, down, 30*time.Second)
		if j.Status != atelier.JobFailed || j.Attempt != 3 || j.Error != "the image server is down" {
			t.Fatalf("failing job: %+v", j)
		}
		calls := ran.of(down)
		if len(calls) != 3 {
			t.Fatalf("failing job ran %d times, want 3", len(calls))
		}
		// Backoff: 150 ms, then 300 ms, less up to a tenth of jitter.
		for i, want := range []time.Duration{135 * time.Millisecond, 270 * time.Millisecond} {
			if gap := calls[i+1].Sub(calls[i]); gap < want {
				t.Errorf("retry %d came %s after the failure, want at least %s", i+1, gap, want)
			}
		}
		if j := waitFinal(t, s, flaky, 30*time.Second); j.Status != atelier.JobSucceeded || j.Attempt != 2 || j.Error != "" {
			t.Errorf("flaky job: %+v", j)
		}
		for _, id := range []string{invalid, unavailable} {
			j := waitFinal(t, s, id, 30*time.Second)
			if j.Status != atelier.JobFailed || j.Attempt != 1 || len(ran.of(id)) != 1 {
				t.Errorf("permanently failing job ran %d times: %+v", len(ran.of(id)), j)
			}
		}
		if j := testkit.Must(q.Get(ctx, invalid, atelier.AllScope()))(t); j.Error != "dir: has no items.csv" {
			t.Errorf("reason %q", j.Error)
		}
		// No late delivery runs a finished job again.
		time.Sleep(3 * cfg.RetryBackoff)
		if n := len(ran.of(down)); n != 3 {
			t.Errorf("failed job ran again: %d runs", n)
		}
	})
}

func TestCancelStopsRunningHandler(t *testing.T) {
	for _, via := range []string{"queue", "database"} {
		t.Run(via, func(t *testing.T) {
			storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
				testCancel(t, s, via)
			})
		})
	}
}

// testCancel cancels a running job through another process's queue, or
// in the database only (as a process whose queue engine is unreachable
// would), and checks that the handler stops within one progress step.
func testCancel(t *testing.T, s *storage.Store, via string) {
	ctx := context.Background()
	const step = 250 * time.Millisecond
	var (
		ran        runs
		stepsDone  atomic.Int64
		stopped    = make(chan int64, 1)
		cancelSeen atomic.Bool
	)
	openQueue(t, s, fast(1), jobs.Handlers{
		TrainRecommender: func(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error) {
			ran.add(job.ID)
			for i := range 100 {
				report.Report(progress.Update{Stage: "epoch", Step: i, Total: 100})
				if ctx.Err() != nil {
					stopped <- stepsDone.Load()
					return atelier.ModelVersion{}, ctx.Err()
				}
				stepsDone.Add(1)
				time.Sleep(step) // a step that does not watch ctx
			}
			return atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/x"}, nil
		},
	})
	api := openQueue(t, s, fast(0), jobs.Handlers{})
	job, _, err := api.Enqueue(ctx, atelier.JobTrainRecommender, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "3 steps", func() bool { return stepsDone.Load() >= 3 })
	atCancel := stepsDone.Load()
	if via == "queue" {
		_, err = api.Cancel(ctx, job.ID, atelier.AllScope())
	} else {
		_, err = s.CancelJob(ctx, job.ID, atelier.AllScope())
	}
	if err != nil {
		t.Fatal(err)
	}
	cancelSeen.Store(true)
	select {
	case n := <-stopped:
		if n > atCancel+1 {
			t.Errorf("handler ran %d more steps after the cancel, want at most 1", n-atCancel)
		}
	case <-time.After(5 * step):
		t.Fatal("handler did not see the cancellation")
	}
	j := waitFinal(t, s, job.ID, 10*time.Second)
	if j.Status != atelier.JobCancelled || j.Result != nil {
		t.Fatalf("cancelled job: %+v", j)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(ran.of(job.ID)); n != 1 {
		t.Fatalf("cancelled job ran %d times", n)
	}
	if j := testkit.Must(s.GetJob(ctx, job.ID, atelier.AllScope()))(t); j.Status != atelier.JobCancelled {
		t.Fatalf("cancelled job became %s", j.Status)
	}
	if v := testkit.Must(s.ListModelVersions(ctx, ""))(t); len(v) != 0 {
		t.Fatalf("a cancelled training stored a model version: %+v", v)
	}
}

func TestIdempotentEnqueue(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		var ran runs
		q := openQueue(t, s, fast(1), jobs.Handlers{
			Redesign: func(ctx context.Context, job atelier.RedesignJob, report progress.Func) (atelier.RedesignResult, error) {
				ran.add(job.ID)
				return variants(job.ID, job.N), nil
			},
		})
		first, created, err := q.EnqueueRedesign(ctx, w.redesign(1), "key-1")
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v", created, err)
		}
		waitFinal(t, s, first.ID, 20*time.Second)
		again, created, err := q.EnqueueRedesign(ctx, w.redesign(1), "key-1")
		if err != nil || created || again.ID != first.ID || again.Status != atelier.JobSucceeded || len(again.Variants) != 3 {
			t.Fatalf("same key, same request: %+v created=%v err=%v", again, created, err)
		}
		_, _, err = q.EnqueueRedesign(ctx, w.redesign(2), "key-1")
		if atelier.ErrorKind(err) != atelier.KindConflict {
			t.Fatalf("same key, other request: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(ran.of(first.ID)); n != 1 {
			t.Fatalf("job ran %d times", n)
		}
		if l := testkit.Must(q.List(ctx, w.seller.Scope(), storage.JobFilter{}))(t); len(l) != 1 {
			t.Fatalf("seller has %d jobs, want 1", len(l))
		}
	})
}
