package catalog

import (
	"context"
	"fmt"
	"math/rand"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// The realism check: a variant the discriminator scores below
// RealismPercentile of the reference images is flagged. The references
// are up to RealismRefs catalog images, drawn by one rule wherever the
// catalog comes from (the store or a dataset directory): the catalog's
// items with an image, ordered by external id, permuted with a fixed seed,
// the first RealismRefs. The draw depends on the catalog alone, so a GAN
// version's calibration can be cached, and a redesign gives the same
// variants from the command line and as a job.
const (
	RealismPercentile = 5
	RealismRefs       = 256
	referenceSeed     = 1
)

// Reference names say where a calibration's references came from.
const (
	ReferencesCatalog   = "catalog"
	ReferencesGenerated = "generated"
)

// ReferenceIndices picks the realism references among catalog items named
// by their external ids: the positions in ids of at most RealismRefs of
// them, by the rule above.
func ReferenceIndices(ids []string) []int {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	perm := rand.New(rand.NewSource(referenceSeed)).Perm(len(ids))
	out := make([]int, min(RealismRefs, len(ids)))
	for k := range out {
		out[k] = order[perm[k]]
	}
	return out
}

// StoreReferences reads the realism references of the stored catalog at
// the given size.
func StoreReferences(ctx context.Context, store *storage.Store, blobs blob.Store, size int) ([]imaging.Tensor, error) {
	var ids, keys []string
	err := store.EachItem(ctx, storage.ItemFilter{Catalog: true}, func(it atelier.Item) error {
		if key, err := ModelKey(it); err == nil {
			ids = append(ids, it.ExternalID)
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("realism references: %w", err)
	}
	var out []imaging.Tensor
	for _, i := range ReferenceIndices(ids) {
		t, err := ReadModelImage(ctx, blobs, keys[i], size)
		if err != nil {
			return nil, fmt.Errorf("realism references: item %s: %w", ids[i], err)
		}
		out = append(out, t)
	}
	return out, nil
}

// DatasetReferences reads the realism references of a dataset's catalog
// at the given size.
func DatasetReferences(d *recommender.Dataset, size int) ([]imaging.Tensor, error) {
	ids := make([]string, len(d.Items))
	for i, it := range d.Items {
		ids[i] = it.ID
	}
	var out []imaging.Tensor
	for _, i := range ReferenceIndices(ids) {
		img, err := imaging.ReadFile(d.ImagePath(i))
		if err != nil {
			return nil, atelier.Errorf(atelier.KindInvalid, "realism references: image of item %q: %v", ids[i], err)
		}
		out = append(out, imaging.FromImageSize(img, size))
	}
	return out, nil
}

// CalibrateRealism calibrates the GAN's realism check on refs. With fewer
// references than the discriminator's minibatch group needs, it uses as
// many generator samples instead (drawn with the fixed reference seed): the
// generator's typical output then stands in for the catalog. It returns
// which references it used (ReferencesCatalog or ReferencesGenerated).
func CalibrateRealism(ctx context.Context, m *gan.Models, refs []imaging.Tensor) (*gan.Realism, string, error) {
	name := ReferencesCatalog
	if len(refs) < m.D.Config.Group+1 {
		var err error
		refs, err = m.G.Generate(ctx, m.SampleZ(rand.New(rand.NewSource(referenceSeed)), RealismRefs), 16)
		if err != nil {
			return nil, "", fmt.Errorf("realism references: %w", err)
		}
		name = ReferencesGenerated
	}
	r, err := gan.CalibrateRealism(ctx, m.D, refs, RealismPercentile)
	if err != nil {
		return nil, "", fmt.Errorf("realism calibration: %w", err)
	}
	return r, name, nil
}

// DatasetRealism calibrates the GAN's realism check on the dataset's
// realism references, or, without a dataset, on generator samples.
func DatasetRealism(ctx context.Context, m *gan.Models, d *recommender.Dataset) (*gan.Realism, string, error) {
	var refs []imaging.Tensor
	if d != nil {
		var err error
		if refs, err = DatasetReferences(d, m.Size()); err != nil {
			return nil, "", err
		}
	}
	return CalibrateRealism(ctx, m, refs)
}
