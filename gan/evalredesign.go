package gan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

// The methods EvaluateRedesign compares.
const (
	MethodGIS           = "gis"          // Redesign: inversion and learned shifts
	MethodRandomShift   = "random-shift" // the same inversion, random shifts
	MethodPreferenceMax = "kang-pm"      // preference maximisation from random z
)

// Methods lists the methods in report order.
var Methods = []string{MethodGIS, MethodRandomShift, MethodPreferenceMax}

// RedesignPair is one (item, segment) job of the evaluation.
type RedesignPair struct {
	Image    imaging.Tensor // the item's photo at the generator's size
	Category string         // the item's category
	Theta    []float32      // the segment's mean taste
	Size     int            // the segment's number of consumers
	// Oracle is the segment's true utility of an image; the methods never
	// see it.
	Oracle func(imaging.Tensor) float64
}

// RedesignEvalConfig sets an evaluation.
type RedesignEvalConfig struct {
	N        int   // variants per job (default 8)
	Steps    int   // optimisation steps of every method (default 100)
	Seed     int64 // seeds pair p's inversion, shifts and starts with Seed+p
	Invert   InvertConfig
	Epsilon  float32 // shift bound (default the method's)
	Fidelity FidelityConfig
	// KeepCategory and KeepRealism weigh gis's Keep terms, as in
	// RedesignConfig (negative: off).
	KeepCategory, KeepRealism float32
	// Methods to run (default all three); by_segment_size needs gis.
	Methods []string
	// Now is the clock seconds per job are measured with (default
	// time.Now).
	Now func() time.Time
}

// MethodReport aggregates one method over the pairs. A pair where no
// variant passes the checks counts with zero uplift: the seller keeps the
// base design.
type MethodReport struct {
	PredUplift          float64 `json:"pred_uplift"`          // mean best passing θ·φ uplift
	OracleUplift        float64 `json:"oracle_uplift"`        // mean oracle utility uplift of the same variant
	OraclePositiveFrac  float64 `json:"oracle_positive_frac"` // pairs with positive oracle uplift
	PredPositiveFrac    float64 `json:"pred_positive_frac"`   // pairs with positive predicted uplift
	Diversity           float64 `json:"diversity"`            // mean pairwise 1 − SSIM among variants
	RealismPass         float64 `json:"realism_pass"`         // variants D finds realistic
	CategoryConsistency float64 `json:"category_consistency"` // variants that keep their base's category
	PassedFrac          float64 `json:"passed_frac"`          // pairs with at least one passing variant
	SecondsPerJob       float64 `json:"seconds_per_job"`
}

// SizeUplift is gis's uplift over the pairs of one segment size.
type SizeUplift struct {
	Size         int     `json:"size"`
	Pairs        int     `json:"pairs"`
	PredUplift   float64 `json:"pred_uplift"`
	OracleUplift float64 `json:"oracle_uplift"`
}

// RedesignEvalReport is the outcome of EvaluateRedesign.
type RedesignEvalReport struct {
	Methods       map[string]MethodReport `json:"methods"`
	BySegmentSize []SizeUplift            `json:"by_segment_size"`
	Pairs         int                     `json:"pairs"`
}

// pairOutcome is one method's result on one pair.
type pairOutcome struct {
	pred, oracle              float64
	passed                    bool
	diversity                 float64
	realistic, sameCat, total int
	seconds                   float64
}

