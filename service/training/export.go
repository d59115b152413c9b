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
func (e *Engine) exportDataset(ctx context.Context, report progress.Func) (*recommender.Dataset, *recommender.Images, picksExport, error) {
	cat, err := e.exportCatalog(ctx, report)
	if err != nil {
		return nil, nil, picksExport{}, err
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
		return nil, nil, picksExport{}, fmt.Errorf("export consumers: %w", err)
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
		return nil, nil, picksExport{}, fmt.Errorf("export interactions: %w", err)
	}
	if len(d.Interactions) == 0 {
		return nil, nil, picksExport{}, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "no interactions with catalog items: import a dataset before training"))
	}
	// The split orders each consumer's log by time; ties keep the order
	// the interactions were recorded in.
	sort.SliceStable(d.Interactions, func(a, b int) bool { return d.Interactions[a].Time < d.Interactions[b].Time })
	report.Report(progress.Update{Stage: "export interactions", Step: len(d.Interactions), Total: len(d.Interactions)})
	picks, err := e.exportPicks(ctx, d, im, consIndex, itemIndex)
	if err != nil {
		return nil, nil, picksExport{}, err
	}
	return d, im, picks, nil
}

// picksExport is what the choice flow's picks add to training: explicit
// triplets over the training images, and the images they need past the
// catalog's (generated probes), appended to the catalog's with their
// categories.
type picksExport struct {
	triplets   []recommender.Triplet
	categories []int // of each appended image, into the dataset's categories
}

// exportPicks turns the choice-flow picks of known consumers into explicit
// triplets: the chosen image preferred over each other image shown. A
// catalog item is its dataset index; a generated probe is appended to im
// (once) and indexed after the catalog. Picks of anonymous sessions teach
// nothing about a consumer the model has and are skipped, as are images
// gone from the catalog and probes of a category the catalog lacks.
func (e *Engine) exportPicks(ctx context.Context, d *recommender.Dataset, im *recommender.Images, consIndex, itemIndex map[string]int) (picksExport, error) {
	var out picksExport
	probes := map[string]int{} // probe id → image index, -1 when it cannot be used
	index := func(id string) (int, error) {
		if i, ok := itemIndex[id]; ok {
			return i, nil
		}
		if i, ok := probes[id]; ok {
			return i, nil
		}
		probes[id] = -1
		it, err := e.store.GetItem(ctx, id, atelier.AllScope())
		if atelier.ErrorKind(err) == atelier.KindNotFound {
			return -1, nil
		}
		if err != nil {
			return -1, err
		}
		c := sort.SearchStrings(d.Categories, it.Category)
		if !it.Generated || c == len(d.Categories) || d.Categories[c] != it.Category {
			return -1, nil
		}
		t, err := catalog.ItemImage(ctx, e.blobs, it, im.Size)
		if err != nil {
			return -1, fmt.Errorf("probe %s: %w", id, err)
		}
		im.Pix = append(im.Pix, t.Pix...)
		out.categories = append(out.categories, c)
		probes[id] = im.Len() - 1
		return probes[id], nil
	}
	err := e.store.EachChoice(ctx, func(consumerID string, c atelier.Choice) error {
		u, ok := consIndex[consumerID]
		if !ok {
			return nil
		}
		i, err := index(c.Chosen)
		if err != nil || i < 0 {
			return err
		}
		for _, o := range c.Others() {
			j, err := index(o)
			if err != nil {
				return err
			}
			if j >= 0 {
				out.triplets = append(out.triplets, recommender.Triplet{Consumer: u, Preferred: i, Other: j})
			}
		}
		return nil
	})
	if err != nil {
		return picksExport{}, fmt.Errorf("export picks: %w", err)
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
