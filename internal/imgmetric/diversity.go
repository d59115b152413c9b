package imgmetric

import (
	"context"
	"math/rand/v2"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

// DiversityConfig says which pairs Diversity compares.
type DiversityConfig struct {
	// MaxPairs caps the number of compared pairs. When it is 0 or at least
	// the number of distinct pairs, every pair is compared once; otherwise
	// MaxPairs pairs of distinct images are drawn uniformly (with
	// replacement) from a PCG source seeded with Seed, an unbiased estimate
	// of the all-pairs mean.
	MaxPairs int
	Seed     uint64
	Mode     Mode // PerChannel or Luma
}

// Diversity returns the mean of 1 − SSIM over pairs of distinct images of
// one size: 0 when all images are equal, up to 2 in principle, and around
// 1 for unrelated images.
func Diversity(ctx context.Context, images []imaging.Tensor, cfg DiversityConfig, prog progress.Func) (float64, error) {
	n := len(images)
	if n < 2 {
		return 0, atelier.Errorf(atelier.KindInvalid, "diversity needs at least 2 images, got %d", n)
	}
	if cfg.MaxPairs < 0 {
		return 0, atelier.FieldErrorf("max_pairs", "must not be negative, got %d", cfg.MaxPairs)
	}
	all := n * (n - 1) / 2
	total := all
	var rng *rand.Rand
	if cfg.MaxPairs > 0 && cfg.MaxPairs < all {
		total = cfg.MaxPairs
		rng = rand.New(rand.NewPCG(cfg.Seed, 0x6469766572736974)) // "diversit"
	}
	calc := NewCalculator()
	var sum float64
	i, j := 0, 0 // the current pair when comparing all of them
	for step := 0; step < total; step++ {
		if step%64 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			prog.Report(progress.Update{Stage: "diversity", Step: step, Total: total})
		}
		if rng != nil {
			i = rng.IntN(n)
			j = rng.IntN(n - 1)
			if j >= i {
				j++
			}
		} else {
			if j++; j >= n {
				i++
				j = i + 1
			}
		}
		s, err := calc.SSIM(images[i], images[j], cfg.Mode)
		if err != nil {
			return 0, atelier.Wrap(atelier.KindInvalid, err, "images %d and %d", i, j)
		}
		sum += 1 - s
	}
	prog.Report(progress.Update{Stage: "diversity", Step: total, Total: total})
	return sum / float64(total), nil
}
