package main

import (
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"sort"

	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/evaluation"
)

// runEvalBackgrounds judges product descriptions and background
// suggestions on a synthetic world (docs/backgrounds.md): `atelier eval
// backgrounds --dataset DIR [--items 600] [--recommender FILE] [--json]`.
func runEvalBackgrounds(ctx context.Context, e env, args []string) error {
	fs := newFlags("eval backgrounds", e)
	dataset := fs.String("dataset", "", "synthetic world `directory` (atelier synth; required)")
	items := fs.Int("items", 600, "items to describe (the first ones)")
	recPath := fs.String("recommender", "", "recommender model `file` for the category (default: the embedded demo model)")
	figure := fs.String("figure", "", "also write a JPEG `file`: the first 12 items, each on its top three scenes (descriptions on stdout)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "":
		return usagef("eval backgrounds: --dataset is required")
	case *items < 1 || *items > 1_000_000:
		return usagef("eval backgrounds: --items %d not in [1, 1000000]", *items)
	}
	rec, err := loadRecommenderOrDemo(*recPath)
	if err != nil {
		return fmt.Errorf("eval backgrounds: %w", err)
	}
	defer rec.Close()
	data, err := recommender.LoadDataset(*dataset)
	if err != nil {
		return fmt.Errorf("eval backgrounds: --dataset %s: %w", *dataset, err)
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	rep, err := evaluation.Backgrounds(ctx, rec, data, *items, bar.Func())
	if err != nil {
		return fmt.Errorf("eval backgrounds: %w", err)
	}
	bar.Done()
	if *figure != "" {
		if err := writeBackgroundsFigure(ctx, e, rec, data, *figure); err != nil {
			return fmt.Errorf("eval backgrounds: --figure: %w", err)
		}
	}
	return printReport(e, *asJSON, rep, writeBackgroundsEval)
}

func writeBackgroundsFigure(ctx context.Context, e env, rec *recommender.Model, data *recommender.Dataset, path string) error {
	img, rows, err := evaluation.BackgroundsFigure(ctx, rec, data, 12)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(f *os.File) error { return jpeg.Encode(f, img, &jpeg.Options{Quality: 85}) }); err != nil {
		return err
	}
	for i, r := range rows {
		fmt.Fprintf(e.stderr, "%2d. %s: %s\n", i+1, r.ItemID, r.Sentence)
		for _, s := range r.Scenes {
			fmt.Fprintf(e.stderr, "      %s\n", s)
		}
	}
	return nil
}

func writeBackgroundsEval(w io.Writer, rep evaluation.BackgroundsReport) error {
	d := rep.Description
	fmt.Fprintf(w, "%d items, %d scenes, %.0f s\n", rep.Items, rep.Scenes, rep.Seconds)
	fmt.Fprintf(w, "category %.3f, colour family %.3f (named %.3f), pattern %.3f\n", d.CategoryAcc, d.ColourFamilyAcc, d.ColourNamedAcc, d.PatternAcc)
	words := []string{"solid", "stripes", "checks", "dots", "other"}
	fmt.Fprintf(w, "%-10s", "pattern")
	for _, c := range words {
		fmt.Fprintf(w, " %8s", c)
	}
	fmt.Fprintln(w)
	for _, t := range words {
		fmt.Fprintf(w, "%-10s", t)
		for _, c := range words {
			fmt.Fprintf(w, " %8d", d.PatternConfusion[t][c])
		}
		fmt.Fprintln(w)
	}
	names := make([]string, 0, len(rep.Suggestions.PrecisionAt5))
	for k := range rep.Suggestions.PrecisionAt5 {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "precision@5 %-12s %.3f ± %.3f\n", k, rep.Suggestions.PrecisionAt5[k], rep.Suggestions.SE[k])
	}
	return nil
}
