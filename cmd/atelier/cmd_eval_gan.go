package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imgmetric"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
)

// runEvalGAN measures trained GAN models against a catalog:
// `atelier eval gan --dataset DIR --gan FILE [--recommender FILE] [--json]`.
func runEvalGAN(ctx context.Context, e env, args []string) error {
	fs := newFlags("eval gan", e)
	dataset := fs.String("dataset", "", "dataset `directory` the models were trained on (required)")
	ganPath := fs.String("gan", "", "models `file` (or GAN training checkpoint) to evaluate (required)")
	recPath := fs.String("recommender", "", "recommender model `file` whose features φ and category head measure the samples")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	seed := fs.Int64("seed", 1, "seed of the generated samples, the real halves and the compared pairs")
	inversions := fs.Int("inversions", 20, "held-out images to invert for the inversion curve (0: none)")
	pairs := fs.Int("pairs", 500, "random pairs of generated images for diversity")
	prior := fs.String("prior", "fitted", "distribution of the random latents: fitted (the models' prior, when they have one) or normal")
	spread := fs.Float64("spread", 0, "spread τ of the prior's components to sample at instead of the models' own (0: the models')")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dataset == "":
		return usagef("eval gan: --dataset is required")
	case *ganPath == "":
		return usagef("eval gan: --gan is required")
	case *inversions < 0 || *pairs < 1:
		return usagef("eval gan: --inversions must not be negative and --pairs must be positive")
	case *prior != "fitted" && *prior != "normal":
		return usagef("eval gan: --prior %q: want fitted or normal", *prior)
	case !(*spread >= 0) || math.IsInf(*spread, 0):
		return usagef("eval gan: --spread must be a positive number, or 0 for the models' own")
	case *spread > 0 && *prior == "normal":
		return usagef("eval gan: --spread scales the fitted prior; --prior normal has none")
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("eval gan: %w", err)
	}
	switch {
	case *prior == "normal":
		m.Prior = nil
	case *spread > 0 && m.Prior == nil:
		return usagef("eval gan: --spread: %s has no latent prior to scale", *ganPath)
	case *spread > 0:
		m.Prior.Spread = *spread
	}
	var scorer gan.Scorer
	if *recPath != "" {
		if scorer, err = loadGANScorer(*recPath); err != nil {
			return fmt.Errorf("eval gan: %w", err)
		}
	}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	images, err := loadCatalogImages(ctx, *dataset, m.Size(), bar.Func())
	if err != nil {
		return fmt.Errorf("eval gan: %w", err)
	}
	cfg := gan.EvalConfig{Seed: *seed, DiversityPairs: *pairs, Inversions: *inversions}
	if *inversions == 0 {
		cfg.Inversions = -1
	}
	rep, err := gan.Evaluate(ctx, m, images, scorer, imageMetrics(), cfg, bar.Func())
	if err != nil {
		return fmt.Errorf("eval gan: %w", err)
	}
	bar.Done()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeGANReport(e.stdout, rep)
}

// loadGANScorer loads a trained recommender model as the GAN's Scorer (its
// features φ and category head).
func loadGANScorer(path string) (gan.Scorer, error) {
	m, err := recommender.LoadModel(path)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "--recommender %s", path)
	}
	return m, nil
}

// imageMetrics returns the image measures of the evaluation: SSIM (Wang et
// al. 2004, per RGB channel) and the Fréchet distance of fitted Gaussians.
func imageMetrics() gan.Metrics {
	return gan.Metrics{SSIM: imgmetric.SSIM, Frechet: imgmetric.FrechetDistance}
}

// atof parses a number the report printed itself (0 if it cannot).
func atof(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func writeGANReport(w io.Writer, r *gan.Report) error {
	fmt.Fprintf(w, "real images %d, generated %d, held out %d\n", r.RealImages, r.GeneratedImages, r.HeldOutImages)
	fmt.Fprintf(w, "random latents %s", r.Prior)
	if r.PriorSpread != nil {
		fmt.Fprintf(w, ", spread %.3f", *r.PriorSpread)
	}
	fmt.Fprintln(w)
	if r.FDPhi != nil {
		fmt.Fprintf(w, "fd_phi %.4f (floor %.4f, ratio %.2f)", *r.FDPhi, *r.FDPhiFloor, *r.FDPhi / *r.FDPhiFloor)
		if r.FDPhiMeans != nil {
			fmt.Fprintf(w, ", %.4f of it from the means", *r.FDPhiMeans)
		}
		fmt.Fprintln(w)
	}
	if r.FDPhiReconstructed != nil {
		fmt.Fprintf(w, "fd_phi of reconstructions %.4f\n", *r.FDPhiReconstructed)
	}
	if len(r.FDPhiBlurred) > 0 {
		sigmas := make([]string, 0, len(r.FDPhiBlurred))
		for s := range r.FDPhiBlurred {
			sigmas = append(sigmas, s)
		}
		sort.Slice(sigmas, func(i, j int) bool { return atof(sigmas[i]) < atof(sigmas[j]) })
		fmt.Fprint(w, "fd_phi of real items blurred by σ px")
		for _, s := range sigmas {
			fmt.Fprintf(w, " %s:%.4f", s, r.FDPhiBlurred[s])
		}
		fmt.Fprintln(w)
	}
	if r.CategoryMix != nil {
		names := make([]string, 0, len(r.CategoryMix.Real))
		for n := range r.CategoryMix.Real {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "category %-10s real %.3f generated %.3f\n", n, r.CategoryMix.Real[n], r.CategoryMix.Generated[n])
		}
	}
	if r.Diversity != nil {
		fmt.Fprintf(w, "diversity %.4f\n", *r.Diversity)
	}
	if r.Encoder != nil {
		fmt.Fprintf(w, "encoder mse %.5f", r.Encoder.MSE)
		if r.Encoder.SSIM != nil {
			fmt.Fprintf(w, " ssim %.4f", *r.Encoder.SSIM)
		}
		fmt.Fprintln(w)
	}
	if len(r.Inversion) > 0 {
		keys := make([]string, 0, len(r.Inversion))
		for k := range r.Inversion {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return len(keys[i]) < len(keys[j]) || (len(keys[i]) == len(keys[j]) && keys[i] < keys[j])
		})
		fmt.Fprint(w, "inversion ssim")
		for _, k := range keys {
			fmt.Fprintf(w, " %s:%.4f", k, r.Inversion[k])
		}
		fmt.Fprintln(w)
	}
	return nil
}
