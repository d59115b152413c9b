package evaluation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
)

// ImageSize is the side at which catalog images are loaded, the input
// size of the visual models.
const ImageSize = atelier.ModelSize

// RecommenderConfig is an evaluation of the recommender and its baselines.
type RecommenderConfig struct {
	ModelPath string // a trained DVBPR model file to evaluate with the baselines ("" for none)
	Seed      uint64 // of the baselines' training and the sampled negatives
	Factors   int    // BPR-MF latent factors
	Epochs    int    // BPR-MF training epochs
	Pixels    int    // raw-pixel baseline: image side after block averaging (divides ImageSize)
	Workers   int    // goroutines for image loading and evaluation
}

// RecommenderReport is the models' metrics and, for models with a
// category head, its accuracy on the cold items.
type RecommenderReport struct {
	recommender.Report
	CategoryAccuracy map[string]float64 `json:"category_accuracy,omitempty"`
}

// Recommender evaluates the baselines (random, popularity, raw pixels,
// BPR-MF) and the model of cfg.ModelPath on the split of d.
func Recommender(ctx context.Context, d *recommender.Dataset, split *recommender.Split, cfg RecommenderConfig, prog progress.Func) (RecommenderReport, error) {
	images, err := d.LoadImages(ctx, ImageSize, cfg.Workers, prog)
	if err != nil {
		return RecommenderReport{}, err
	}
	var model recommender.Scorer
	catAcc := map[string]float64{}
	if cfg.ModelPath != "" {
		// Before the baselines' training, so a bad file fails fast.
		var acc float64
		if model, acc, err = ModelScorer(ctx, cfg.ModelPath, d, split, images, cfg.Workers); err != nil {
			return RecommenderReport{}, err
		}
		catAcc["dvbpr"] = acc
	}
	ev := recommender.NewEvaluator(split, recommender.EvalConfig{Seed: cfg.Seed, Workers: cfg.Workers}, prog)
	if _, err := ev.Add(ctx, "random", recommender.Random{Seed: cfg.Seed}); err != nil {
		return RecommenderReport{}, err
	}
	if _, err := ev.Add(ctx, "popularity", recommender.NewPopularity(split)); err != nil {
		return RecommenderReport{}, err
	}
	raw, err := recommender.NewRawPixels(split, images, recommender.RawPixelsConfig{Size: cfg.Pixels})
	if err != nil {
		return RecommenderReport{}, err
	}
	if _, err := ev.Add(ctx, "raw-pixels", raw); err != nil {
		return RecommenderReport{}, err
	}
	mf, err := recommender.TrainBPRMF(ctx, split, recommender.BPRMFConfig{Factors: cfg.Factors, Epochs: cfg.Epochs, Seed: cfg.Seed}, prog)
	if err != nil {
		return RecommenderReport{}, err
	}
	if _, err := ev.Add(ctx, "bpr-mf", mf); err != nil {
		return RecommenderReport{}, err
	}
	if model != nil {
		if _, err := ev.Add(ctx, "dvbpr", model); err != nil {
			return RecommenderReport{}, err
		}
	}
	return RecommenderReport{Report: ev.Report(), CategoryAccuracy: catAcc}, nil
}

// ModelScorer opens a trained DVBPR model file and returns its scores
// for the dataset's consumers and items, x(u,i) = θ_u·φ(X_i) with φ
// computed once for every catalog image, and its category head's accuracy
// on the split's cold items (which training never sees). It refuses a model
// trained on another dataset or split: its training would include some of
// this split's test items.
func ModelScorer(ctx context.Context, path string, d *recommender.Dataset, split *recommender.Split, images *recommender.Images, workers int) (recommender.Scorer, float64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, atelier.Errorf(atelier.KindNotFound, "--model %s: no such file", path)
		}
		return nil, 0, fmt.Errorf("--model %s: %w", path, err)
	}
	m, err := recommender.ReadModel(f)
	f.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("--model %s: %w", path, err)
	}
	defer m.Close()
	if err := m.CheckSplit(split.Config, recommender.DatasetFingerprint(d)); err != nil {
		return nil, 0, atelier.Errorf(atelier.KindInvalid, "--model %s: %v (train and evaluate with the same --dataset, --seed and --cold-items)", path, err)
	}
	if m.ImageSize() != images.Size {
		return nil, 0, atelier.Errorf(atelier.KindInvalid, "--model %s takes %d×%d images, not %d×%d", path, m.ImageSize(), m.ImageSize(), images.Size, images.Size)
	}
	sc, err := m.NewScorer(ctx, d.Consumers, images, workers)
	if err != nil {
		return nil, 0, fmt.Errorf("--model %s: %w", path, err)
	}
	labels := make([]int, len(d.Items))
	for i, it := range d.Items {
		labels[i] = -1
		// The model's categories may be ordered or named differently.
		for c, name := range m.Categories() {
			if name == d.Categories[it.Category] {
				labels[i] = c
			}
		}
	}
	items := split.ColdItems()
	if len(items) == 0 {
		items = nil
	}
	return sc, recommender.CategoryAccuracy(m, sc.Items, labels, items), nil
}
