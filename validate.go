package atelier

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on the text fields of records; the storage schema sizes its
// columns to match.
const (
	MaxExternalIDLen = 200
	MaxCategoryLen   = 100
	MaxKindLen       = 32
	MaxNameLen       = 200
	MaxAttributes    = 64
	MaxAttrKeyLen    = 100
	MaxAttrValueLen  = 1000
	MaxImages        = 16
)

// checkText returns an error naming field when v is empty (unless
// optional), longer than max bytes, not UTF-8 or has control characters.
func checkText(field, v string, max int, optional bool) error {
	switch {
	case v == "" && optional:
		return nil
	case v == "":
		return FieldErrorf(field, "must not be empty")
	case len(v) > max:
		return FieldErrorf(field, "must be at most %d bytes long", max)
	case !utf8.ValidString(v):
		return FieldErrorf(field, "must be valid UTF-8")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return FieldErrorf(field, "must not contain control characters")
	}
	return nil
}

// Validate checks an item before it is stored. ID and CreatedAt are
// assigned by the store and not checked.
func (it Item) Validate() error {
	if err := checkText("external_id", it.ExternalID, MaxExternalIDLen, false); err != nil {
		return err
	}
	if err := checkText("category", it.Category, MaxCategoryLen, false); err != nil {
		return err
	}
	if len(it.Attributes) > MaxAttributes {
		return FieldErrorf("attributes", "at most %d attributes allowed", MaxAttributes)
	}
	for k, v := range it.Attributes {
		if err := checkText("attributes", k, MaxAttrKeyLen, false); err != nil {
			return FieldErrorf("attributes", "key %q: %s", k, err.(*Error).Message)
		}
		if len(v) > MaxAttrValueLen || !utf8.ValidString(v) {
			return FieldErrorf("attributes", "value of %q must be valid UTF-8 of at most %d bytes", k, MaxAttrValueLen)
		}
	}
	if len(it.Images) == 0 {
		return FieldErrorf("images", "an item needs at least one image")
	}
	if len(it.Images) > MaxImages {
		return FieldErrorf("images", "at most %d images allowed", MaxImages)
	}
	seen := make(map[int]bool, len(it.Images))
	for i, img := range it.Images {
		if err := img.Validate(); err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
		if seen[img.Position] {
			return FieldErrorf("images", "two images have position %d", img.Position)
		}
		seen[img.Position] = true
	}
	return nil
}

// Validate checks one image record.
func (img Image) Validate() error {
	switch {
	case img.Position < 0:
		return FieldErrorf("position", "must not be negative")
	case img.OriginalKey == "":
		return FieldErrorf("original_key", "must not be empty")
	case img.ModelKey == "":
		return FieldErrorf("model_key", "must not be empty")
	case img.Width <= 0 || img.Height <= 0:
		return FieldErrorf("size", "width and height must be positive, got %dx%d", img.Width, img.Height)
	case img.ContentType == "":
		return FieldErrorf("content_type", "must not be empty")
	}
	return nil
}

// Validate checks a consumer before it is stored.
func (c Consumer) Validate() error {
	if err := checkText("external_id", c.ExternalID, MaxExternalIDLen, false); err != nil {
		return err
	}
	return checkText("segment", c.Segment, MaxNameLen, true)
}

// Validate checks an interaction before it is stored.
func (in Interaction) Validate() error {
	switch {
	case in.ConsumerID == "":
		return FieldErrorf("consumer_id", "must not be empty")
	case in.ItemID == "":
		return FieldErrorf("item_id", "must not be empty")
	case in.At.IsZero():
		return FieldErrorf("at", "must be set")
	}
	return checkText("kind", in.Kind, MaxKindLen, false)
}
