package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// The Import methods load marketplace data in batches. Each batch is one
// transaction (all of it or nothing is written), and records already present
// are skipped, so an interrupted import can simply be run again. Each
// returns how many records were new.

// ImportItems adds items with their images, skipping items whose external
// id already exists (in the catalog, or for the same owner). Ids are
// assigned by the store.
func (s *Store) ImportItems(ctx context.Context, items []atelier.Item) (int, error) {
	rows := make([]itemRow, 0, len(items))
	imgs := make(map[string][]imageRow, len(items))
	for i, it := range items {
		it.ID = ""
		it, err := s.prepareItem(it)
		if err != nil {
			return 0, fmt.Errorf("item %d (%q): %w", i, items[i].ExternalID, err)
		}
		row, im := fromItem(it)
		rows = append(rows, row)
		imgs[row.ID] = im
	}
	var added int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < len(rows); start += inChunk {
			chunk := rows[start:min(start+inChunk, len(rows))]
			res := tx.Omit(clause.Associations).Clauses(clause.OnConflict{DoNothing: true}).Create(&chunk)
			if res.Error != nil {
				return res.Error
			}
			added += int(res.RowsAffected)
			// The new items are those whose fresh ids made it in.
			ids := make([]string, len(chunk))
			for i, r := range chunk {
				ids[i] = r.ID
			}
			var fresh []string
			if err := tx.Model(&itemRow{}).Where("id IN ?", ids).Pluck("id", &fresh).Error; err != nil {
				return err
			}
			var newImgs []imageRow
			for _, id := range fresh {
				newImgs = append(newImgs, imgs[id]...)
			}
			for i := 0; i < len(newImgs); i += inChunk {
				part := newImgs[i:min(i+inChunk, len(newImgs))]
				if err := tx.Create(&part).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "import items")
	}
	return added, nil
}

// ImportConsumers adds consumers, skipping external ids already present
// (their segment label is left as it was).
func (s *Store) ImportConsumers(ctx context.Context, consumers []atelier.Consumer) (int, error) {
	rows := make([]consumerRow, len(consumers))
	for i, c := range consumers {
		c, err := s.prepareConsumer(c)
		if err != nil {
			return 0, fmt.Errorf("consumer %d (%q): %w", i, consumers[i].ExternalID, err)
		}
		rows[i] = fromConsumer(c)
	}
	var added int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < len(rows); start += inChunk {
			chunk := rows[start:min(start+inChunk, len(rows))]
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&chunk)
			if res.Error != nil {
				return res.Error
			}
			added += int(res.RowsAffected)
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "import consumers")
	}
	return added, nil
}

// InteractionImport is one line of a marketplace interaction log, naming
// the consumer and the catalog item by their external ids.
type InteractionImport struct {
	ConsumerExternalID string
	ItemExternalID     string
	Kind               string
	At                 time.Time
}

// ImportInteractions adds interactions between imported consumers and
// catalog items, skipping those already present (same consumer, item, kind
// and time). A consumer or item that is not in the store fails the whole
// batch with a KindInvalid error naming it: import consumers and items
// first.
func (s *Store) ImportInteractions(ctx context.Context, lines []InteractionImport) (int, error) {
	var added int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < len(lines); start += inChunk {
			chunk := lines[start:min(start+inChunk, len(lines))]
			consumers, items, err := resolveExternal(tx, chunk)
			if err != nil {
				return err
			}
			rows := make([]interactionRow, len(chunk))
			for i, l := range chunk {
				in := atelier.Interaction{ConsumerID: consumers[l.ConsumerExternalID], ItemID: items[l.ItemExternalID], Kind: l.Kind, At: l.At}
				switch {
				case in.ConsumerID == "":
					return atelier.FieldErrorf("consumer", "line %d: unknown consumer %q", start+i, l.ConsumerExternalID)
				case in.ItemID == "":
					return atelier.FieldErrorf("item", "line %d: unknown catalog item %q", start+i, l.ItemExternalID)
				}
				if err := in.Validate(); err != nil {
					return fmt.Errorf("line %d: %w", start+i, err)
				}
				rows[i] = fromInteraction(in)
			}
			n, err := insertInteractions(tx, rows)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, dbErr(err, "import interactions")
	}
	return added, nil
}

// distinct returns the distinct keys of chunk, in first-seen order.
func distinct(chunk []InteractionImport, key func(InteractionImport) string) []string {
	seen := make(map[string]bool, len(chunk))
	out := make([]string, 0, len(chunk))
	for _, l := range chunk {
		if k := key(l); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// resolveExternal maps the external ids of a chunk to store ids.
func resolveExternal(tx *gorm.DB, chunk []InteractionImport) (consumers, items map[string]string, err error) {
	cExt := distinct(chunk, func(l InteractionImport) string { return l.ConsumerExternalID })
	iExt := distinct(chunk, func(l InteractionImport) string { return l.ItemExternalID })
	var cRows []consumerRow
	if err := tx.Select("id, external_id").Where("external_id IN ?", cExt).Find(&cRows).Error; err != nil {
		return nil, nil, err
	}
	var iRows []itemRow
	if err := tx.Select("id, external_id").Where("owner_id IS NULL AND external_id IN ?", iExt).Find(&iRows).Error; err != nil {
		return nil, nil, err
	}
	consumers = make(map[string]string, len(cRows))
	for _, r := range cRows {
		consumers[r.ExternalID] = r.ID
	}
	items = make(map[string]string, len(iRows))
	for _, r := range iRows {
		items[r.ExternalID] = r.ID
	}
	return consumers, items, nil
}
