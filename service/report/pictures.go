package report

import (
	"context"
	"fmt"
	"io"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// maxInlineImage bounds an image read into an HTML export: model-size
// images and variants are 64×64 PNGs of a few KiB, so anything far larger
// is not one of ours and would bloat the file.
const maxInlineImage = 1 << 20

// StorePictures reads the images an HTML export inlines from the store
// and the blob store, as the scope may see them: an item's model-size
// image and a variant by its blob key.
func StorePictures(ctx context.Context, store *storage.Store, blobs blob.Store, scope atelier.Scope) Pictures {
	return Pictures{
		Item: func(id string) ([]byte, error) {
			it, err := store.GetItem(ctx, id, scope)
			if err != nil {
				return nil, err
			}
			key, err := catalog.ModelKey(it)
			if err != nil {
				return nil, err
			}
			return readImage(ctx, blobs, key)
		},
		Blob: func(key string) ([]byte, error) { return readImage(ctx, blobs, key) },
	}
}

// readImage reads the blob under key, refusing one over maxInlineImage.
func readImage(ctx context.Context, blobs blob.Store, key string) ([]byte, error) {
	rc, _, err := blobs.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxInlineImage+1))
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", key, err)
	}
	if len(data) > maxInlineImage {
		return nil, atelier.Errorf(atelier.KindInvalid, "image %s is over %d bytes, too large to inline", key, maxInlineImage)
	}
	return data, nil
}
