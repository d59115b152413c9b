package storage

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

func toModelVersion(r modelVersionRow) atelier.ModelVersion {
	m := r.Metrics
	if m == nil {
		m = map[string]float64{}
	}
	return atelier.ModelVersion{
		ID: r.ID, Kind: r.Kind, BlobKey: r.BlobKey, Metrics: m,
		Config: json.RawMessage(r.Config), Active: r.Active, CreatedAt: r.CreatedAt.UTC(),
	}
}

func fromModelVersion(mv atelier.ModelVersion) modelVersionRow {
	m := mv.Metrics
	if m == nil {
		m = map[string]float64{}
	}
	cfg := string(mv.Config)
	if cfg == "" {
		cfg = "{}"
	}
	return modelVersionRow{
		ID: mv.ID, Kind: mv.Kind, BlobKey: mv.BlobKey, Metrics: m,
		Config: cfg, Active: mv.Active, CreatedAt: dbTime(mv.CreatedAt),
	}
}

// CreateModelVersion stores a trained model's record. When mv.Active is
// set the new version also becomes the active one of its kind, in the same
// transaction.
func (s *Store) CreateModelVersion(ctx context.Context, mv atelier.ModelVersion) (atelier.ModelVersion, error) {
	if err := checkModelVersion(mv); err != nil {
		return atelier.ModelVersion{}, err
	}
	mv.ID = newID()
	mv.CreatedAt = s.stamp()
	err := s.tx(ctx, func(tx *gorm.DB) error { return s.createModelVersion(tx, mv) })
	if err != nil {
		return atelier.ModelVersion{}, dbErr(err, "%s model version", mv.Kind)
	}
	return toModelVersion(fromModelVersion(mv)), nil
}

func checkModelVersion(mv atelier.ModelVersion) error {
	switch {
	case mv.Kind != atelier.ModelRecommender && mv.Kind != atelier.ModelGAN:
		return atelier.FieldErrorf("kind", "must be %q or %q", atelier.ModelRecommender, atelier.ModelGAN)
	case mv.BlobKey == "":
		return atelier.FieldErrorf("blob_key", "must not be empty")
	case len(mv.Config) > 0 && !json.Valid(mv.Config):
		return atelier.FieldErrorf("config", "must be valid JSON")
	}
	return nil
}

// createModelVersion inserts mv (ID and CreatedAt set) within tx and
// activates it when mv.Active.
func (s *Store) createModelVersion(tx *gorm.DB, mv atelier.ModelVersion) error {
	row := fromModelVersion(mv)
	row.Active = false
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	if mv.Active {
		return s.activate(tx, row.ID, row.Kind)
	}
	return nil
}

// GetModelVersion returns a model version.
func (s *Store) GetModelVersion(ctx context.Context, id string) (atelier.ModelVersion, error) {
	var row modelVersionRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.ModelVersion{}, dbErr(err, "model version %q", id)
	}
	return toModelVersion(row), nil
}

// ListModelVersions returns the versions of a kind ("" for all kinds),
// newest first.
func (s *Store) ListModelVersions(ctx context.Context, kind string) ([]atelier.ModelVersion, error) {
	q := s.db.WithContext(ctx)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var rows []modelVersionRow
	if err := q.Order("id DESC").Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list model versions")
	}
	out := make([]atelier.ModelVersion, len(rows))
	for i, r := range rows {
		out[i] = toModelVersion(r)
	}
	return out, nil
}

// ActiveModelVersion returns the active version of a kind; none is a
// KindNotFound error.
func (s *Store) ActiveModelVersion(ctx context.Context, kind string) (atelier.ModelVersion, error) {
	var row modelVersionRow
	if err := s.db.WithContext(ctx).Where("kind = ? AND active = ?", kind, true).Take(&row).Error; err != nil {
		return atelier.ModelVersion{}, dbErr(err, "active %s model", kind)
	}
	return toModelVersion(row), nil
}

// ActivateModelVersion makes a version the active one of its kind and
// deactivates the others, in one transaction: readers see the old or the
// new active version, never none or two.
func (s *Store) ActivateModelVersion(ctx context.Context, id string) (atelier.ModelVersion, error) {
	var row modelVersionRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return dbErr(err, "model version %q", id)
		}
		return s.activate(tx, row.ID, row.Kind)
	})
	if err != nil {
		return atelier.ModelVersion{}, dbErr(err, "activate model version %q", id)
	}
	row.Active = true
	return toModelVersion(row), nil
}

// activate deactivates every version of kind, then activates id. On
// PostgreSQL a transaction-scoped advisory lock per kind serialises
// activations (row locks alone deadlock when two transactions update the
// same rows in different orders, and miss versions created meanwhile);
// SQLite serialises writers anyway.
func (s *Store) activate(tx *gorm.DB, id, kind string) error {
	if s.dialect == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", activationLock, kind).Error; err != nil {
			return err
		}
	}
	if err := tx.Model(&modelVersionRow{}).Where("kind = ?", kind).Update("active", false).Error; err != nil {
		return err
	}
	return tx.Model(&modelVersionRow{}).Where("id = ?", id).Update("active", true).Error
}

// activationLock is the first key of the advisory locks of activations.
const activationLock = 0x61746c72 // "atlr"
