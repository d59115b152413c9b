package recommender

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
)

// Scorer gives a model's preferences. Evaluation calls it from several
// goroutines at once, so implementations must be safe for concurrent use
// (read-only after training).
type Scorer interface {
	// Score writes consumer u's preference x(u,i) for every item i into
	// out, whose length is the number of items.
	Score(u int, out []float32)
}

// Held selects which held-out item an evaluation ranks.
type Held int

const (
	HeldTest       Held = iota // the test item (validation item excluded from candidates)
	HeldValidation             // the validation item, for model selection (test item excluded)
)

// EvalConfig configures Evaluate. The zero value evaluates the test items
// with 100 sampled negatives on 2 workers, seed 0.
type EvalConfig struct {
	Held             Held
	SampledNegatives int // negatives per consumer for auc_sampled (default 100)
	Workers          int // goroutines (default 2)
	Seed             uint64
}

// consumerResult holds one consumer's metrics; evaluation writes them by
// consumer so the sums, taken in order afterwards, are deterministic.
type consumerResult struct {
	auc, aucSampled      float64 // NaN when the consumer has no negatives
	ndcg10, hit10, hit50 float64
	cold                 bool    // the held-out item is a cold item
	aucCold              float64 // against the other cold items; NaN when none
}

// Evaluate scores every evaluated consumer of split with sc and returns the
// metrics defined in the package documentation. The result depends only on
// split, sc and cfg, not on the number of workers.
func Evaluate(ctx context.Context, split *Split, sc Scorer, cfg EvalConfig, prog progress.Func) (Metrics, error) {
	if cfg.SampledNegatives == 0 {
		cfg.SampledNegatives = 100
	}
	if cfg.SampledNegatives < 0 {
		return Metrics{}, atelier.FieldErrorf("sampled_negatives", "must be positive, got %d", cfg.SampledNegatives)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	users := heldOut(split, cfg.Held)
	n := split.NumItems
	type scratch struct {
		scores, sampled []float32
		taken           []bool
		negs            []int
	}
	scr := make([]scratch, cfg.Workers)
	for w := range scr {
		scr[w] = scratch{scores: make([]float32, n), taken: make([]bool, n), negs: make([]int, 0, n),
			sampled: make([]float32, 0, cfg.SampledNegatives)}
	}
	results := make([]consumerResult, len(users))
	err := forEach(ctx, len(users), cfg.Workers, "evaluate", prog, func(w, k int) error {
		u, s := users[k], &scr[w]
		held := split.Test[u]
		if cfg.Held == HeldValidation {
			held = split.Val[u]
		}
		sc.Score(u, s.scores)
		pos := s.scores[held]
		if math.IsNaN(float64(pos)) {
			return atelier.Errorf(atelier.KindInternal, "model scored NaN for consumer %d, item %d", u, held)
		}
		split.markTaken(u, s.taken, true)
		// One pass: the negatives (never taken) are also, with the held-out
		// item, the ranking candidates, since the other held-out item,
		// training and cold items taken are excluded from both.
		var rank Rank
		s.negs = s.negs[:0]
		bad := -1
		for j, v := range s.scores {
			if s.taken[j] {
				continue
			}
			if math.IsNaN(float64(v)) {
				bad = j
			}
			s.negs = append(s.negs, j)
			rank.add(v, pos)
		}
		// A cold held-out item is ranked again among the other cold items,
		// which only a model that sees the items themselves can order.
		var coldRank Rank
		if split.cold[held] {
			for _, j := range split.coldItems {
				if !s.taken[j] {
					coldRank.add(s.scores[j], pos)
				}
			}
		}
		split.markTaken(u, s.taken, false)
		if bad >= 0 {
			return atelier.Errorf(atelier.KindInternal, "model scored NaN for consumer %d, item %d", u, bad)
		}

		// Partial Fisher–Yates with a generator per consumer, so the sample
		// does not depend on which worker runs which consumer.
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(u)))
		m := min(cfg.SampledNegatives, len(s.negs))
		s.sampled = s.sampled[:0]
		for a := 0; a < m; a++ {
			b := a + rng.IntN(len(s.negs)-a)
			s.negs[a], s.negs[b] = s.negs[b], s.negs[a]
			s.sampled = append(s.sampled, s.scores[s.negs[a]])
		}
		results[k] = consumerResult{
			auc:        rank.AUC(),
			aucSampled: RankOf(pos, s.sampled).AUC(),
			ndcg10:     rank.NDCG(10),
			hit10:      rank.Hit(10),
			hit50:      rank.Hit(50),
			cold:       split.cold[held],
			aucCold:    coldRank.AUC(),
		}
		return nil
	})
	if err != nil {
		return Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	return aggregate(results), nil
}

