package backgrounds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/composite"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/service/catalog"
)

// CompositeKey is where the composite of a subject on a scene is kept:
// derived from both ids, so it is made once.
func CompositeKey(subjectID, backgroundID string) string {
	return "composites/" + subjectID + "/" + backgroundID + ".png"
}

// Composite returns the blob key of the subject (an item's photo or a
// variant of it) on the scene, making and storing it when it is not
// stored yet. The scene must be one the seller may use.
func (s *Service) Composite(ctx context.Context, sellerID string, subj Subject, backgroundID string) (string, error) {
	b, err := s.cfg.Store.GetBackground(ctx, sellerID, backgroundID)
	if err != nil {
		return "", err
	}
	keys, err := s.Composites(ctx, subj, []atelier.Background{b})
	if err != nil {
		return "", err
	}
	return keys[0], nil
}

// Composites returns the blob key of the subject on each scene (records
// the caller has checked the seller may use, as suggestions are), making
// the missing ones two at a time. The subject's photo is read and
// prepared once, and only when a composite is missing.
func (s *Service) Composites(ctx context.Context, subj Subject, bgs []atelier.Background) ([]string, error) {
	photo := sync.OnceValues(func() (*transfer.Photo, error) { return s.photo(ctx, subj) })
	keys := make([]string, len(bgs))
	errs := make([]error, len(bgs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, b := range bgs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			keys[i], errs[i] = s.composite(ctx, subj, b, photo)
		})
	}
	wg.Wait()
	return keys, errors.Join(errs...)
}

// composite is one scene's composite: read when stored, else made with
// the photo and stored.
func (s *Service) composite(ctx context.Context, subj Subject, b atelier.Background, photo func() (*transfer.Photo, error)) (string, error) {
	key := CompositeKey(subj.ID, b.ID)
	if _, err := s.cfg.Blobs.Stat(ctx, key); err == nil {
		return key, nil
	} else if atelier.ErrorKind(err) != atelier.KindNotFound {
		return "", err
	}
	p, err := photo()
	if err != nil {
		return "", err
	}
	bg, err := catalog.DecodeBlob(ctx, s.cfg.Blobs, b.ImageKey, "background image "+b.ImageKey)
	if err != nil {
		return "", err
	}
	data, err := Render(p, bg, b.Caption)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		return "", fmt.Errorf("store composite: %w", err)
	}
	return key, nil
}

// Render places the photo's product on bg and encodes the PNG, with a
// text chunk saying how it was made (the product is the seller's own
// pixels; the scene is not).
func Render(photo *transfer.Photo, bg image.Image, caption string) ([]byte, error) {
	out, err := composite.Place(photo.Pix.Image(), photo.Mask, bg, composite.Options{})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	note := "Product photo placed on a suggested background by Atelier: " + caption
	if err := watermark.EncodePNG(&buf, out, watermark.TextChunk{Keyword: "Description", Text: note}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
