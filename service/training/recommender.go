package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	_ "image/jpeg" // model-size images are PNG; older blobs may not be
	_ "image/png"
	"math"
	"os"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/jobs"
)

// trainWorkers is how many goroutines a training job uses: the service's
// machines are small and shared with other jobs.
const trainWorkers = 2

// Engine runs the service's training jobs on a store and blob store.
type Engine struct {
	store *storage.Store
	blobs blob.Store
}

// NewEngine returns an engine on the store and blob store.
func NewEngine(store *storage.Store, blobs blob.Store) *Engine {
	return &Engine{store: store, blobs: blobs}
}

// TrainRecommender trains DVBPR on what the service holds (catalog,
// consumers, interactions), stores the model in the blob store under a key
// named by the job, and returns its version for the queue to record. The
// version is not activated: an operator activates it after looking at its
// metrics. Training state is saved to the blob store after every epoch
// (and every few minutes within one), so an attempt that follows a dead
// one resumes where it stopped; when the data changed in between, the
// saved state no longer fits and training starts over.
func (e *Engine) TrainRecommender(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error) {
	p, err := DecodeArgs(atelier.JobTrainRecommender, job.Args, atelier.DefaultTrainRecommenderParams())
	if err != nil {
		return atelier.ModelVersion{}, jobs.Permanent(err)
	}
	d, im, picks, err := e.exportDataset(ctx, report)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: p.ColdItems, Seed: p.Seed})
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	state, err := openState(e.blobs, atelier.ModelRecommender, job.ID)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	defer state.close()
	tc := RecommenderConfig(p)
	tc.Checkpoint = state.path
	tc.Explicit = picks.triplets // consumers' choice-flow picks, beside their interactions
	if tc.Resume, err = state.fetch(ctx); err != nil {
		return atelier.ModelVersion{}, err
	}
	// The last save of a cancelled or stopping job is stored too, for
	// the next attempt: hence not the job's own context.
	tc.Saved = func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return state.store(sctx)
	}
	data := recommender.NewTrainData(d, im)
	data.ItemCategories = append(data.ItemCategories, picks.categories...) // the probes' images, after the items
	model, err := recommender.Train(ctx, data, split, tc, report)
	if errors.Is(err, recommender.ErrStaleCheckpoint) {
		report.Report(progress.Update{Stage: "saved training state is from other data: starting over"})
		if err = os.Remove(state.path); err == nil {
			tc.Resume = false
			model, err = recommender.Train(ctx, data, split, tc, report)
		}
	}
	if err != nil {
		return atelier.ModelVersion{}, fmt.Errorf("train recommender: %w", err)
	}
	defer model.Close()

	var buf bytes.Buffer
	if err := model.Write(&buf); err != nil {
		return atelier.ModelVersion{}, err
	}
	key := ModelKey(atelier.ModelRecommender, job.ID)
	if err := e.blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/octet-stream"); err != nil {
		return atelier.ModelVersion{}, fmt.Errorf("store recommender model: %w", err)
	}
	state.drop(ctx)
	cfg, err := json.Marshal(map[string]any{
		"source": atelier.JobTrainRecommender, "job_id": job.ID, "params": p,
		"dataset": model.Info.Dataset, "interactions": len(d.Interactions), "pick_triplets": len(picks.triplets),
	})
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	info := model.Info
	metrics := map[string]float64{
		"val_auc":           info.ValAUC,
		"category_accuracy": info.CategoryAcc,
		"epochs":            float64(info.Epochs),
		"best_epoch":        float64(info.BestEpoch),
		"consumers":         float64(len(d.Consumers)),
		"items":             float64(len(d.Items)),
	}
	for k, v := range metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) { // no held-out item to measure on, say
			delete(metrics, k)
		}
	}
	return atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: key, Metrics: metrics, Config: cfg}, nil
}

// RecommenderConfig is the training recipe of train-recommender jobs and
// of `atelier train recommender` (which sets its own worker count).
func RecommenderConfig(p atelier.TrainRecommenderParams) recommender.TrainConfig {
	return recommender.TrainConfig{
		Arch:     recommender.Arch{Dim: p.Dim},
		Epochs:   p.Epochs,
		Batch:    p.Batch,
		LR:       float32(p.LR),
		LRDecay:  float32(p.LRDecay),
		Patience: p.Patience,
		Workers:  min(trainWorkers, p.Batch),
		Seed:     p.Seed,
	}
}
