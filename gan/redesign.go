package gan

import (
	"context"
	"fmt"
	"math/rand"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/imgmetric"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/watermark"
)

// RedesignConfig sets a redesign: inversion, shifting, checks and marking.
type RedesignConfig struct {
	Invert   InvertConfig
	Shift    ShiftConfig
	Fidelity FidelityConfig
	// WatermarkKey is the key of the invisible mark every output carries
	// (required).
	WatermarkKey string
	// Description goes into the PNG provenance chunk of every output.
	Description string
	// KeepCategory and KeepRealism weigh the terms that hold shifts to the
	// base's category and to realism (Keep; defaults
	// DefaultKeepCategoryWeight and DefaultKeepRealismWeight). Negative
	// leaves a term out; both negative is the published objective.
	KeepCategory, KeepRealism float32
}

// keep returns the Keep of a redesign whose base image is base and whose
// category is category ("" for the one the scorer sees in base).
func (c RedesignConfig) keep(ctx context.Context, s Scorer, r *Realism, base imaging.Tensor, category string) (*Keep, error) {
	wc, wr := weightOr(c.KeepCategory, DefaultKeepCategoryWeight), weightOr(c.KeepRealism, DefaultKeepRealismWeight)
	if wc == 0 && wr == 0 {
		return nil, nil
	}
	k := &Keep{Category: -1, CategoryWeight: wc, RealismWeight: wr}
	if wr > 0 {
		k.Refs = r.Refs
	}
	if wc > 0 {
		var probs []float64
		if category == "" {
			sc, err := scoreWith(ctx, s, []imaging.Tensor{base})
			if err != nil {
				return nil, err
			}
			probs = sc.probs[0]
		}
		k.Category = baseCategory(s.Categories(), probs, category)
	}
	return k, nil
}

// weightOr is w, def when w is 0, and 0 when w is negative.
func weightOr(w, def float32) float32 {
	switch {
	case w == 0:
		return def
	case w < 0:
		return 0
	}
	return w
}

// RedesignRequest is what to redesign and for whom.
type RedesignRequest struct {
	// Image is the seller's product photo at the generator's size; nil
	// means creator mode: start from a random z drawn from CreatorSeed.
	Image       *imaging.Tensor
	CreatorSeed int64
	// Category is the base item's category (one of the scorer's); empty
	// means the one the scorer sees in the base image.
	Category string
	// Theta is the segment's taste: the mean θ of its members (one member
	// for a single consumer).
	Theta []float32
}

// GeneratedImage is one output: the raw generator image and its
// watermarked PNG with the provenance chunk.
type GeneratedImage struct {
	Raw           imaging.Tensor `json:"-"`
	PNG           []byte         `json:"-"`
	WatermarkPSNR float64        `json:"watermark_psnr"`
}

// InversionScores measure how well the base reconstruction G(z) matches
// the seller's photo.
type InversionScores struct {
	MSE        float64 `json:"mse"`
	SSIM       float64 `json:"ssim"`
	Perceptual float64 `json:"perceptual"`
	Steps      int     `json:"steps"`
}

// VariantScores are the numbers a variant is checked and ranked with.
type VariantScores struct {
	Preference        float64 `json:"preference"`         // θ·φ(variant)
	Uplift            float64 `json:"uplift"`             // preference − base preference
	Realism           float64 `json:"realism"`            // D's logit
	RealismPercentile float64 `json:"realism_percentile"` // among real images, 0–100
	CategoryProb      float64 `json:"category_prob"`      // the base category's probability
	SSIM              float64 `json:"ssim"`               // to the base reconstruction
	Perceptual        float64 `json:"perceptual"`         // distance to the base reconstruction
}

// RedesignVariant is one ranked variant.
type RedesignVariant struct {
	Rank     int            `json:"rank"`  // 1 is the best
	Index    int            `json:"index"` // which learned shift made it
	Category string         `json:"category"`
	Scores   VariantScores  `json:"scores"`
	Flags    []string       `json:"flags"`
	Passed   bool           `json:"passed"`
	Image    GeneratedImage `json:"image"`
	Z        []float32      `json:"-"`
	Shift    []float32      `json:"-"`
}

// RedesignResult is a finished redesign.
type RedesignResult struct {
	Creator        bool              `json:"creator"`
	Category       string            `json:"category"`
	Base           GeneratedImage    `json:"base"`
	BaseZ          []float32         `json:"-"`
	BasePreference float64           `json:"base_preference"`
	Inversion      *InversionScores  `json:"inversion,omitempty"`
	Variants       []RedesignVariant `json:"variants"`
	// Diversity is the mean pairwise 1 − SSIM among the variants.
	Diversity float64     `json:"diversity"`
	Realism   RealismInfo `json:"realism"`
	Curve     []ShiftStep `json:"curve"`
}

// RealismInfo says what the realism check compared against.
type RealismInfo struct {
	Percentile float64 `json:"percentile"`
	Threshold  float64 `json:"threshold"`
	References int     `json:"references"`
}

