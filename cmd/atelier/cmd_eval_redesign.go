package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/evaluation"
)

// runEvalRedesign compares the redesign method with its baselines on
// random (item, segment) pairs of a synthetic world, measured by the
// world's oracle: `atelier eval redesign --dataset DIR --gan FILE
// --recommender FILE [--pairs 30 --segment-sizes 1,5,10,50,100,500 --seed 1
// --steps 100 --n 8] [--json]`.
func runEvalRedesign(ctx context.Context, e env, args []string) error {
	fs := newFlags("eval redesign", e)
	dataset := fs.String("dataset", "", "synthetic world `directory` with personas.json (required)")
	ganPath := fs.String("gan", "", "GAN models `file` (required)")
	recPath := fs.String("recommender", "", "recommender model `file` (required)")
	nPairs := fs.Int("pairs", 30, "number of (item, segment) pairs")
	sizesFlag := fs.String("segment-sizes", "1,5,10,50,100,500", "comma-separated segment `sizes`, cycled over pairs")
	seed := fs.Int64("seed", 1, "seed of the pairs and of every method")
	steps := fs.Int("steps", 100, "optimisation steps of every method")
	invSteps := fs.Int("invert-steps", 100, "inversion steps")
	n := fs.Int("n", 8, "variants per job")
	keepCat := fs.Float64("keep-category", 0, "weight of gis's term that keeps the base category (0: the default, negative: off)")
	keepReal := fs.Float64("keep-realism", 0, "weight of gis's realism term (0: the default, negative: off)")
	methodsFlag := fs.String("methods", strings.Join(gan.Methods, ","), "comma-separated `methods` to run")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	sizes, err := positiveInts(*sizesFlag)
	switch {
	case *dataset == "" || *ganPath == "" || *recPath == "":
		return usagef("eval redesign: --dataset, --gan and --recommender are required")
	case err != nil:
		return usagef("eval redesign: --segment-sizes: %v", err)
	case *nPairs < 1 || *nPairs > 10000:
		return usagef("eval redesign: --pairs %d not in [1, 10000]", *nPairs)
	case *n < 1 || *n > 64:
		return usagef("eval redesign: --n %d not in [1, 64]", *n)
	case *steps < 0 || *steps > 10000 || *invSteps < 1:
		return usagef("eval redesign: --steps must be in [0, 10000] and --invert-steps positive")
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("eval redesign: --gan %s: %w", *ganPath, err)
	}
	rec, err := recommender.LoadModel(*recPath)
	if err != nil {
		return fmt.Errorf("eval redesign: --recommender %s: %w", *recPath, err)
	}
	data, err := recommender.LoadDataset(*dataset)
	if err != nil {
		return fmt.Errorf("eval redesign: --dataset %s: %w", *dataset, err)
	}
	personas, err := synth.LoadPersonas(filepath.Join(*dataset, "personas.json"))
	if err != nil {
		return fmt.Errorf("eval redesign: the oracle: %w", err)
	}

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	rep, err := evaluation.Redesign(ctx, m, rec, data, personas, evaluation.RedesignConfig{
		Pairs: *nPairs, SegmentSizes: sizes, Seed: *seed,
		Method: gan.RedesignEvalConfig{N: *n, Steps: *steps, Invert: gan.InvertConfig{Steps: *invSteps},
			KeepCategory: float32(*keepCat), KeepRealism: float32(*keepReal), Methods: strings.Split(*methodsFlag, ",")},
	}, bar.Func())
	if err != nil {
		return fmt.Errorf("eval redesign: %w", err)
	}
	bar.Done()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeRedesignEval(e.stdout, rep)
}

// positiveInts parses a comma-separated list of positive integers.
func positiveInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func writeRedesignEval(w io.Writer, rep *gan.RedesignEvalReport) error {
	fmt.Fprintf(w, "%d pairs\n%-13s %11s %7s %13s %9s %9s %8s %8s %7s %8s\n", rep.Pairs,
		"method", "pred uplift", "pred>0", "oracle uplift", "oracle>0", "diversity", "realism", "category", "passed", "s/job")
	for _, name := range gan.Methods {
		r, ok := rep.Methods[name]
		if !ok {
			continue // not run
		}
		fmt.Fprintf(w, "%-13s %+11.4f %7.2f %+13.4f %9.2f %9.4f %8.2f %8.2f %7.2f %8.2f\n", name, r.PredUplift, r.PredPositiveFrac, r.OracleUplift,
			r.OraclePositiveFrac, r.Diversity, r.RealismPass, r.CategoryConsistency, r.PassedFrac, r.SecondsPerJob)
	}
	if len(rep.BySegmentSize) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\ngis by segment size\n%6s %6s %11s %13s\n", "size", "pairs", "pred uplift", "oracle uplift")
	for _, u := range rep.BySegmentSize {
		fmt.Fprintf(w, "%6d %6d %+11.4f %+13.4f\n", u.Size, u.Pairs, u.PredUplift, u.OracleUplift)
	}
	return nil
}
