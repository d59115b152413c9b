package storage

import (
	"context"
	"sort"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toItem(r itemRow, imgs []imageRow) atelier.Item {
	it := atelier.Item{
		ID: r.ID, ExternalID: r.ExternalID, OwnerID: valString(r.OwnerID),
		Category: r.Category, Attributes: r.Attributes, CreatedAt: r.CreatedAt.UTC(), Generated: r.Kind == kindProbe,
	}
	if it.Attributes == nil {
		it.Attributes = map[string]string{}
	}
	for _, im := range imgs {
		it.Images = append(it.Images, atelier.Image{
			Position: im.Position, OriginalKey: im.OriginalKey, ModelKey: im.ModelKey,
			Width: im.Width, Height: im.Height, ContentType: im.ContentType,
		})
	}
	return it
}

func fromItem(it atelier.Item) (itemRow, []imageRow) {
	attrs := it.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	row := itemRow{
		ID: it.ID, ExternalID: it.ExternalID, OwnerID: ptrString(it.OwnerID),
		Category: it.Category, Attributes: attrs, CreatedAt: dbTime(it.CreatedAt), Kind: kindProduct,
	}
	if it.Generated {
		row.Kind = kindProbe
	}
	imgs := make([]imageRow, len(it.Images))
	for i, im := range it.Images {
		imgs[i] = imageRow{
			ItemID: it.ID, Position: im.Position, OriginalKey: im.OriginalKey, ModelKey: im.ModelKey,
			Width: im.Width, Height: im.Height, ContentType: im.ContentType,
		}
	}
	return row, imgs
}

// ItemFilter narrows a list of items. Within a seller's scope the list
// shows that seller's own items, or the shared catalog when Catalog is set;
// OwnerID is honoured only in the unrestricted scope.
type ItemFilter struct {
	Catalog  bool   // only catalog items
	OwnerID  string // only this seller's items (unrestricted scope only)
	Category string // only this category
	// Probes lists the choice flow's generated probes instead of products
	// (no owner; Catalog and OwnerID do not apply).
	Probes bool
	Page
}

// Item kinds (itemRow.Kind).
const (
	kindProduct = "product"
	kindProbe   = "probe"
)

// prepareItem fills the fields the store assigns and validates the rest.
func (s *Store) prepareItem(it atelier.Item) (atelier.Item, error) {
	if it.ID == "" {
		it.ID = newID()
	}
	if it.ExternalID == "" && it.OwnerID != "" {
		it.ExternalID = it.ID // a seller's upload without its own reference
	}
	if it.CreatedAt.IsZero() {
		it.CreatedAt = s.stamp()
	}
	it.CreatedAt = dbTime(it.CreatedAt)
	sort.SliceStable(it.Images, func(i, j int) bool { return it.Images[i].Position < it.Images[j].Position })
	return it, it.Validate()
}

// CreateItem stores a new item with its images. A second item with the
// same external id (in the catalog, or among one seller's items) is a
// KindConflict error.
func (s *Store) CreateItem(ctx context.Context, it atelier.Item) (atelier.Item, error) {
	it, err := s.prepareItem(it)
	if err != nil {
		return atelier.Item{}, err
	}
	row, imgs := fromItem(it)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Omit(clause.Associations).Create(&row).Error; err != nil {
			return err
		}
		return tx.Create(&imgs).Error
	})
	if err != nil {
		return atelier.Item{}, dbErr(err, "item with external id %q", it.ExternalID)
	}
	return it, nil
}

// GetItem returns an item visible in scope: a catalog item or one of the
// scope's seller's own. Another seller's item is reported as not found.
func (s *Store) GetItem(ctx context.Context, id string, scope atelier.Scope) (atelier.Item, error) {
	var row itemRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Item{}, dbErr(err, "item %q", id)
	}
	if !scope.Allows(valString(row.OwnerID)) {
		return atelier.Item{}, notFound("item %q", id)
	}
	items, err := s.withImages(ctx, []itemRow{row})
	if err != nil {
		return atelier.Item{}, err
	}
	return items[0], nil
}

// ItemByExternalID finds an item by its external id among the catalog
// (ownerID "") or among one seller's items.
func (s *Store) ItemByExternalID(ctx context.Context, ownerID, externalID string) (atelier.Item, error) {
	q := s.db.WithContext(ctx).Where("external_id = ? AND kind = ?", externalID, kindProduct)
	if ownerID == "" {
		q = q.Where("owner_id IS NULL")
	} else {
		q = q.Where("owner_id = ?", ownerID)
	}
	var row itemRow
	if err := q.Take(&row).Error; err != nil {
		return atelier.Item{}, dbErr(err, "item with external id %q", externalID)
	}
	items, err := s.withImages(ctx, []itemRow{row})
	if err != nil {
		return atelier.Item{}, err
	}
	return items[0], nil
}

