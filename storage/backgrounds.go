package storage

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// backgroundRow is a background scene (atelier.Background). Built-in rows
// have a NULL seller and a stable id from the library; uploads get new ids.
type backgroundRow struct {
	ID        string            `gorm:"primaryKey;size:64"`
	SellerID  *string           `gorm:"size:36;index"`
	Seller    *sellerRow        `gorm:"foreignKey:SellerID;constraint:OnDelete:CASCADE"`
	Caption   string            `gorm:"type:text;not null"`
	Described bool              `gorm:"not null"`
	Words     map[string]string `gorm:"serializer:json;type:text;not null"`
	ImageKey  string            `gorm:"size:512;not null"`
	Width     int               `gorm:"not null"`
	Height    int               `gorm:"not null"`
	CreatedAt time.Time         `gorm:"not null;index"`
}

func (backgroundRow) TableName() string { return "backgrounds" }

func toBackground(r backgroundRow) atelier.Background {
	w := r.Words
	if w == nil {
		w = map[string]string{}
	}
	return atelier.Background{
		ID: r.ID, SellerID: valString(r.SellerID), Caption: r.Caption, Described: r.Described,
		Words: w, ImageKey: r.ImageKey, Width: r.Width, Height: r.Height, CreatedAt: r.CreatedAt.UTC(),
	}
}

// CreateBackground stores a background. A built-in one (no seller) keeps
// the id it comes with and is created once: creating it again changes
// nothing, so every process may seed the library. An upload gets a new id.
func (s *Store) CreateBackground(ctx context.Context, b atelier.Background) (atelier.Background, error) {
	if b.Builtin() && b.ID == "" {
		return atelier.Background{}, atelier.FieldErrorf("id", "a built-in background needs its library id")
	}
	if !b.Builtin() {
		b.ID = newID()
	}
	b.CreatedAt = s.stamp()
	row := backgroundRow{
		ID: b.ID, SellerID: ptrString(b.SellerID), Caption: b.Caption, Described: b.Described,
		Words: b.Words, ImageKey: b.ImageKey, Width: b.Width, Height: b.Height, CreatedAt: dbTime(b.CreatedAt),
	}
	if row.Words == nil {
		row.Words = map[string]string{}
	}
	q := s.db.WithContext(ctx).Omit(clause.Associations)
	if b.Builtin() {
		q = q.Clauses(clause.OnConflict{DoNothing: true})
	}
	if err := q.Create(&row).Error; err != nil {
		return atelier.Background{}, dbErr(err, "background %q", b.ID)
	}
	return toBackground(row), nil
}

// GetBackground returns a background a seller may use: built-in, or the
// seller's own (sellerID "" sees built-ins only; operators pass scope
// through the API's checks). Another seller's background is not found.
func (s *Store) GetBackground(ctx context.Context, sellerID, id string) (atelier.Background, error) {
	var row backgroundRow
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if sellerID == "" {
		q = q.Where("seller_id IS NULL")
	} else {
		q = q.Where("seller_id IS NULL OR seller_id = ?", sellerID)
	}
	if err := q.Take(&row).Error; err != nil {
		return atelier.Background{}, dbErr(err, "background %q", id)
	}
	return toBackground(row), nil
}

// ListBackgrounds returns every background: all of them when all is set
// (the search index holds every seller's, and filters per query), else
// the built-ins and sellerID's own. Ordered by creation, then id.
func (s *Store) ListBackgrounds(ctx context.Context, sellerID string, all bool) ([]atelier.Background, error) {
	var rows []backgroundRow
	q := s.db.WithContext(ctx).Order("created_at, id")
	if !all {
		if sellerID == "" {
			q = q.Where("seller_id IS NULL")
		} else {
			q = q.Where("seller_id IS NULL OR seller_id = ?", sellerID)
		}
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, dbErr(err, "backgrounds")
	}
	out := make([]atelier.Background, len(rows))
	for i, r := range rows {
		out[i] = toBackground(r)
	}
	return out, nil
}

// BackgroundMark summarises the table for a search index to tell whether
// it is current: the number of rows and the newest creation time.
type BackgroundMark struct {
	Count  int64
	Newest time.Time
}

// BackgroundMark reads the table's mark.
func (s *Store) BackgroundMark(ctx context.Context) (BackgroundMark, error) {
	var m BackgroundMark
	db := s.db.WithContext(ctx).Model(&backgroundRow{})
	if err := db.Count(&m.Count).Error; err != nil {
		return m, dbErr(err, "backgrounds")
	}
	if m.Count == 0 {
		return m, nil
	}
	var row backgroundRow
	if err := s.db.WithContext(ctx).Select("created_at").Order("created_at DESC").Take(&row).Error; err != nil {
		return m, dbErr(err, "backgrounds")
	}
	m.Newest = row.CreatedAt.UTC()
	return m, nil
}
