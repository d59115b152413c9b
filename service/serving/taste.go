package serving

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"slices"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
)

// Taste is what the service knows of one consumer's taste.
type Taste struct {
	// ConsumerID is the consumer's external id, "" for an anonymous
	// visitor; a consumer the model was trained with starts from their θ,
	// anyone else from the mean θ.
	ConsumerID string
	// Picks are answered rounds of the choice flow, folded in on top.
	Picks []atelier.Choice
}

// Scored is an item with a score: a preference θ·φ, or a cosine
// similarity.
type Scored struct {
	ItemID string
	Score  float64
}

// prior is the θ a taste starts from.
func (s *snapshot) prior(t Taste) []float32 {
	if t.ConsumerID != "" {
		if th, ok := s.model.Theta(t.ConsumerID); ok && len(th) == s.model.Dim() {
			return th
		}
	}
	return s.meanTheta
}

// theta estimates the consumer's θ: the prior, with the picks folded in
// (recommender.FoldIn). A pick's images are catalog items or probes of
// pool p (nil: none); picks of items no longer served, and shown items
// that are gone, are left out.
func (s *snapshot) theta(t Taste, p *probePool) ([]float32, error) {
	prior := s.prior(t)
	var picks []recommender.Pick
	for _, c := range t.Picks {
		chosen, ok := s.features(p, c.Chosen)
		if !ok {
			continue
		}
		pk := recommender.Pick{Chosen: chosen}
		for _, o := range c.Others() {
			if f, ok := s.features(p, o); ok {
				pk.Others = append(pk.Others, f)
			}
		}
		if len(pk.Others) > 0 {
			picks = append(picks, pk)
		}
	}
	if len(picks) == 0 {
		return prior, nil
	}
	return recommender.FoldIn(picks, recommender.FoldInConfig{Prior: prior})
}

// features is φ of a served catalog item's first image or of a probe of
// pool p.
func (s *snapshot) features(p *probePool, id string) ([]float32, bool) {
	if i, ok := s.index[id]; ok {
		return s.primary[i], true
	}
	if p != nil {
		if i, ok := p.index[id]; ok {
			return p.phi[i], true
		}
	}
	return nil, false
}

// position is an item's index in a round's feature list: catalog items
// first, then the probes of pool p.
func (s *snapshot) position(p *probePool, id string) (int, bool) {
	if i, ok := s.index[id]; ok {
		return i, true
	}
	if p != nil {
		if i, ok := p.index[id]; ok {
			return len(s.items) + i, true
		}
	}
	return 0, false
}

// NextRound chooses the k options of the next round of a choice session
// whose answered rounds are t.Picks (see recommender.NextRound): catalog
// items and, with a probe pool loaded, generated probes in the share the
// runtime is configured with. Options shown before are not shown again.
// seed makes the round reproducible (e.g. derived from the session id and
// round).
func (r *Runtime) NextRound(ctx context.Context, t Taste, k int, seed uint64) ([]string, error) {
	s, err := r.snapshot()
	if err != nil {
		return nil, err
	}
	p := r.pool(s)
	feats, generated := s.primary, []bool(nil)
	if p != nil {
		u := p.roundFeatures(s)
		feats, generated = u.feats, u.generated
	}
	exclude := make([]bool, len(feats))
	shownProbes := 0
	var picks []recommender.RoundPick
	for _, c := range t.Picks {
		for _, id := range c.Shown {
			if i, ok := s.position(p, id); ok {
				exclude[i] = true
				if i >= len(s.items) {
					shownProbes++
				}
			}
		}
		ci, ok := s.position(p, c.Chosen)
		if !ok {
			continue
		}
		pk := recommender.RoundPick{Chosen: ci}
		for _, o := range c.Others() {
			if oi, ok := s.position(p, o); ok {
				pk.Others = append(pk.Others, oi)
			}
		}
		if len(pk.Others) > 0 {
			picks = append(picks, pk)
		}
	}
	cfg := recommender.RoundConfig{K: k, Prior: s.prior(t)}
	if p != nil {
		cfg.Generated, cfg.GeneratedSlots = generated, r.probeSlots(k, len(p.ids)-shownProbes)
	}
	rng := rand.New(rand.NewPCG(seed, 0x726f756e64)) // "round"
	idx, err := recommender.NextRound(feats, picks, exclude, cfg, rng)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(idx))
	for j, i := range idx {
		if i < len(s.items) {
			out[j] = s.items[i].id
		} else {
			out[j] = p.ids[i-len(s.items)]
		}
	}
	return out, nil
}

// Seed derives a round's seed from a session id and round number.
func Seed(sessionID string, round int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sessionID))
	return h.Sum64() + uint64(round)*0x9e3779b97f4a7c15
}

// Rank returns the n catalog items the taste prefers most, best first
// (ties: catalog order), leaving out the items in exclude.
func (r *Runtime) Rank(ctx context.Context, t Taste, n int, exclude []string) ([]Scored, error) {
	s, err := r.snapshot()
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, atelier.FieldErrorf("n", "must be positive, got %d", n)
	}
	theta, err := s.theta(t, r.pool(s))
	if err != nil {
		return nil, err
	}
	skip := make(map[string]bool, len(exclude))
	for _, id := range exclude {
		skip[id] = true
	}
	scored := make([]Scored, 0, len(s.items))
	for i, it := range s.items {
		if !skip[it.id] {
			scored = append(scored, Scored{ItemID: it.id, Score: float64(dot(theta, s.primary[i]))})
		}
	}
	slices.SortStableFunc(scored, func(a, b Scored) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return scored[:min(n, len(scored))], nil
}

// Similar returns the k catalog items whose first images are most similar
// to it's first image by cosine similarity of φ, the item itself left out.
// it may be a catalog item or a seller's own item.
func (r *Runtime) Similar(ctx context.Context, it atelier.Item, k int) ([]Scored, error) {
	s, err := r.snapshot()
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, atelier.FieldErrorf("k", "must be positive, got %d", k)
	}
	feats, err := r.itemFeatures(ctx, s, it)
	if err != nil {
		return nil, err
	}
	self, inCatalog := s.index[it.ID]
	near, err := s.cosine.Nearest(feats[0], k, func(i int) bool { return inCatalog && i == self })
	if err != nil {
		return nil, err
	}
	out := make([]Scored, len(near))
	for j, n := range near {
		out[j] = Scored{ItemID: s.items[n.Item].id, Score: float64(n.Score)}
	}
	return out, nil
}

// Thumbnail returns the index into it.Images of the image the taste
// prefers (recommender.Thumbnail); with no taste, the item's own first
// image.
func (r *Runtime) Thumbnail(ctx context.Context, it atelier.Item, t *Taste) (int, error) {
	if t == nil || len(it.Images) < 2 {
		return 0, nil
	}
	s, err := r.snapshot()
	if err != nil {
		return 0, err
	}
	feats, err := r.itemFeatures(ctx, s, it)
	if err != nil {
		return 0, err
	}
	theta, err := s.theta(*t, r.pool(s))
	if err != nil {
		return 0, err
	}
	return recommender.Thumbnail(feats, theta, nil)
}

func dot(a, b []float32) float32 {
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
