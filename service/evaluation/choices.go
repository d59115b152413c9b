package evaluation

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
)

// The choice-flow evaluation sends simulated consumers of the synthetic
// world through the flow's rounds: the round is chosen as the service
// chooses it (recommender.NextRound from the anonymous prior, the mean θ),
// the pick is made by the consumer's true taste (the oracle, on the
// pixels shown, as the world's interaction simulation picks), and after
// the rounds the folded-in taste recommends catalog items, judged by the
// oracle. Rounds are drawn from the catalog only, from generated probes
// only, or from both with at most a share of probes per round; and on the
// whole catalog and on a small one (a new shop), where probes should
// matter most.

// Choice modes of the evaluation.
const (
	ModeCatalog = "catalog"
	ModeProbes  = "probes"
	ModeMixed   = "mixed"
)

// ChoicesConfig sets up the evaluation; zero fields take the defaults.
type ChoicesConfig struct {
	Consumers    int     // simulated consumers (500)
	Probes       int     // probe pool size (300)
	ProbeShare   float64 // mixed rounds: the share of each round's options that are probes (2/3)
	Options      int     // options per round (3)
	Rounds       []int   // rounds after which the taste is judged (0, 3, 5)
	SmallCatalog int     // items of the small catalog (120)
	Seed         uint64  // consumers, rounds and picks (7: not the world's seed)
	Temperature  float64 // of the simulated picks (0.1, the world's)
	TopN         int     // recommendations judged (10)
}

func (c ChoicesConfig) withDefaults() ChoicesConfig {
	orInt(&c.Consumers, 500)
	orInt(&c.Probes, 300)
	orInt(&c.Options, 3)
	orInt(&c.SmallCatalog, 120)
	orInt(&c.TopN, 10)
	if c.ProbeShare == 0 {
		c.ProbeShare = 2.0 / 3 // the better mixed share on the tuning seed (docs/choices.md)
	}
	if len(c.Rounds) == 0 {
		c.Rounds = []int{0, 3, 5} // 0: the anonymous prior alone, the baseline
	}
	if c.Seed == 0 {
		c.Seed = 7
	}
	if c.Temperature == 0 {
		c.Temperature = 0.1
	}
	return c
}

// ProbeSlots is how many of a round's options are probes at a share.
func ProbeSlots(share float64, options int) int {
	return int(math.Round(share * float64(options)))
}

func orInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

// ChoiceScore is one cell of the report: means over consumers, each with
// its standard error.
type ChoiceScore struct {
	// RecUtility is the mean true utility of the top-N recommended catalog
	// items; RecUtilityShare places it between a random pick of the
	// catalog (0) and the best possible top N (1).
	RecUtility        float64 `json:"rec_utility"`
	RecUtilitySE      float64 `json:"rec_utility_se"`
	RecUtilityShare   float64 `json:"rec_utility_share"`
	RecUtilityShareSE float64 `json:"rec_utility_share_se"`
	// TasteCosine is the cosine between the folded-in θ and the
	// consumer's true taste in φ space: the least-squares fit of their
	// utility over the catalog's φ.
	TasteCosine   float64 `json:"taste_cosine"`
	TasteCosineSE float64 `json:"taste_cosine_se"`
	// GainOverCatalog is the mean, over consumers, of this mode's
	// rec_utility less catalog-only rounds' for the same consumer, and
	// GainOverCatalogSE its standard error: paired, so far tighter than
	// the two means' own errors (consumers differ more from each other
	// than the modes do).
	GainOverCatalog   float64 `json:"gain_over_catalog"`
	GainOverCatalogSE float64 `json:"gain_over_catalog_se"`
}

// PoolReport describes the probe pool the rounds drew from.
type PoolReport struct {
	Size        int                `json:"size"`
	Drawn       int                `json:"drawn"`
	RealismPass float64            `json:"realism_pass"` // share of drawn images kept
	CategoryMix map[string]float64 `json:"category_mix"`
	Seconds     float64            `json:"seconds"`
}

