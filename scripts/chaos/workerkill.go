package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Jobs of each kind the worker-kill scenario runs: few, so that the
// scenario stays within a couple of minutes on a small machine.
const (
	killJobs  = 5
	killCount = 6
)

// runWorkerKill: redesign and report jobs are queued while no worker
// runs; then `atelier worker` processes run them one after another and are
// killed with SIGKILL at random moments (1–4 s after each start), a fresh
// worker taking over each time. Every job must end succeeded exactly once:
// status succeeded, one "job succeeded" line in all the workers' logs,
// its result rows and blobs present (n variants of a redesign, the
// result of a report).
func runWorkerKill(ctx context.Context, c config) (r result) {
	dir, pg, stopPG, err := scenarioPostgres(ctx, c, "atelier-chaos-worker.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer stopPG()
	blobDir := filepath.Join(dir, "blobs")
	w, err := prepare(ctx, c, dir, "ATELIER_DATABASE_URL="+pg.url("atelier"),
		"ATELIER_BLOB_URL=file://"+blobDir, "ATELIER_WORKERS=0",
		"ATELIER_JOB_RESCUE_AFTER=2s", "ATELIER_JOB_RETRY_BACKOFF=100ms",
		// Each kill costs the job it interrupts an attempt.
		"ATELIER_JOB_MAX_ATTEMPTS=20", "ATELIER_RATE_SELLER=0")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	srv, err := w.serve()
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer srv.stop()
	api := newAPIClient(w.base, w.key)
	defer func() { r.requests, r.fivexx = api.requests, api.fivexx }()

	var segs struct {
		Segments []struct {
			ID string `json:"id"`
		} `json:"segments"`
	}
	if _, err := api.json("GET", "/api/v1/segments", nil, &segs); err != nil || len(segs.Segments) == 0 {
		r.failf("segments: %v (%d)", err, len(segs.Segments))
		return r
	}
	var jobs []string
	kinds := map[string]string{}
	for i := range killJobs {
		var item struct {
			ID string `json:"id"`
		}
		if _, err := api.upload(productPNG(320, 240, i), "tshirt", &item); err != nil {
			r.failf("upload: %v", err)
			return r
		}
		seg := segs.Segments[i%len(segs.Segments)].ID
		var job struct {
			ID string `json:"id"`
		}
		if _, err := api.json("POST", "/api/v1/items/"+item.ID+"/redesigns",
			map[string]any{"segment_id": seg, "n": 2, "steps": 300, "seed": i + 1}, &job); err != nil {
			r.failf("redesign: %v", err)
			return r
		}
		jobs, kinds[job.ID] = append(jobs, job.ID), "redesign"
		if _, err := api.json("POST", "/api/v1/reports", map[string]any{"segment_id": seg}, &job); err != nil {
			r.failf("report: %v", err)
			return r
		}
		jobs, kinds[job.ID] = append(jobs, job.ID), "report"
	}

	workerEnv := []string{"ATELIER_LOG_LEVEL=info", "ATELIER_LOG_FORMAT=json", "ATELIER_WORKERS=1"}
	var logs []string
	startWorker := func() (*proc, error) {
		path := filepath.Join(dir, fmt.Sprintf("worker-%d.log", len(logs)+1))
		logs = append(logs, path)
		return start("atelier worker", dir, path, append(append([]string{}, w.env...), workerEnv...), w.bin, "worker")
	}
	worker, err := startWorker()
	if err != nil {
		r.failf("%v", err)
		return r
	}
	var lastKill time.Time
	for range killCount {
		sleep(ctx, time.Second+time.Duration(rand.Int64N(int64(3*time.Second))))
		if ctx.Err() != nil || allDone(ctx, pg.url("atelier"), jobs) {
			break
		}
		worker.kill()
		lastKill = time.Now()
		r.faults++
		if worker, err = startWorker(); err != nil {
			r.failf("%v", err)
			return r
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !allDone(ctx, pg.url("atelier"), jobs) && time.Now().Before(deadline) && ctx.Err() == nil {
		sleep(ctx, 200*time.Millisecond)
	}
	if !lastKill.IsZero() {
		r.recovery = time.Since(lastKill)
	}
	worker.stop()

	// What the logs say: attempts interrupted by a kill, completions.
	started, succeeded := map[string]int{}, map[string]int{}
	for _, path := range logs {
		data, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(data), "\n") {
			id := jsonField(line, "job_id")
			switch {
			case strings.Contains(line, `"msg":"job attempt started"`):
				started[id]++
			case strings.Contains(line, `"msg":"job succeeded"`):
				succeeded[id]++
			}
		}
	}
	interrupted := 0
	for _, n := range started {
		interrupted += n
	}
	interrupted -= len(jobs)
	if r.faults > 0 && interrupted < 1 {
		r.failf("no kill interrupted a job attempt (%d kills)", r.faults)
	}
	lost, orphans, err := checkJobs(ctx, pg.url("atelier"), blobDir, jobs, kinds, succeeded, &r)
	if err != nil {
		r.failf("checking jobs: %v", err)
	}
	r.lost, r.orphans = lost, fmt.Sprint(orphans)
	fmt.Fprintf(os.Stderr, "chaos: worker-kill: %d jobs, %d kills, %d attempts interrupted\n", len(jobs), r.faults, interrupted)
	return r
}

func allDone(ctx context.Context, url string, jobs []string) bool {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE id = ANY($1) AND status IN ('succeeded', 'failed', 'cancelled')", jobs).Scan(&n)
	return err == nil && n == len(jobs)
}

// checkJobs checks each job's end: lost counts jobs not succeeded exactly
// once, orphans result rows whose blob is missing.
func checkJobs(ctx context.Context, url, blobDir string, jobs []string, kinds map[string]string, succeeded map[string]int, r *result) (lost, orphans int, err error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	for _, id := range jobs {
		var status string
		var attempt int
		if err := conn.QueryRow(ctx, "SELECT status, attempt FROM jobs WHERE id = $1", id).Scan(&status, &attempt); err != nil {
			return lost, orphans, err
		}
		if status != "succeeded" || succeeded[id] > 1 {
			lost++
			r.failf("%s job %s: status %s after %d attempts, %d completions logged", kinds[id], id, status, attempt, succeeded[id])
			continue
		}
		var keys []string
		switch kinds[id] {
		case "redesign":
			rows, err := conn.Query(ctx, "SELECT image_key FROM redesign_variants WHERE job_id = $1", id)
			if err != nil {
				return lost, orphans, err
			}
			keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return lost, orphans, err
			}
			if len(keys) != 2 {
				lost++
				r.failf("redesign job %s: %d variants, want 2", id, len(keys))
			}
		case "report":
			var key string
			if err := conn.QueryRow(ctx, "SELECT result_key FROM reports WHERE id = $1", id).Scan(&key); err != nil {
				return lost, orphans, err
			}
			keys = []string{key}
		}
		for _, k := range keys {
			if _, err := os.Stat(filepath.Join(blobDir, k)); err != nil {
				orphans++
				r.failf("%s job %s: row names blob %q, which is missing", kinds[id], id, k)
			}
		}
	}
	return lost, orphans, nil
}

// jsonField is the value of a string field of a JSON log line ("" if
// absent): enough for the ids this program looks for.
func jsonField(line, name string) string {
	_, rest, ok := strings.Cut(line, `"`+name+`":"`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
