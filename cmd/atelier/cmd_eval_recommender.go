package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/evaluation"
)

// evalImageSize is the side at which catalog images are loaded.
const evalImageSize = evaluation.ImageSize

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
	report, err := evaluation.Recommender(ctx, d, split, evaluation.RecommenderConfig{
		ModelPath: *modelPath, Seed: *seed, Factors: *factors, Epochs: *epochs, Pixels: *pixels, Workers: *workers}, prog)
	if err != nil {
		return err
	}
	bar.Done()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return writeEvalTable(e.stdout, *dataset, report)
}

// writeEvalTable prints the report as an aligned table, models in the
// order they were evaluated.
func writeEvalTable(w io.Writer, dataset string, r evaluation.RecommenderReport) error {
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
		fmt.Fprintln(w, "\nauc_cold: no cold items held out (--cold-items 0)")
	} else {
		fmt.Fprintf(w, "\nauc_cold: %d consumers whose test item is one of the %d cold items held out of training,\nranked against the other cold items\n", cold, r.ColdItems)
	}
	for _, name := range r.Order {
		if acc, ok := r.CategoryAccuracy[name]; ok {
			held := "the cold items"
			if r.ColdItems == 0 {
				held = "all items (none held out)"
			}
			fmt.Fprintf(w, "%s category head: accuracy %s on %s\n", name, cell(acc), held)
		}
	}
	return nil
}
