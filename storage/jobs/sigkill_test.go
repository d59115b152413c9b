package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// The test binary doubles as a worker process: with helperEnv set it runs
// a worker whose redesign handler is slow, instead of the tests. This is
// what `atelier worker` does, with a handler the test controls.
const (
	helperEnv      = "ATELIER_JOBS_TEST_WORKER"
	helperDBEnv    = "ATELIER_JOBS_TEST_DB"
	helperMarksEnv = "ATELIER_JOBS_TEST_MARKS"
	helperSteps    = 30
	helperStep     = 100 * time.Millisecond
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		if err := helperWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "helper worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperWorker runs workers until SIGTERM. Its redesign handler appends
// "start JOB ATTEMPT" and, when it returns its result, "done JOB ATTEMPT"
// to the marks file.
func helperWorker() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store, err := storage.Open(ctx, os.Getenv(helperDBEnv), log)
	if err != nil {
		return err
	}
	defer store.Close()
	mark := func(what string, job atelier.RedesignJob) error {
		attempt, err := store.GetJob(context.WithoutCancel(ctx), job.ID, atelier.AllScope())
		if err != nil {
			return err
		}
		f, err := os.OpenFile(os.Getenv(helperMarksEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "%s %s %d\n", what, job.ID, attempt.Attempt)
		return errorsJoin(err, f.Close())
	}
	cfg := fast(1)
	q, err := jobs.Open(ctx, store, cfg, jobs.Handlers{
		Redesign: func(ctx context.Context, job atelier.RedesignJob, report progress.Func) (atelier.RedesignResult, error) {
			if err := mark("start", job); err != nil {
				return atelier.RedesignResult{}, err
			}
			if err := steps(ctx, report, "shift", helperSteps, helperStep); err != nil {
				return atelier.RedesignResult{}, err
			}
			return variants(job.ID, job.N), mark("done", job)
		},
	}, log)
	if err != nil {
		return err
	}
	defer q.Close()
	if err := q.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return q.Stop(sctx)
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// startWorker starts the test binary as a worker process on databaseURL.
func startWorker(t *testing.T, databaseURL, marks string, logs *strings.Builder) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+databaseURL, helperMarksEnv+"="+marks)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd
}

// TestKilledWorkerJobCompletesOnce kills a worker process (SIGKILL) in the
// middle of a redesign, starts another, and checks that the job completes
// exactly once.
func TestKilledWorkerJobCompletesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	for _, b := range storagetest.Databases() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.URL(t)
			s := storagetest.OpenStore(t, url)
			w := newWorld(t, s)
			api := openQueue(t, s, fast(0), jobs.Handlers{})
			job, _, err := api.EnqueueRedesign(ctx, w.redesign(7), "")
			if err != nil {
				t.Fatal(err)
			}
			marks := filepath.Join(t.TempDir(), "marks")
			var logs strings.Builder
			defer func() {
				if t.Failed() {
					t.Logf("worker logs:\n%s", logs.String())
				}
			}()

			first := startWorker(t, url, marks, &logs)
			waitFor(t, 60*time.Second, "the first worker to be a third through", func() bool {
				j := testkit.Must(s.GetJob(ctx, job.ID, atelier.AllScope()))(t)
				return j.Status == atelier.JobRunning && j.Progress.Step >= helperSteps/3
			})
			if err := first.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_, _ = first.Process.Wait()
			mid := testkit.Must(s.GetRedesignJob(ctx, job.ID, atelier.AllScope()))(t)
			if mid.Status != atelier.JobRunning || len(mid.Variants) != 0 || mid.Progress.Step >= helperSteps {
				t.Fatalf("after the kill: %+v", mid)
			}

			second := startWorker(t, url, marks, &logs)
			done := waitFinal(t, s, job.ID, 60*time.Second)
			if done.Status != atelier.JobSucceeded || done.Attempt < 2 {
				t.Fatalf("after a restart: %+v", done)
			}
			r := testkit.Must(s.GetRedesignJob(ctx, job.ID, atelier.AllScope()))(t)
			if len(r.Variants) != r.N {
				t.Fatalf("%d variants stored, want %d", len(r.Variants), r.N)
			}
			// The killed attempt never finished; one attempt finished, once:
			// the completion count is 1. (On a busy machine a late heartbeat
			// may hand the job to a further attempt; still only one
			// finishes.)
			out, err := os.ReadFile(marks)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for a := 1; a <= done.Attempt; a++ {
				fmt.Fprintf(&want, "start %s %d\n", job.ID, a)
			}
			fmt.Fprintf(&want, "done %s %d\n", job.ID, done.Attempt)
			if string(out) != want.String() {
				t.Fatalf("handler runs:\n%s\nwant:\n%s", out, want.String())
			}
			if err := second.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := second.Wait(); err != nil {
				t.Fatalf("worker exited with %v after SIGTERM", err)
			}
		})
	}
}