// Redesign runs the whole method for one item and one segment: inversion
// of the photo (or a random start in creator mode), latent shifting toward
// the segment (Shift), the fidelity checks of every variant against
// realism (calibrated once per model in r), the base category, the
// distance to the base reconstruction and each other, and the watermark
// and provenance label on every output image. Variants that pass every
// check come first, each group by predicted uplift.
func Redesign(ctx context.Context, m *Models, s Scorer, r *Realism, req RedesignRequest, cfg RedesignConfig, prog progress.Func) (*RedesignResult, error) {
	if cfg.WatermarkKey == "" {
		return nil, atelier.FieldErrorf("watermark_key", "redesign needs a watermark key: every output is marked")
	}
	if r == nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "redesign needs a realism calibration")
	}
	if err := cfg.Shift.Validate(); err != nil {
		return nil, err
	}
	if err := checkScorer(m, s, req.Theta); err != nil {
		return nil, err
	}
	if req.Category != "" && indexOf(s.Categories(), req.Category) < 0 {
		return nil, atelier.FieldErrorf("category", "category %q is not one the scorer knows (%v)", req.Category, s.Categories())
	}
	fid := cfg.Fidelity.withDefaults()
	res := &RedesignResult{Creator: req.Image == nil,
		Realism: RealismInfo{Percentile: r.Percentile, Threshold: r.Threshold, References: len(r.Scores)}}

	// Base latent and reconstruction.
	invSteps := 0
	if req.Image == nil {
		res.BaseZ = m.SampleZ(rand.New(rand.NewSource(req.CreatorSeed)), 1)
		prog.Report(progress.Update{Stage: "invert", Step: 0, Total: 0})
	} else {
		inv, err := Invert(ctx, m, *req.Image, cfg.Invert, prog)
		if err != nil {
			return nil, err
		}
		res.BaseZ, invSteps = inv.Z, inv.Steps
	}
	baseIms, err := m.G.Generate(ctx, res.BaseZ, 1)
	if err != nil {
		return nil, err
	}
	base := baseIms[0]
	if req.Image != nil {
		sc, err := reconstructionScores(m.D, *req.Image, base)
		if err != nil {
			return nil, err
		}
		res.Inversion = sc
		res.Inversion.Steps = invSteps
	}

	// Shifting.
	scfg := cfg.Shift
	if scfg.Keep, err = cfg.keep(ctx, s, r, base, req.Category); err != nil {
		return nil, err
	}
	sh, err := Shift(ctx, m, s, res.BaseZ, req.Theta, scfg, prog)
	if err != nil {
		return nil, err
	}
	res.Curve = sh.Curve

	// Checks.
	as, err := assessVariants(ctx, m, s, r, req.Theta, req.Category, []imaging.Tensor{base}, sh, fid, prog)
	if err != nil {
		return nil, err
	}
	res.Category, res.BasePreference, res.Variants, res.Diversity = as.category, as.basePref[0], as.variants, as.diversity

	// Identifiability: mark and label every output.
	desc := cfg.Description
	if res.Base, err = markImage(base, cfg.WatermarkKey, desc); err != nil {
		return nil, err
	}
	for i := range res.Variants {
		if res.Variants[i].Image, err = markImage(res.Variants[i].Image.Raw, cfg.WatermarkKey, desc); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// rankVariants orders passing variants before flagged ones, each group by
// uplift (then shift index, for determinism), and numbers them.
func rankVariants(vs []RedesignVariant) {
	for i := range vs {
		vs[i].Passed = len(vs[i].Flags) == 0
	}
	sort.SliceStable(vs, func(a, b int) bool {
		if vs[a].Passed != vs[b].Passed {
			return vs[a].Passed
		}
		if vs[a].Scores.Uplift != vs[b].Scores.Uplift {
			return vs[a].Scores.Uplift > vs[b].Scores.Uplift
		}
		return vs[a].Index < vs[b].Index
	})
	for i := range vs {
		vs[i].Rank = i + 1
	}
}

// flagDuplicates flags every variant nearly identical to a better-ranked
// unflagged one.
func flagDuplicates(vs []RedesignVariant, maxSSIM float64) error {
	for i := range vs {
		for j := range i {
			if hasFlag(vs[j].Flags, FlagDuplicate) {
				continue
			}
			s, err := imgmetric.SSIM(vs[i].Image.Raw, vs[j].Image.Raw)
			if err != nil {
				return fmt.Errorf("gan: variant ssim: %w", err)
			}
			if s > maxSSIM {
				vs[i].Flags = append(vs[i].Flags, FlagDuplicate)
				break
			}
		}
	}
	return nil
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// markImage embeds the invisible mark and encodes a PNG with the
// provenance chunk.
func markImage(t imaging.Tensor, key, desc string) (GeneratedImage, error) {
	png, psnr, err := watermark.MarkPNG(t, key, desc)
	if err != nil {
		return GeneratedImage{}, fmt.Errorf("gan: watermark: %w", err)
	}
	return GeneratedImage{Raw: t, PNG: png, WatermarkPSNR: psnr}, nil
}

// reconstructionScores compares the photo with its reconstruction.
func reconstructionScores(d *Discriminator, img, rec imaging.Tensor) (*InversionScores, error) {
	mse, err := imgmetric.MSE(img, rec)
	if err != nil {
		return nil, fmt.Errorf("gan: reconstruction mse: %w", err)
	}
	ssim, err := imgmetric.SSIM(img, rec)
	if err != nil {
		return nil, fmt.Errorf("gan: reconstruction ssim: %w", err)
	}
	p, err := perceptualDistances(d, img, []imaging.Tensor{rec})
	if err != nil {
		return nil, err
	}
	return &InversionScores{MSE: mse, SSIM: ssim, Perceptual: p[0]}, nil
}
