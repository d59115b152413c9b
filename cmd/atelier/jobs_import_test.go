package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/storage"
)

// TestImportJobRunsThroughTheQueue enqueues an import job and checks that a
// worker of this process imports the dataset and records its summary.
func TestImportJobRunsThroughTheQueue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	world := filepath.Join(dataDir, "world")
	wc := synth.DefaultConfig(3)
	wc.Items, wc.Consumers, wc.Interactions = 24, 10, 4
	if _, err := synth.Write(ctx, world, wc, false, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"ATELIER_DATA_DIR": dataDir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	q, err := openQueue(ctx, cfg, b, log, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(context.Background())

	bad, _, err := q.Enqueue(ctx, atelier.JobImport, "", json.RawMessage(`{"dir":"`+world+`","color":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := q.Enqueue(ctx, atelier.JobImport, "", json.RawMessage(`{"dir":"`+world+`"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bad.ID, job.ID} {
		for {
			j, err := q.Get(ctx, id, atelier.AllScope())
			if err != nil {
				t.Fatal(err)
			}
			if j.Status.Final() {
				if id == bad.ID && (j.Status != atelier.JobFailed || j.Attempt != 1) {
					t.Fatalf("job with unknown argument: status %s after %d attempts, want failed at once", j.Status, j.Attempt)
				}
				if id == job.ID && j.Status != atelier.JobSucceeded {
					t.Fatalf("import job %s: %s", j.Status, j.Error)
				}
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	items, err := b.store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != wc.Items {
		t.Fatalf("imported %d items, want %d", len(items), wc.Items)
	}
}