// ChoicesReport is the evaluation's result: by catalog (full, small), by
// mode, by rounds answered.
type ChoicesReport struct {
	Consumers    int                               `json:"consumers"`
	ProbeShare   float64                           `json:"probe_share"`
	Full         map[string]map[string]ChoiceScore `json:"full"`
	SmallCatalog map[string]map[string]ChoiceScore `json:"small_catalog"`
	Pool         PoolReport                        `json:"pool"`
}

// Choices runs the evaluation with the models on the world d, whose
// personas are the oracle.
func Choices(ctx context.Context, m *gan.Models, rec *recommender.Model, d *recommender.Dataset, personas []synth.Persona,
	cfg ChoicesConfig, prog progress.Func) (*ChoicesReport, error) {
	cfg = cfg.withDefaults()
	shown := cfg.Options * slices.Max(cfg.Rounds)
	switch {
	case len(d.Items) <= shown || cfg.SmallCatalog <= shown:
		return nil, atelier.Errorf(atelier.KindInvalid, "eval choices: %d rounds of %d options show %d items: the catalog (%d) and the small catalog (%d) need more",
			slices.Max(cfg.Rounds), cfg.Options, shown, len(d.Items), cfg.SmallCatalog)
	case cfg.Probes < shown:
		return nil, atelier.Errorf(atelier.KindInvalid, "eval choices: %d rounds of %d options show %d probes, more than the pool's %d",
			slices.Max(cfg.Rounds), cfg.Options, shown, cfg.Probes)
	}
	realism, _, err := catalog.DatasetRealism(ctx, m, d)
	if err != nil {
		return nil, err
	}
	probes, stats, err := gan.DrawProbes(ctx, m, rec, realism, cfg.Probes, int64(cfg.Seed), prog)
	if err != nil {
		return nil, err
	}
	if len(probes) == 0 {
		return nil, fmt.Errorf("eval choices: none of %d generated images passed the checks", stats.Drawn)
	}
	set, err := d.LoadImages(ctx, rec.ImageSize(), 2, prog)
	if err != nil {
		return nil, err
	}
	phi, err := rec.ImageFeatures(ctx, set, 2)
	if err != nil {
		return nil, err
	}
	world := choiceWorld{prior: rec.MeanTheta(), cfg: cfg}
	for i := range d.Items {
		world.catalog = append(world.catalog, option{phi: phi[i], truth: synth.FeaturesOf(set.Item(i))})
	}
	for _, p := range probes {
		world.probes = append(world.probes, option{phi: p.Phi, truth: synth.FeaturesOf(p.Image)})
	}
	consumers := synth.DrawConsumers(personas, cfg.Consumers, cfg.Seed)
	rep := &ChoicesReport{Consumers: len(consumers), ProbeShare: cfg.ProbeShare, Pool: poolReport(stats)}
	if rep.Full, err = world.run(ctx, consumers, allItems(len(world.catalog)), prog); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5e11))
	small := rng.Perm(len(world.catalog))[:min(cfg.SmallCatalog, len(world.catalog))]
	slices.Sort(small)
	if rep.SmallCatalog, err = world.run(ctx, consumers, small, prog); err != nil {
		return nil, err
	}
	return rep, nil
}

func poolReport(s gan.ProbeStats) PoolReport {
	r := PoolReport{Size: s.Kept, Drawn: s.Drawn, CategoryMix: map[string]float64{}, Seconds: s.Seconds}
	if s.Drawn > 0 {
		r.RealismPass = float64(s.Kept) / float64(s.Drawn)
	}
	for c, n := range s.Categories {
		r.CategoryMix[c] = float64(n) / float64(max(1, s.Kept))
	}
	return r
}

