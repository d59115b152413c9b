package storage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestItems(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		alice, bob := w.alice.Scope(), w.bob.Scope()

		// Round trip, with images in position order whatever the input order.
		in := catalogItem("bob-1")
		in.OwnerID = w.bob.ID
		in.Images = []atelier.Image{image("bob-1b", 5), image("bob-1a", 2)}
		created := testkit.Must(s.CreateItem(ctx, in))(t)
		got := testkit.Must(s.GetItem(ctx, created.ID, bob))(t)
		if !reflect.DeepEqual(got, created) {
			t.Fatalf("get = %+v\nwant %+v", got, created)
		}
		if got.Images[0].Position != 2 || got.Images[1].Position != 5 || got.Attributes["color"] != "red" {
			t.Fatalf("images or attributes wrong: %+v", got)
		}

		// Owner scoping: another seller's item does not exist for you.
		_, err := s.GetItem(ctx, created.ID, alice)
		testkit.WantKind(t, err, atelier.KindNotFound)
		_, err = s.GetItem(ctx, created.ID, atelier.Scope{})
		testkit.WantKind(t, err, atelier.KindNotFound)
		testkit.Must(s.GetItem(ctx, created.ID, atelier.AllScope()))(t)
		testkit.Must(s.GetItem(ctx, w.catalog[0].ID, alice))(t) // catalog is shared
		_, err = s.GetItem(ctx, "no-such-id", atelier.AllScope())
		testkit.WantKind(t, err, atelier.KindNotFound)

		ids := func(items []atelier.Item) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.ExternalID)
			}
			return out
		}
		if got := ids(testkit.Must(s.ListItems(ctx, alice, storage.ItemFilter{}))(t)); !reflect.DeepEqual(got, []string{"alice-1"}) {
			t.Fatalf("alice lists %v", got)
		}
		if got := ids(testkit.Must(s.ListItems(ctx, alice, storage.ItemFilter{OwnerID: w.bob.ID}))(t)); !reflect.DeepEqual(got, []string{"alice-1"}) {
			t.Fatalf("alice asking for bob's items lists %v", got)
		}
		if got := ids(testkit.Must(s.ListItems(ctx, bob, storage.ItemFilter{Catalog: true}))(t)); !reflect.DeepEqual(got, []string{"sku-0", "sku-1", "sku-2"}) {
			t.Fatalf("catalog lists %v", got)
		}
		if got := ids(testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{}))(t)); len(got) != 5 {
			t.Fatalf("operator lists %v", got)
		}
		if got := ids(testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{OwnerID: w.bob.ID}))(t)); !reflect.DeepEqual(got, []string{"bob-1"}) {
			t.Fatalf("operator lists bob's %v", got)
		}
		// Pages follow each other without gaps or repeats.
		p1 := testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Page: storage.Page{Limit: 2}}))(t)
		p2 := testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Page: storage.Page{Limit: 2, After: p1[1].ID}}))(t)
		p3 := testkit.Must(s.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Page: storage.Page{Limit: 2, After: p2[1].ID}}))(t)
		if all := append(append(ids(p1), ids(p2)...), ids(p3)...); len(all) != 5 || all[0] != "sku-0" || all[4] != "bob-1" {
			t.Fatalf("pages %v", all)
		}
		var walked int
		if err := s.EachItem(ctx, storage.ItemFilter{Catalog: true, Page: storage.Page{Limit: 2}}, func(atelier.Item) error { walked++; return nil }); err != nil || walked != 3 {
			t.Fatalf("EachItem walked %d, err %v", walked, err)
		}

		// External ids are unique in the catalog and per seller only.
		_, err = s.CreateItem(ctx, catalogItem("sku-0"))
		testkit.WantKind(t, err, atelier.KindConflict)
		dup := catalogItem("bob-1")
		dup.OwnerID = w.bob.ID
		_, err = s.CreateItem(ctx, dup)
		testkit.WantKind(t, err, atelier.KindConflict)
		dup.OwnerID = w.alice.ID
		testkit.Must(s.CreateItem(ctx, dup))(t)
		testkit.Must(s.CreateItem(ctx, catalogItem("bob-1")))(t)
		found := testkit.Must(s.ItemByExternalID(ctx, w.bob.ID, "bob-1"))(t)
		if found.ID != created.ID {
			t.Fatalf("by external id found %q, want %q", found.ID, created.ID)
		}
		// A seller's upload needs no external id of its own.
		noExt := catalogItem("")
		noExt.OwnerID = w.bob.ID
		if it := testkit.Must(s.CreateItem(ctx, noExt))(t); it.ExternalID != it.ID {
			t.Fatalf("external id %q, want the id %q", it.ExternalID, it.ID)
		}

		// Images are appended after the last one; only the owner may.
		_, err = s.AddItemImage(ctx, created.ID, alice, image("x", 0))
		testkit.WantKind(t, err, atelier.KindNotFound)
		_, err = s.AddItemImage(ctx, w.catalog[0].ID, alice, image("x", 0))
		testkit.WantKind(t, err, atelier.KindForbidden)
		more := testkit.Must(s.AddItemImage(ctx, created.ID, bob, image("bob-1c", 0)))(t)
		if n := len(more.Images); n != 3 || more.Images[2].Position != 6 {
			t.Fatalf("after add: %+v", more.Images)
		}
		if n := len(testkit.Must(s.GetItem(ctx, created.ID, bob))(t).Images); n != 3 {
			t.Fatalf("stored %d images", n)
		}

		// Deletion: owner only, takes images along.
		_, err = s.DeleteItem(ctx, created.ID, alice)
		testkit.WantKind(t, err, atelier.KindNotFound)
		_, err = s.DeleteItem(ctx, w.catalog[1].ID, bob)
		testkit.WantKind(t, err, atelier.KindForbidden)
		del := testkit.Must(s.DeleteItem(ctx, created.ID, bob))(t)
		if len(del.Images) != 3 {
			t.Fatalf("deleted item reports %d images", len(del.Images))
		}
		_, err = s.GetItem(ctx, created.ID, atelier.AllScope())
		testkit.WantKind(t, err, atelier.KindNotFound)
	})
}

