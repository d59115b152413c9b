package report

import (
	"cmp"
	"slices"

	"github.com/atelier-app/atelier/internal/taste"
)

// TopItems is how many of a segment's most preferred catalog items a
// report lists (Segment.TopItemIDs): a screenful of pictures.
const TopItems = 8

// tasteShare is the share of the catalog a segment's taste is measured on:
// its top 5% (at least TopItems). A fixed share rather than a fixed count
// keeps the group mean's noise about the same fraction of the catalog's
// spread on catalogs of any size (150 items of 3,000: ±0.08 standard
// deviations), well inside taste.Threshold, while staying the segment's
// clear favourites.
const tasteShare = 0.05

// Taste is what a segment likes, in words, from the pixels of its most
// preferred catalog items against the whole catalog (internal/taste):
// Summary is the sentence, Traits its words, Differences each
// measurement's standardised difference and Categories the dominant ones.
type Taste struct {
	Summary     string          `json:"summary"`
	Traits      []string        `json:"traits"`
	Differences TasteDiffs      `json:"differences"`
	Categories  []CategoryShare `json:"categories"`
	Basis       int             `json:"basis"` // catalog items measured: the segment's top 5%, at least TopItems
}

// TasteDiffs are the top items' mean minus the catalog's mean per
// measurement, in catalog standard deviations; a trait is named from
// ±taste.Threshold.
type TasteDiffs struct {
	Warmth     float64 `json:"warmth"`
	Brightness float64 `json:"brightness"`
	Saturation float64 `json:"saturation"`
	Pattern    float64 `json:"pattern"`
	Size       float64 `json:"size"`
}

// CategoryShare is a category's share of the segment's top items and of
// the catalog.
type CategoryShare struct {
	Category string  `json:"category"`
	Share    float64 `json:"share"`
	Catalog  float64 `json:"catalog_share"`
}

// describeSegment fills the segment's top items and taste from its scores
// over the pool, whose first len(catalog) entries are the catalog; catalog
// holds their samples (catalogSamples), the reference every segment is
// compared with.
func describeSegment(sg *Segment, scores []float64, pool []pooled, catalog []taste.Sample) {
	order := topCatalog(scores, len(catalog))
	sg.TopItemIDs = make([]string, 0, TopItems)
	for _, i := range order[:min(TopItems, len(order))] {
		sg.TopItemIDs = append(sg.TopItemIDs, pool[i].item.ID)
	}
	basis := min(len(order), max(TopItems, int(tasteShare*float64(len(catalog))+0.5)))
	group := make([]taste.Sample, basis)
	for n, i := range order[:basis] {
		group[n] = catalog[i]
	}
	sg.Taste = tasteOf(taste.Describe(group, catalog), basis)
}

// catalogSamples are the taste samples of the pool's first n items, the
// catalog.
func catalogSamples(pool []pooled, n int) []taste.Sample {
	out := make([]taste.Sample, n)
	for i := range out {
		out[i] = sampleOf(pool[i])
	}
	return out
}

// topCatalog orders the catalog's pool indexes by the segment's
// preference, best first; ties keep pool order, so reports are
// reproducible.
func topCatalog(scores []float64, nCatalog int) []int {
	order := make([]int, nCatalog)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	return order
}

func sampleOf(p pooled) taste.Sample {
	return taste.Sample{Look: p.look, Category: p.item.Category}
}

func tasteOf(d taste.Description, basis int) Taste {
	t := Taste{Summary: d.Sentence, Traits: d.Traits, Basis: basis, Categories: []CategoryShare{},
		Differences: TasteDiffs{Warmth: d.Differences.Warmth, Brightness: d.Differences.Value,
			Saturation: d.Differences.Saturation, Pattern: d.Differences.Pattern, Size: d.Differences.Coverage}}
	for _, c := range d.Categories {
		t.Categories = append(t.Categories, CategoryShare{Category: c.Category, Share: c.Share, Catalog: c.Reference})
	}
	return t
}
