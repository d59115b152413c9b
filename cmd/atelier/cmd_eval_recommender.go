package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
)

// evalImageSize is the side at which catalog images are loaded, the input
// size of the visual models.
const evalImageSize = 64

// runEvalRecommender evaluates the baselines (and a trained model given
// with --model) on the DVBPR split of a dataset: a share of the items is
// held out of training as cold items, then per consumer the last
// interaction is the test item, the last earlier non-cold one validation.
func runEvalRecommender(ctx context.Context, e env, args []string) error {
	fs := newFlags("eval recommender", e)
	dataset := fs.String("dataset", "", "dataset `directory` (items.csv, consumers.csv, interactions.csv, images/)")
	modelPath := fs.String("model", "", "trained DVBPR model `file` to evaluate with the baselines")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	seed := fs.Uint64("seed", 1, "seed of the cold items, the baselines' training and the sampled negatives")
	coldItems := fs.Float64("cold-items", recommender.DefaultColdFraction, "`share` of the items held out of training as cold items, in [0, 1); 0 holds out none")
	factors := fs.Int("factors", 32, "BPR-MF latent factors")
	epochs := fs.Int("epochs", 30, "BPR-MF training epochs")
	pixels := fs.Int("pixels", 16, "raw-pixel baseline: image side after block averaging (must divide 64)")
	workers := fs.Int("workers", 2, "goroutines for image loading and evaluation")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "":
		return usagef("eval recommender: --dataset is required")
	case *factors < 1 || *epochs < 1 || *workers < 1:
		return usagef("eval recommender: --factors, --epochs and --workers must be positive")
	case !(*coldItems >= 0 && *coldItems < 1):
		return usagef("eval recommender: --cold-items %v must be at least 0 and below 1", *coldItems)
	case *pixels < 1 || evalImageSize%*pixels != 0:
		return usagef("eval recommender: --pixels %d must divide %d", *pixels, evalImageSize)
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	prog := bar.Func()

	d, err := recommender.LoadDataset(*dataset)
	if err != nil {
		return err
	}
	split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: *coldItems, Seed: *seed})
	if err != nil {
		return fmt.Errorf("dataset %s: %w", *dataset, err)
	}
	images, err := d.LoadImages(ctx, evalImageSize, *workers, prog)
	if err != nil {
		return err
	}
	var model recommender.Scorer
	if *modelPath != "" {
		// Before the baselines' training, so a bad file fails fast.
		if model, err = loadModelScorer(*modelPath, d, images); err != nil {
			return err
		}
	}

	ev := recommender.NewEvaluator(split, recommender.EvalConfig{Seed: *seed, Workers: *workers}, prog)
	if _, err := ev.Add(ctx, "random", recommender.Random{Seed: *seed}); err != nil {
		return err
	}
	if _, err := ev.Add(ctx, "popularity", recommender.NewPopularity(split)); err != nil {
		return err
	}
	raw, err := recommender.NewRawPixels(split, images, recommender.RawPixelsConfig{Size: *pixels})
	if err != nil {
		return err
	}
	if _, err := ev.Add(ctx, "raw-pixels", raw); err != nil {
		return err
	}
	mf, err := recommender.TrainBPRMF(ctx, split, recommender.BPRMFConfig{Factors: *factors, Epochs: *epochs, Seed: *seed}, prog)
	if err != nil {
		return err
	}
	if _, err := ev.Add(ctx, "bpr-mf", mf); err != nil {
		return err
	}
	if model != nil {
		if _, err := ev.Add(ctx, "dvbpr", model); err != nil {
			return err
		}
	}
	bar.Done()

	report := ev.Report()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return writeEvalTable(e.stdout, *dataset, report)
}

// loadModelScorer opens a trained model file and returns its scores for
// the dataset's consumers and items. A DVBPR model computes φ(X_i) for
// every catalog image once and scores with recommender.NewDotScorer(θ, φ).
func loadModelScorer(path string, d *recommender.Dataset, images *recommender.Images) (recommender.Scorer, error) {
	return nil, atelier.Errorf(atelier.KindInvalid, "--model %s: this build has no DVBPR model format to load", path)
}

// writeEvalTable prints the report as an aligned table, models in the
// order they were evaluated.
func writeEvalTable(w io.Writer, dataset string, r recommender.Report) error {
	fmt.Fprintf(w, "dataset %s: %d consumers (%d evaluated), %d items (%d cold)\n\n", dataset, r.Consumers, r.Evaluated, r.Items, r.ColdItems)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tauc\tauc@100\tauc_cold\tndcg@10\trecall@10\trecall@50\thr@10")
	cell := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.4f", v)
	}
	cold := 0
	for _, name := range r.Order {
		m := r.Models[name]
		cold = m.ColdConsumers
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, cell(m.AUC), cell(m.AUCSampled), cell(m.AUCCold),
			cell(m.NDCG10), cell(m.Recall10), cell(m.Recall50), cell(m.HR10))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.ColdItems == 0 {
		_, err := fmt.Fprintln(w, "\nauc_cold: no cold items held out (--cold-items 0)")
		return err
	}
	_, err := fmt.Fprintf(w, "\nauc_cold: %d consumers whose test item is one of the %d cold items held out of training,\nranked against the other cold items\n", cold, r.ColdItems)
	return err
}
