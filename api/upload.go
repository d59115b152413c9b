package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // uploads may be JPEG
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	_ "golang.org/x/image/webp" // and WebP

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
)

// Limits of the non-file parts of an item upload.
const (
	maxFormField = 64 << 10 // bytes of one text field
	maxFormParts = 2 * atelier.MaxAttributes
	formSlack    = 1 << 20 // room for the text fields and multipart framing
)

// itemUpload is a checked item upload: its fields and its image, decoded
// and converted to the model's size, ready to store.
type itemUpload struct {
	externalID string
	category   string
	attributes map[string]string

	original    []byte
	contentType string // sniffed from the bytes
	ext         string
	width       int
	height      int
	model       []byte // ModelSize×ModelSize PNG
}

// readItemUpload reads and checks a multipart item upload: an image file
// field "image", "category", optional "external_id", and attributes as a
// JSON object of strings in "attributes" and/or one "attr.NAME" field
// each. Nothing is stored; any problem is a client error naming the field.
func (s *Server) readItemUpload(c *gin.Context) (itemUpload, error) {
	mr, err := s.uploadReader(c)
	if err != nil {
		return itemUpload{}, err
	}
	up := itemUpload{attributes: map[string]string{}}
	fromJSON := map[string]string{}
	tooMany := atelier.Errorf(atelier.KindInvalid, "the upload has more than %d fields", maxFormParts)
	err = eachPart(mr, maxFormParts, tooMany, func(name string, part *multipart.Part) error {
		if name == "image" {
			if up.original, err = readLimited(part, s.limits.MaxUploadBytes); err != nil {
				return imageReadError(err, s.limits.MaxUploadBytes)
			}
			return nil
		}
		value, err := readLimited(part, maxFormField)
		if err != nil {
			return fieldReadError(name, err)
		}
		switch {
		case name == "category":
			up.category = strings.TrimSpace(string(value))
		case name == "external_id":
			up.externalID = strings.TrimSpace(string(value))
		case name == "attributes":
			return decodeAttributes(value, fromJSON)
		case strings.HasPrefix(name, "attr."):
			up.attributes[strings.TrimPrefix(name, "attr.")] = string(value)
		default:
			return atelier.FieldErrorf(name, "unknown field (want image, category, external_id, attributes or attr.NAME)")
		}
		return nil
	})
	if err != nil {
		return itemUpload{}, err
	}
	for k, v := range fromJSON {
		if _, dup := up.attributes[k]; dup {
			return itemUpload{}, atelier.FieldErrorf("attributes", "attribute %q is given twice", k)
		}
		up.attributes[k] = v
	}
	if up.category == "" {
		return itemUpload{}, atelier.FieldErrorf("category", "is required")
	}
	if up.original == nil {
		return itemUpload{}, atelier.FieldErrorf("image", "is required: an image file (JPEG, PNG or WebP)")
	}
	// The record is checked before the image is decoded: a bad field
	// should not cost a decode.
	probe := atelier.Item{ExternalID: up.externalID, Category: up.category, Attributes: up.attributes,
		Images: []atelier.Image{{OriginalKey: "-", ModelKey: "-", Width: 1, Height: 1, ContentType: "-"}}}
	if probe.ExternalID == "" {
		probe.ExternalID = "-"
	}
	if err := probe.Validate(); err != nil {
		return itemUpload{}, err
	}
	if err := s.checkImage(&up); err != nil {
		return itemUpload{}, err
	}
	return up, nil
}

// eachPart calls f with each part of a multipart body and its field name,
// stopping at f's first error. More than maxParts parts is tooMany, a
// field given twice or a broken body a client error naming it.
func eachPart(mr *multipart.Reader, maxParts int, tooMany error, f func(name string, part *multipart.Part) error) error {
	seen := map[string]bool{}
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return multipartError(err)
		}
		if parts >= maxParts {
			return tooMany
		}
		name := part.FormName()
		if seen[name] {
			return atelier.FieldErrorf(name, "is given twice")
		}
		seen[name] = true
		if err := f(name, part); err != nil {
			return err
		}
	}
}

// uploadReader checks that the request is a multipart upload within the
// upload limit (the image plus formSlack for the other fields) and reads
// its body, cut off at that limit.
func (s *Server) uploadReader(c *gin.Context) (*multipart.Reader, error) {
	r := c.Request
	limit := s.limits.MaxUploadBytes + formSlack
	if r.ContentLength > limit {
		return nil, atelier.Errorf(atelier.KindTooLarge, "the upload is larger than the limit of %d bytes for the image plus %d for the other fields", s.limits.MaxUploadBytes, formSlack)
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, atelier.Errorf(atelier.KindInvalid, "the body must be multipart/form-data with an image file field")
	}
	return multipart.NewReader(http.MaxBytesReader(c.Writer, r.Body, limit), params["boundary"]), nil
}

// readLimited reads r to its end, failing with errTooLong past max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLong
	}
	return b, nil
}

var errTooLong = errors.New("too long")

func imageReadError(err error, max int64) error {
	var tooBig *http.MaxBytesError
	if errors.Is(err, errTooLong) || errors.As(err, &tooBig) {
		return atelier.Errorf(atelier.KindTooLarge, "the image is larger than the limit of %d bytes", max)
	}
	return multipartError(err)
}

