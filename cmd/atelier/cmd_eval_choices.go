package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/evaluation"
)

// runEvalChoices sends simulated consumers of a synthetic world through
// the choice flow with catalog-only, probes-only and mixed rounds, on the
// whole catalog and a small one, judged by the oracle: `atelier eval
// choices --dataset DIR --gan FILE --recommender FILE [--consumers 500
// --probes 300 --probe-share 0.67 --options 3 --seed 7] [--json]`.
func runEvalChoices(ctx context.Context, e env, args []string) error {
	fs := newFlags("eval choices", e)
	dataset := fs.String("dataset", "", "synthetic world `directory` with personas.json (required)")
	ganPath := fs.String("gan", "", "GAN models `file` (required)")
	recPath := fs.String("recommender", "", "recommender model `file` (required)")
	consumers := fs.Int("consumers", 500, "simulated consumers")
	probes := fs.Int("probes", 300, "generated probes in the pool")
	share := fs.Float64("probe-share", 2.0/3, "mixed rounds: the share of each round's options that are probes")
	options := fs.Int("options", 3, "options per round (3 to 9)")
	small := fs.Int("small-catalog", 120, "items of the small catalog")
	seed := fs.Uint64("seed", 7, "seed of the consumers, rounds, picks and probes")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "" || *ganPath == "" || *recPath == "":
		return usagef("eval choices: --dataset, --gan and --recommender are required")
	case *consumers < 2 || *consumers > 100_000:
		return usagef("eval choices: --consumers %d not in [2, 100000]", *consumers)
	case *probes < 1 || *probes > 100_000:
		return usagef("eval choices: --probes %d not in [1, 100000]", *probes)
	case !(*share > 0) || *share > 1:
		return usagef("eval choices: --probe-share %g not in (0, 1]", *share)
	case *options < 3 || *options > 9:
		return usagef("eval choices: --options %d not in [3, 9]", *options)
	case *small < 10:
		return usagef("eval choices: --small-catalog %d is under 10 items", *small)
	case *seed == 0:
		return usagef("eval choices: --seed must not be 0")
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("eval choices: --gan %s: %w", *ganPath, err)
	}
	rec, err := recommender.LoadModel(*recPath)
	if err != nil {
		return fmt.Errorf("eval choices: --recommender %s: %w", *recPath, err)
	}
	defer rec.Close()
	data, err := recommender.LoadDataset(*dataset)
	if err != nil {
		return fmt.Errorf("eval choices: --dataset %s: %w", *dataset, err)
	}
	personas, err := synth.LoadPersonas(filepath.Join(*dataset, "personas.json"))
	if err != nil {
		return fmt.Errorf("eval choices: the oracle: %w", err)
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	rep, err := evaluation.Choices(ctx, m, rec, data, personas, evaluation.ChoicesConfig{
		Consumers: *consumers, Probes: *probes, ProbeShare: *share, Options: *options, SmallCatalog: *small, Seed: *seed,
	}, bar.Func())
	if err != nil {
		return fmt.Errorf("eval choices: %w", err)
	}
	bar.Done()
	return printReport(e, *asJSON, rep, writeChoicesEval)
}

// writeChoicesEval prints one table per catalog: rows are modes × rounds.
func writeChoicesEval(w io.Writer, rep *evaluation.ChoicesReport) error {
	fmt.Fprintf(w, "%d simulated consumers; mixed rounds are %.0f%% probes\n", rep.Consumers, 100*rep.ProbeShare)
	for _, cat := range []struct {
		name string
		rows map[string]map[string]evaluation.ChoiceScore
	}{{"whole catalog", rep.Full}, {"small catalog", rep.SmallCatalog}} {
		fmt.Fprintf(w, "\n%s\n", cat.name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "rounds\tmode\trec_utility\t±se\tgain over catalog\t±se\tshare\t±se\ttaste_cosine\t±se\t")
		var rounds []string
		for r := range cat.rows[evaluation.ModeCatalog] {
			rounds = append(rounds, r)
		}
		slices.Sort(rounds)
		for _, r := range rounds {
			for _, mode := range []string{evaluation.ModeCatalog, evaluation.ModeProbes, evaluation.ModeMixed} {
				s := cat.rows[mode][r]
				fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%+.4f\t%.4f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r, mode,
					s.RecUtility, s.RecUtilitySE, s.GainOverCatalog, s.GainOverCatalogSE, s.RecUtilityShare, s.RecUtilityShareSE, s.TasteCosine, s.TasteCosineSE)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	p := rep.Pool
	fmt.Fprintf(w, "\nprobe pool: %d kept of %d drawn (%.0f%%) in %.1f s; categories %v\n", p.Size, p.Drawn, 100*p.RealismPass, p.Seconds, p.CategoryMix)
	return nil
}
