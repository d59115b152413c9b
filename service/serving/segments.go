package serving

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
)

// SegmentDraft is a segment computed from the served model, not stored
// yet.
type SegmentDraft struct {
	Name        string
	ConsumerIDs []string  // external ids of the members
	Theta       []float32 // the members' mean θ
}

// KMeans clusters the θ of every consumer the served model knows into k
// segments (recommender.SegmentsByKMeans, seeded) and returns them with
// the model version they come from.
func (r *Runtime) KMeans(ctx context.Context, k int, seed uint64) (atelier.ModelVersion, []SegmentDraft, error) {
	s, err := r.snapshot()
	if err != nil {
		return atelier.ModelVersion{}, nil, err
	}
	ids := s.model.Consumers()
	theta := make([][]float32, 0, len(ids))
	known := make([]string, 0, len(ids))
	for _, id := range ids {
		if th, ok := s.model.Theta(id); ok {
			theta, known = append(theta, th), append(known, id)
		}
	}
	segs, err := recommender.SegmentsByKMeans(ctx, theta, recommender.KMeansConfig{K: k, Seed: seed, Restarts: 4})
	if err != nil {
		return atelier.ModelVersion{}, nil, err
	}
	out := make([]SegmentDraft, len(segs))
	for j, sg := range segs {
		out[j] = SegmentDraft{Name: sg.Name, Theta: sg.Theta}
		for _, u := range sg.Members {
			out[j].ConsumerIDs = append(out[j].ConsumerIDs, known[u])
		}
	}
	return s.version, out, nil
}

// topN is how many categories and colours a description names.
const topN = 3

// Describe summarises what the members of each segment like: the dominant
// categories and colours of the items they interacted with. members maps
// a segment key to its members' store ids; the result maps the same keys
// to descriptions {"interactions", "top_categories", "top_colours",
// "summary"}, each top entry {"name", "share"}. Colours come from the
// served model's snapshot (the dominant colour of each catalog image)
// and, for items it does not hold, from a "color" or "colour" attribute.
// It reads every interaction once.
func (r *Runtime) Describe(ctx context.Context, members map[string][]string) (map[string]map[string]any, error) {
	segsOf := map[string][]string{}
	for key, ids := range members {
		for _, id := range ids {
			segsOf[id] = append(segsOf[id], key)
		}
	}
	type info struct{ category, colour string }
	items := map[string]info{}
	snap := r.cur.Load()
	err := r.cfg.Store.EachItem(ctx, storage.ItemFilter{}, func(it atelier.Item) error {
		in := info{category: it.Category, colour: it.Attributes["color"]}
		if in.colour == "" {
			in.colour = it.Attributes["colour"]
		}
		if snap != nil {
			if i, ok := snap.index[it.ID]; ok {
				in.colour = snap.items[i].colour
			}
		}
		items[it.ID] = in
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("describe segments: %w", err)
	}
	type tally struct {
		total              int
		categories, colour map[string]int
	}
	tallies := map[string]*tally{}
	for key := range members {
		tallies[key] = &tally{categories: map[string]int{}, colour: map[string]int{}}
	}
	err = r.cfg.Store.EachInteraction(ctx, func(in atelier.Interaction) error {
		keys := segsOf[in.ConsumerID]
		it, ok := items[in.ItemID]
		if len(keys) == 0 || !ok {
			return nil
		}
		for _, key := range keys {
			t := tallies[key]
			t.total++
			t.categories[it.category]++
			if it.colour != "" {
				t.colour[strings.ToLower(it.colour)]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("describe segments: %w", err)
	}
	out := make(map[string]map[string]any, len(tallies))
	for key, t := range tallies {
		cats, cols := top(t.categories, t.total), top(t.colour, t.total)
		out[key] = map[string]any{
			"interactions":   t.total,
			"top_categories": cats,
			"top_colours":    cols,
			"summary":        summary(cats, cols),
		}
	}
	return out, nil
}

// top returns the topN most counted names with their share of total
// (ties: by name), as JSON-ready maps.
func top(counts map[string]int, total int) []any {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	out := []any{}
	for _, n := range names[:min(topN, len(names))] {
		share := math.Round(float64(counts[n])/float64(total)*1000) / 1000
		out = append(out, map[string]any{"name": n, "share": share})
	}
	return out
}

// summary says the top categories and colours in words.
func summary(cats, cols []any) string {
	words := func(list []any) string {
		var parts []string
		for _, e := range list {
			m := e.(map[string]any)
			parts = append(parts, fmt.Sprintf("%s (%.0f%%)", m["name"], m["share"].(float64)*100))
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case len(cats) == 0:
		return "no interactions yet"
	case len(cols) == 0:
		return "mostly likes " + words(cats)
	}
	return "mostly likes " + words(cats) + "; colours " + words(cols)
}