// ListItems returns one page of the items visible in scope (see ItemFilter).
func (s *Store) ListItems(ctx context.Context, scope atelier.Scope, f ItemFilter) ([]atelier.Item, error) {
	var rows []itemRow
	if err := f.Page.apply(itemQuery(s.db.WithContext(ctx), scope, f)).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list items")
	}
	return s.withImages(ctx, rows)
}

// EachItem calls fn for every item matching f in the unrestricted scope, in
// id order, a page at a time (f.Page.After is the starting point); an error
// from fn stops the walk and is returned.
func (s *Store) EachItem(ctx context.Context, f ItemFilter, fn func(atelier.Item) error) error {
	for {
		items, err := s.ListItems(ctx, atelier.AllScope(), f)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(items) < f.Page.limit() {
			return nil
		}
		f.After = items[len(items)-1].ID
	}
}

func itemQuery(db *gorm.DB, scope atelier.Scope, f ItemFilter) *gorm.DB {
	if f.Probes {
		db = db.Where("kind = ?", kindProbe)
	} else {
		db = db.Where("kind = ?", kindProduct)
	}
	switch {
	case f.Probes:
	case f.Catalog || (!scope.All && scope.SellerID == ""):
		db = db.Where("owner_id IS NULL")
	case !scope.All:
		db = db.Where("owner_id = ?", scope.SellerID)
	case f.OwnerID != "":
		db = db.Where("owner_id = ?", f.OwnerID)
	}
	if f.Category != "" {
		db = db.Where("category = ?", f.Category)
	}
	return db
}

// withImages loads the images of rows with one query per chunk of items.
func (s *Store) withImages(ctx context.Context, rows []itemRow) ([]atelier.Item, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	byItem := make(map[string][]imageRow, len(rows))
	for start := 0; start < len(ids); start += inChunk {
		var imgs []imageRow
		chunk := ids[start:min(start+inChunk, len(ids))]
		err := s.db.WithContext(ctx).Where("item_id IN ?", chunk).Order("item_id, position").Find(&imgs).Error
		if err != nil {
			return nil, dbErr(err, "load item images")
		}
		for _, im := range imgs {
			byItem[im.ItemID] = append(byItem[im.ItemID], im)
		}
	}
	out := make([]atelier.Item, len(rows))
	for i, r := range rows {
		out[i] = toItem(r, byItem[r.ID])
	}
	return out, nil
}

// inChunk bounds the length of IN (...) lists and of multi-row inserts,
// well below the parameter limits of both databases.
const inChunk = 500

// AddItemImage appends an image to an item the scope owns, after its last
// image, and returns the updated item.
func (s *Store) AddItemImage(ctx context.Context, itemID string, scope atelier.Scope, img atelier.Image) (atelier.Item, error) {
	it, err := s.GetItem(ctx, itemID, scope)
	if err != nil {
		return atelier.Item{}, err
	}
	if err := owns(scope, it.OwnerID, "item"); err != nil {
		return atelier.Item{}, err
	}
	if len(it.Images) >= atelier.MaxImages {
		return atelier.Item{}, atelier.FieldErrorf("images", "an item has at most %d images", atelier.MaxImages)
	}
	img.Position = it.Images[len(it.Images)-1].Position + 1
	if err := img.Validate(); err != nil {
		return atelier.Item{}, err
	}
	_, rows := fromItem(atelier.Item{ID: itemID, Images: []atelier.Image{img}})
	if err := s.db.WithContext(ctx).Create(&rows).Error; err != nil {
		return atelier.Item{}, dbErr(err, "image %d of item %q", img.Position, itemID)
	}
	it.Images = append(it.Images, img)
	return it, nil
}

// DeleteItem removes an item the scope owns, with its images records and
// interactions, and returns it so that the caller can delete its blobs. An
// item that redesign jobs refer to is a KindConflict error.
func (s *Store) DeleteItem(ctx context.Context, id string, scope atelier.Scope) (atelier.Item, error) {
	it, err := s.GetItem(ctx, id, scope)
	if err != nil {
		return atelier.Item{}, err
	}
	if err := owns(scope, it.OwnerID, "item"); err != nil {
		return atelier.Item{}, err
	}
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&itemRow{})
	if res.Error != nil {
		return atelier.Item{}, dbErr(res.Error, "delete item %q", id)
	}
	if res.RowsAffected == 0 {
		return atelier.Item{}, notFound("item %q", id)
	}
	return it, nil
}

// owns allows changes to a record only to its owner or an unrestricted
// scope; catalog records (owner "") are changed by operators only.
func owns(scope atelier.Scope, ownerID, what string) error {
	if scope.All || (ownerID != "" && ownerID == scope.SellerID) {
		return nil
	}
	return atelier.Errorf(atelier.KindForbidden, "only an operator may change a catalog %s", what)
}
