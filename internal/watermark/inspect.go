package watermark

import (
	"bytes"
	"image"
	_ "image/jpeg" // marked images are often re-shared as JPEG
	"strings"

	"github.com/atelier-app/atelier"
)

// MaxInspectPixels bounds the images Inspect decodes (about 33.5
// megapixels), so that a small hostile file cannot claim gigabytes.
const MaxInspectPixels = 1 << 25

// Report is what Inspect finds in an image file: the invisible mark, which
// survives re-encoding and stripped metadata, and the PNG text label,
// which is easy to read but also easy to strip.
type Report struct {
	Format   string      `json:"format"` // "png", "jpeg", ...
	Width    int         `json:"width"`
	Height   int         `json:"height"`
	Marked   bool        `json:"watermark"`  // invisible mark of the key present
	Score    float64     `json:"score"`      // its detection score (see Verify)
	Labelled bool        `json:"text_chunk"` // PNG text chunk AI-Generated: true present
	Text     []TextChunk `json:"text,omitempty"`
}

// Inspect decodes an image file (PNG, JPEG) and reports both the invisible
// mark of key and, for PNGs, the text label.
func Inspect(data []byte, key string) (Report, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Report{}, atelier.Wrap(atelier.KindInvalid, err, "not a readable image")
	}
	if cfg.Width*cfg.Height > MaxInspectPixels || cfg.Width > MaxInspectPixels || cfg.Height > MaxInspectPixels {
		return Report{}, atelier.Errorf(atelier.KindTooLarge, "image of %d×%d pixels is larger than %d pixels", cfg.Width, cfg.Height, MaxInspectPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Report{}, atelier.Wrap(atelier.KindInvalid, err, "not a readable image")
	}
	r := Report{Format: format, Width: cfg.Width, Height: cfg.Height}
	r.Marked, r.Score = Verify(img, key)
	if format == "png" {
		if r.Text, err = ReadText(data); err != nil {
			return Report{}, err
		}
		for _, c := range r.Text {
			if c.Keyword == KeyAIGenerated && strings.EqualFold(strings.TrimSpace(c.Text), "true") {
				r.Labelled = true
			}
		}
	}
	return r, nil
}
