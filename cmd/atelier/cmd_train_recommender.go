package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/training"
)

// The GAN scores its images with a trained DVBPR model through gan.Scorer;
// the recommender package cannot import gan, so the check lives here.
var _ gan.Scorer = (*recommender.Model)(nil)

// runTrainRecommender trains DVBPR on a dataset's training split (the
// split `atelier eval recommender` uses with the same --seed and
// --cold-items) and writes the model file atomically. Training state is
// checkpointed as it goes, so an interrupted run continues with --resume.
func runTrainRecommender(ctx context.Context, e env, args []string) error {
	fs := newFlags("train recommender", e)
	dataset := fs.String("dataset", "", "dataset `directory` (items.csv, consumers.csv, interactions.csv, images/)")
	out := fs.String("out", "", "model `file` to write (safetensors)")
	checkpoint := fs.String("checkpoint", "", "training checkpoint `file` (default: --out with .ckpt appended)")
	resume := fs.Bool("resume", false, "continue from the training checkpoint")
	def := atelier.DefaultTrainRecommenderParams() // the defaults of the train-recommender job
	epochs := fs.Int("epochs", def.Epochs, "training epochs at most")
	patience := fs.Int("patience", def.Patience, "stop after this many epochs without a better validation AUC")
	dim := fs.Int("dim", def.Dim, "feature dimension K")
	lr := fs.Float64("lr", def.LR, "Adam learning rate of the first epoch")
	lrDecay := fs.Float64("lr-decay", def.LRDecay, "factor applied to the learning rate after each epoch, in (0, 1]")
	batch := fs.Int("batch", def.Batch, "triplets per step")
	seed := fs.Uint64("seed", def.Seed, "seed of the split's cold items, the initial weights and the triplets")
	coldItems := fs.Float64("cold-items", recommender.DefaultColdFraction, "`share` of the items held out of training as cold items (as in eval recommender)")
	workers := fs.Int("workers", 2, "goroutines for training, image loading and validation")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "" || *out == "":
		return usagef("train recommender: --dataset and --out are required")
	case *epochs < 1 || *batch < 1 || *dim < 1 || *workers < 1 || *patience < 1:
		return usagef("train recommender: --epochs, --batch, --dim, --workers and --patience must be positive")
	case *workers > *batch:
		return usagef("train recommender: --workers %d exceeds --batch %d", *workers, *batch)
	case !(*lr > 0):
		return usagef("train recommender: --lr must be positive")
	case !(*lrDecay > 0 && *lrDecay <= 1):
		return usagef("train recommender: --lr-decay must be in (0, 1]")
	case !(*coldItems >= 0 && *coldItems < 1):
		return usagef("train recommender: --cold-items %v must be at least 0 and below 1", *coldItems)
	}
	if *checkpoint == "" {
		*checkpoint = *out + ".ckpt"
	}
	// Fail before hours of training, not after.
	for _, f := range []string{*out, *checkpoint} {
		if st, err := os.Stat(filepath.Dir(f)); err != nil || !st.IsDir() {
			return atelier.Errorf(atelier.KindInvalid, "train recommender: folder %s of %s does not exist", filepath.Dir(f), f)
		}
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()

	d, err := recommender.LoadDataset(*dataset)
	if err != nil {
		return err
	}
	split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: *coldItems, Seed: *seed})
	if err != nil {
		return fmt.Errorf("dataset %s: %w", *dataset, err)
	}
	images, err := d.LoadImages(ctx, evalImageSize, *workers, bar.Func())
	if err != nil {
		return err
	}
	start := time.Now()
	tc := training.RecommenderConfig(atelier.TrainRecommenderParams{Epochs: *epochs, Patience: *patience, Dim: *dim,
		LR: *lr, LRDecay: *lrDecay, Batch: *batch, Seed: *seed, ColdItems: *coldItems})
	tc.Workers, tc.Checkpoint, tc.Resume = *workers, *checkpoint, *resume
	model, err := recommender.Train(ctx, recommender.NewTrainData(d, images), split, tc, bar.Func())
	if err != nil {
		return err
	}
	defer model.Close()
	if err := model.Save(*out); err != nil {
		return err
	}
	bar.Done()
	info := model.Info
	fmt.Fprintf(e.stdout, "wrote %s: K=%d, %d consumers, epoch %d of %d kept (validation AUC %.4f, category accuracy on cold items %.4f), %s training, %s in all\n",
		*out, model.Dim(), len(model.Consumers()), info.BestEpoch, info.Epochs, info.ValAUC, info.CategoryAcc,
		(time.Duration(info.TrainSeconds) * time.Second).Round(time.Second), time.Since(start).Round(time.Second))
	return nil
}
