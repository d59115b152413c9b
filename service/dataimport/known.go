package dataimport

import (
	"context"
	"fmt"
	"sync"

	"github.com/atelier-app/atelier"
)

// knownCap bounds each cache of known ids (about 100 bytes an entry), so
// memory stays bounded however large the catalog; past it the cache starts
// over and misses fall back to the database.
const knownCap = 200_000

// knownSet caches whether an external id exists in the store. Positive
// entries are added as batches are written, so interactions of items and
// consumers imported in the same run are resolved without a query.
type knownSet struct {
	mu  sync.Mutex
	m   map[string]bool
	max int
}

func newKnownSet(max int) *knownSet { return &knownSet{m: map[string]bool{}, max: max} }

func (k *knownSet) get(id string) (known, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	known, ok = k.m[id]
	return known, ok
}

func (k *knownSet) put(id string, known bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[id]; !ok && len(k.m) >= k.max {
		clear(k.m)
	}
	k.m[id] = known
}

// itemExists reports whether the catalog has an item with this external id.
func (im *importer) itemExists(ctx context.Context, id string) (bool, error) {
	return exists(im.items, id, func() error {
		_, err := im.db.ItemByExternalID(ctx, "", id)
		return err
	})
}

// consumerExists reports whether a consumer with this external id exists.
func (im *importer) consumerExists(ctx context.Context, id string) (bool, error) {
	return exists(im.consumers, id, func() error {
		_, err := im.db.ConsumerByExternalID(ctx, id)
		return err
	})
}

func exists(k *knownSet, id string, lookup func() error) (bool, error) {
	if known, ok := k.get(id); ok {
		return known, nil
	}
	err := lookup()
	switch atelier.ErrorKind(err) {
	case "":
		k.put(id, true)
		return true, nil
	case atelier.KindNotFound:
		k.put(id, false)
		return false, nil
	}
	return false, fmt.Errorf("look up %q: %w", id, err)
}