// heldOut returns the consumers with a held-out item of kind h, in index
// order.
func heldOut(split *Split, h Held) []int {
	held := split.Test
	if h == HeldValidation {
		held = split.Val
	}
	var us []int
	for u, i := range held {
		if i >= 0 {
			us = append(us, u)
		}
	}
	return us
}

func aggregate(results []consumerResult) Metrics {
	var m Metrics
	var nAUC, nCold int
	for _, r := range results {
		m.Consumers++
		m.NDCG10 += r.ndcg10
		m.Recall10 += r.hit10
		m.Recall50 += r.hit50
		if r.cold {
			m.ColdConsumers++
		}
		if r.cold && !math.IsNaN(r.aucCold) {
			nCold++
			m.AUCCold += r.aucCold
		}
		if math.IsNaN(r.auc) {
			continue
		}
		nAUC++
		m.AUC += r.auc
		m.AUCSampled += r.aucSampled
	}
	div := func(sum float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return sum / float64(n)
	}
	m.AUC, m.AUCSampled, m.AUCCold = div(m.AUC, nAUC), div(m.AUCSampled, nAUC), div(m.AUCCold, nCold)
	m.NDCG10, m.Recall10, m.Recall50 = div(m.NDCG10, m.Consumers), div(m.Recall10, m.Consumers), div(m.Recall50, m.Consumers)
	m.HR10 = m.Recall10
	return m
}

// Report collects the evaluations of several models on one split, in the
// shape `atelier eval recommender --json` prints.
type Report struct {
	Models    map[string]Metrics `json:"models"`
	Order     []string           `json:"-"` // model names in the order added
	Consumers int                `json:"consumers"`
	Items     int                `json:"items"`
	Evaluated int                `json:"evaluated"`
	ColdItems int                `json:"cold_items"` // items held out of training
}

// Evaluator evaluates models one after another on the same split and
// settings and collects them in a Report.
type Evaluator struct {
	split  *Split
	cfg    EvalConfig
	prog   progress.Func
	report Report
}

// NewEvaluator returns an Evaluator for split.
func NewEvaluator(split *Split, cfg EvalConfig, prog progress.Func) *Evaluator {
	return &Evaluator{split: split, cfg: cfg, prog: prog, report: Report{
		Models:    map[string]Metrics{},
		Consumers: split.NumConsumers(),
		Items:     split.NumItems,
		Evaluated: len(split.Evaluated()),
		ColdItems: len(split.ColdItems()),
	}}
}

// Add evaluates sc and records it under name.
func (e *Evaluator) Add(ctx context.Context, name string, sc Scorer) (Metrics, error) {
	if _, dup := e.report.Models[name]; dup {
		return Metrics{}, atelier.Errorf(atelier.KindConflict, "model %q evaluated twice", name)
	}
	prog := e.prog
	if prog != nil {
		prog = func(u progress.Update) { u.Stage = "evaluate " + name; e.prog(u) }
	}
	m, err := Evaluate(ctx, e.split, sc, e.cfg, prog)
	if err != nil {
		return Metrics{}, fmt.Errorf("%s: %w", name, err)
	}
	e.report.Models[name] = m
	e.report.Order = append(e.report.Order, name)
	return m, nil
}

// Report returns the evaluations so far.
func (e *Evaluator) Report() Report { return e.report }
