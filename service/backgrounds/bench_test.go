package backgrounds_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/service/backgrounds"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// BenchmarkSuggest1000 is one item's suggestions (GET
// /items/{id}/backgrounds without the composites) against a library of
// 1,000 scenes on SQLite and a local folder: the photo (1024 px) read and
// described, the category from the demo-size head skipped (no model), the
// index checked against the table, the search and the records read.
func BenchmarkSuggest1000(b *testing.B) {
	ctx := context.Background()
	store := storagetest.OpenStore(b, storagetest.SQLiteURL(b))
	blobs, err := blob.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	seller, item := benchItem(b, store, blobs)
	svc, err := backgrounds.New(backgrounds.Config{Store: store, Blobs: blobs, IndexPath: b.TempDir() + "/index",
		Library: backdrop.Library()[:1], SceneSize: 16, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	// 999 more scenes: the library's words under new ids, as uploads of
	// many sellers would be (their images are not read by suggestions).
	lib := backdrop.Library()
	for i := 0; i < 999; i++ {
		bg := backgrounds.Builtin(lib[i%len(lib)], 1024)
		bg.ID = fmt.Sprintf("%s-%04d", bg.ID, i)
		if _, err := store.CreateBackground(ctx, bg); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := svc.ForItem(ctx, seller, item, 5); err != nil { // seeds and syncs the index
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if res, err := svc.ForItem(ctx, seller, item, 5); err != nil || len(res.Suggestions) != 5 {
			b.Fatalf("%d suggestions (%v)", len(res.Suggestions), err)
		}
	}
}

// BenchmarkComposite1024 places a 1024-px photo's product on a 1024-px
// scene and encodes the PNG, as a suggestion's first request does.
func BenchmarkComposite1024(b *testing.B) {
	it := synth.DrawCatalog(5, 1)[0]
	photo, err := backgrounds.PreparePhoto(synth.NewRenderer().Render(it.Attributes, 1024))
	if err != nil {
		b.Fatal(err)
	}
	spec := backdrop.Library()[7]
	scene := spec.Render(1024)
	b.ResetTimer()
	for b.Loop() {
		if _, err := backgrounds.Render(photo, scene, spec.Caption()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchItem(b *testing.B, store interface {
	CreateSeller(context.Context, atelier.Seller, string) (atelier.Seller, string, error)
	CreateItem(context.Context, atelier.Item) (atelier.Item, error)
}, blobs blob.Store) (string, atelier.Item) {
	ctx := context.Background()
	seller, _, err := store.CreateSeller(ctx, atelier.Seller{Name: "bench"}, "")
	if err != nil {
		b.Fatal(err)
	}
	it := synth.DrawCatalog(5, 1)[0]
	var buf bytes.Buffer
	if err := imaging.WritePNG(&buf, synth.NewRenderer().Render(it.Attributes, 1024)); err != nil {
		b.Fatal(err)
	}
	if err := blobs.Put(ctx, "items/bench.png", bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
		b.Fatal(err)
	}
	item, err := store.CreateItem(ctx, atelier.Item{ExternalID: "bench", OwnerID: seller.ID, Category: "dress",
		Attributes: map[string]string{},
		Images:     []atelier.Image{{OriginalKey: "items/bench.png", ModelKey: "items/bench.png", Width: 1024, Height: 1024, ContentType: "image/png"}}})
	if err != nil {
		b.Fatal(err)
	}
	return seller.ID, item
}
