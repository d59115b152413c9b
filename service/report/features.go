package report

import (
	"context"
	"fmt"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/taste"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
)

// reportChunk is how many images one feature pass takes.
const reportChunk = 64

// maxCached bounds the feature cache: about 100 bytes of φ and look per
// entry, so a full cache holds a few tens of MB.
const maxCached = 200_000

// measured is what a report needs of one image: its φ under one
// recommender version and its look.
type measured struct {
	phi  []float32
	look taste.Look
}

// featureCache keeps each image's φ and look per recommender version, so
// reports after the first read and run the network only on images they
// have not seen: a catalog is measured once per version, not once per
// report. Images are keyed by their model-size blob key, which names one
// image for good (a new photo gets a new key). When full, it is emptied
// rather than tracked entry by entry: refilling costs one report's worth
// of features, and a worker seldom serves more than a few versions.
type featureCache struct {
	mu      sync.Mutex
	entries map[string]measured
}

func cacheKey(versionID, imageKey string) string { return versionID + "\x00" + imageKey }

func (c *featureCache) get(key string) (measured, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.entries[key]
	return m, ok
}

func (c *featureCache) put(key string, m measured) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = make(map[string]measured)
	}
	c.entries[key] = m
}

// features returns each item's pooled entry, measuring (φ of its
// model-size image and its look) only the images the cache lacks, a chunk
// at a time on one worker (reports share the machine with training).
// done is told how many items are ready.
func (e *Engine) features(ctx context.Context, rec *recommender.Model, versionID string, items []atelier.Item, done func(int)) ([]pooled, error) {
	out := make([]pooled, len(items))
	var todo []int // indexes of items to measure
	keys := make([]string, len(items))
	for i, it := range items {
		key, err := catalog.ModelKey(it)
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", it.ID, err)
		}
		keys[i] = cacheKey(versionID, key)
		out[i].item = it
		if m, ok := e.cache.get(keys[i]); ok {
			out[i].phi, out[i].look = m.phi, m.look
			continue
		}
		todo = append(todo, i)
	}
	ready := len(items) - len(todo)
	done(ready)
	for lo := 0; lo < len(todo); lo += reportChunk {
		part := todo[lo:min(lo+reportChunk, len(todo))]
		batch := make([]atelier.Item, len(part))
		for n, i := range part {
			batch[n] = items[i]
		}
		looks := make([]taste.Look, len(part))
		phi, err := catalog.ItemFeatures(ctx, e.blobs, rec, batch, 1, func(n int, t imaging.Tensor) { looks[n] = taste.Measure(t) })
		if err != nil {
			return nil, err
		}
		for n, i := range part {
			m := measured{phi: phi[n], look: looks[n]}
			out[i].phi, out[i].look = m.phi, m.look
			e.cache.put(keys[i], m)
		}
		ready += len(part)
		done(ready)
	}
	return out, nil
}
