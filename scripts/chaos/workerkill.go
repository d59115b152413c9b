package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Jobs of each kind the worker-kill scenario runs, and the kills of each
// of its two phases at most.
const (
	killJobs = 20
	killMax  = 12
)

// jobSet is the jobs a phase queued, in order, with their kinds.
type jobSet struct {
	ids   []string
	kinds map[string]string
}

func (s *jobSet) add(id, kind string) {
	if s.kinds == nil {
		s.kinds = map[string]string{}
	}
	s.ids, s.kinds[id] = append(s.ids, id), kind
}

// jobEnv is what the services and workers of a worker-kill phase share:
// kills cost attempts, so there are many, quickly retried.
var jobEnv = []string{"ATELIER_WORKERS=0", "ATELIER_JOB_RESCUE_AFTER=2s", "ATELIER_JOB_RETRY_BACKOFF=100ms",
	"ATELIER_JOB_MAX_ATTEMPTS=20", "ATELIER_RATE_SELLER=0"}

// runWorkerKill queues jobs of every kind while no worker runs; then
// `atelier worker` processes run them one after another and are killed
// with SIGKILL at random moments, a fresh worker taking over each time.
// Every job must end succeeded exactly once: status succeeded, at most
// one "job succeeded" line in all the workers' logs, and its results
// present once.
// Two phases, each with a database of its own: redesigns and reports on
// the demo world, then imports and recommender training on tiny worlds.
func runWorkerKill(ctx context.Context, c config) (r result) {
	dir, pg, stopPG, err := scenarioPostgres(ctx, c, "atelier-chaos-worker.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer stopPG()
	if err := demoJobsPhase(ctx, c, filepath.Join(dir, "demo"), pg, &r); err != nil {
		r.failf("redesigns and reports: %v", err)
		return r
	}
	if err := pg.createDB(ctx, "atelier_tiny"); err != nil {
		r.failf("%v", err)
		return r
	}
	if err := tinyJobsPhase(ctx, c, filepath.Join(dir, "tiny"), pg, &r); err != nil {
		r.failf("imports and training: %v", err)
	}
	return r
}

// demoJobsPhase: the demo seller uploads killJobs photos and queues a
// redesign of each (2 variants) and as many reports, one per segment in
// turn.
func demoJobsPhase(ctx context.Context, c config, dir string, pg *postgres, r *result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	blobDir := filepath.Join(dir, "blobs")
	w, err := prepare(ctx, c, dir, append([]string{"ATELIER_DATABASE_URL=" + pg.url("atelier"),
		"ATELIER_BLOB_URL=file://" + blobDir}, jobEnv...)...)
	if err != nil {
		return err
	}
	srv, err := w.serve()
	if err != nil {
		return err
	}
	defer srv.stop()
	api := newAPIClient(w.base, w.key)
	defer func() { r.requests, r.fivexx = r.requests+api.requests, r.fivexx+api.fivexx }()

	segs, err := api.segments()
	if err != nil {
		return err
	}
	var jobs jobSet
	for i := range killJobs {
		var item, job struct {
			ID string `json:"id"`
		}
		if _, err := api.upload(productPNG(320, 240, i), "tshirt", &item); err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		seg := segs[i%len(segs)]
		if _, err := api.json("POST", "/api/v1/items/"+item.ID+"/redesigns",
			map[string]any{"segment_id": seg, "n": 2, "steps": 200, "seed": i + 1}, &job); err != nil {
			return fmt.Errorf("redesign: %w", err)
		}
		jobs.add(job.ID, "redesign")
		if _, err := api.json("POST", "/api/v1/reports", map[string]any{"segment_id": seg}, &job); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		jobs.add(job.ID, "report")
	}
	ends, err := killWorkers(ctx, w, pg.url("atelier"), jobs, r)
	if err != nil {
		return err
	}
	return checkJobs(ctx, pg.url("atelier"), blobDir, jobs, ends, r)
}

// tinyJobsPhase: a tiny world is imported with `atelier import`, then
// killJobs imports of other tiny worlds and as many recommender trainings
// (one epoch each, on whatever the catalog holds when they start) are
// queued through the operator API.
func tinyJobsPhase(ctx context.Context, c config, dir string, pg *postgres, r *result) error {
	base, copies, err := tinyWorlds(ctx, c.bin, dir, killJobs)
	if err != nil {
		return err
	}
	blobDir := filepath.Join(dir, "blobs")
	w := newWorld(c, dir, append([]string{"ATELIER_DATABASE_URL=" + pg.url("atelier_tiny"),
		"ATELIER_BLOB_URL=file://" + blobDir, "ATELIER_ADMIN_KEY=" + chaosAdminKey}, jobEnv...)...)
	imp := exec.CommandContext(ctx, w.bin, "import", base.dir)
	imp.Env = append(os.Environ(), w.env...)
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("atelier import: %w\n%s", err, out)
	}
	srv, err := w.serve()
	if err != nil {
		return err
	}
	defer srv.stop()
	api := newAPIClient(w.base, chaosAdminKey)
	defer func() { r.requests, r.fivexx = r.requests+api.requests, r.fivexx+api.fivexx }()

	var jobs jobSet
	for i, world := range copies {
		var job struct {
			ID string `json:"id"`
		}
		if _, err := api.json("POST", "/api/v1/imports", map[string]any{"dir": world.dir}, &job); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		jobs.add(job.ID, "import")
		params := map[string]any{"epochs": 1, "dim": 8, "batch": 16, "seed": i + 1}
		if _, err := api.json("POST", "/api/v1/models/train", map[string]any{"kind": "recommender", "params": params}, &job); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		jobs.add(job.ID, "train-recommender")
	}
	ends, err := killWorkers(ctx, w, pg.url("atelier_tiny"), jobs, r)
	if err != nil {
		return err
	}
	if err := checkJobs(ctx, pg.url("atelier_tiny"), blobDir, jobs, ends, r); err != nil {
		return err
	}
	return checkImported(ctx, pg.url("atelier_tiny"), blobDir, append([]tinyWorld{base}, copies...), r)
}

