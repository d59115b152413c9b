package backgrounds_test

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/service/backgrounds"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// library is a small slice of the built-in scenes, rendered small, so that
// seeding costs a second per backend.
func library() []backdrop.Spec {
	all := backdrop.Library()
	var out []backdrop.Spec
	for i := 0; i < len(all); i += 4 {
		out = append(out, all[i])
	}
	return out
}

func newService(t *testing.T, store *storage.Store, blobs blob.Store, indexPath string) *backgrounds.Service {
	t.Helper()
	svc, err := backgrounds.New(backgrounds.Config{Store: store, Blobs: blobs, IndexPath: indexPath, Library: library(), SceneSize: 192})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// sellerItem stores a seller and an item of theirs with a rendered photo.
func sellerItem(t *testing.T, store *storage.Store, blobs blob.Store, name string, seed uint64) (atelier.Seller, atelier.Item) {
	t.Helper()
	ctx := context.Background()
	seller, _, err := store.CreateSeller(ctx, atelier.Seller{Name: name}, "")
	if err != nil {
		t.Fatal(err)
	}
	it := synth.DrawCatalog(seed, 1)[0]
	var buf bytes.Buffer
	if err := imaging.WritePNG(&buf, synth.NewRenderer().Render(it.Attributes, 320)); err != nil {
		t.Fatal(err)
	}
	key := "items/" + name + "/original.png"
	if err := blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
		t.Fatal(err)
	}
	item, err := store.CreateItem(ctx, atelier.Item{
		ExternalID: name + "-1", OwnerID: seller.ID, Category: string(it.Category), Attributes: map[string]string{},
		Images: []atelier.Image{{OriginalKey: key, ModelKey: key, Width: 320, Height: 320, ContentType: "image/png"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return seller, item
}

func TestSuggestions(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "index")
		svc := newService(t, store, blobs, dir)
		a, itemA := sellerItem(t, store, blobs, "a", 3)
		b, itemB := sellerItem(t, store, blobs, "b", 4)

		res, err := svc.ForItem(ctx, a.ID, itemA, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Suggestions) != 5 || res.Description.Sentence == "" {
			t.Fatalf("%d suggestions, description %q", len(res.Suggestions), res.Description.Sentence)
		}
		for i, s := range res.Suggestions {
			if !s.Background.Builtin() || s.Score <= 0 || (i > 0 && s.Score > res.Suggestions[i-1].Score) {
				t.Errorf("suggestion %d: %+v", i, s)
			}
			if s.Background.Words["main_family"] == res.Description.Colours[0].Family {
				t.Errorf("suggestion %d has the product's own colour family %s", i, res.Description.Colours[0].Family)
			}
		}

		// B's own scenes are suggested to B and never to A.
		scene := image.NewNRGBA(image.Rect(0, 0, 300, 200))
		for i := range scene.Pix {
			scene.Pix[i] = 40
		}
		up, err := svc.Upload(ctx, b.ID, scene, "")
		if err != nil {
			t.Fatal(err)
		}
		if !up.Described || up.Caption == "" || up.Width != 300 {
			t.Errorf("uploaded %+v", up)
		}
		for _, who := range []struct {
			seller atelier.Seller
			item   atelier.Item
			sees   bool
		}{{a, itemA, false}, {b, itemB, true}} {
			res, err := svc.ForItem(ctx, who.seller.ID, who.item, backgrounds.MaxSuggestions)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, s := range res.Suggestions {
				ids = append(ids, s.Background.ID)
				if !s.Background.Builtin() && s.Background.SellerID != who.seller.ID {
					t.Fatalf("seller %s was offered seller %s's background", who.seller.Name, s.Background.SellerID)
				}
			}
			if !who.sees && slices.Contains(ids, up.ID) {
				t.Fatalf("seller %s was offered another seller's background", who.seller.Name)
			}
		}
		if _, err := store.GetBackground(ctx, a.ID, up.ID); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("another seller's background: %v, want not found", err)
		}

		// A composite is made once, at the photo's size.
		subjA, err := backgrounds.ItemSubject(itemA)
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.Composite(ctx, a.ID, subjA, res.Suggestions[0].Background.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc, _, err := blobs.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(rc)
		rc.Close()
		if err != nil || img.Bounds().Dx() != 320 || img.Bounds().Dy() != 320 {
			t.Fatalf("composite %v (%v)", img.Bounds(), err)
		}
		if again, err := svc.Composite(ctx, a.ID, subjA, res.Suggestions[0].Background.ID); err != nil || again != key {
			t.Errorf("second composite: %s (%v)", again, err)
		}
		if _, err := svc.Composite(ctx, a.ID, subjA, up.ID); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("composite on another seller's background: %v, want not found", err)
		}

		// The index survives a restart, and is rebuilt when deleted.
		want := res.Suggestions
		svc.Close()
		again := newService(t, store, blobs, dir)
		if got, err := again.ForItem(ctx, a.ID, itemA, 5); err != nil || !sameIDs(got.Suggestions, want[:5]) {
			t.Errorf("after a restart: %v (%v)", got.Suggestions, err)
		}
		again.Close()
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		rebuilt := newService(t, store, blobs, dir)
		if got, err := rebuilt.ForItem(ctx, a.ID, itemA, 5); err != nil || !sameIDs(got.Suggestions, want[:5]) {
			t.Errorf("after deleting the index: %v (%v)", got.Suggestions, err)
		}
	})
}

func sameIDs(a, b []backgrounds.Suggestion) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Background.ID != b[i].Background.ID {
			return false
		}
	}
	return true
}

func TestForItemRejectsN(t *testing.T) {
	svc, err := backgrounds.New(backgrounds.Config{Library: library()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for _, n := range []int{0, -1, backgrounds.MaxSuggestions + 1} {
		if _, err := svc.ForItem(context.Background(), "s", atelier.Item{}, n); atelier.ErrorField(err) != "n" {
			t.Errorf("n = %d: %v, want an error on n", n, err)
		}
	}
}

// TestVariantSubject checks which redesigns can be placed on scenes.
func TestVariantSubject(t *testing.T) {
	it := atelier.Item{ID: "item-1"}
	done := atelier.RedesignJob{ID: "r1", ItemID: "item-1", Status: atelier.JobSucceeded,
		Variants: []atelier.Variant{{Rank: 1, FullImageKey: "redesigns/r1/full-1.png"}, {Rank: 2}}}
	subj, err := backgrounds.VariantSubject(it, done, 1)
	if err != nil || subj.PhotoKey != "redesigns/r1/full-1.png" || subj.ID == it.ID {
		t.Fatalf("variant 1: %+v (%v)", subj, err)
	}
	for name, tc := range map[string]struct {
		job   atelier.RedesignJob
		rank  int
		kind  atelier.Kind
		field string
	}{
		"another item's":  {atelier.RedesignJob{ID: "r2", ItemID: "item-2", Status: atelier.JobSucceeded}, 1, atelier.KindInvalid, "redesign_id"},
		"not finished":    {atelier.RedesignJob{ID: "r3", ItemID: "item-1", Status: atelier.JobRunning}, 1, atelier.KindConflict, ""},
		"no such variant": {done, 9, atelier.KindInvalid, "variant"},
		"no full image":   {done, 2, atelier.KindInvalid, "variant"},
	} {
		_, err := backgrounds.VariantSubject(it, tc.job, tc.rank)
		if atelier.ErrorKind(err) != tc.kind || atelier.ErrorField(err) != tc.field {
			t.Errorf("%s: %v, want kind %v field %q", name, err, tc.kind, tc.field)
		}
	}
}