func fieldReadError(name string, err error) error {
	if errors.Is(err, errTooLong) {
		return atelier.FieldErrorf(name, "is longer than %d bytes", maxFormField)
	}
	return multipartError(err)
}

// multipartError classifies a failure to read the multipart body.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return atelier.Errorf(atelier.KindTooLarge, "the upload is larger than the limit of %d bytes", tooBig.Limit)
	}
	return atelier.Wrap(atelier.KindInvalid, err, "the multipart body is malformed")
}

// decodeAttributes reads a JSON object of string values into into.
func decodeAttributes(b []byte, into map[string]string) error {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return atelier.FieldErrorf("attributes", "must be a JSON object of strings")
	}
	if _, err := dec.Token(); err != io.EOF {
		return atelier.FieldErrorf("attributes", "has data after the JSON object")
	}
	for k, v := range raw {
		str, ok := v.(string)
		if !ok {
			return atelier.FieldErrorf("attributes", "value of %q must be a string", k)
		}
		into[k] = str
	}
	return nil
}

// sniffImage names the format of an image file from its first bytes:
// JPEG, PNG or WebP (whose RIFF....WEBP header http.DetectContentType does
// not know).
func sniffImage(b []byte) (contentType, format string, ok bool) {
	if len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" {
		return "image/webp", "webp", true
	}
	switch http.DetectContentType(b) {
	case "image/jpeg":
		return "image/jpeg", "jpeg", true
	case "image/png":
		return "image/png", "png", true
	}
	return "", "", false
}

// Shapes of an accepted photo: smaller or more elongated images cannot
// show a product the models can read.
const (
	minImageSide = 16
	maxAspect    = 10
)

// picture is a checked, decoded image upload.
type picture struct {
	img         image.Image
	contentType string // sniffed from the bytes
	format      string
	width       int
	height      int
}

// checkPicture checks an uploaded image file and decodes it: the type is
// sniffed from the bytes (the client's word for it is ignored), the pixel
// size is read from the header and checked against the limit before
// anything is decoded (a small file can claim a huge image).
func (s *Server) checkPicture(b []byte) (picture, error) {
	ct, format, ok := sniffImage(b)
	if !ok {
		return picture{}, atelier.FieldErrorf("image", "is not a JPEG, PNG or WebP image")
	}
	cfg, decFormat, err := decodeConfig(b)
	if err != nil {
		return picture{}, atelier.FieldErrorf("image", "has an unreadable %s header", format)
	}
	if decFormat != format {
		return picture{}, atelier.FieldErrorf("image", "looks like %s but decodes as %s", format, decFormat)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return picture{}, atelier.FieldErrorf("image", "has no pixels (%dx%d)", cfg.Width, cfg.Height)
	}
	if min(cfg.Width, cfg.Height) < minImageSide {
		return picture{}, atelier.FieldErrorf("image", "is %dx%d: too small, want at least %d pixels on each side", cfg.Width, cfg.Height, minImageSide)
	}
	if long, short := max(cfg.Width, cfg.Height), min(cfg.Width, cfg.Height); long > maxAspect*short {
		return picture{}, atelier.FieldErrorf("image", "is %dx%d: a strip, not a photo (sides differ by more than %d times)", cfg.Width, cfg.Height, maxAspect)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > int64(s.limits.MaxUploadPixels) {
		return picture{}, &atelier.Error{Kind: atelier.KindTooLarge, Field: "image",
			Message: fmt.Sprintf("is %dx%d = %d pixels, over the limit of %d pixels", cfg.Width, cfg.Height, px, s.limits.MaxUploadPixels)}
	}
	img, err := decodeImage(b)
	if err != nil {
		return picture{}, atelier.FieldErrorf("image", "does not decode as %s: %v", format, err)
	}
	return picture{img: img, contentType: ct, format: format, width: cfg.Width, height: cfg.Height}, nil
}

// checkImage checks an item's uploaded file (checkPicture) and scales it
// to the model's size.
func (s *Server) checkImage(up *itemUpload) error {
	pic, err := s.checkPicture(up.original)
	if err != nil {
		return err
	}
	model, err := catalog.EncodeModelImage(pic.img)
	if err != nil {
		return err
	}
	up.contentType, up.ext, up.width, up.height, up.model = pic.contentType, extension(pic.format), pic.width, pic.height, model
	return nil
}

func extension(format string) string {
	if format == "jpeg" {
		return "jpg"
	}
	return format
}

// decodeConfig and decodeImage run the standard decoders, turning a panic
// on hostile input (which a decoder should not have, but a service must
// survive) into an error.
func decodeConfig(b []byte) (cfg image.Config, format string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return image.DecodeConfig(bytes.NewReader(b))
}

func decodeImage(b []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed: %v", r)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(b))
	return img, err
}

// cleanupTimeout bounds the removal of blobs left by a failed upload; it
// runs detached from the request, whose context may be what failed.
const cleanupTimeout = 30 * time.Second

// deleteBlobs removes blobs of a failed write, logging what it cannot
// remove (it is then an orphan in the blob store, never a broken record).
func (s *Server) deleteBlobs(reqCtx context.Context, keys ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), cleanupTimeout)
	defer cancel()
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k); err != nil && atelier.ErrorKind(err) != atelier.KindNotFound {
			s.log.ErrorContext(ctx, "orphan blob left by a failed write", "key", k, "err", err)
		}
	}
}
