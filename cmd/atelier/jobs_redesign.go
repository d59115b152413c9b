package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png" // model images are PNGs
	"math/rand"
	"os"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/jobs"
)

// redesignEngine runs redesign jobs: it loads the job's model versions
// (the active ones when the job names none), the item's model-size image
// and the segment members' θ, runs gan.Redesign and stores the marked
// variants under keys derived from the job id, so a retried attempt
// overwrites what a dead one wrote.
type redesignEngine struct {
	cfg   config.Config
	store *storage.Store
	blobs blob.Store

	mu      sync.Mutex
	realism map[string]*gan.Realism // by GAN version: calibrated once per model
}

func redesignHandler(cfg config.Config, b *backends) jobs.RedesignFunc {
	e := &redesignEngine{cfg: cfg, store: b.store, blobs: b.blobs, realism: map[string]*gan.Realism{}}
	return e.run
}

func (e *redesignEngine) run(ctx context.Context, job atelier.RedesignJob, prog progress.Func) (atelier.RedesignResult, error) {
	ganVersion, err := e.version(ctx, job.GANVersionID, atelier.ModelGAN)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	recVersion, err := e.version(ctx, job.RecommenderVersionID, atelier.ModelRecommender)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	models, err := e.loadGAN(ctx, ganVersion)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	rec, err := e.loadRecommender(ctx, recVersion)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	item, err := e.store.GetItem(ctx, job.ItemID, atelier.AllScope())
	if err != nil {
		return atelier.RedesignResult{}, permanentIf(atelier.KindNotFound, fmt.Errorf("item %s: %w", job.ItemID, err))
	}
	photo, err := e.itemImage(ctx, item, models.Size())
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	theta, err := e.segmentTheta(ctx, job.SegmentID, rec)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	realism, err := e.calibration(ctx, ganVersion.ID, models, job.Seed)
	if err != nil {
		return atelier.RedesignResult{}, err
	}
	category := item.Category
	if indexOf(rec.Categories(), category) < 0 {
		category = "" // a category the scorer does not know: check against what it sees
	}
	res, err := gan.Redesign(ctx, models, rec, realism, gan.RedesignRequest{Image: &photo, Category: category, Theta: theta},
		gan.RedesignConfig{
			Invert:       gan.InvertConfig{Seed: job.Seed},
			Shift:        gan.ShiftConfig{N: job.N, Epsilon: float32(job.Epsilon), Steps: job.Steps, Seed: job.Seed},
			WatermarkKey: e.cfg.WatermarkKey,
			Description:  fmt.Sprintf("AI-generated design variant of item %s (Atelier redesign %s)", item.ID, job.ID),
		}, prog)
	if err != nil {
		return atelier.RedesignResult{}, permanentIf(atelier.KindInvalid, fmt.Errorf("redesign: %w", err))
	}
	if err := e.put(ctx, atelier.RedesignImageKey(job.ID, "base"), res.Base.PNG); err != nil {
		return atelier.RedesignResult{}, err
	}
	out := atelier.RedesignResult{RecommenderVersionID: recVersion.ID, GANVersionID: ganVersion.ID}
	for _, v := range res.Variants {
		key := atelier.RedesignImageKey(job.ID, fmt.Sprintf("variant-%d", v.Rank))
		if err := e.put(ctx, key, v.Image.PNG); err != nil {
			return atelier.RedesignResult{}, err
		}
		s := v.Scores
		out.Variants = append(out.Variants, atelier.Variant{Rank: v.Rank, ImageKey: key, Flags: v.Flags, Passed: v.Passed,
			Scores: map[string]float64{
				"preference": s.Preference, "uplift": s.Uplift, "realism": s.Realism,
				"realism_percentile": s.RealismPercentile, "category_prob": s.CategoryProb,
				"ssim": s.SSIM, "perceptual": s.Perceptual, "diversity": res.Diversity,
			}})
	}
	return out, nil
}

// version returns the named model version, or the active one of kind.
func (e *redesignEngine) version(ctx context.Context, id, kind string) (atelier.ModelVersion, error) {
	if id != "" {
		mv, err := e.store.GetModelVersion(ctx, id)
		if err != nil {
			return mv, permanentIf(atelier.KindNotFound, fmt.Errorf("%s model version %s: %w", kind, id, err))
		}
		return mv, nil
	}
	mv, err := e.store.ActiveModelVersion(ctx, kind)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return mv, jobs.Permanent(atelier.Errorf(atelier.KindUnavailable,
			"no %s model version is active: train one (atelier train %s) and activate it before redesigning", kind, kind))
	}
	if err != nil {
		return mv, fmt.Errorf("active %s model version: %w", kind, err)
	}
	return mv, nil
}

