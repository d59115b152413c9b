package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage/jobs"
)

// startWorkers opens SQLite and local blob backends in a fresh data folder
// and starts a queue with one worker per kind.
func startWorkers(t *testing.T, ctx context.Context) (*backends, *jobs.Queue) {
	t.Helper()
	dataDir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"ATELIER_DATA_DIR": dataDir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	q, err := openQueue(ctx, cfg, b, log, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return b, q
}

// waitJob polls a job until it is final.
func waitJob(t *testing.T, ctx context.Context, q *jobs.Queue, id string) atelier.Job {
	t.Helper()
	for {
		j, err := q.Get(ctx, id, atelier.AllScope())
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Final() {
			return j
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s still %s: %v", id, j.Status, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestTrainRecommenderJob imports a tiny synthetic world, trains a
// recommender through the queue, and checks the version it records: not
// active, its file in the blob store, θ for every imported consumer under
// the marketplace's consumer ids, and the validation AUC.
func TestTrainRecommenderJob(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	world := filepath.Join(t.TempDir(), "world")
	wc := synth.DefaultConfig(5)
	wc.Items, wc.Consumers, wc.Interactions, wc.Workers = 60, 30, 8, 1
	if _, err := synth.Write(ctx, world, wc, false, nil); err != nil {
		t.Fatal(err)
	}
	b, q := startWorkers(t, ctx)
	if _, err := dataimport.Import(ctx, nil, b.store, b.blobs, world, dataimport.Options{}); err != nil {
		t.Fatal(err)
	}

	args := `{"params":{"epochs":1,"dim":8,"batch":16,"seed":3}}`
	job, _, err := q.Enqueue(ctx, atelier.JobTrainRecommender, "", json.RawMessage(args), "")
	if err != nil {
		t.Fatal(err)
	}
	job = waitJob(t, ctx, q, job.ID)
	if job.Status != atelier.JobSucceeded {
		t.Fatalf("train job %s after %d attempts: %s", job.Status, job.Attempt, job.Error)
	}
	var result struct {
		ModelVersionID string `json:"model_version_id"`
	}
	if err := json.Unmarshal(job.Result, &result); err != nil {
		t.Fatalf("job result %s: %v", job.Result, err)
	}
	mv, err := b.store.GetModelVersion(ctx, result.ModelVersionID)
	if err != nil {
		t.Fatal(err)
	}
	if mv.Kind != atelier.ModelRecommender || mv.Active {
		t.Fatalf("model version %+v: want an inactive recommender", mv)
	}
	if !strings.Contains(mv.BlobKey, job.ID) {
		t.Errorf("blob key %q is not named by job %s, so a retry would add a file", mv.BlobKey, job.ID)
	}
	if auc, ok := mv.Metrics["val_auc"]; !ok || !(auc >= 0 && auc <= 1) {
		t.Errorf("val_auc %v (recorded: %v)", auc, ok)
	}
	if mv.Metrics["epochs"] != 1 || mv.Metrics["items"] != float64(wc.Items) || mv.Metrics["consumers"] != float64(wc.Consumers) {
		t.Errorf("metrics %v: want 1 epoch, %d items, %d consumers", mv.Metrics, wc.Items, wc.Consumers)
	}
	var cfg struct {
		Params atelier.TrainRecommenderParams `json:"params"`
	}
	if err := json.Unmarshal(mv.Config, &cfg); err != nil || cfg.Params.Dim != 8 || cfg.Params.LR != atelier.DefaultTrainRecommenderParams().LR {
		t.Errorf("config %s (%v): want the job's params over the defaults", mv.Config, err)
	}

	rc, _, err := b.blobs.Get(ctx, mv.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	model, err := recommender.ReadModel(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.Dim() != 8 || math.Abs(model.Info.ValAUC-mv.Metrics["val_auc"]) > 1e-12 {
		t.Errorf("model K=%d, AUC %v; version records %v", model.Dim(), model.Info.ValAUC, mv.Metrics["val_auc"])
	}
	// θ rows are named by the marketplace's consumer ids (consumers.csv),
	// which is what the serving runtime looks them up by.
	d, err := recommender.LoadDataset(world)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range d.Consumers {
		want = append(want, c.ID)
		if _, ok := model.Theta(c.ID); !ok {
			t.Errorf("the model has no θ for imported consumer %q", c.ID)
		}
	}
	got := model.Consumers()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("model consumers %v, want %v", got, want)
	}
	active, err := b.store.ActiveModelVersion(ctx, atelier.ModelRecommender)
	if err == nil && active.ID == mv.ID {
		t.Errorf("the trained version was activated")
	}
}

// TestTrainRecommenderJobBadArgs checks that arguments the trainer refuses
// fail the job at once, without retries.
func TestTrainRecommenderJobBadArgs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, q := startWorkers(t, ctx)
	for _, c := range []struct{ name, args, want string }{
		{"unknown parameter", `{"params":{"epochs":1,"colour":"red"}}`, "colour"},
		{"unknown argument", `{"epochs":1}`, "epochs"},
		{"no epochs", `{"params":{"epochs":0}}`, "epochs"},
		{"negative learning rate", `{"params":{"lr":-0.1}}`, "lr"},
		{"all items cold", `{"params":{"cold_items":1}}`, "cold_items"},
		{"params not an object", `{"params":[1]}`, "params"},
	} {
		t.Run(c.name, func(t *testing.T) {
			job, _, err := q.Enqueue(ctx, atelier.JobTrainRecommender, "", json.RawMessage(c.args), "")
			if err != nil {
				t.Fatal(err)
			}
			job = waitJob(t, ctx, q, job.ID)
			if job.Status != atelier.JobFailed || job.Attempt != 1 || !strings.Contains(job.Error, c.want) {
				t.Fatalf("job %s after %d attempts (%q): want failed at once naming %s", job.Status, job.Attempt, job.Error, c.want)
			}
		})
	}
}

// The job's default share of cold items is the one `atelier eval
// recommender` holds out, so their splits agree.
func TestTrainRecommenderDefaultsMatchEval(t *testing.T) {
	if got := atelier.DefaultTrainRecommenderParams().ColdItems; got != recommender.DefaultColdFraction {
		t.Fatalf("default cold_items %v, eval holds out %v", got, recommender.DefaultColdFraction)
	}
}
