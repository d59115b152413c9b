package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestSellers(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		alice, key, err := s.CreateSeller(ctx, atelier.Seller{Name: " Alice "}, "")
		if err != nil {
			t.Fatal(err)
		}
		if alice.Name != "Alice" || alice.Admin || alice.ID == "" || alice.CreatedAt.IsZero() {
			t.Fatalf("created %+v", alice)
		}
		if !strings.HasPrefix(key, atelier.APIKeyPrefix) || len(key) < 40 {
			t.Fatalf("key %q is not a fresh API key", key)
		}
		got := testkit.Must(s.SellerByAPIKey(ctx, key))(t)
		if got != alice {
			t.Fatalf("by key got %+v, want %+v", got, alice)
		}
		if got := testkit.Must(s.GetSeller(ctx, alice.ID))(t); got != alice {
			t.Fatalf("get got %+v, want %+v", got, alice)
		}
		_, err = s.SellerByAPIKey(ctx, key+"x")
		testkit.WantKind(t, err, atelier.KindUnauthorized)
		_, err = s.GetSeller(ctx, "missing")
		testkit.WantKind(t, err, atelier.KindNotFound)

		newKey := testkit.Must(s.RotateSellerKey(ctx, alice.ID))(t)
		_, err = s.SellerByAPIKey(ctx, key)
		testkit.WantKind(t, err, atelier.KindUnauthorized)
		testkit.Must(s.SellerByAPIKey(ctx, newKey))(t)
		_, err = s.RotateSellerKey(ctx, "missing")
		testkit.WantKind(t, err, atelier.KindNotFound)

		// Operators come from configuration; ensuring twice gives one seller.
		const opKey = "operator-key-from-config"
		op1 := testkit.Must(s.EnsureOperator(ctx, "operator", opKey))(t)
		op2 := testkit.Must(s.EnsureOperator(ctx, "operator", opKey))(t)
		if op1.ID != op2.ID || !op1.Admin || !op1.Scope().All {
			t.Fatalf("operators %+v and %+v", op1, op2)
		}
		_, _, err = s.CreateSeller(ctx, atelier.Seller{Name: "Copy"}, opKey)
		testkit.WantKind(t, err, atelier.KindConflict)
		_, err = s.EnsureOperator(ctx, "operator", "short")
		testkit.WantKind(t, err, atelier.KindInvalid)

		page1 := testkit.Must(s.ListSellers(ctx, storage.Page{Limit: 1}))(t)
		page2 := testkit.Must(s.ListSellers(ctx, storage.Page{Limit: 5, After: page1[0].ID}))(t)
		if len(page1) != 1 || len(page2) != 1 || page1[0].ID != alice.ID || page2[0].ID != op1.ID {
			t.Fatalf("pages %+v / %+v", page1, page2)
		}
	})
}

func TestSellerValidation(t *testing.T) {
	s := storagetest.OpenStore(t, storagetest.SQLiteURL(t))
	for _, tc := range []struct {
		name, seller, key string
	}{
		{"empty name", "  ", ""},
		{"long name", strings.Repeat("x", 201), ""},
		{"short key", "Alice", "abc"},
		{"key with spaces", "Alice", " abcdefghijklmnopqrstuvwxyz "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.CreateSeller(context.Background(), atelier.Seller{Name: tc.seller}, tc.key)
			testkit.WantKind(t, err, atelier.KindInvalid)
		})
	}
}
