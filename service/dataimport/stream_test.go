package dataimport_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
)

// batchRecorder passes calls on to a store and records the largest batch
// each import method was given.
type batchRecorder struct {
	dataimport.Store
	mu                             sync.Mutex
	items, consumers, interactions int
	itemCalls, interactionCalls    int
}

func (r *batchRecorder) ImportItems(ctx context.Context, items []atelier.Item) (int, error) {
	r.mu.Lock()
	r.items, r.itemCalls = max(r.items, len(items)), r.itemCalls+1
	r.mu.Unlock()
	return r.Store.ImportItems(ctx, items)
}

func (r *batchRecorder) ImportConsumers(ctx context.Context, cs []atelier.Consumer) (int, error) {
	r.mu.Lock()
	r.consumers = max(r.consumers, len(cs))
	r.mu.Unlock()
	return r.Store.ImportConsumers(ctx, cs)
}

func (r *batchRecorder) ImportInteractions(ctx context.Context, lines []storage.InteractionImport) (int, error) {
	r.mu.Lock()
	r.interactions, r.interactionCalls = max(r.interactions, len(lines)), r.interactionCalls+1
	r.mu.Unlock()
	return r.Store.ImportInteractions(ctx, lines)
}

// TestBatchesAreBounded: rows reach the store in batches of at most
// BatchSize, however long the files are.
func TestBatchesAreBounded(t *testing.T) {
	dir := writeWorld(t, 40, 15, 6, 32)
	rows := len(readCSV(t, filepath.Join(dir, "interactions.csv")))
	s, b := sqliteLocal(t)
	rec := &batchRecorder{Store: s}
	const batch = 7
	sum := testkit.Must(dataimport.Import(context.Background(), nil, rec, b, dir, dataimport.Options{BatchSize: batch}))(t)
	if sum.New() != 40+15+rows {
		t.Fatalf("imported %d rows, want %d", sum.New(), 40+15+rows)
	}
	if rec.items > batch || rec.consumers > batch || rec.interactions > batch {
		t.Errorf("largest batches: %d items, %d consumers, %d interactions; want at most %d", rec.items, rec.consumers, rec.interactions, batch)
	}
	if want := (rows + batch - 1) / batch; rec.interactionCalls != want || rec.itemCalls != (40+batch-1)/batch {
		t.Errorf("%d item and %d interaction batches, want %d and %d", rec.itemCalls, rec.interactionCalls, (40+batch-1)/batch, want)
	}
}

// TestWorkersDoNotChangeResults: one worker or several give the same rows,
// blobs and issues, in the same order.
func TestWorkersDoNotChangeResults(t *testing.T) {
	dir := writeWorld(t, 30, 8, 3, 48)
	corruptPNG(t, filepath.Join(dir, "images", "it00007.png"))
	corruptPNG(t, filepath.Join(dir, "images", "it00023.png"))
	type result struct {
		issues []string
		snap   snapshot
		blobs  [][]byte
	}
	run := func(workers int) result {
		s, b := sqliteLocal(t)
		sum := testkit.Must(dataimport.Import(context.Background(), nil, s, b, dir, dataimport.Options{Workers: workers, BatchSize: 9}))(t)
		r := result{issues: issueStrings(sum), snap: takeSnapshot(t, s, b)}
		for _, info := range r.snap.blobs {
			r.blobs = append(r.blobs, readBlob(t, b, info.Key))
		}
		return r
	}
	one, four := run(1), run(4)
	if !slices.Equal(one.issues, four.issues) || len(one.issues) == 0 {
		t.Errorf("issues with 1 worker %q, with 4 %q", one.issues, four.issues)
	}
	if !slices.Equal(one.snap.items, four.snap.items) || one.snap.interactions != four.snap.interactions {
		t.Errorf("items differ:\n%q\n%q", one.snap.items, four.snap.items)
	}
	if !slices.EqualFunc(one.blobs, four.blobs, bytes.Equal) || len(one.blobs) != 2*28 {
		t.Errorf("blobs differ (%d and %d)", len(one.blobs), len(four.blobs))
	}
}

// failingItems fails the first ImportItems call, as a database that goes
// away after the batch's blobs were stored.
type failingItems struct {
	dataimport.Store
	failed bool
}

func (f *failingItems) ImportItems(ctx context.Context, items []atelier.Item) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, atelier.Errorf(atelier.KindUnavailable, "database is unavailable")
	}
	return f.Store.ImportItems(ctx, items)
}

// TestRetryReusesOrphanBlobs: a batch that fails after its blobs were
// written leaves them as orphans, which the next run reuses.
func TestRetryReusesOrphanBlobs(t *testing.T) {
	dir := writeWorld(t, 12, 4, 2, 32)
	s, b := sqliteLocal(t)
	ctx := context.Background()
	sum, err := dataimport.Import(ctx, nil, &failingItems{Store: s}, b, dir, dataimport.Options{BatchSize: 5})
	if atelier.ErrorKind(err) != atelier.KindUnavailable || sum.Blobs.Written != 10 {
		t.Fatalf("first run: error %v, %+v", err, sum.Blobs)
	}
	if n := len(testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{}))(t)); n != 0 {
		t.Fatalf("%d items stored by the failed batch", n)
	}
	sum = testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{BatchSize: 5}))(t)
	if sum.Blobs.Reused != 10 || sum.Blobs.Written != 14 || fileStats(t, sum, "items.csv", "items").New != 12 {
		t.Errorf("retry: %+v, %+v", sum.Blobs, sum.Files)
	}
	if blobs := testkit.Must(b.List(ctx, ""))(t); len(blobs) != 24 {
		t.Errorf("%d blobs, want 24 (no duplicates)", len(blobs))
	}
}
