package synth

import (
	"context"
	"math"
	"math/rand/v2"

	atelier "github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

// Interaction is one pick: a consumer took an item at a time.
type Interaction struct {
	Consumer  int   // index into the consumers
	Item      int   // index into the catalog
	Timestamp int64 // Unix seconds, strictly increasing per consumer
}

// SimConfig sets up an interaction simulation.
type SimConfig struct {
	Interactions int     // picks per consumer
	SlateSize    int     // items shown per pick (default 20)
	Temperature  float64 // softmax temperature of the choice (default 0.1)
	Seed         uint64
}

// simEpoch is the earliest timestamp: 2024-01-01T00:00:00Z.
const simEpoch = 1704067200

// Simulate samples interactions. For each consumer, Interactions times: a
// category is drawn with probability softmax(consumer category
// log-affinities) over the categories that still have items the consumer has
// not taken, a slate of SlateSize such items is drawn uniformly without
// replacement from it (fewer if fewer are left), and one is picked with
// probability softmax(utility/Temperature) (see Choose). Timestamps start
// at a random point of January 2024 and advance 1 minute to 4 hours per
// pick. feats[i] are the oracle features of items[i]. Each consumer has its
// own random stream, so the result depends only on the inputs and the seed.
func Simulate(ctx context.Context, consumers []Consumer, items []Item, feats []Features, cfg SimConfig, report progress.Func) ([]Interaction, error) {
	if cfg.SlateSize == 0 {
		cfg.SlateSize = 20
	}
	if cfg.Temperature == 0 {
		cfg.Temperature = 0.1
	}
	switch {
	case len(feats) != len(items):
		return nil, atelier.Errorf(atelier.KindInternal, "simulate: %d features for %d items", len(feats), len(items))
	case cfg.Interactions < 0:
		return nil, atelier.FieldErrorf("interactions", "must not be negative")
	case cfg.SlateSize < 1:
		return nil, atelier.FieldErrorf("slate", "slate size must be at least 1")
	case !(cfg.Temperature > 0) || math.IsInf(cfg.Temperature, 0):
		return nil, atelier.FieldErrorf("temperature", "must be a positive number")
	}
	byCat := make([][]int, NumCategories)
	for i, it := range items {
		k := it.Category.Index()
		if k < 0 {
			return nil, atelier.Errorf(atelier.KindInvalid, "item %s: unknown category %q", it.ID, it.Category)
		}
		byCat[k] = append(byCat[k], i)
	}

	out := make([]Interaction, 0, len(consumers)*cfg.Interactions)
	slate := make([]int, 0, cfg.SlateSize)
	shown := make([]Features, 0, cfg.SlateSize)
	var pool []int
	for ci, c := range consumers {
		if ci%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			report.Report(progress.Update{Stage: "simulate", Step: ci, Total: len(consumers)})
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x5100_0000_0000_0000|uint64(ci)))
		aff := affinities(c.Categories)
		taken := make(map[int]bool, cfg.Interactions)
		left := make([]int, NumCategories) // untaken items per category
		for k := range byCat {
			left[k] = len(byCat[k])
		}
		ts := int64(simEpoch) + rng.Int64N(31*24*3600)
		for range cfg.Interactions {
			k := drawCategory(rng, aff, left)
			if k < 0 {
				break // the consumer has taken everything
			}
			pool = pool[:0]
			for _, i := range byCat[k] {
				if !taken[i] {
					pool = append(pool, i)
				}
			}
			// Partial Fisher–Yates: the first n of pool become the slate.
			n := min(cfg.SlateSize, len(pool))
			slate, shown = slate[:0], shown[:0]
			for j := 0; j < n; j++ {
				r := j + rng.IntN(len(pool)-j)
				pool[j], pool[r] = pool[r], pool[j]
				slate = append(slate, pool[j])
				shown = append(shown, feats[pool[j]])
			}
			pick := slate[Choose(rng, c, shown, cfg.Temperature)]
			taken[pick] = true
			left[k]--
			ts += 60 + rng.Int64N(4*3600)
			out = append(out, Interaction{Consumer: ci, Item: pick, Timestamp: ts})
		}
	}
	report.Report(progress.Update{Stage: "simulate", Step: len(consumers), Total: len(consumers)})
	return out, nil
}

// drawCategory draws a category index with probability softmax(aff) over
// the categories with left > 0, or returns -1 when none has.
func drawCategory(rng *rand.Rand, aff [NumCategories]float64, left []int) int {
	var logits [NumCategories]float64
	ok := false
	for k := range logits {
		if left[k] > 0 {
			logits[k], ok = aff[k], true
		} else {
			logits[k] = math.Inf(-1)
		}
	}
	if !ok {
		return -1
	}
	return sample(rng, softmax(logits[:], 1))
}

// ChoiceProbabilities returns the probability that consumer c picks each of
// the shown images: softmax(utility/temperature).
func ChoiceProbabilities(c Consumer, shown []Features, temperature float64) []float64 {
	k := c.coef()
	u := make([]float64, len(shown))
	for i, f := range shown {
		u[i] = k.dot(f)
	}
	return softmax(u, temperature)
}

// Choose simulates one round of the choice flow: consumer c sees the shown
// images (by their oracle features) and picks one with probability
// softmax(utility/temperature). It returns the index of the pick, or -1
// when nothing is shown.
func Choose(rng *rand.Rand, c Consumer, shown []Features, temperature float64) int {
	if len(shown) == 0 {
		return -1
	}
	return sample(rng, ChoiceProbabilities(c, shown, temperature))
}

// ChooseImages is Choose for images given as tensors (for example images
// a generator just made); the oracle features are computed from pixels.
func ChooseImages(rng *rand.Rand, c Consumer, shown []imaging.Tensor, temperature float64) int {
	feats := make([]Features, len(shown))
	for i, t := range shown {
		feats[i] = FeaturesOf(t)
	}
	return Choose(rng, c, feats, temperature)
}

// softmax returns exp(x/t) normalised, computed stably; -Inf entries get 0.
func softmax(x []float64, t float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	p := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		p[i] = math.Exp((v - mx) / t)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// sample draws an index with the given probabilities (which sum to 1).
func sample(rng *rand.Rand, p []float64) int {
	u := rng.Float64()
	last := -1
	for i, v := range p {
		if v <= 0 {
			continue
		}
		last = i
		if u < v {
			return i
		}
		u -= v
	}
	return last // rounding left u just above the total
}
