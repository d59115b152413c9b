package dataimport_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestImportSynthWorld imports a synthetic world into every database and
// blob backend, checks rows, blobs and segments against the files, and
// checks that a second import changes nothing.
func TestImportSynthWorld(t *testing.T) {
	// 80 px images, so the model-size version is a real resize.
	dir := writeWorld(t, 60, 30, 4, 80)
	itemRows := readCSV(t, filepath.Join(dir, "items.csv"))
	consumerRows := readCSV(t, filepath.Join(dir, "consumers.csv"))
	interactionRows := readCSV(t, filepath.Join(dir, "interactions.csv"))
	storagetest.ForEachBackendPair(t, func(t *testing.T, s *storage.Store, b blob.Store) {
		ctx := context.Background()
		var stages []string
		report := func(u progress.Update) { stages = append(stages, u.Stage) }
		sum := testkit.Must(dataimport.Import(ctx, report, s, b, dir, dataimport.Options{BatchSize: 25}))(t)
		if sum.Format != dataimport.FormatCSV || len(sum.Issues) != 0 {
			t.Fatalf("summary %+v", sum)
		}
		for _, want := range []struct {
			file, table string
			n           int
		}{{"items.csv", "items", len(itemRows)}, {"consumers.csv", "consumers", len(consumerRows)}, {"interactions.csv", "interactions", len(interactionRows)}} {
			if got := fileStats(t, sum, want.file, want.table); got.New != want.n || got.Existing != 0 || got.Skipped != 0 {
				t.Errorf("%s: %+v, want %d new", want.file, got, want.n)
			}
		}
		if sum.Blobs.Written != 2*len(itemRows) || sum.Blobs.Reused != 0 {
			t.Errorf("blobs %+v, want %d written", sum.Blobs, 2*len(itemRows))
		}
		if len(stages) == 0 {
			t.Error("no progress reported")
		}

		for _, row := range itemRows {
			checkItem(t, s, b, dir, row)
		}
		if got := testkit.Must(s.CountInteractions(ctx))(t); got != int64(len(interactionRows)) {
			t.Errorf("%d interactions stored, want %d", got, len(interactionRows))
		}
		c1 := testkit.Must(s.ConsumerByExternalID(ctx, "c00001"))(t)
		hist := testkit.Must(s.ListInteractions(ctx, storage.InteractionFilter{ConsumerID: c1.ID}))(t)
		want := 0
		for _, r := range interactionRows {
			if r["consumer_id"] == "c00001" {
				want++
			}
		}
		if len(hist) != want || hist[0].Kind != atelier.InteractionTake {
			t.Errorf("c00001 has %d interactions (%+v), want %d", len(hist), hist, want)
		}

		// One imported segment per label, with exactly its consumers.
		members := map[string]int{}
		for _, r := range consumerRows {
			members[r["segment"]]++
		}
		segs := testkit.Must(s.ListSegments(ctx, storage.SegmentFilter{Kind: atelier.SegmentImported}))(t)
		if len(segs) != len(members) || sum.NewMemberships != len(consumerRows) {
			t.Fatalf("%d segments, %d memberships; want %d, %d", len(segs), sum.NewMemberships, len(members), len(consumerRows))
		}
		for _, sg := range segs {
			if n := len(testkit.Must(s.ListMemberships(ctx, sg.ID))(t)); n != members[sg.Name] {
				t.Errorf("segment %s has %d members, want %d", sg.Name, n, members[sg.Name])
			}
		}

		// A second import finds everything and changes nothing.
		before := takeSnapshot(t, s, b)
		again := testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{BatchSize: 25}))(t)
		if again.New() != 0 || again.Blobs.Written != 0 || again.NewMemberships != 0 {
			t.Errorf("second import: %d new rows, %+v, %d new memberships", again.New(), again.Blobs, again.NewMemberships)
		}
		if f := fileStats(t, again, "interactions.csv", "interactions"); f.Existing != len(interactionRows) {
			t.Errorf("second import: %+v", f)
		}
		if after := takeSnapshot(t, s, b); !after.equal(before) {
			t.Errorf("second import changed the stores:\nbefore %+v\nafter  %+v", before, after)
		}
		if len(before.blobs) != 2*len(itemRows) {
			t.Errorf("%d blobs stored, want %d", len(before.blobs), 2*len(itemRows))
		}
	})
}

// checkItem compares a stored item with its row and image file: category,
// attributes, the original bytes and the model-size conversion.
func checkItem(t *testing.T, s *storage.Store, b blob.Store, dir string, row map[string]string) {
	t.Helper()
	ctx := context.Background()
	id := row["item_id"]
	it := testkit.Must(s.ItemByExternalID(ctx, "", id))(t)
	if it.Category != row["category"] || it.Attributes["primary_h"] != row["primary_h"] || len(it.Images) != 1 {
		t.Fatalf("item %s: %+v, row %v", id, it, row)
	}
	file := testkit.Must(os.ReadFile(filepath.Join(dir, "images", id+".png")))(t)
	img := it.Images[0]
	if img.ContentType != "image/png" || img.Width != 80 || img.Height != 80 {
		t.Errorf("item %s image %+v", id, img)
	}
	if got := readBlob(t, b, img.OriginalKey); !bytes.Equal(got, file) {
		t.Errorf("item %s: original blob (%d bytes) differs from the file (%d bytes)", id, len(got), len(file))
	}
	model, err := png.Decode(bytes.NewReader(readBlob(t, b, img.ModelKey)))
	if err != nil {
		t.Fatalf("item %s: model blob: %v", id, err)
	}
	orig, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := imaging.FromImageSize(orig, atelier.ModelSize).Image()
	if model.Bounds() != image.Rect(0, 0, atelier.ModelSize, atelier.ModelSize) || !samePixels(model, want) {
		t.Errorf("item %s: model blob is not the %dpx conversion of the file", id, atelier.ModelSize)
	}
}

func readBlob(t *testing.T, b blob.Store, key string) []byte {
	t.Helper()
	rc, _, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get blob %s: %v", key, err)
	}
	defer rc.Close()
	return testkit.Must(io.ReadAll(rc))(t)
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
