package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// itemView is an item as the API shows it.
type itemView struct {
	ID         string            `json:"id"`
	ExternalID string            `json:"external_id"`
	OwnerID    string            `json:"owner_id,omitempty"`
	Catalog    bool              `json:"catalog"`
	Category   string            `json:"category"`
	Attributes map[string]string `json:"attributes"`
	Images     []imageView       `json:"images"`
	CreatedAt  time.Time         `json:"created_at"`
}

// imageView is one image of an item, with short-lived URLs of the
// original and of its model-size version.
type imageView struct {
	Position    int    `json:"position"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
	ModelURL    string `json:"model_url"`
}

func (s *Server) viewItem(ctx context.Context, it atelier.Item) (itemView, error) {
	v := itemView{
		ID: it.ID, ExternalID: it.ExternalID, OwnerID: it.OwnerID, Catalog: it.OwnerID == "",
		Category: it.Category, Attributes: it.Attributes, Images: []imageView{}, CreatedAt: it.CreatedAt,
	}
	for _, img := range it.Images {
		orig, err := s.imageURL(ctx, img.OriginalKey)
		if err != nil {
			return itemView{}, err
		}
		model, err := s.imageURL(ctx, img.ModelKey)
		if err != nil {
			return itemView{}, err
		}
		v.Images = append(v.Images, imageView{Position: img.Position, Width: img.Width, Height: img.Height,
			ContentType: img.ContentType, URL: orig, ModelURL: model})
	}
	return v, nil
}

// createItem stores a seller's item from a multipart upload. The image
// blobs are written first and the record last, so a record never points
// at missing images; if the record cannot be written the blobs are
// deleted again.
func (s *Server) createItem(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	up, err := s.readItemUpload(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	id := uuid.Must(uuid.NewV7()).String()
	origKey := fmt.Sprintf("items/%s/original.%s", id, up.ext)
	modelKey := fmt.Sprintf("items/%s/model-%d.png", id, atelier.ModelSize)
	if err := s.blobs.Put(ctx, origKey, bytes.NewReader(up.original), int64(len(up.original)), up.contentType); err != nil {
		s.deleteBlobs(ctx, origKey)
		writeError(c, s.log, fmt.Errorf("store original image: %w", err))
		return
	}
	if err := s.blobs.Put(ctx, modelKey, bytes.NewReader(up.model), int64(len(up.model)), "image/png"); err != nil {
		s.deleteBlobs(ctx, origKey, modelKey)
		writeError(c, s.log, fmt.Errorf("store model-size image: %w", err))
		return
	}
	it, err := s.store.CreateItem(ctx, atelier.Item{
		ID: id, ExternalID: up.externalID, OwnerID: seller.ID, Category: up.category, Attributes: up.attributes,
		Images: []atelier.Image{{Position: 0, OriginalKey: origKey, ModelKey: modelKey,
			Width: up.width, Height: up.height, ContentType: up.contentType}},
	})
	if err != nil {
		s.deleteBlobs(ctx, origKey, modelKey)
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewItem(ctx, it)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	created(c, "/api/v1/items/"+it.ID, v)
}

// listItems lists the seller's own items (every seller's for operators),
// or the shared catalog with ?catalog=true, one page at a time.
func (s *Server) listItems(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := storage.ItemFilter{Page: page, Category: c.Query("category"), OwnerID: c.Query("owner_id")}
	switch c.Query("catalog") {
	case "", "false":
	case "true":
		f.Catalog = true
	default:
		writeError(c, s.log, atelier.FieldErrorf("catalog", "must be true or false"))
		return
	}
	items, err := s.store.ListItems(c.Request.Context(), scopeOf(c), f)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]itemView, len(items))
	for i, it := range items {
		if views[i], err = s.viewItem(c.Request.Context(), it); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	next := nextAfter(items, page.Limit, func(r atelier.Item) string { return r.ID })
	c.JSON(http.StatusOK, gin.H{"items": views, "next_after": next})
}

// getItem returns a catalog item or one of the seller's own; another
// seller's item is not found.
func (s *Server) getItem(c *gin.Context) {
	it, err := s.product(c.Request.Context(), c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewItem(c.Request.Context(), it)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// product reads an item where a product is expected: an AI-generated
// probe of the choice flow has an item's id, but is not one to show,
// redesign or compare, and asking for it so is a client's mistake.
func (s *Server) product(ctx context.Context, id string, scope atelier.Scope) (atelier.Item, error) {
	it, err := s.store.GetItem(ctx, id, scope)
	if err != nil {
		return atelier.Item{}, err
	}
	if it.Generated {
		return atelier.Item{}, atelier.Errorf(atelier.KindInvalid,
			"%s is an AI-generated probe of the choice flow, not an item: use a catalog item's or your own item's id", id)
	}
	return it, nil
}
