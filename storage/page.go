package storage

import "gorm.io/gorm"

// Page selects one page of a list ordered by id. Ids sort by creation time,
// so passing the last id of a page as After yields the next page, stable
// under concurrent inserts.
type Page struct {
	After string // continue after this id; "" from the start
	Limit int    // at most this many; 0 means DefaultLimit, capped at MaxLimit
	Desc  bool   // newest first
}

// Limits of a Page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// apply adds the cursor, order and limit to a query over a table whose
// primary key is id.
func (p Page) apply(db *gorm.DB) *gorm.DB {
	op, order := ">", "id"
	if p.Desc {
		op, order = "<", "id DESC"
	}
	if p.After != "" {
		db = db.Where("id "+op+" ?", p.After)
	}
	return db.Order(order).Limit(p.limit())
}
