package atelier

import "time"

// Item is a product with one or more images. Catalog items (OwnerID "")
// come from marketplace imports and are visible to everyone; a seller's own
// items (OwnerID set) are visible only to that seller and to operators.
type Item struct {
	ID string
	// ExternalID is the marketplace's (or the seller's) id of the item,
	// unique among catalog items and among one seller's items.
	ExternalID string
	OwnerID    string // "" for catalog items
	Category   string
	Attributes map[string]string
	Images     []Image // ordered by Position; at least one
	CreatedAt  time.Time
	// Generated marks a probe: an AI-generated image the choice flow shows
	// beside catalog items (service/probes). A probe has no owner, is in
	// no catalog listing and is no product: it cannot be redesigned,
	// recommended or reported on.
	Generated bool
}

// Image is one picture of an item. The original upload is kept as is; the
// model-size version is what the recommender and the GAN see.
type Image struct {
	Position    int    // 0-based order among the item's images
	OriginalKey string // blob key of the original upload
	ModelKey    string // blob key of the ModelSize×ModelSize PNG
	Width       int    // of the original, in pixels
	Height      int
	ContentType string // of the original, e.g. image/jpeg
}

// ModelSize is the side, in pixels, of the square images models work on.
const ModelSize = 64

// Primary returns the first image of the item, or false when it has none.
func (it Item) Primary() (Image, bool) {
	if len(it.Images) == 0 {
		return Image{}, false
	}
	return it.Images[0], true
}
