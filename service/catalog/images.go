package catalog

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // model-size images are PNGs; older blobs may be JPEGs
	_ "image/png"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/storage/blob"
)

// maxModelImageSide bounds the sides of a stored model-size image: the
// service writes them at atelier.ModelSize, so anything much larger is not
// one of ours and is refused before it costs a resize.
const maxModelImageSide = 4 * atelier.ModelSize

// ReadModelImage reads the model-size image stored under key as a
// size×size tensor (resized should it have another size). A missing blob
// is the blob store's KindNotFound error; a blob that does not decode or
// has an implausible size is KindInvalid.
func ReadModelImage(ctx context.Context, blobs blob.Store, key string, size int) (imaging.Tensor, error) {
	decoded, err := DecodeBlob(ctx, blobs, key, "model image "+key)
	if err != nil {
		return imaging.Tensor{}, err
	}
	b := decoded.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > maxModelImageSide || b.Dy() > maxModelImageSide {
		return imaging.Tensor{}, atelier.Errorf(atelier.KindInvalid, "model image %s is %dx%d", key, b.Dx(), b.Dy())
	}
	return imaging.FromImageSize(decoded, size), nil
}

// ModelKey is the blob key of the item's primary model-size image; an
// item without one is KindInvalid.
func ModelKey(it atelier.Item) (string, error) {
	im, ok := it.Primary()
	if !ok || im.ModelKey == "" {
		return "", atelier.Errorf(atelier.KindInvalid, "item %s has no model image", it.ID)
	}
	return im.ModelKey, nil
}

// HasModelImage reports whether the item has a primary model-size image.
func HasModelImage(it atelier.Item) bool {
	_, err := ModelKey(it)
	return err == nil
}

// ItemImage reads the item's primary model-size image as a size×size
// tensor.
func ItemImage(ctx context.Context, blobs blob.Store, it atelier.Item, size int) (imaging.Tensor, error) {
	key, err := ModelKey(it)
	if err != nil {
		return imaging.Tensor{}, err
	}
	return ReadModelImage(ctx, blobs, key, size)
}

// EncodeModelImage makes the model-size image stored beside every
// uploaded or imported original: the image scaled to
// atelier.ModelSize×atelier.ModelSize, as a PNG.
func EncodeModelImage(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := imaging.WritePNG(&buf, imaging.FromImageSize(img, atelier.ModelSize).Image()); err != nil {
		return nil, fmt.Errorf("encode model-size image: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadOriginal reads and decodes the item's primary original image (the
// photo as uploaded or imported).
func ReadOriginal(ctx context.Context, blobs blob.Store, it atelier.Item) (image.Image, error) {
	im, ok := it.Primary()
	if !ok || im.OriginalKey == "" {
		return nil, atelier.Errorf(atelier.KindInvalid, "item %s has no photo", it.ID)
	}
	return DecodeBlob(ctx, blobs, im.OriginalKey, fmt.Sprintf("photo %s of item %s", im.OriginalKey, it.ID))
}

// decodeBlob reads and decodes the image stored under key; what names it
// in the error. A missing blob is the blob store's KindNotFound error, one
// that does not decode KindInvalid.
func DecodeBlob(ctx context.Context, blobs blob.Store, key, what string) (image.Image, error) {
	rc, _, err := blobs.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, _, err := image.Decode(rc)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "%s does not decode", what)
	}
	return img, nil
}
