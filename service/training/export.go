package training

import (
	"context"
	"fmt"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
)

// catalogExport is the catalog as training sees it: items named by their
// external ids, with their model-size images in the same order.
type catalogExport struct {
	items      []recommender.Item
	index      map[string]int // store id → position in items
	categories []string       // of each item
	images     *recommender.Images
}

// exportCatalog reads every catalog item and its model-size image.
func (e *Engine) exportCatalog(ctx context.Context, report progress.Func) (catalogExport, error) {
	c := catalogExport{index: map[string]int{}, images: &recommender.Images{Size: atelier.ModelSize}}
	err := e.store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		img, ok := it.Primary()
		if !ok {
			return atelier.Errorf(atelier.KindInvalid, "catalog item %s has no image", it.ExternalID)
		}
		t, err := catalog.ReadModelImage(ctx, e.blobs, img.ModelKey, atelier.ModelSize)
		if err != nil {
			return fmt.Errorf("image of catalog item %s: %w", it.ExternalID, err)
		}
		c.images.Pix = append(c.images.Pix, t.Pix...)
		c.index[it.ID] = len(c.items)
		c.items = append(c.items, recommender.Item{ID: it.ExternalID})
		c.categories = append(c.categories, it.Category)
		report.Report(progress.Update{Stage: "export catalog", Step: len(c.items)})
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("export catalog: %w", err)
	}
	if len(c.items) == 0 {
		return c, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "the catalog is empty: import a dataset before training"))
	}
	return c, nil
}

// exportDataset builds the recommender's dataset from the store in memory:
// the catalog items with their model-size images, every consumer with
// their segment label, and every interaction with a catalog item (all
// kinds) ordered by time. Consumers and items are named by their external
// ids, the ids the serving runtime looks θ up by.
func (e *Engine) exportDataset(ctx context.Context, report progress.Func) (*recommender.Dataset, *recommender.Images, []recommender.Triplet, error) {
	cat, err := e.exportCatalog(ctx, report)
	if err != nil {
		return nil, nil, nil, err
	}
	d := &recommender.Dataset{Items: cat.items}
	itemIndex, categories, im := cat.index, cat.categories, cat.images
	d.Categories = sortedDistinct(categories)
	for i, c := range categories {
		d.Items[i].Category = sort.SearchStrings(d.Categories, c)
	}

	consIndex := map[string]int{}
	err = e.store.EachConsumer(ctx, storage.ConsumerFilter{}, func(c atelier.Consumer) error {
		consIndex[c.ID] = len(d.Consumers)
		d.Consumers = append(d.Consumers, recommender.Consumer{ID: c.ExternalID, Segment: c.Segment})
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("export consumers: %w", err)
	}

	err = e.store.EachInteraction(ctx, func(in atelier.Interaction) error {
		u, okU := consIndex[in.ConsumerID]
		i, okI := itemIndex[in.ItemID]
		if okU && okI { // a seller's own item is not in the catalog the model learns from
			d.Interactions = append(d.Interactions, recommender.Interaction{Consumer: u, Item: i, Time: in.At.Unix()})
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("export interactions: %w", err)
	}
	if len(d.Interactions) == 0 {
		return nil, nil, nil, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "no interactions with catalog items: import a dataset before training"))
	}
	// The split orders each consumer's log by time; ties keep the order
	// the interactions were recorded in.
	sort.SliceStable(d.Interactions, func(a, b int) bool { return d.Interactions[a].Time < d.Interactions[b].Time })
	report.Report(progress.Update{Stage: "export interactions", Step: len(d.Interactions), Total: len(d.Interactions)})
	picks, err := e.exportPicks(ctx, consIndex, itemIndex)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, im, picks, nil
}

// exportPicks turns the choice-flow picks of known consumers into explicit
// triplets over the exported dataset (consumers and items by their store
// ids): the chosen item preferred over each other item shown. Picks of
// anonymous sessions, and items no longer in the catalog, teach nothing
// about a consumer the model has and are skipped.
func (e *Engine) exportPicks(ctx context.Context, consIndex, itemIndex map[string]int) ([]recommender.Triplet, error) {
	var out []recommender.Triplet
	err := e.store.EachChoice(ctx, func(consumerID string, c atelier.Choice) error {
		u, okU := consIndex[consumerID]
		i, okI := itemIndex[c.Chosen]
		if !okU || !okI {
			return nil
		}
		for _, o := range c.Others() {
			if j, ok := itemIndex[o]; ok {
				out = append(out, recommender.Triplet{Consumer: u, Preferred: i, Other: j})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export picks: %w", err)
	}
	return out, nil
}

func sortedDistinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
