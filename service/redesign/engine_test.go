package main

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
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/storage"
)

// TestRedesignJobHandler runs the redesign handler against a local store:
// without a GAN version it fails permanently with a clear reason; with
// tiny models registered it stores marked variants under the job's keys.
func TestRedesignJobHandler(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newRedesignFixture(t)
	cfg, b := openImported(ctx, t, map[string]string{"ATELIER_DATA_DIR": t.TempDir()}, f.world)
	segs, err := b.store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments %v (%v)", segs, err)
	}
	items, err := b.store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{})
	if err != nil || len(items) == 0 {
		t.Fatalf("items %v (%v)", items, err)
	}
	job := atelier.RedesignJob{ID: "job1", ItemID: items[0].ID, SegmentID: segs[0].ID, N: 2, Steps: 2, Epsilon: 0.4, Seed: 1}
	handler := redesignHandler(cfg, b)

	_, err = handler(ctx, job, nil)
	if err == nil || !strings.Contains(err.Error(), "no gan model version is active") || atelier.ErrorKind(err) != atelier.KindUnavailable {
		t.Fatalf("without a GAN: %v", err)
	}

	registerFiles(ctx, t, b, map[string]string{atelier.ModelGAN: f.gan, atelier.ModelRecommender: f.rec})
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
		rc, _, err := b.blobs.Get(ctx, v.ImageKey)
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
		if ok, _ := watermark.Verify(img, cfg.WatermarkKey); !ok {
			t.Errorf("variant %d is not marked", i)
		}
	}
}
