package jobs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestLongHealthyJobIsNotRescued(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ran runs
		cfg := fast(1)
		// A training step that reports no progress for 3 rescue periods:
		// only the attempt's heartbeats say it is alive.
		h := jobs.Handlers{
			TrainGAN: func(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error) {
				ran.add(job.ID)
				select {
				case <-ctx.Done():
					return atelier.ModelVersion{}, ctx.Err()
				case <-time.After(3 * cfg.RescueAfter):
				}
				return atelier.ModelVersion{Kind: atelier.ModelGAN, BlobKey: "models/gan/" + job.ID}, nil
			},
		}
		q := openQueue(t, s, cfg, h)
		openQueue(t, s, cfg, h) // an idle worker that would take it over
		job, _, err := q.Enqueue(ctx, atelier.JobTrainGAN, "", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		j := waitFinal(t, s, job.ID, 20*time.Second)
		if j.Status != atelier.JobSucceeded || j.Attempt != 1 || len(ran.of(job.ID)) != 1 {
			t.Fatalf("long job ran %d times: %+v", len(ran.of(job.ID)), j)
		}
		if v := testkit.Must(s.ListModelVersions(ctx, atelier.ModelGAN))(t); len(v) != 1 {
			t.Fatalf("%d model versions stored, want 1", len(v))
		}
	})
}

func TestDeadAttemptIsTakenOver(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ran runs
		// Two jobs lost their worker: one died running an attempt, one
		// died before handing the job to the queue engine at all.
		dead, _, err := s.CreateJob(ctx, atelier.JobImport, "", json.RawMessage(`{"n":1}`), storage.JobOptions{MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, outcome, err := s.StartJobAttempt(ctx, dead.ID, storage.FirstDispatch, "dead-worker", time.Now()); err != nil || outcome != storage.AttemptStarted {
			t.Fatalf("start: %v %v", outcome, err)
		}
		lost, _, err := s.CreateJob(ctx, atelier.JobImport, "", json.RawMessage(`{"n":2}`), storage.JobOptions{})
		if err != nil {
			t.Fatal(err)
		}
		openQueue(t, s, fast(2), jobs.Handlers{
			Import: func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
				ran.add(job.ID)
				return json.RawMessage(`{}`), nil
			},
		})
		j := waitFinal(t, s, dead.ID, 20*time.Second)
		if j.Status != atelier.JobSucceeded || j.Attempt != 2 || len(ran.of(dead.ID)) != 1 {
			t.Fatalf("job of a dead worker: ran %d times, %+v", len(ran.of(dead.ID)), j)
		}
		// The dead attempt can no longer write.
		if err := s.HeartbeatJob(ctx, dead.ID, "dead-worker", nil); err == nil {
			t.Fatal("the dead attempt's heartbeat was accepted")
		}
		j = waitFinal(t, s, lost.ID, 20*time.Second)
		if j.Status != atelier.JobSucceeded || j.Attempt != 1 || len(ran.of(lost.ID)) != 1 {
			t.Fatalf("job without a queue entry: ran %d times, %+v", len(ran.of(lost.ID)), j)
		}
	})
}

func TestShutdownReleasesRunningJob(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ran runs
		started := make(chan struct{}, 1)
		slow := jobs.Handlers{
			Import: func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
				ran.add(job.ID)
				started <- struct{}{}
				<-ctx.Done() // never finishes on its own
				return nil, ctx.Err()
			},
		}
		q, err := jobs.Open(ctx, s, fast(1), slow, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		job, _, err := q.Enqueue(ctx, atelier.JobImport, "", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("job did not start")
		}
		sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if err := q.Stop(sctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		j := testkit.Must(s.GetJob(ctx, job.ID, atelier.AllScope()))(t)
		if j.Status != atelier.JobQueued || j.Attempt != 0 {
			t.Fatalf("after shutdown: %+v", j)
		}
		// Another worker finishes it; the interrupted attempt did not count.
		openQueue(t, s, fast(1), jobs.Handlers{
			Import: func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
				ran.add(job.ID)
				return json.RawMessage(`{}`), nil
			},
		})
		j = waitFinal(t, s, job.ID, 20*time.Second)
		if j.Status != atelier.JobSucceeded || j.Attempt != 1 || len(ran.of(job.ID)) != 2 {
			t.Fatalf("released job: ran %d times, %+v", len(ran.of(job.ID)), j)
		}
	})
}

// Processes starting at once on a fresh database migrate River's tables
// without tripping over each other.
func TestConcurrentOpens(t *testing.T) {
	for _, b := range storagetest.Databases() {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			const n = 3
			stores := make([]*storage.Store, n)
			for i := range stores {
				stores[i] = storagetest.OpenStore(t, url)
			}
			errs := make(chan error, n)
			for _, s := range stores {
				go func() {
					q, err := jobs.Open(context.Background(), s, fast(1), jobs.Handlers{}, nil)
					if err == nil {
						q.Close()
					}
					errs <- err
				}()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Errorf("open: %v", err)
				}
			}
		})
	}
}
