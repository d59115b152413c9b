package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/internal/transfer"
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
	photosDir := fs.String("photos", "", "`directory` of sellers' photos to redesign as jobs do, judged at the photos' resolution (gis only; e.g. atelier synth --size 256 --seed 5 --out DIR)")
	photosJPEG := fs.Int("photos-jpeg", 0, "re-encode each photo as a JPEG of this `quality` first (0: as they are)")
	method := fs.String("transfer", string(transfer.Guided), "with --photos: the transfer method reported as full (guided, delta or naive)")
	figure := fs.String("figure", "", "with --photos: write a PNG `file` showing the first five pairs (photo, generator's variant, naive upscale, transferred)")
	key := keyFlag(fs, e)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	tm, terr := transfer.ParseMethod(*method)
	sizes, err := positiveInts(*sizesFlag)
	switch {
	case *dataset == "" || *ganPath == "" || *recPath == "":
		return usagef("eval redesign: --dataset, --gan and --recommender are required")
	case err != nil:
		return usagef("eval redesign: --segment-sizes: %v", err)
	case terr != nil:
		return usagef("eval redesign: --transfer: %v", terr)
	case *photosJPEG < 0 || *photosJPEG > 100:
		return usagef("eval redesign: --photos-jpeg %d not in [0, 100]", *photosJPEG)
	case *photosJPEG > 0 && *photosDir == "":
		return usagef("eval redesign: --photos-jpeg needs --photos")
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
	if *photosDir != "" {
		photos, err := evaluation.LoadPhotos(*photosDir, *photosJPEG)
		if err != nil {
			return fmt.Errorf("eval redesign: --photos %s: %w", *photosDir, err)
		}
		rep, err := evaluation.RedesignPhotos(ctx, m, rec, data, personas, photos, evaluation.PhotoConfig{
			Pairs: *nPairs, SegmentSizes: sizes, Seed: *seed, N: *n, Steps: *steps, InvertSteps: *invSteps,
			Transfer: tm, WatermarkKey: *key, FigurePairs: figurePairs(*figure)}, bar.Func())
		if err != nil {
			return fmt.Errorf("eval redesign: %w", err)
		}
		bar.Done()
		if *figure != "" {
			if err := writeFigure(*figure, rep.Figure); err != nil {
				return fmt.Errorf("eval redesign: --figure: %w", err)
			}
		}
		return printReport(e, *asJSON, rep, writePhotoEval)
	}
	rep, err := evaluation.Redesign(ctx, m, rec, data, personas, evaluation.RedesignConfig{
		Pairs: *nPairs, SegmentSizes: sizes, Seed: *seed,
		Method: gan.RedesignEvalConfig{N: *n, Steps: *steps, Invert: gan.InvertConfig{Steps: *invSteps},
			KeepCategory: float32(*keepCat), KeepRealism: float32(*keepReal), Methods: strings.Split(*methodsFlag, ",")},
	}, bar.Func())
	if err != nil {
		return fmt.Errorf("eval redesign: %w", err)
	}
	bar.Done()
	return printReport(e, *asJSON, rep, writeRedesignEval)
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
