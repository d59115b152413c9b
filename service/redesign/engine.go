package redesign

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Engine runs the service's redesign jobs: it loads the job's model
// versions (the active ones when the job names none), the item's
// model-size image and the segment's θ, runs Run, and stores the marked
// variants under keys derived from the job id, so a retried attempt
// overwrites what a dead one wrote.
type Engine struct {
	store        *storage.Store
	blobs        blob.Store
	watermarkKey string

	mu      sync.Mutex
	realism map[string]*gan.Realism // by GAN version: calibrated once per model
}

// NewEngine returns an engine on the store and blob store that marks its
// outputs with watermarkKey.
func NewEngine(store *storage.Store, blobs blob.Store, watermarkKey string) *Engine {
	return &Engine{store: store, blobs: blobs, watermarkKey: watermarkKey, realism: map[string]*gan.Realism{}}
}

// Run runs one redesign job.
func (e *Engine) Run(ctx context.Context, job atelier.RedesignJob, prog progress.Func) (atelier.RedesignResult, error) {
	ganVersion, err := catalog.Version(ctx, e.store, job.GANVersionID, atelier.ModelGAN)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	recVersion, err := catalog.Version(ctx, e.store, job.RecommenderVersionID, atelier.ModelRecommender)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	models, err := catalog.LoadGAN(ctx, e.blobs, ganVersion)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	rec, err := catalog.LoadRecommender(ctx, e.blobs, recVersion)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	defer rec.Close()
	item, err := e.store.GetItem(ctx, job.ItemID, atelier.AllScope())
	if err != nil {
		return atelier.RedesignResult{}, fmt.Errorf("item %s: %w", job.ItemID, err)
	}
	original, err := catalog.ReadOriginal(ctx, e.blobs, item)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	photo, err := PreparePhoto(original, models.Size())
	if err != nil {
		return atelier.RedesignResult{}, fmt.Errorf("item %s: %w", item.ID, err)
	}
	theta, err := catalog.StoreSegmentTheta(ctx, e.store, job.SegmentID, rec)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	realism, err := e.calibration(ctx, ganVersion.ID, models)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	res, err := Run(ctx, models, rec, realism, Request{
		Photo: photo, Category: item.Category, Theta: theta,
		N: job.N, Epsilon: job.Epsilon, Steps: job.Steps, Seed: job.Seed,
		WatermarkKey: e.watermarkKey,
		Description:  fmt.Sprintf("AI-generated design variant of item %s (Atelier redesign %s)", item.ID, job.ID),
	}, prog)
	if err != nil {
		return atelier.RedesignResult{}, fmt.Errorf("redesign: %w", err)
	}
	return e.save(ctx, job.ID, res, atelier.RedesignResult{RecommenderVersionID: recVersion.ID, GANVersionID: ganVersion.ID, Notes: res.Notes})
}

// save stores the base reconstruction and the variants of job id, at the
// model's size and at the photo's, and returns out with the variants'
// records.
func (e *Engine) save(ctx context.Context, id string, res *Result, out atelier.RedesignResult) (atelier.RedesignResult, error) {
	if err := e.put(ctx, atelier.RedesignImageKey(id, "base"), res.Base.PNG); err != nil {
		return atelier.RedesignResult{}, err
	}
	for k, v := range res.Variants {
		key := atelier.RedesignImageKey(id, fmt.Sprintf("variant-%d", v.Rank))
		if err := e.put(ctx, key, v.Image.PNG); err != nil {
			return atelier.RedesignResult{}, err
		}
		var fullKey string
		if res.FullPNG != nil {
			fullKey = atelier.RedesignImageKey(id, fmt.Sprintf("variant-%d-full", v.Rank))
			if err := e.put(ctx, fullKey, res.FullPNG[k]); err != nil {
				return atelier.RedesignResult{}, err
			}
		}
		s := v.Scores
		out.Variants = append(out.Variants, atelier.Variant{Rank: v.Rank, ImageKey: key, FullImageKey: fullKey, Flags: v.Flags, Passed: v.Passed,
			Scores: map[string]float64{
				"preference": s.Preference, "uplift": s.Uplift, "realism": s.Realism,
				"realism_percentile": s.RealismPercentile, "category_prob": s.CategoryProb,
				"ssim": s.SSIM, "perceptual": s.Perceptual, "diversity": res.Diversity,
				"catalog_top": res.Top[k], "base_catalog_top": res.BaseTop,
			}})
	}
	return out, nil
}

func (e *Engine) put(ctx context.Context, key string, data []byte) error {
	if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// calibration returns the realism calibration of a GAN version, computing
// it on first use from the catalog's realism references.
func (e *Engine) calibration(ctx context.Context, versionID string, m *gan.Models) (*gan.Realism, error) {
	e.mu.Lock()
	r := e.realism[versionID]
	e.mu.Unlock()
	if r != nil {
		return r, nil
	}
	refs, err := catalog.StoreReferences(ctx, e.store, e.blobs, m.Size())
	if err != nil {
		return nil, err
	}
	if r, _, err = catalog.CalibrateRealism(ctx, m, refs); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.realism[versionID] = r
	e.mu.Unlock()
	return r, nil
}