func allItems(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// option is an image a round can show: its φ and its oracle features.
type option struct {
	phi   []float32
	truth synth.Features
}

type choiceWorld struct {
	catalog, probes []option
	prior           []float32
	cfg             ChoicesConfig
}

// run sends every consumer through each mode with the catalog restricted
// to shop (indexes into w.catalog) and scores them.
func (w *choiceWorld) run(ctx context.Context, consumers []synth.Consumer, shop []int, prog progress.Func) (map[string]map[string]ChoiceScore, error) {
	// The round's options: the shop's items, then the probes.
	opts := make([]option, 0, len(shop)+len(w.probes))
	for _, i := range shop {
		opts = append(opts, w.catalog[i])
	}
	opts = append(opts, w.probes...)
	j := judge{shop: opts[:len(shop)], topN: w.cfg.TopN}
	modes := []string{ModeCatalog, ModeProbes, ModeMixed}
	// results[c][m][r]: consumer c's outcome in mode m after rounds r.
	results := make([][][]outcome, len(consumers))
	var mu sync.Mutex
	var firstErr error
	done := 0
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				res, err := w.consumer(consumers[c], c, opts, len(shop), modes, j)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				results[c] = res
				done++
				prog.Report(progress.Update{Stage: "consumers", Step: done, Total: len(consumers)})
				mu.Unlock()
			}
		}()
	}
	for c := range consumers {
		if ctx.Err() != nil {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]map[string]ChoiceScore{}
	for m, mode := range modes {
		out[mode] = map[string]ChoiceScore{}
		for r, rounds := range w.cfg.Rounds {
			var util, share, cos, gain []float64
			for c := range consumers {
				o := results[c][m][r]
				util, share, cos = append(util, o.util), append(share, o.share), append(cos, o.cosine)
				gain = append(gain, o.util-results[c][0][r].util) // modes[0] is catalog-only
			}
			s := ChoiceScore{}
			s.GainOverCatalog, s.GainOverCatalogSE = meanSE(gain)
			s.RecUtility, s.RecUtilitySE = meanSE(util)
			s.RecUtilityShare, s.RecUtilityShareSE = meanSE(share)
			s.TasteCosine, s.TasteCosineSE = meanSE(cos)
			out[mode][strconv.Itoa(rounds)] = s
		}
	}
	return out, nil
}

// consumer plays every mode's rounds for consumer c and judges the taste
// after each count of rounds in w.cfg.Rounds. Its random stream depends
// only on the seed and c, so any number of goroutines gives the same
// report.
func (w *choiceWorld) consumer(cons synth.Consumer, c int, opts []option, nShop int, modes []string, j judge) ([][]outcome, error) {
	feats := make([][]float32, len(opts))
	generated := make([]bool, len(opts))
	for i, o := range opts {
		feats[i] = o.phi
		generated[i] = i >= nShop
	}
	truthTheta := j.trueTheta(cons)
	out := make([][]outcome, len(modes))
	for m, mode := range modes {
		rng := rand.New(rand.NewPCG(w.cfg.Seed, uint64(c)<<8|uint64(m)))
		exclude := make([]bool, len(opts)) // not to be shown: shown before, or not of the mode
		shown := make([]bool, nShop)       // the shop's items shown, not to be recommended
		cfg := recommender.RoundConfig{K: w.cfg.Options, Prior: w.prior, Generated: generated}
		switch mode {
		case ModeProbes:
			cfg.GeneratedSlots = w.cfg.Options
		case ModeMixed:
			cfg.GeneratedSlots = ProbeSlots(w.cfg.ProbeShare, w.cfg.Options)
		}
		var picks []recommender.RoundPick
		var fpicks []recommender.Pick
		if slices.Contains(w.cfg.Rounds, 0) {
			o := j.judge(cons, w.prior, shown)
			o.cosine = cosine64(w.prior, truthTheta)
			out[m] = append(out[m], o)
		}
		last := slices.Max(w.cfg.Rounds)
		for r := 1; r <= last; r++ {
			round, err := recommender.NextRound(feats, picks, exclude, cfg, rng)
			if err != nil {
				return nil, fmt.Errorf("consumer %s, %s round %d: %w", cons.ID, mode, r, err)
			}
			truths := make([]synth.Features, len(round))
			for n, i := range round {
				truths[n] = opts[i].truth
				exclude[i] = true
				if i < nShop {
					shown[i] = true
				}
			}
			k := synth.Choose(rng, cons, truths, w.cfg.Temperature)
			pick := recommender.RoundPick{Chosen: round[k]}
			fp := recommender.Pick{Chosen: feats[round[k]]}
			for n, i := range round {
				if n != k {
					pick.Others = append(pick.Others, i)
					fp.Others = append(fp.Others, feats[i])
				}
			}
			picks, fpicks = append(picks, pick), append(fpicks, fp)
			if slices.Contains(w.cfg.Rounds, r) {
				theta, err := recommender.FoldIn(fpicks, recommender.FoldInConfig{Prior: w.prior})
				if err != nil {
					return nil, err
				}
				o := j.judge(cons, theta, shown)
				o.cosine = cosine64(theta, truthTheta)
				out[m] = append(out[m], o)
			}
		}
	}
	return out, nil
}