// jobEnds is what the workers' logs say of each job: attempts started
// and completions.
type jobEnds struct {
	started, succeeded map[string]int
}

// killWorkers runs `atelier worker` processes (one job of each kind at a
// time) until every job has ended, killing each with SIGKILL 1–5 s after
// its start, at most killMax times, a new worker starting at once; the
// last one drains the queue (at most 5 minutes). It counts the kills as
// r's faults, keeps the longest drain (from the last kill to every job
// ended) as r's recovery, and fails r when no kill interrupted a job.
func killWorkers(ctx context.Context, w *world, dbURL string, jobs jobSet, r *result) (jobEnds, error) {
	workerEnv := append(append([]string{}, w.env...), "ATELIER_LOG_LEVEL=info", "ATELIER_LOG_FORMAT=json", "ATELIER_WORKERS=1")
	var logs []string
	startWorker := func() (*proc, error) {
		path := filepath.Join(w.dir, fmt.Sprintf("worker-%d.log", len(logs)+1))
		logs = append(logs, path)
		return start("atelier worker", w.dir, path, workerEnv, w.bin, "worker")
	}
	worker, err := startWorker()
	if err != nil {
		return jobEnds{}, err
	}
	var lastKill time.Time
	kills := 0
	for kills < killMax {
		sleep(ctx, time.Second+time.Duration(rand.Int64N(int64(4*time.Second))))
		if ctx.Err() != nil || allDone(ctx, dbURL, jobs.ids) {
			break
		}
		worker.kill()
		lastKill, kills = time.Now(), kills+1
		if worker, err = startWorker(); err != nil {
			return jobEnds{}, err
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for !allDone(ctx, dbURL, jobs.ids) && time.Now().Before(deadline) && ctx.Err() == nil {
		sleep(ctx, 200*time.Millisecond)
	}
	if !lastKill.IsZero() {
		r.recovery = max(r.recovery, time.Since(lastKill))
	}
	worker.stop()
	r.faults += kills

	ends := readJobLogs(logs)
	interrupted := -len(jobs.ids)
	for _, n := range ends.started {
		interrupted += n
	}
	if kills > 0 && interrupted < 1 {
		r.failf("no kill interrupted a job attempt (%d kills)", kills)
	}
	fmt.Fprintf(os.Stderr, "chaos: worker-kill: %d jobs, %d kills, %d attempts interrupted\n", len(jobs.ids), kills, interrupted)
	return ends, nil
}

// readJobLogs counts the attempts started and the completions of each job
// in the workers' JSON logs.
func readJobLogs(paths []string) jobEnds {
	e := jobEnds{started: map[string]int{}, succeeded: map[string]int{}}
	for _, path := range paths {
		data, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(data), "\n") {
			id := jsonField(line, "job_id")
			switch {
			case strings.Contains(line, `"msg":"job attempt started"`):
				e.started[id]++
			case strings.Contains(line, `"msg":"job succeeded"`):
				e.succeeded[id]++
			}
		}
	}
	return e
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
