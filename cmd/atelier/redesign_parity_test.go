package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/service/redesign"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestRedesignCommandMatchesJob redesigns one catalog item for one segment
// twice with the same models and seed: with `atelier redesign` on the
// dataset's files, and as a service job on the imported world. Both reach
// redesign.Run with the same photo, segment θ and realism references, so
// the variants are the same pixels with the same scores.
func TestRedesignCommandMatchesJob(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	world := servicetest.World(t, 24, 4, 2)
	models := servicetest.TinyModels(t, world)
	store := storagetest.OpenStore(t, storagetest.SQLiteURL(t))
	blobs := storagetest.OpenBlob(t, storagetest.LocalBlobURL(t))
	servicetest.Import(t, store, blobs, world)
	servicetest.Register(t, store, blobs, map[string]string{atelier.ModelGAN: models.GAN, atelier.ModelRecommender: models.Recommender})

	items, err := store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true})
	if err != nil || len(items) == 0 {
		t.Fatalf("items %d (%v)", len(items), err)
	}
	item := items[0]
	segs, err := store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments %d (%v)", len(segs), err)
	}
	seg := segs[0]

	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runInProcess(t, "redesign", "--gan", models.GAN, "--recommender", models.Recommender,
		"--image", filepath.Join(world, "images", item.ExternalID+".png"), "--category", item.Category,
		"--segment", seg.Name, "--dataset", world, "--n", "3", "--steps", "3", "--seed", "5", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("redesign: exit %d: %s", code, stderr)
	}
	var doc redesignDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}

	res, err := redesign.NewEngine(store, blobs, watermark.DemoKey).Run(ctx, atelier.RedesignJob{
		ID: "parity", ItemID: item.ID, SegmentID: seg.ID, N: 3, Steps: 3, Epsilon: redesign.DefaultEpsilon, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Variants) != 3 || len(doc.Variants) != 3 {
		t.Fatalf("%d job variants, %d command variants", len(res.Variants), len(doc.Variants))
	}
	for i, v := range res.Variants {
		cli := doc.Variants[i]
		if cli.Scores.Uplift != v.Scores["uplift"] || cli.Scores.Realism != v.Scores["realism"] || cli.Passed != v.Passed {
			t.Errorf("variant %d: command uplift %v realism %v passed %v; job %v %v %v", v.Rank,
				cli.Scores.Uplift, cli.Scores.Realism, cli.Passed, v.Scores["uplift"], v.Scores["realism"], v.Passed)
		}
		for _, f := range [][2]string{{cli.File, v.ImageKey}, {cli.FullFile, v.FullImageKey}} {
			if f[0] == "" || f[1] == "" {
				t.Fatalf("variant %d: files %q", v.Rank, f)
			}
			data, err := os.ReadFile(filepath.Join(out, f[0]))
			if err != nil {
				t.Fatal(err)
			}
			rc, _, err := blobs.Get(ctx, f[1])
			if err != nil {
				t.Fatal(err)
			}
			stored, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pixels(t, data), pixels(t, stored)) {
				t.Errorf("variant %d: the command's %s and the job's %s differ", v.Rank, f[0], f[1])
			}
		}
	}
}

// pixels decodes a PNG to its RGB values (the provenance text, which names
// the job, may differ).
func pixels(t *testing.T, data []byte) []float32 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return imaging.FromImageSize(img, img.Bounds().Dx()).Pix
}
