package storage

import (
	"context"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toConsumer(r consumerRow) atelier.Consumer {
	return atelier.Consumer{ID: r.ID, ExternalID: r.ExternalID, Segment: r.Segment, CreatedAt: r.CreatedAt.UTC()}
}

func fromConsumer(c atelier.Consumer) consumerRow {
	return consumerRow{ID: c.ID, ExternalID: c.ExternalID, Segment: c.Segment, CreatedAt: dbTime(c.CreatedAt)}
}

// ConsumerFilter narrows a list of consumers.
type ConsumerFilter struct {
	Segment string // only consumers with this imported segment label
	Page
}

func (s *Store) prepareConsumer(c atelier.Consumer) (atelier.Consumer, error) {
	c.ID = newID()
	c.ExternalID = strings.TrimSpace(c.ExternalID)
	c.Segment = strings.TrimSpace(c.Segment)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.stamp()
	}
	c.CreatedAt = dbTime(c.CreatedAt)
	return c, c.Validate()
}

// CreateConsumer stores a new consumer; an existing external id is a
// KindConflict error.
func (s *Store) CreateConsumer(ctx context.Context, c atelier.Consumer) (atelier.Consumer, error) {
	c, err := s.prepareConsumer(c)
	if err != nil {
		return atelier.Consumer{}, err
	}
	row := fromConsumer(c)
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return atelier.Consumer{}, dbErr(err, "consumer with external id %q", c.ExternalID)
	}
	return c, nil
}

// EnsureConsumer returns the consumer with the given external id, creating
// it (without a segment label) when it does not exist yet. Concurrent calls
// for the same id return the same consumer.
func (s *Store) EnsureConsumer(ctx context.Context, externalID string) (atelier.Consumer, error) {
	return s.ensureConsumer(s.db.WithContext(ctx), externalID)
}

// ensureConsumer is EnsureConsumer on db (a transaction or the store's).
func (s *Store) ensureConsumer(db *gorm.DB, externalID string) (atelier.Consumer, error) {
	c, err := s.prepareConsumer(atelier.Consumer{ExternalID: externalID})
	if err != nil {
		return atelier.Consumer{}, err
	}
	row := fromConsumer(c)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return atelier.Consumer{}, dbErr(err, "consumer with external id %q", c.ExternalID)
	}
	var got consumerRow
	if err := db.Where("external_id = ?", c.ExternalID).Take(&got).Error; err != nil {
		return atelier.Consumer{}, dbErr(err, "consumer with external id %q", c.ExternalID)
	}
	return toConsumer(got), nil
}

// GetConsumer returns the consumer with the given id.
func (s *Store) GetConsumer(ctx context.Context, id string) (atelier.Consumer, error) {
	var row consumerRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Consumer{}, dbErr(err, "consumer %q", id)
	}
	return toConsumer(row), nil
}

// GetConsumers returns the consumers with the given ids, by id, in a few
// queries however many there are; ids that name no consumer are left out.
func (s *Store) GetConsumers(ctx context.Context, ids []string) (map[string]atelier.Consumer, error) {
	out := make(map[string]atelier.Consumer, len(ids))
	for start := 0; start < len(ids); start += inChunk {
		var rows []consumerRow
		chunk := ids[start:min(start+inChunk, len(ids))]
		if err := s.db.WithContext(ctx).Where("id IN ?", chunk).Find(&rows).Error; err != nil {
			return nil, dbErr(err, "read %d consumers", len(chunk))
		}
		for _, r := range rows {
			out[r.ID] = toConsumer(r)
		}
	}
	return out, nil
}

// ConsumerByExternalID returns the consumer with the given external id.
func (s *Store) ConsumerByExternalID(ctx context.Context, externalID string) (atelier.Consumer, error) {
	var row consumerRow
	if err := s.db.WithContext(ctx).Where("external_id = ?", externalID).Take(&row).Error; err != nil {
		return atelier.Consumer{}, dbErr(err, "consumer with external id %q", externalID)
	}
	return toConsumer(row), nil
}

// ListConsumers returns one page of consumers in id order.
func (s *Store) ListConsumers(ctx context.Context, f ConsumerFilter) ([]atelier.Consumer, error) {
	q := s.db.WithContext(ctx)
	if f.Segment != "" {
		q = q.Where("segment = ?", f.Segment)
	}
	var rows []consumerRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list consumers")
	}
	out := make([]atelier.Consumer, len(rows))
	for i, r := range rows {
		out[i] = toConsumer(r)
	}
	return out, nil
}

// EachConsumer calls fn for every consumer matching f, in id order, a page
// at a time; an error from fn stops the walk and is returned.
func (s *Store) EachConsumer(ctx context.Context, f ConsumerFilter, fn func(atelier.Consumer) error) error {
	for {
		cs, err := s.ListConsumers(ctx, f)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(cs) < f.Page.limit() {
			return nil
		}
		f.After = cs[len(cs)-1].ID
	}
}
