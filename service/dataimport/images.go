package dataimport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
)

// imageExts are the file names tried for images/<id> when a row names no
// file, in this order.
var imageExts = []string{".png", ".jpg", ".jpeg", ".webp"}

// KeyPrefix is where catalog item images live in the blob store.
const KeyPrefix = "catalog/"

// ImageKeys returns the blob keys of a catalog item's image: the original
// file, and its ModelSize PNG. They depend only on the item's external id,
// the SHA-256 of the file and its format, so the same file always maps to
// the same keys and a re-import finds what an earlier run stored.
func ImageKeys(externalID string, sum [sha256.Size]byte, format string) (original, model string) {
	h := hex.EncodeToString(sum[:16])
	dir := KeyPrefix + keySegment(externalID) + "/"
	ext := format
	if ext == "jpeg" {
		ext = "jpg"
	}
	return dir + h + "." + ext, fmt.Sprintf("%s%s-%d.png", dir, h, atelier.ModelSize)
}

// keySegment turns an external id into one blob key segment: the id itself
// when it is made of key characters, otherwise a hash of it.
func keySegment(id string) string {
	ok := id != "" && len(id) <= 100 && id[0] != '.'
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "id-" + hex.EncodeToString(sum[:16])
}

// refusal is why an image is not accepted; its item becomes a bad row.
// Any other error from ingest is a failure of the stores.
type refusal string

func (r refusal) Error() string { return string(r) }

func refusef(format string, args ...any) error { return refusal(fmt.Sprintf(format, args...)) }

// ingested is an image stored (or found stored) for an item.
type ingested struct {
	img             atelier.Image
	written, reused int
}

// findImage returns the path, relative to the dataset, of images/<id>.EXT.
func (im *importer) findImage(id string) (string, error) {
	if !filepath.IsLocal(id) || strings.ContainsAny(id, `/\`) {
		return "", refusef("item id %q cannot name an image file", id)
	}
	for _, ext := range imageExts {
		rel := "images/" + id + ext
		_, err := im.root.Stat(rel)
		switch {
		case err == nil:
			return rel, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", refusef("image %s: %v", rel, errors.Unwrap(err))
		}
	}
	return "", refusef("no image images/%s{%s}", id, strings.Join(imageExts, ","))
}

// ingest reads the image file rel (relative to the dataset) and stores it
// for the item with external id extID.
func (im *importer) ingest(ctx context.Context, extID, rel string) (ingested, error) {
	f, err := im.root.Open(rel)
	if err != nil {
		return ingested{}, refusef("image %s: %v", rel, errors.Unwrap(err))
	}
	defer f.Close()
	max := im.opts.MaxImageBytes
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		return ingested{}, refusef("image %s is %d bytes, over the limit of %d", rel, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	switch {
	case err != nil:
		return ingested{}, refusef("image %s: %v", rel, err)
	case int64(len(data)) > max:
		return ingested{}, refusef("image %s is over the limit of %d bytes", rel, max)
	}
	return im.storeImage(ctx, extID, rel, data)
}

// storeImage checks an image file's bytes and stores the original and the
// model-size version, unless both are already stored under their keys.
func (im *importer) storeImage(ctx context.Context, extID, rel string, data []byte) (ingested, error) {
	// The header alone says how large the decoded image would be: check it
	// before decoding anything.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return ingested{}, refusef("image %s is not a decodable image: %v", rel, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return ingested{}, refusef("image %s has no pixels (%d×%d)", rel, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > int64(im.opts.MaxImagePixels) {
		return ingested{}, refusef("image %s is %d×%d pixels, over the limit of %d pixels", rel, cfg.Width, cfg.Height, im.opts.MaxImagePixels)
	}
	origKey, modelKey := ImageKeys(extID, sha256.Sum256(data), format)
	out := ingested{img: atelier.Image{
		OriginalKey: origKey, ModelKey: modelKey, Width: cfg.Width, Height: cfg.Height,
		ContentType: contentType(data, format),
	}}
	haveOrig, err := im.hasBlob(ctx, origKey, int64(len(data)))
	if err != nil {
		return ingested{}, err
	}
	haveModel, err := im.hasBlob(ctx, modelKey, -1)
	if err != nil {
		return ingested{}, err
	}
	var model []byte
	if !haveModel {
		decoded, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return ingested{}, refusef("image %s cannot be decoded: %v", rel, err)
		}
		if model, err = catalog.EncodeModelImage(decoded); err != nil {
			return ingested{}, fmt.Errorf("%s: %w", rel, err)
		}
	}
	for _, b := range []struct {
		have  bool
		key   string
		data  []byte
		ctype string
	}{{haveOrig, origKey, data, out.img.ContentType}, {haveModel, modelKey, model, "image/png"}} {
		if b.have {
			out.reused++
			continue
		}
		if err := im.blobs.Put(ctx, b.key, bytes.NewReader(b.data), int64(len(b.data)), b.ctype); err != nil {
			return ingested{}, fmt.Errorf("store image %s: %w", rel, err)
		}
		out.written++
	}
	return out, nil
}

// hasBlob reports whether key is stored (with size bytes, when size >= 0).
func (im *importer) hasBlob(ctx context.Context, key string, size int64) (bool, error) {
	info, err := im.blobs.Stat(ctx, key)
	switch {
	case atelier.ErrorKind(err) == atelier.KindNotFound:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check blob %s: %w", key, err)
	}
	return size < 0 || info.Size == size, nil
}

// contentType sniffs the type of an image file, falling back on the
// decoder's format name.
func contentType(data []byte, format string) string {
	ct, _, err := mime.ParseMediaType(http.DetectContentType(data))
	if err == nil && strings.HasPrefix(ct, "image/") {
		return ct
	}
	return "image/" + format
}

// forEach calls fn(i) for every i in [0, n) on up to workers goroutines
// and returns the first error; after one, no new calls start.
func forEach(ctx context.Context, workers, n int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
		mu     sync.Mutex
		first  error
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
