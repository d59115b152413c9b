package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toInteraction(r interactionRow) atelier.Interaction {
	return atelier.Interaction{ConsumerID: r.ConsumerID, ItemID: r.ItemID, Kind: r.Kind, At: r.At.UTC()}
}

func fromInteraction(in atelier.Interaction) interactionRow {
	return interactionRow{ConsumerID: in.ConsumerID, ItemID: in.ItemID, Kind: in.Kind, At: dbTime(in.At)}
}

// insertInteractions inserts rows, skipping those whose natural key
// (consumer, item, kind, time) exists, and returns how many were new.
func insertInteractions(tx *gorm.DB, rows []interactionRow) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	// Omit the id so skipped rows do not confuse id back-filling.
	res := tx.Omit(clause.Associations, "id").Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
	return int(res.RowsAffected), res.Error
}

// AddInteractions records interactions by store ids, in one transaction,
// skipping those already recorded; it returns how many were new. Unknown
// consumers or items are a KindConflict error.
func (s *Store) AddInteractions(ctx context.Context, ins []atelier.Interaction) (int, error) {
	rows := make([]interactionRow, len(ins))
	for i, in := range ins {
		if err := in.Validate(); err != nil {
			return 0, fmt.Errorf("interaction %d: %w", i, err)
		}
		rows[i] = fromInteraction(in)
	}
	var added int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < len(rows); start += inChunk {
			n, err := insertInteractions(tx, rows[start:min(start+inChunk, len(rows))])
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "interaction")
	}
	return added, nil
}

// InteractionFilter narrows a list of interactions.
type InteractionFilter struct {
	ConsumerID string
	ItemID     string
	Kind       string
	Since      time.Time // only interactions at or after this time
	Limit      int       // 0 means DefaultLimit, capped at MaxLimit
}

// ListInteractions returns the most recent interactions matching f, newest
// first.
func (s *Store) ListInteractions(ctx context.Context, f InteractionFilter) ([]atelier.Interaction, error) {
	q := s.db.WithContext(ctx)
	if f.ConsumerID != "" {
		q = q.Where("consumer_id = ?", f.ConsumerID)
	}
	if f.ItemID != "" {
		q = q.Where("item_id = ?", f.ItemID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", dbTime(f.Since))
	}
	var rows []interactionRow
	if err := q.Order("at DESC, id DESC").Limit(Page{Limit: f.Limit}.limit()).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list interactions")
	}
	out := make([]atelier.Interaction, len(rows))
	for i, r := range rows {
		out[i] = toInteraction(r)
	}
	return out, nil
}

// EachInteraction calls fn for every interaction in the order they were
// recorded, reading a page at a time so that no connection is held while
// fn runs; an error from fn stops the walk and is returned.
func (s *Store) EachInteraction(ctx context.Context, fn func(atelier.Interaction) error) error {
	var after int64
	for {
		var rows []interactionRow
		err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(MaxLimit).Find(&rows).Error
		if err != nil {
			return dbErr(err, "read interactions")
		}
		for _, r := range rows {
			if err := fn(toInteraction(r)); err != nil {
				return err
			}
		}
		if len(rows) < MaxLimit {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// CountInteractions returns how many interactions are recorded.
func (s *Store) CountInteractions(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&interactionRow{}).Count(&n).Error; err != nil {
		return 0, dbErr(err, "count interactions")
	}
	return n, nil
}
