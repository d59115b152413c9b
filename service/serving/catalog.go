package serving

import (
	"context"
	"fmt"
	_ "image/png" // model-size images are PNG
	"slices"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
)

// snapshot is one model with the catalog's features under it. It is never
// changed once built; a refresh builds a new one.
type snapshot struct {
	version atelier.ModelVersion
	model   Model
	mark    string // newest catalog item when built
	items   []catalogItem
	index   map[string]int // item id → position in items
	primary [][]float32    // φ of each item's first image
	cosine  *recommender.CosineIndex
	// meanTheta is model.MeanTheta(), the prior of unknown consumers,
	// computed once: it averages every consumer's θ, too dear per pick.
	meanTheta []float32
}

// catalogItem is a catalog item as the snapshot knows it.
type catalogItem struct {
	id       string
	category string
	colour   string      // dominant colour of the first image
	imageKey string      // blob key of the first image's original
	images   [][]float32 // φ of each image, in Item.Images order
}

// chunk is how many images are decoded and featurised at once, bounding
// the memory of a build (256 images of 64×64 take 12.6 MB as floats).
const chunk = 256

// fetchers is how many blobs are read at once.
const fetchers = 4

type imageRef struct{ item, image int }

// build computes the features of every catalog image under model. An item
// whose images cannot be read or decoded is left out (and logged); any
// other failure (the store is down, the context ends) fails the build.
func (r *Runtime) build(ctx context.Context, mv atelier.ModelVersion, model Model, mark string) (*snapshot, error) {
	var items []atelier.Item
	err := r.cfg.Store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list catalog: %w", err)
	}
	var refs []imageRef
	for i, it := range items {
		for j := range it.Images {
			refs = append(refs, imageRef{i, j})
		}
	}
	size := model.ImageSize()
	feats := make([][]float32, len(refs))
	colours := make([]string, len(items))
	loaded := make([]bool, len(refs)) // each written by the one goroutine that reads its image
	for lo := 0; lo < len(refs); lo += chunk {
		part := refs[lo:min(lo+chunk, len(refs))]
		im := &recommender.Images{Size: size, Pix: make([]float32, len(part)*3*size*size)}
		err := r.fetchAll(ctx, len(part), func(n int) error {
			ref := part[n]
			it := items[ref.item]
			t, err := catalog.ReadModelImage(ctx, r.cfg.Blobs, it.Images[ref.image].ModelKey, size)
			if err != nil {
				if kind := atelier.ErrorKind(err); kind != atelier.KindInvalid && kind != atelier.KindNotFound {
					return err
				}
				r.cfg.Log.WarnContext(ctx, "catalog image left out", "item", it.ID, "image", ref.image, "err", err)
				return nil
			}
			loaded[lo+n] = true
			copy(im.Item(n).Pix, t.Pix)
			if ref.image == 0 {
				colours[ref.item] = DominantColour(t)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		f, err := model.ImageFeatures(ctx, im, r.cfg.Workers)
		if err != nil {
			return nil, fmt.Errorf("catalog features: %w", err)
		}
		if len(f) != len(part) {
			return nil, fmt.Errorf("catalog features: %d vectors for %d images", len(f), len(part))
		}
		copy(feats[lo:], f)
	}
	s := &snapshot{version: mv, model: model, mark: mark, index: make(map[string]int, len(items)), meanTheta: model.MeanTheta()}
	next := 0
	for i, it := range items {
		n := len(it.Images)
		imgs := feats[next : next+n : next+n]
		ok := !slices.Contains(loaded[next:next+n], false)
		next += n
		if !ok || n == 0 {
			continue
		}
		s.index[it.ID] = len(s.items)
		s.items = append(s.items, catalogItem{id: it.ID, category: it.Category, colour: colours[i], imageKey: it.Images[0].OriginalKey, images: imgs})
		s.primary = append(s.primary, imgs[0])
	}
	if s.cosine, err = recommender.NewCosineIndex(s.primary); err != nil {
		return nil, fmt.Errorf("similarity index: %w", err)
	}
	if left := len(items) - len(s.items); left > 0 {
		r.cfg.Log.WarnContext(ctx, "catalog items without usable images are not recommended", "count", left)
	}
	return s, nil
}

// fetchAll calls fn(0..n-1) on up to fetchers goroutines and returns the
// first error.
func (r *Runtime) fetchAll(ctx context.Context, n int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range min(fetchers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// itemFeatures returns φ of each image of it: from the snapshot for a
// catalog item, computed now for any other (a seller's own item).
func (r *Runtime) itemFeatures(ctx context.Context, s *snapshot, it atelier.Item) ([][]float32, error) {
	if i, ok := s.index[it.ID]; ok {
		return s.items[i].images, nil
	}
	if len(it.Images) == 0 {
		return nil, atelier.Errorf(atelier.KindConflict, "item %q has no images", it.ID)
	}
	size := s.model.ImageSize()
	im := &recommender.Images{Size: size, Pix: make([]float32, len(it.Images)*3*size*size)}
	for j, img := range it.Images {
		t, err := catalog.ReadModelImage(ctx, r.cfg.Blobs, img.ModelKey, size)
		if err != nil {
			if kind := atelier.ErrorKind(err); kind == atelier.KindInvalid || kind == atelier.KindNotFound {
				return nil, atelier.Wrap(atelier.KindConflict, err, "image %d of item %q cannot be read", j, it.ID)
			}
			return nil, err
		}
		copy(im.Item(j).Pix, t.Pix)
	}
	f, err := s.model.ImageFeatures(ctx, im, 1)
	if err != nil {
		return nil, fmt.Errorf("features of item %s: %w", it.ID, err)
	}
	return f, nil
}
