package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// tastes is a model that knows a few consumers' θ.
type tastes map[string][]float32

func (ts tastes) Dim() int { return 2 }
func (ts tastes) Theta(id string) ([]float32, bool) {
	th, ok := ts[id]
	return th, ok
}

func TestSegmentTheta(t *testing.T) {
	model := tastes{"a": {1, 0}, "b": {0, 1}, "c": {3, 3}}
	for _, tc := range []struct {
		name    string
		members []catalog.Member
		want    []float32
		known   int
	}{
		{"one member", []catalog.Member{{"a", 1}}, []float32{1, 0}, 1},
		{"plain mean", []catalog.Member{{"a", 1}, {"b", 1}}, []float32{0.5, 0.5}, 2},
		{"weighted", []catalog.Member{{"a", 3}, {"b", 1}}, []float32{0.75, 0.25}, 2},
		{"weight 0 counts as 1", []catalog.Member{{"a", 0}, {"b", -2}}, []float32{0.5, 0.5}, 2},
		{"unknown members are left out", []catalog.Member{{"a", 1}, {"x", 5}, {"b", 1}}, []float32{0.5, 0.5}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, known, err := catalog.SegmentTheta(model, tc.members)
			if err != nil || known != tc.known || !slices.Equal(got, tc.want) {
				t.Fatalf("θ %v from %d members (%v), want %v from %d", got, known, err, tc.want, tc.known)
			}
		})
	}
	t.Run("no member known", func(t *testing.T) {
		_, _, err := catalog.SegmentTheta(model, []catalog.Member{{"x", 1}, {"y", 1}})
		testkit.WantKind(t, err, atelier.KindInvalid)
	})
	t.Run("no member at all", func(t *testing.T) {
		_, _, err := catalog.SegmentTheta(model, nil)
		testkit.WantKind(t, err, atelier.KindInvalid)
	})
}

// The realism references depend on the catalog, not on the order it is
// listed in.
func TestReferenceIndicesFollowTheCatalogNotItsOrder(t *testing.T) {
	var ids []string
	for i := range 600 {
		ids = append(ids, fmt.Sprintf("item-%04d", i))
	}
	pick := func(ids []string) []string {
		var out []string
		for _, i := range catalog.ReferenceIndices(ids) {
			out = append(out, ids[i])
		}
		return out
	}
	first := pick(ids)
	if len(first) != catalog.RealismRefs {
		t.Fatalf("%d references of 600 items, want %d", len(first), catalog.RealismRefs)
	}
	sorted := slices.Clone(first)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != catalog.RealismRefs {
		t.Fatal("a reference was picked twice")
	}
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	if !slices.Equal(pick(reversed), first) {
		t.Error("the references changed with the catalog's order")
	}
	if small := catalog.ReferenceIndices(ids[:10]); len(small) != 10 {
		t.Errorf("%d references of 10 items, want all", len(small))
	}
}

// The store and a dataset directory of the same world give the same
// segment θ and the same realism references, so the command line and the
// service's jobs calibrate and shift alike.
func TestStoreAndDatasetAgree(t *testing.T) {
	world := servicetest.World(t, 24, 4, 2)
	models := servicetest.TinyModels(t, world)
	data := testkit.Must(recommender.LoadDataset(world))(t)
	rec := testkit.Must(recommender.LoadModel(models.Recommender))(t)
	defer rec.Close()
	fromFiles := testkit.Must(catalog.DatasetReferences(data, atelier.ModelSize))(t)
	storagetest.ForEachBackend(t, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		ctx := context.Background()
		servicetest.Import(t, store, blobs, world)
		fromStore := testkit.Must(catalog.StoreReferences(ctx, store, blobs, atelier.ModelSize))(t)
		if len(fromStore) != len(fromFiles) || len(fromStore) != 24 {
			t.Fatalf("%d references from the store, %d from the files", len(fromStore), len(fromFiles))
		}
		for i := range fromStore {
			if !slices.Equal(fromStore[i].Pix, fromFiles[i].Pix) {
				t.Fatalf("reference %d differs between the store and the files", i)
			}
		}
		segs := testkit.Must(store.ListSegments(ctx, storage.SegmentFilter{}))(t)
		for _, sg := range segs {
			stored := testkit.Must(catalog.StoreSegmentTheta(ctx, store, sg.ID, rec))(t)
			files, _, err := catalog.SegmentTheta(rec, catalog.DatasetMembers(data, sg.Name))
			if err != nil || !slices.Equal(stored, files) {
				t.Errorf("segment %s: θ %v from the store, %v from the files (%v)", sg.Name, stored, files, err)
			}
		}
	})
}

func TestReadModelImage(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		ctx := context.Background()
		put := func(key string, data []byte) {
			t.Helper()
			if err := blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
				t.Fatal(err)
			}
		}
		put("ok.jpg", jpegOf(t, 32, 48))
		put("huge.jpg", jpegOf(t, 8*atelier.ModelSize, 8))
		put("junk.png", []byte("not an image"))

		got, err := catalog.ReadModelImage(ctx, blobs, "ok.jpg", 16)
		if err != nil || got.H != 16 || got.W != 16 {
			t.Fatalf("a JPEG model image: %dx%d (%v)", got.W, got.H, err)
		}
		_, err = catalog.ReadModelImage(ctx, blobs, "missing.png", 16)
		testkit.WantKind(t, err, atelier.KindNotFound)
		_, err = catalog.ReadModelImage(ctx, blobs, "junk.png", 16)
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = catalog.ReadModelImage(ctx, blobs, "huge.jpg", 16)
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = catalog.ItemImage(ctx, blobs, atelier.Item{ID: "no-images"}, 16)
		testkit.WantKind(t, err, atelier.KindInvalid)
	})
}

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		img.Set(i%w, i/w, color.RGBA{uint8(i), 90, 200, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
