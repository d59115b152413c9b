package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestWorkerRunsJobsAndStopsOnSIGTERM runs `atelier worker` on each
// database: a job enqueued by another process is picked up (a recommender
// training on an empty catalog, so it fails at once with a clear reason,
// after one attempt), and SIGTERM stops the worker cleanly.
func TestWorkerRunsJobsAndStopsOnSIGTERM(t *testing.T) {
	for _, b := range storagetest.Databases() {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			store := storagetest.OpenStore(t, url)
			ctx := context.Background()
			api, err := jobs.Open(ctx, store, jobs.Config{}, jobs.Handlers{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer api.Close()

			cmd := exec.Command(atelierBinary(t), "worker")
			cmd.Env = append(os.Environ(), "ATELIER_DATA_DIR="+t.TempDir(), "ATELIER_DATABASE_URL="+url, "ATELIER_WORKERS=2")
			var logs strings.Builder
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

			job, _, err := api.Enqueue(ctx, atelier.JobTrainRecommender, "", nil, "")
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				job, err = api.Get(ctx, job.ID, atelier.AllScope())
				if err != nil {
					t.Fatal(err)
				}
				if job.Status.Final() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("job still %s after 30 s\n%s", job.Status, logs.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			if job.Status != atelier.JobFailed || job.Attempt != 1 || job.Error != "the catalog is empty: import a dataset before training" {
				t.Fatalf("job %+v", job)
			}

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("worker exited with %v\n%s", err, logs.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("worker still running 10 s after SIGTERM\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), `"msg":"stopped"`) || !strings.Contains(logs.String(), `"msg":"job failed"`) {
				t.Fatalf("log lacks the job's failure or the clean stop:\n%s", logs.String())
			}
		})
	}
}

func TestWorkerNeedsWorkers(t *testing.T) {
	_, stderr, code := runCmd(t, map[string]string{"ATELIER_DATA_DIR": t.TempDir(), "ATELIER_WORKERS": "0"}, "worker")
	if code != 2 || !strings.Contains(stderr, "ATELIER_WORKERS") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
