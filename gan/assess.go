package gan

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/imgmetric"
	"github.com/atelier-app/atelier/internal/progress"
)

// assessment is the outcome of the fidelity checks on a set of variants.
type assessment struct {
	category  string    // the category of the first base
	basePref  []float64 // θ·φ of every base
	variants  []RedesignVariant
	diversity float64 // mean pairwise 1 − SSIM among the variants
}

// assessVariants scores, checks and ranks the images of sh against their
// bases: one base shared by all variants (a redesign), or one base per
// variant (a method that starts every variant from its own design). Each
// variant is flagged when D finds it unrealistic, when the scorer sees
// another category than its base's (category, when given, for every
// base), when it drifted too far from its base, and when it duplicates a
// better-ranked one. Passing variants come first, each group by uplift
// over its own base.
func assessVariants(ctx context.Context, m *Models, s Scorer, r *Realism, theta []float32, category string,
	bases []imaging.Tensor, sh *Shifts, fid FidelityConfig, prog progress.Func) (*assessment, error) {
	n, nb := len(sh.Images), len(bases)
	if nb != 1 && nb != n {
		return nil, fmt.Errorf("gan: %d bases for %d variants", nb, n)
	}
	baseOf := func(i int) int { return min(i, nb-1) }
	prog.Report(progress.Update{Stage: "check", Step: 0, Total: n})
	scored, err := scoreWith(ctx, s, append(append([]imaging.Tensor(nil), bases...), sh.Images...))
	if err != nil {
		return nil, err
	}
	cats := s.Categories()
	as := &assessment{}
	baseCat := make([]int, nb)
	for b := range nb {
		baseCat[b] = baseCategory(cats, scored.probs[b], category)
		as.basePref = append(as.basePref, scored.preference(b, theta))
	}
	as.category = cats[baseCat[0]]
	realism, err := r.Score(ctx, m.D, sh.Images)
	if err != nil {
		return nil, err
	}
	var percep []float64
	if nb == 1 {
		if percep, err = perceptualDistances(m.D, bases[0], sh.Images); err != nil {
			return nil, err
		}
	} else {
		for i, im := range sh.Images {
			p, err := perceptualDistances(m.D, bases[i], []imaging.Tensor{im})
			if err != nil {
				return nil, err
			}
			percep = append(percep, p[0])
		}
	}
	for i, im := range sh.Images {
		b := baseOf(i)
		ssim, err := imgmetric.SSIM(bases[b], im)
		if err != nil {
			return nil, fmt.Errorf("gan: variant ssim: %w", err)
		}
		v := RedesignVariant{Index: i, Category: cats[argmax(scored.probs[nb+i])], Z: sh.Z[i], Shift: sh.K[i],
			Image: GeneratedImage{Raw: im}}
		pref := scored.preference(nb+i, theta)
		v.Scores = VariantScores{Preference: pref, Uplift: pref - as.basePref[b],
			Realism: realism[i], RealismPercentile: r.PercentileOf(realism[i]),
			CategoryProb: scored.probs[nb+i][baseCat[b]], SSIM: ssim, Perceptual: percep[i]}
		if realism[i] < r.Threshold {
			v.Flags = append(v.Flags, FlagUnrealistic)
		}
		if v.Category != cats[baseCat[b]] {
			v.Flags = append(v.Flags, FlagCategoryChanged)
		}
		if ssim < fid.MinSSIM || percep[i] > fid.MaxPerceptual {
			v.Flags = append(v.Flags, FlagTooFar)
		}
		as.variants = append(as.variants, v)
		prog.Report(progress.Update{Stage: "check", Step: i + 1, Total: n})
	}
	if n > 1 {
		if as.diversity, err = imgmetric.Diversity(ctx, sh.Images, imgmetric.DiversityConfig{}, nil); err != nil {
			return nil, fmt.Errorf("gan: variant diversity: %w", err)
		}
	}
	rankVariants(as.variants)
	if err := flagDuplicates(as.variants, fid.DuplicateSSIM); err != nil {
		return nil, err
	}
	rankVariants(as.variants)
	return as, nil
}
