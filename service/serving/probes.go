package serving

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
)

// probePool is the generated probes a snapshot's rounds may show (package
// service/probes builds them): their φ under the snapshot's model, by
// position, after the catalog's in a round's feature list.
type probePool struct {
	version string // recommender version the pool was made and featured for
	pool    string // the probe-pool job that made it
	mark    string // the newest probe item when loaded
	ids     []string
	keys    []string // blob key of each probe's image
	phi     [][]float32
	index   map[string]int
	// union caches a round's feature list for one snapshot (the catalog's
	// φ, then the probes'), so picks do not copy thousands of vectors.
	union atomic.Pointer[roundFeatures]
}

// roundFeatures is a snapshot's catalog followed by a pool's probes.
type roundFeatures struct {
	snap      *snapshot
	feats     [][]float32
	generated []bool
}

// roundFeatures returns the feature list of rounds over s's catalog and
// the pool, built once per snapshot.
func (p *probePool) roundFeatures(s *snapshot) *roundFeatures {
	if u := p.union.Load(); u != nil && u.snap == s {
		return u
	}
	u := &roundFeatures{snap: s, feats: append(slices.Clip(s.primary), p.phi...), generated: make([]bool, len(s.primary)+len(p.phi))}
	for i := len(s.primary); i < len(u.generated); i++ {
		u.generated[i] = true
	}
	p.union.Store(u)
	return u
}

// attribute names of probe items (service/probes; not imported, to keep
// the serving runtime free of the GAN).
const (
	probeAttrRecommender = "recommender_version_id"
	probeAttrPool        = "pool"
)

// refreshProbes loads the newest probe pool made for the snapshot's
// version, unless it is the one loaded; with none, the runtime has none.
func (r *Runtime) refreshProbes(ctx context.Context, s *snapshot) error {
	// Probes are only ever added: the newest one's id says whether any
	// came since the pool was loaded, without reading them all.
	last, err := r.cfg.Store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Probes: true, Page: storage.Page{Limit: 1, Desc: true}})
	if err != nil {
		return fmt.Errorf("newest probe: %w", err)
	}
	cur := r.probes.Load()
	if len(last) == 0 || (cur != nil && cur.version == s.version.ID && cur.mark == last[0].ID) {
		if len(last) == 0 {
			r.probes.Store(nil)
		}
		return nil
	}
	var newest []atelier.Item
	pool := ""
	err = r.cfg.Store.EachItem(ctx, storage.ItemFilter{Probes: true}, func(it atelier.Item) error {
		if it.Attributes[probeAttrRecommender] != s.version.ID {
			return nil
		}
		// Item ids grow with time: the last pool seen is the newest.
		if p := it.Attributes[probeAttrPool]; p != pool {
			pool, newest = p, nil
		}
		newest = append(newest, it)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list probes: %w", err)
	}
	switch {
	case len(newest) == 0:
		r.probes.Store(nil)
		return nil
	case cur != nil && cur.version == s.version.ID && cur.pool == pool && len(cur.ids) == len(newest):
		return nil
	}
	p, err := r.featureProbes(ctx, s, pool, newest)
	if err != nil {
		return err
	}
	p.mark = last[0].ID
	r.probes.Store(p)
	r.cfg.Log.InfoContext(ctx, "probe pool loaded", "pool", pool, "probes", len(p.ids), "version", s.version.ID)
	return nil
}

// featureProbes computes φ of each probe under the snapshot's model.
func (r *Runtime) featureProbes(ctx context.Context, s *snapshot, pool string, items []atelier.Item) (*probePool, error) {
	phi, err := catalog.ItemFeatures(ctx, r.cfg.Blobs, s.model, items, r.cfg.Workers, nil)
	if err != nil {
		return nil, fmt.Errorf("probe pool %s: %w", pool, err)
	}
	p := &probePool{version: s.version.ID, pool: pool, index: map[string]int{}, phi: phi}
	for _, it := range items {
		p.index[it.ID] = len(p.ids)
		p.ids = append(p.ids, it.ID)
		p.keys = append(p.keys, it.Images[0].OriginalKey)
	}
	return p, nil
}

// pool returns the loaded probe pool when it belongs to s, else nil.
func (r *Runtime) pool(s *snapshot) *probePool {
	p := r.probes.Load()
	if p == nil || p.version != s.version.ID {
		return nil
	}
	return p
}

// Generated reports whether id is a probe of the loaded pool.
func (r *Runtime) Generated(id string) bool {
	p := r.probes.Load()
	if p == nil {
		return false
	}
	_, ok := p.index[id]
	return ok
}

// probeSlots is how many of a round's k options are probes at the
// runtime's share, when the pool has that many not shown yet.
func (r *Runtime) probeSlots(k, left int) int {
	n := int(math.Round(r.cfg.ProbeShare * float64(k)))
	if n > left {
		return 0 // too few left: the catalog alone
	}
	return n
}