// outcome is how well one consumer's folded-in taste recommends.
type outcome struct{ util, share, cosine float64 }

// judge scores recommendations from the shop by the oracle.
type judge struct {
	shop []option
	topN int
}

// judge recommends the top N of the shop's items not shown in the rounds
// (shown, by shop index), as the service does, and measures their true
// utility to cons, and its share between the mean and the best N of the
// same items.
func (j judge) judge(cons synth.Consumer, theta []float32, shown []bool) outcome {
	var pred, truth []float64
	for i, o := range j.shop {
		if !shown[i] {
			pred = append(pred, dot32(theta, o.phi))
			truth = append(truth, cons.Utility(o.truth))
		}
	}
	n := min(j.topN, len(pred))
	var mean float64
	for _, u := range truth {
		mean += u / float64(len(truth))
	}
	rec := meanOfTop(pred, truth, n)
	best := meanOfTop(truth, truth, n)
	o := outcome{util: rec}
	if best > mean {
		o.share = (rec - mean) / (best - mean)
	}
	return o
}

// trueTheta is the consumer's taste in φ space: the ridge least-squares
// fit of their utility over the shop's φ, both centred, since only
// differences of preference decide a pick or a ranking.
func (j judge) trueTheta(cons synth.Consumer) []float64 {
	k := len(j.shop[0].phi)
	n := float64(len(j.shop))
	meanPhi := make([]float64, k)
	var meanU float64
	for _, o := range j.shop {
		meanU += cons.Utility(o.truth) / n
		for p := range k {
			meanPhi[p] += float64(o.phi[p]) / n
		}
	}
	a := make([]float64, k*k)
	b := make([]float64, k)
	x := make([]float64, k)
	for _, o := range j.shop {
		u := cons.Utility(o.truth) - meanU
		for p := range k {
			x[p] = float64(o.phi[p]) - meanPhi[p]
		}
		for p := range k {
			b[p] += x[p] * u
			for q := range k {
				a[p*k+q] += x[p] * x[q]
			}
		}
	}
	for p := range k {
		a[p*k+p] += 1e-3 * float64(len(j.shop))
	}
	return solve(a, b, k)
}

// meanOfTop is the mean of value over the n indexes with the highest key.
func meanOfTop(key, value []float64, n int) float64 {
	idx := allItems(len(key))
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case key[a] > key[b]:
			return -1
		case key[a] < key[b]:
			return 1
		}
		return 0
	})
	var s float64
	for _, i := range idx[:n] {
		s += value[i]
	}
	return s / float64(n)
}

// solve solves the symmetric positive definite system a x = b by
// Gaussian elimination with partial pivoting (k is φ's small dimension).
func solve(a, b []float64, k int) []float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	for col := range k {
		p := col
		for r := col + 1; r < k; r++ {
			if math.Abs(a[r*k+col]) > math.Abs(a[p*k+col]) {
				p = r
			}
		}
		for c := range k {
			a[col*k+c], a[p*k+c] = a[p*k+c], a[col*k+c]
		}
		b[col], b[p] = b[p], b[col]
		for r := col + 1; r < k; r++ {
			f := a[r*k+col] / a[col*k+col]
			for c := col; c < k; c++ {
				a[r*k+c] -= f * a[col*k+c]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, k)
	for r := k - 1; r >= 0; r-- {
		s := b[r]
		for c := r + 1; c < k; c++ {
			s -= a[r*k+c] * x[c]
		}
		x[r] = s / a[r*k+r]
	}
	return x
}

func dot32(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func cosine64(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * b[i]
		aa += float64(a[i]) * float64(a[i])
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// meanSE is the mean of xs and its standard error.
func meanSE(xs []float64) (mean, se float64) {
	n := float64(len(xs))
	if n == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x / n
	}
	if n < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}