// EvaluateRedesign runs the redesign method and its two baselines on the
// same pairs and measures each against the pairs' oracles: the predicted
// uplift the method itself optimised and ranked by, and the oracle uplift
// of the same best passing variant (oracle of the variant minus oracle of
// its base), which tells whether the recommender's taste model led
// somewhere the segment really prefers. Every method uses the same
// realism calibration r, fidelity checks and ranking.
func EvaluateRedesign(ctx context.Context, m *Models, s Scorer, r *Realism, pairs []RedesignPair, cfg RedesignEvalConfig, prog progress.Func) (*RedesignEvalReport, error) {
	if len(pairs) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "redesign evaluation needs at least one pair")
	}
	if r == nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "redesign evaluation needs a realism calibration")
	}
	if cfg.N == 0 {
		cfg.N = 8
	}
	if cfg.Steps == 0 {
		cfg.Steps = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	shift := ShiftConfig{N: cfg.N, Steps: cfg.Steps, Epsilon: cfg.Epsilon}
	if err := shift.Validate(); err != nil {
		return nil, err
	}
	for i, p := range pairs {
		if p.Oracle == nil {
			return nil, atelier.Errorf(atelier.KindInvalid, "pair %d has no oracle", i)
		}
	}
	fid := cfg.Fidelity.withDefaults()
	methods := cfg.Methods
	if len(methods) == 0 {
		methods = Methods
	}
	for _, name := range methods {
		if !slices.Contains(Methods, name) {
			return nil, atelier.FieldErrorf("methods", "unknown method %q (want one of %s)", name, strings.Join(Methods, ", "))
		}
	}
	keeping := RedesignConfig{KeepCategory: cfg.KeepCategory, KeepRealism: cfg.KeepRealism}
	out := map[string][]pairOutcome{}
	for i, p := range pairs {
		seed := cfg.Seed + int64(i)
		sc := shift
		sc.Seed = seed
		// Inversion is shared by gis and random-shift; its time counts
		// in both.
		t0 := cfg.Now()
		icfg := cfg.Invert
		icfg.Seed = seed
		inv, err := Invert(ctx, m, p.Image, icfg, nil)
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", i, err)
		}
		invSec := cfg.Now().Sub(t0).Seconds()
		for _, name := range methods {
			t0 := cfg.Now()
			var sh *Shifts
			var bases []imaging.Tensor
			switch name {
			case MethodGIS:
				gc := sc
				if gc.Keep, err = keeping.keep(ctx, s, r, inv.Image, p.Category); err != nil {
					break
				}
				if sh, err = Shift(ctx, m, s, inv.Z, p.Theta, gc, nil); err == nil {
					bases = []imaging.Tensor{inv.Image}
				}
			case MethodRandomShift:
				if sh, err = RandomShift(ctx, m, s, inv.Z, p.Theta, sc, nil); err == nil {
					bases = []imaging.Tensor{inv.Image}
				}
			case MethodPreferenceMax:
				var pm *PreferenceMax
				pm, err = PreferenceMaximize(ctx, m, s, r, p.Theta, PreferenceMaxConfig{N: cfg.N, Steps: cfg.Steps, Seed: seed}, nil)
				if err == nil {
					sh, bases = pm.Shifts, pm.Starts
				}
			}
			if err != nil {
				return nil, fmt.Errorf("pair %d, %s: %w", i, name, err)
			}
			category := p.Category
			if name == MethodPreferenceMax {
				category = "" // a fresh design keeps the category of its start
			}
			as, err := assessVariants(ctx, m, s, r, p.Theta, category, bases, sh, fid, nil)
			if err != nil {
				return nil, fmt.Errorf("pair %d, %s: %w", i, name, err)
			}
			o := outcome(as, bases, p.Oracle)
			o.seconds = cfg.Now().Sub(t0).Seconds()
			if name != MethodPreferenceMax {
				o.seconds += invSec
			}
			out[name] = append(out[name], o)
		}
		prog.Report(progress.Update{Stage: "evaluate", Step: i + 1, Total: len(pairs)})
	}
	rep := &RedesignEvalReport{Methods: map[string]MethodReport{}, Pairs: len(pairs)}
	for _, name := range methods {
		rep.Methods[name] = aggregate(out[name])
	}
	if slices.Contains(methods, MethodGIS) {
		rep.BySegmentSize = bySize(pairs, out[MethodGIS])
	}
	return rep, nil
}

// outcome reads one method's result on a pair: the best passing variant
// (rank 1 when it passed) against its own base.
func outcome(as *assessment, bases []imaging.Tensor, oracle func(imaging.Tensor) float64) pairOutcome {
	o := pairOutcome{diversity: as.diversity, total: len(as.variants)}
	for _, v := range as.variants {
		if !hasFlag(v.Flags, FlagUnrealistic) {
			o.realistic++
		}
		if !hasFlag(v.Flags, FlagCategoryChanged) {
			o.sameCat++
		}
	}
	if best := as.variants[0]; best.Passed {
		base := bases[min(best.Index, len(bases)-1)]
		o.passed, o.pred = true, best.Scores.Uplift
		o.oracle = oracle(best.Image.Raw) - oracle(base)
	}
	return o
}

func aggregate(os []pairOutcome) MethodReport {
	var r MethodReport
	var variants, realistic, sameCat, oraclePos, predPos, passed int
	n := float64(len(os))
	for _, o := range os {
		r.PredUplift += o.pred / n
		r.OracleUplift += o.oracle / n
		if o.oracle > 0 {
			oraclePos++
		}
		if o.pred > 0 {
			predPos++
		}
		if o.passed {
			passed++
		}
		r.Diversity += o.diversity / n
		r.SecondsPerJob += o.seconds / n
		variants += o.total
		realistic += o.realistic
		sameCat += o.sameCat
	}
	r.OraclePositiveFrac, r.PredPositiveFrac, r.PassedFrac = float64(oraclePos)/n, float64(predPos)/n, float64(passed)/n
	if variants > 0 {
		r.RealismPass = float64(realistic) / float64(variants)
		r.CategoryConsistency = float64(sameCat) / float64(variants)
	}
	return r
}

func bySize(pairs []RedesignPair, os []pairOutcome) []SizeUplift {
	var sizes []int
	for _, p := range pairs {
		if !slices.Contains(sizes, p.Size) {
			sizes = append(sizes, p.Size)
		}
	}
	slices.Sort(sizes)
	var out []SizeUplift
	for _, size := range sizes {
		u := SizeUplift{Size: size}
		for i, p := range pairs {
			if p.Size == size {
				u.Pairs++
				u.PredUplift += os[i].pred
				u.OracleUplift += os[i].oracle
			}
		}
		u.PredUplift /= float64(u.Pairs)
		u.OracleUplift /= float64(u.Pairs)
		out = append(out, u)
	}
	return out
}