func TestItemValidation(t *testing.T) {
	s := storagetest.OpenStore(t, storagetest.SQLiteURL(t))
	for _, tc := range []struct {
		name  string
		edit  func(*atelier.Item)
		field string
	}{
		{"no external id", func(it *atelier.Item) { it.ExternalID = "" }, "external_id"},
		{"long external id", func(it *atelier.Item) { it.ExternalID = strings.Repeat("x", 201) }, "external_id"},
		{"control character", func(it *atelier.Item) { it.ExternalID = "a\nb" }, "external_id"},
		{"no category", func(it *atelier.Item) { it.Category = "" }, "category"},
		{"no images", func(it *atelier.Item) { it.Images = nil }, "images"},
		{"same position twice", func(it *atelier.Item) { it.Images = append(it.Images, it.Images[0]) }, "images"},
		{"negative position", func(it *atelier.Item) { it.Images[0].Position = -1 }, "position"},
		{"no model key", func(it *atelier.Item) { it.Images[0].ModelKey = "" }, "model_key"},
		{"zero width", func(it *atelier.Item) { it.Images[0].Width = 0 }, "size"},
		{"no content type", func(it *atelier.Item) { it.Images[0].ContentType = "" }, "content_type"},
		{"empty attribute key", func(it *atelier.Item) { it.Attributes[""] = "x" }, "attributes"},
		{"long attribute value", func(it *atelier.Item) { it.Attributes["k"] = strings.Repeat("v", 1001) }, "attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := catalogItem("sku")
			tc.edit(&it)
			_, err := s.CreateItem(context.Background(), it)
			testkit.WantKind(t, err, atelier.KindInvalid)
			if f := atelier.ErrorField(err); f != tc.field {
				t.Fatalf("field %q, want %q (%v)", f, tc.field, err)
			}
		})
	}
	if items, err := s.ListItems(context.Background(), atelier.AllScope(), storage.ItemFilter{}); err != nil || len(items) != 0 {
		t.Fatalf("invalid items were stored: %v %v", items, err)
	}
}
