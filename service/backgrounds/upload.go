package backgrounds

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"strings"
	"unicode/utf8"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/describe"
	"github.com/atelier-app/atelier/internal/imaging"
)

// MaxCaption is the longest caption, in bytes.
const MaxCaption = 500

// CheckCaption trims a caption and checks its length and encoding.
func CheckCaption(caption string) (string, error) {
	caption = strings.TrimSpace(caption)
	switch {
	case len(caption) > MaxCaption:
		return "", atelier.FieldErrorf("caption", "is %d bytes long, over the limit of %d", len(caption), MaxCaption)
	case !utf8.ValidString(caption):
		return "", atelier.FieldErrorf("caption", "is not valid UTF-8")
	}
	return caption, nil
}

// Upload stores a seller's background: the image scaled down to at most
// LibrarySize on its longer side, as PNG, and its record. Without a
// caption the scene is described from its pixels (describe.Scene) and
// the description is its caption and words; a caption given is kept as
// written and searched as free text. The image is stored first and
// removed again when the record cannot be, so no record lacks its image.
func (s *Service) Upload(ctx context.Context, sellerID string, img image.Image, caption string) (atelier.Background, error) {
	if sellerID == "" {
		return atelier.Background{}, atelier.Errorf(atelier.KindInvalid, "a background upload belongs to a seller")
	}
	caption, err := CheckCaption(caption)
	if err != nil {
		return atelier.Background{}, err
	}
	img = fit(img, LibrarySize)
	b := atelier.Background{SellerID: sellerID, Caption: caption, Words: map[string]string{}}
	if caption == "" {
		d := describe.Scene(imaging.FromImage(img))
		b.Caption, b.Words, b.Described = d.Sentence, sceneWords(d), true
	}
	var buf bytes.Buffer
	if err := imaging.WritePNG(&buf, img); err != nil {
		return atelier.Background{}, err
	}
	bounds := img.Bounds()
	b.Width, b.Height = bounds.Dx(), bounds.Dy()
	b.ImageKey = "backgrounds/" + sellerID + "/" + token() + ".png"
	if err := s.cfg.Blobs.Put(ctx, b.ImageKey, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
		return atelier.Background{}, fmt.Errorf("store background: %w", err)
	}
	out, err := s.cfg.Store.CreateBackground(ctx, b)
	if err != nil {
		if derr := s.cfg.Blobs.Delete(context.WithoutCancel(ctx), b.ImageKey); derr != nil {
			s.cfg.Log.ErrorContext(ctx, "orphan background image", "key", b.ImageKey, "err", derr)
		}
		return atelier.Background{}, err
	}
	return out, nil
}

// fit scales img down to at most side pixels on its longer side.
func fit(img image.Image, side int) image.Image {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	if max(w, h) <= side {
		return img
	}
	s := float64(side) / float64(max(w, h))
	return imaging.Resize(img, max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5)))
}

func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
