package storage

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

func toSeller(r sellerRow) atelier.Seller {
	return atelier.Seller{ID: r.ID, Name: r.Name, Admin: r.Admin, CreatedAt: r.CreatedAt.UTC()}
}

func fromSeller(s atelier.Seller, keyHash string) sellerRow {
	return sellerRow{ID: s.ID, Name: s.Name, KeyHash: keyHash, Admin: s.Admin, CreatedAt: dbTime(s.CreatedAt)}
}

// CreateSeller stores a new seller and returns it with its API key, which
// is shown this once: only its hash is kept. When apiKey is "" a fresh
// random key is generated; operators pass the key from configuration.
func (s *Store) CreateSeller(ctx context.Context, seller atelier.Seller, apiKey string) (atelier.Seller, string, error) {
	seller.Name = strings.TrimSpace(seller.Name)
	if seller.Name == "" || len(seller.Name) > 200 {
		return atelier.Seller{}, "", atelier.FieldErrorf("name", "must be 1 to 200 characters")
	}
	if apiKey == "" {
		var err error
		if apiKey, err = atelier.NewAPIKey(); err != nil {
			return atelier.Seller{}, "", err
		}
	} else if err := atelier.CheckAPIKey(apiKey); err != nil {
		return atelier.Seller{}, "", err
	}
	seller.ID = newID()
	seller.CreatedAt = s.stamp()
	row := fromSeller(seller, atelier.HashAPIKey(apiKey))
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return atelier.Seller{}, "", dbErr(err, "seller with this API key")
	}
	return toSeller(row), apiKey, nil
}

// GetSeller returns the seller with the given id.
func (s *Store) GetSeller(ctx context.Context, id string) (atelier.Seller, error) {
	var row sellerRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Seller{}, dbErr(err, "seller %q", id)
	}
	return toSeller(row), nil
}

// SellerByAPIKey returns the seller whose key is apiKey. An unknown key is a
// KindUnauthorized error. Lookup is by the key's hash, so the comparison
// leaks nothing useful through timing.
func (s *Store) SellerByAPIKey(ctx context.Context, apiKey string) (atelier.Seller, error) {
	if apiKey == "" {
		return atelier.Seller{}, atelier.Errorf(atelier.KindUnauthorized, "missing API key")
	}
	var row sellerRow
	err := s.db.WithContext(ctx).Where("key_hash = ?", atelier.HashAPIKey(apiKey)).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return atelier.Seller{}, atelier.Errorf(atelier.KindUnauthorized, "invalid API key")
	}
	if err != nil {
		return atelier.Seller{}, dbErr(err, "look up API key")
	}
	return toSeller(row), nil
}

// ListSellers returns sellers in creation order, one page at a time.
func (s *Store) ListSellers(ctx context.Context, page Page) ([]atelier.Seller, error) {
	var rows []sellerRow
	if err := page.apply(s.db.WithContext(ctx)).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list sellers")
	}
	out := make([]atelier.Seller, len(rows))
	for i, r := range rows {
		out[i] = toSeller(r)
	}
	return out, nil
}

// RotateSellerKey replaces a seller's API key with a fresh one and returns
// it; the old key stops working at once.
func (s *Store) RotateSellerKey(ctx context.Context, id string) (string, error) {
	key, err := atelier.NewAPIKey()
	if err != nil {
		return "", err
	}
	res := s.db.WithContext(ctx).Model(&sellerRow{}).Where("id = ?", id).Update("key_hash", atelier.HashAPIKey(key))
	if res.Error != nil {
		return "", dbErr(res.Error, "rotate key of seller %q", id)
	}
	if res.RowsAffected == 0 {
		return "", notFound("seller %q", id)
	}
	return key, nil
}

// EnsureOperator makes sure an admin seller named name exists with the
// given API key (from configuration) and returns it. It is idempotent, so
// every process may call it at start.
func (s *Store) EnsureOperator(ctx context.Context, name, apiKey string) (atelier.Seller, error) {
	if err := atelier.CheckAPIKey(apiKey); err != nil {
		return atelier.Seller{}, err
	}
	seller, err := s.SellerByAPIKey(ctx, apiKey)
	if err == nil {
		if !seller.Admin {
			return atelier.Seller{}, atelier.Errorf(atelier.KindConflict, "the operator key belongs to a seller that is not an admin")
		}
		return seller, nil
	}
	if atelier.ErrorKind(err) != atelier.KindUnauthorized {
		return atelier.Seller{}, err
	}
	seller, _, err = s.CreateSeller(ctx, atelier.Seller{Name: name, Admin: true}, apiKey)
	if atelier.ErrorKind(err) == atelier.KindConflict {
		// Another process created it between our lookup and insert.
		return s.SellerByAPIKey(ctx, apiKey)
	}
	return seller, err
}
