package evaluation

import (
	"context"
	"math/rand"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
)

// RedesignConfig is an evaluation of the redesign methods.
type RedesignConfig struct {
	Pairs        int   // (item, segment) pairs
	SegmentSizes []int // cycled over the pairs
	Seed         int64 // of the pairs and of every method
	// Method is the methods' settings (gan.RedesignEvalConfig); its Seed
	// is set to Seed.
	Method gan.RedesignEvalConfig
}

// Redesign runs the redesign methods on cfg.Pairs pairs drawn from the
// dataset (RedesignPairs), with the realism check calibrated on the
// dataset's realism references, as redesign jobs calibrate it.
func Redesign(ctx context.Context, m *gan.Models, rec *recommender.Model, d *recommender.Dataset, personas []synth.Persona,
	cfg RedesignConfig, prog progress.Func) (*gan.RedesignEvalReport, error) {
	realism, _, err := catalog.DatasetRealism(ctx, m, d)
	if err != nil {
		return nil, err
	}
	set, err := d.LoadImages(ctx, m.Size(), 2, prog)
	if err != nil {
		return nil, err
	}
	pairs, err := RedesignPairs(rec, d, set, personas, cfg.SegmentSizes, cfg.Pairs, cfg.Seed)
	if err != nil {
		return nil, err
	}
	mc := cfg.Method
	mc.Seed = cfg.Seed
	return gan.EvaluateRedesign(ctx, m, rec, realism, pairs, mc, prog)
}

// RedesignPairs draws the evaluation's pairs: pair p takes a random item
// and a random persona's segment of sizes[p mod len(sizes)] consumers (all
// of them when the persona has fewer), its taste the members' mean θ
// (catalog.SegmentTheta) and its oracle the persona's utility. The pairs'
// segment size is the size actually drawn.
func RedesignPairs(rec *recommender.Model, d *recommender.Dataset, set gan.ImageSet, personas []synth.Persona,
	sizes []int, n int, seed int64) ([]gan.RedesignPair, error) {
	draws, err := drawPairs(rec, d, personas, len(d.Items), sizes, n, seed)
	if err != nil {
		return nil, err
	}
	pairs := make([]gan.RedesignPair, len(draws))
	for p, dr := range draws {
		pairs[p] = gan.RedesignPair{Image: set.Item(dr.item), Category: d.ItemCategory(dr.item), Theta: dr.theta, Size: dr.size,
			Oracle: dr.oracle}
	}
	return pairs, nil
}

// pairDraw is one (item, segment) pair of an evaluation.
type pairDraw struct {
	item   int // of the images drawn from
	theta  []float32
	size   int
	oracle func(imaging.Tensor) float64
}

// drawPairs draws n pairs over items images (see RedesignPairs).
func drawPairs(rec *recommender.Model, d *recommender.Dataset, personas []synth.Persona, items int,
	sizes []int, n int, seed int64) ([]pairDraw, error) {
	byName := map[string]synth.Persona{}
	for _, p := range personas {
		byName[p.Name] = p
	}
	members := map[string][]string{}
	for _, c := range d.Consumers {
		if _, ok := byName[c.Segment]; ok {
			if _, known := rec.Theta(c.ID); known {
				members[c.Segment] = append(members[c.Segment], c.ID)
			}
		}
	}
	var names []string
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) == 0 || items == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "no items, or no consumers of a persona in personas.json that the recommender knows")
	}
	rng := rand.New(rand.NewSource(seed))
	var out []pairDraw
	for p := range n {
		item := rng.Intn(items)
		persona := byName[names[rng.Intn(len(names))]]
		ids := members[persona.Name]
		k := min(sizes[p%len(sizes)], len(ids))
		var seg []catalog.Member
		for _, i := range rng.Perm(len(ids))[:k] {
			seg = append(seg, catalog.Member{ExternalID: ids[i], Weight: 1})
		}
		theta, _, err := catalog.SegmentTheta(rec, seg)
		if err != nil {
			return nil, err
		}
		out = append(out, pairDraw{item: item, theta: theta, size: k,
			oracle: func(t imaging.Tensor) float64 { return synth.PersonaUtility(persona, synth.FeaturesOf(t)) }})
	}
	return out, nil
}
