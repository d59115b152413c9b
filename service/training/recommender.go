package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // model-size images are PNG; older blobs may not be
	_ "image/png"
	"math"
	"os"
	"sort"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/jobs"
)

// trainWorkers is how many goroutines a training job uses: the service's
// machines are small and shared with other jobs.
const trainWorkers = 2

// trainRecommenderHandler trains DVBPR on what the service holds (catalog,
// consumers, interactions), stores the model in the blob store under a key
// named by the job, and returns its version for the queue to record. The
// version is not activated: an operator activates it after looking at its
// metrics. Training state is saved to the blob store after every epoch
// (and every few minutes within one), so an attempt that follows a dead
// one resumes where it stopped; when the data changed in between, the
// saved state no longer fits and training starts over.
func trainRecommenderHandler(b *backends) jobs.TrainFunc {
	return func(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error) {
		p, err := decodeTrainArgs(atelier.JobTrainRecommender, job.Args, atelier.DefaultTrainRecommenderParams())
		if err != nil {
			return atelier.ModelVersion{}, jobs.Permanent(err)
		}
		d, im, err := exportDataset(ctx, b.store, b.blobs, report)
		if err != nil {
			return atelier.ModelVersion{}, err
		}
		split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: p.ColdItems, Seed: p.Seed})
		if err != nil {
			return atelier.ModelVersion{}, err
		}
		state, err := openTrainingState(b.blobs, atelier.ModelRecommender, job.ID)
		if err != nil {
			return atelier.ModelVersion{}, err
		}
		defer state.close()
		tc := recommenderTrainConfig(p)
		tc.Checkpoint = state.path
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
		key := jobModelKey(atelier.ModelRecommender, job.ID)
		if err := b.blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/octet-stream"); err != nil {
			return atelier.ModelVersion{}, fmt.Errorf("store recommender model: %w", err)
		}
		state.drop(ctx)
		cfg, err := json.Marshal(map[string]any{
			"source": atelier.JobTrainRecommender, "job_id": job.ID, "params": p,
			"dataset": model.Info.Dataset, "interactions": len(d.Interactions),
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
}

// recommenderTrainConfig is the training recipe of a train-recommender job.
func recommenderTrainConfig(p atelier.TrainRecommenderParams) recommender.TrainConfig {
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

// decodeTrainArgs reads a training job's arguments, {"params": {...}},
// strictly over the defaults: an unknown or out-of-range parameter is a
// KindInvalid error (the API refuses those before queuing; this guards
// jobs queued otherwise).
func decodeTrainArgs[P interface{ Check() error }](kind string, raw json.RawMessage, defaults P) (P, error) {
	a := struct {
		Params P `json:"params"`
	}{defaults}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return a.Params, atelier.Errorf(atelier.KindInvalid, "%s arguments: %v", kind, err)
		}
	}
	if err := a.Params.Check(); err != nil {
		return a.Params, fmt.Errorf("%s arguments: %w", kind, err)
	}
	return a.Params, nil
}

// catalogExport is the catalog as training sees it: items named by their
// external ids, with their model-size images in the same order.
type catalogExport struct {
	items      []recommender.Item
	index      map[string]int // store id → position in items
	categories []string       // of each item
	images     *recommender.Images
}

// exportCatalog reads every catalog item and its model-size image.
func exportCatalog(ctx context.Context, store *storage.Store, blobs blob.Store, report progress.Func) (catalogExport, error) {
	c := catalogExport{index: map[string]int{}, images: &recommender.Images{Size: atelier.ModelSize}}
	err := store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		img, ok := it.Primary()
		if !ok {
			return atelier.Errorf(atelier.KindInvalid, "catalog item %s has no image", it.ExternalID)
		}
		t, err := readModelImage(ctx, blobs, img.ModelKey)
		if err != nil {
			return fmt.Errorf("image of catalog item %s: %w", it.ExternalID, err)
		}
		c.images.Pix = append(c.images.Pix, t.Pix...)
		c.index[it.ID] = len(c.items)
		c.items = append(c.items, recommender.Item{ID: it.ExternalID})
		c.categories = append(c.categories, it.Category)
		report.Report(progress.Update{Stage: "export catalog", Step: len(c.items)})
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("export catalog: %w", err)
	}
	if len(c.items) == 0 {
		return c, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "the catalog is empty: import a dataset before training"))
	}
	return c, nil
}

// exportDataset builds the recommender's dataset from the store in memory:
// the catalog items with their model-size images, every consumer with
// their segment label, and every interaction with a catalog item (all
// kinds) ordered by time. Consumers and items are named by their external
// ids, the ids the serving runtime looks θ up by.
func exportDataset(ctx context.Context, store *storage.Store, blobs blob.Store, report progress.Func) (*recommender.Dataset, *recommender.Images, error) {
	cat, err := exportCatalog(ctx, store, blobs, report)
	if err != nil {
		return nil, nil, err
	}
	d := &recommender.Dataset{Items: cat.items}
	itemIndex, categories, im := cat.index, cat.categories, cat.images
	d.Categories = sortedDistinct(categories)
	for i, c := range categories {
		d.Items[i].Category = sort.SearchStrings(d.Categories, c)
	}

	consIndex := map[string]int{}
	err = store.EachConsumer(ctx, storage.ConsumerFilter{}, func(c atelier.Consumer) error {
		consIndex[c.ID] = len(d.Consumers)
		d.Consumers = append(d.Consumers, recommender.Consumer{ID: c.ExternalID, Segment: c.Segment})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("export consumers: %w", err)
	}

	err = store.EachInteraction(ctx, func(in atelier.Interaction) error {
		u, okU := consIndex[in.ConsumerID]
		i, okI := itemIndex[in.ItemID]
		if okU && okI { // a seller's own item is not in the catalog the model learns from
			d.Interactions = append(d.Interactions, recommender.Interaction{Consumer: u, Item: i, Time: in.At.Unix()})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("export interactions: %w", err)
	}
	if len(d.Interactions) == 0 {
		return nil, nil, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "no interactions with catalog items: import a dataset before training"))
	}
	// The split orders each consumer's log by time; ties keep the order
	// the interactions were recorded in.
	sort.SliceStable(d.Interactions, func(a, b int) bool { return d.Interactions[a].Time < d.Interactions[b].Time })
	report.Report(progress.Update{Stage: "export interactions", Step: len(d.Interactions), Total: len(d.Interactions)})
	return d, im, nil
}

// readModelImage reads a model-size image from the blob store as a
// tensor, resized should it have another size.
func readModelImage(ctx context.Context, blobs blob.Store, key string) (imaging.Tensor, error) {
	rc, _, err := blobs.Get(ctx, key)
	if err != nil {
		return imaging.Tensor{}, err
	}
	defer rc.Close()
	img, _, err := image.Decode(rc)
	if err != nil {
		return imaging.Tensor{}, atelier.Errorf(atelier.KindInvalid, "decode %s: %v", key, err)
	}
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return imaging.Tensor{}, atelier.Errorf(atelier.KindInvalid, "%s is empty", key)
	}
	return imaging.FromImageSize(img, atelier.ModelSize), nil
}

func sortedDistinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