// loadGAN reads a GAN models file from the blob store through a temporary
// file (the checkpoint reader takes a path).
func (e *redesignEngine) loadGAN(ctx context.Context, mv atelier.ModelVersion) (*gan.Models, error) {
	f, err := os.CreateTemp("", "atelier-gan-*.safetensors")
	if err != nil {
		return nil, err
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := fetchToFile(ctx, e.blobs, mv.BlobKey, f.Name()); err != nil {
		return nil, fmt.Errorf("gan model version %s: %w", mv.ID, err)
	}
	m, err := gan.LoadModels(f.Name())
	if err != nil {
		return nil, jobs.Permanent(atelier.Wrap(atelier.KindInvalid, err, "gan model version %s (%s)", mv.ID, mv.BlobKey))
	}
	return m, nil
}

func (e *redesignEngine) loadRecommender(ctx context.Context, mv atelier.ModelVersion) (*recommender.Model, error) {
	sm, err := recommenderLoader(e.blobs)(ctx, mv)
	if err != nil {
		return nil, err
	}
	m, ok := sm.(*recommender.Model)
	if !ok {
		return nil, jobs.Permanent(atelier.Errorf(atelier.KindInternal, "recommender version %s is not a DVBPR model", mv.ID))
	}
	return m, nil
}

// itemImage reads the item's primary model-size image.
func (e *redesignEngine) itemImage(ctx context.Context, it atelier.Item, size int) (imaging.Tensor, error) {
	im, ok := it.Primary()
	if !ok || im.ModelKey == "" {
		return imaging.Tensor{}, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "item %s has no model image", it.ID))
	}
	return e.readImage(ctx, im.ModelKey, size)
}

func (e *redesignEngine) readImage(ctx context.Context, key string, size int) (imaging.Tensor, error) {
	rc, _, err := e.blobs.Get(ctx, key)
	if err != nil {
		return imaging.Tensor{}, fmt.Errorf("image %s: %w", key, err)
	}
	defer rc.Close()
	img, _, err := image.Decode(rc)
	if err != nil {
		return imaging.Tensor{}, jobs.Permanent(atelier.Wrap(atelier.KindInvalid, err, "image %s", key))
	}
	return imaging.FromImageSize(img, size), nil
}

// segmentTheta is the weighted mean θ of the segment's members the model
// knows (by their external ids).
func (e *redesignEngine) segmentTheta(ctx context.Context, segmentID string, rec *recommender.Model) ([]float32, error) {
	ms, err := e.store.ListMemberships(ctx, segmentID)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", segmentID, err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ConsumerID
	}
	consumers, err := e.store.GetConsumers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("segment %s members: %w", segmentID, err)
	}
	theta := make([]float64, rec.Dim())
	var total float64
	for _, m := range ms {
		th, ok := rec.Theta(consumers[m.ConsumerID].ExternalID)
		if !ok {
			continue // not in this model version's training data
		}
		w := m.Weight
		if w <= 0 {
			w = 1
		}
		for j, v := range th {
			theta[j] += w * float64(v)
		}
		total += w
	}
	if total == 0 {
		return nil, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "segment %s has no members the recommender knows", segmentID))
	}
	out := make([]float32, len(theta))
	for j, v := range theta {
		out[j] = float32(v / total)
	}
	return out, nil
}

// errEnough stops the catalog walk once enough images are read.
var errEnough = errors.New("enough images")

// calibration returns the realism calibration of a GAN version, computing
// it on first use from up to realismRefs catalog images (generator samples
// when the catalog is too small).
func (e *redesignEngine) calibration(ctx context.Context, versionID string, m *gan.Models, seed int64) (*gan.Realism, error) {
	e.mu.Lock()
	r := e.realism[versionID]
	e.mu.Unlock()
	if r != nil {
		return r, nil
	}
	var ims []imaging.Tensor
	err := e.store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		im, ok := it.Primary()
		if !ok || im.ModelKey == "" {
			return nil
		}
		t, err := e.readImage(ctx, im.ModelKey, m.Size())
		if err != nil {
			return err
		}
		if ims = append(ims, t); len(ims) >= realismRefs {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("realism calibration: %w", err)
	}
	if len(ims) < m.D.Config.Group+1 {
		if ims, err = m.G.Generate(ctx, m.SampleZ(rand.New(rand.NewSource(seed)), realismRefs), 16); err != nil {
			return nil, err
		}
	}
	if r, err = gan.CalibrateRealism(ctx, m.D, ims, realismPercentile); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.realism[versionID] = r
	e.mu.Unlock()
	return r, nil
}

func (e *redesignEngine) put(ctx context.Context, key string, data []byte) error {
	if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// permanentIf marks err permanent when it is of the given kind: retrying
// cannot find a missing record or fix invalid input.
func permanentIf(kind atelier.Kind, err error) error {
	if atelier.ErrorKind(err) == kind {
		return jobs.Permanent(err)
	}
	return err
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}
