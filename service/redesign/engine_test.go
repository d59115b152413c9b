package redesign_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/service/redesign"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

const watermarkKey = "test-watermark-key"

// TestRedesignJob runs redesign jobs on each deployment's backends: without
// a GAN version a job fails permanently with a clear reason; with tiny
// models registered it stores marked variants under the job's keys.
func TestRedesignJob(t *testing.T) {
	world := servicetest.World(t, 24, 4, 2)
	models := servicetest.TinyModels(t, world)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		testRedesignJob(t, models, store, blobs)
	})
}

func testRedesignJob(t *testing.T, models servicetest.Models, store *storage.Store, blobs blob.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	segs, err := store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments %v (%v)", segs, err)
	}
	items, err := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{})
	if err != nil || len(items) == 0 {
		t.Fatalf("items %v (%v)", items, err)
	}
	job := atelier.RedesignJob{ID: "job1", ItemID: items[0].ID, SegmentID: segs[0].ID, N: 2, Steps: 2, Epsilon: 0.4, Seed: 1}
	handler := redesign.NewEngine(store, blobs, watermarkKey).Run

	_, err = handler(ctx, job, nil)
	if err == nil || !strings.Contains(err.Error(), "no gan model version is active") || atelier.ErrorKind(err) != atelier.KindUnavailable {
		t.Fatalf("without a GAN: %v", err)
	}

	servicetest.Register(t, store, blobs, map[string]string{atelier.ModelGAN: models.GAN, atelier.ModelRecommender: models.Recommender})
	res, err := handler(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Variants) != 2 || res.GANVersionID == "" || res.RecommenderVersionID == "" {
		t.Fatalf("result %+v", res)
	}
	for i, v := range res.Variants {
		if v.Rank != i+1 || v.ImageKey != filepath.ToSlash(atelier.RedesignImageKey("job1", "variant-"+string(rune('1'+i)))) {
			t.Errorf("variant %d: rank %d key %s", i, v.Rank, v.ImageKey)
		}
		for _, k := range []string{"preference", "uplift", "realism", "category_prob", "ssim", "perceptual"} {
			if _, ok := v.Scores[k]; !ok {
				t.Errorf("variant %d has no %s score", i, k)
			}
		}
		if v.FullImageKey == "" {
			t.Fatalf("variant %d has no full-resolution image", i)
		}
		for _, key := range []string{v.ImageKey, v.FullImageKey} {
			rc, _, err := blobs.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := watermark.Verify(img, watermarkKey); !ok {
				t.Errorf("variant %d: %s is not marked", i, key)
			}
		}
	}
	// The tiny untrained generator reconstructs nothing well, and the job
	// says so.
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "reconstructs this photo poorly") {
		t.Errorf("notes %q, want the poor reconstruction said", res.Notes)
	}
}

// The knobs' defaults are gan's: a zero knob gets gan's, a flag or request
// left out gets these.
func TestDefaultsAreGANs(t *testing.T) {
	s := gan.DefaultShiftConfig()
	if s.N != redesign.DefaultN || s.Epsilon != float32(redesign.DefaultEpsilon) || s.Steps != redesign.DefaultSteps {
		t.Errorf("shift defaults %d, %v, %d; gan's %d, %v, %d", redesign.DefaultN, redesign.DefaultEpsilon, redesign.DefaultSteps, s.N, s.Epsilon, s.Steps)
	}
	if inv := gan.DefaultInvertConfig(); inv.Steps != redesign.DefaultInvertSteps {
		t.Errorf("inversion steps %d, gan's %d", redesign.DefaultInvertSteps, inv.Steps)
	}
}
