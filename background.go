package atelier

import "time"

// Background is a scene a product photo can be shown on, with a caption in
// words (service/backgrounds matches captions against a product's
// description). Built-in backgrounds (SellerID "") are shared by every
// seller; a seller's uploads are visible to that seller only.
type Background struct {
	ID       string
	SellerID string // "" for the built-in library
	Caption  string
	// Described is true when the caption was written from the pixels (an
	// upload without a caption), false when it came with the background.
	Described bool
	// Words are the caption's structured words for the search index:
	// "kind", "colours", "families", "tone", "moods" (space-separated).
	Words     map[string]string
	ImageKey  string // blob key of the image (PNG)
	Width     int
	Height    int
	CreatedAt time.Time
}

// Builtin reports whether b belongs to the shared library.
func (b Background) Builtin() bool { return b.SellerID == "" }
