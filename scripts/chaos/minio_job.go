package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atelier-app/atelier/storage/blob"
)

// redesignOutage: an `atelier worker` runs a redesign of item (2
// variants), and MinIO is stopped 1.5 s after the job starts running, in
// its computation, so that storing the variants fails. MinIO stays down
// until that attempt has failed (at most 90 s) and is started again. The
// job must then complete by a retry, once: its variants' rows, each
// naming blobs that are in the bucket, and no blob under its folder
// that no row names.
func redesignOutage(ctx context.Context, w *world, mio *minioServer, dbURL string, api *apiClient, item string, r *result) error {
	segs, err := api.segments()
	if err != nil {
		return err
	}
	var job struct {
		ID string `json:"id"`
	}
	if _, err := api.json("POST", "/api/v1/items/"+item+"/redesigns",
		map[string]any{"segment_id": segs[0], "n": 2, "steps": 300, "seed": 7}, &job); err != nil {
		return err
	}
	logPath := filepath.Join(w.dir, "worker.log")
	worker, err := start("atelier worker", w.dir, logPath,
		append(append([]string{}, w.env...), "ATELIER_WORKERS=1", "ATELIER_LOG_LEVEL=info", "ATELIER_LOG_FORMAT=json"), w.bin, "worker")
	if err != nil {
		return err
	}
	defer worker.stop()

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	state := func() (status, errText string, attempt int) {
		_ = conn.QueryRow(ctx, "SELECT status, error, attempt FROM jobs WHERE id = $1", job.ID).Scan(&status, &errText, &attempt)
		return status, errText, attempt
	}
	if !waitFor(ctx, 60*time.Second, func() bool { s, _, _ := state(); return s == "running" }) {
		return fmt.Errorf("job %s never ran", job.ID)
	}
	sleep(ctx, 1500*time.Millisecond)
	if s, _, _ := state(); s != "running" {
		return fmt.Errorf("job %s was %s before MinIO could be stopped: make it longer", job.ID, s)
	}
	mio.p.stop()
	r.faults++
	var attemptErr string
	failed := waitFor(ctx, 90*time.Second, func() bool { _, attemptErr, _ = state(); return attemptErr != "" })
	if err := mio.start(); err != nil {
		return fmt.Errorf("minio restart: %w", err)
	}
	up := time.Now()
	if !failed {
		r.failf("redesign job %s: no attempt failed while MinIO was down", job.ID)
	}
	waitFor(ctx, 2*time.Minute, func() bool { s, _, _ := state(); return s == "succeeded" || s == "failed" })
	status, errText, attempt := state()
	down := time.Since(up)
	if status != "succeeded" {
		r.lost++
		return fmt.Errorf("job %s: %s after %d attempts (%s)", job.ID, status, attempt, errText)
	}
	r.recovery = max(r.recovery, down)
	if ends := readJobLogs([]string{logPath}); ends.succeeded[job.ID] != 1 {
		r.lost++
		r.failf("redesign job %s: %d completions logged, want 1", job.ID, ends.succeeded[job.ID])
	}
	fmt.Fprintf(os.Stderr, "chaos: minio-stop: redesign %s succeeded at attempt %d, %s after MinIO was back; the failed attempt: %s\n",
		job.ID, attempt, down.Round(time.Millisecond), attemptErr)
	return checkRedesignBlobs(ctx, conn, mio.url("atelier"), job.ID, r)
}

// checkRedesignBlobs: the job has 2 variants, every blob they name is in
// the bucket, and every blob under the job's folder is named (its base
// image included).
func checkRedesignBlobs(ctx context.Context, conn *pgx.Conn, blobURL, id string, r *result) error {
	keys, n, err := redesignKeys(ctx, conn, id)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, k := range keys {
		named[k] = true
	}
	if n != 2 {
		r.lost++
		r.failf("redesign job %s: %d variants, want 2", id, n)
	}
	store, err := blob.Open(ctx, blobURL)
	if err != nil {
		return err
	}
	infos, err := store.List(ctx, "redesigns/"+id+"/")
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, in := range infos {
		present[in.Key] = true
		if !named[in.Key] {
			r.orphans++
			r.failf("blob %q has no variant row", in.Key)
		}
	}
	for k := range named {
		if !present[k] {
			r.orphans++
			r.failf("redesign job %s names blob %q, which is missing", id, k)
		}
	}
	return nil
}

// waitFor polls cond every 100 ms until it holds (true) or timeout.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cond() {
			return true
		}
		sleep(ctx, 100*time.Millisecond)
	}
	return false
}
