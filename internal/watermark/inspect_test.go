package watermark

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/atelier-app/atelier"
)

func TestInspect(t *testing.T) {
	m := mustEmbed(t, productImage(64, 7), testKey)
	labelled := encodeLabelled(t, m.Image, Provenance("test variant")...)

	var stripped bytes.Buffer // what a tool that drops metadata writes
	if err := png.Encode(&stripped, m.Image); err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, m.Image, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	labelOnly := encodeLabelled(t, productImage(64, 8), Provenance("")...)
	notAI := encodeLabelled(t, productImage(64, 9), TextChunk{KeyAIGenerated, "false"})

	tests := []struct {
		name             string
		data             []byte
		format           string
		marked, labelled bool
	}{
		{"marked and labelled", labelled, "png", true, true},
		{"metadata stripped", stripped.Bytes(), "png", true, false},
		{"re-shared as JPEG", jpg.Bytes(), "jpeg", true, false},
		{"label without mark", labelOnly, "png", false, true},
		{"label says false", notAI, "png", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Inspect(tt.data, testKey)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != tt.format || r.Width != 64 || r.Height != 64 || r.Marked != tt.marked || r.Labelled != tt.labelled {
				t.Fatalf("report %+v, want format %s, marked %v, labelled %v", r, tt.format, tt.marked, tt.labelled)
			}
			if r.Marked != (r.Score >= Threshold) {
				t.Fatalf("marked %v with score %.2f", r.Marked, r.Score)
			}
		})
	}
	r, _ := Inspect(labelled, testKey)
	if len(r.Text) != 3 || r.Text[2] != (TextChunk{KeyDescription, "test variant"}) {
		t.Fatalf("text chunks %q", r.Text)
	}
	if _, err := Inspect([]byte("plain text, not an image"), testKey); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("not an image: err = %v", err)
	}

	// A few bytes that claim 10⁴×10⁴ pixels are refused before decoding.
	var huge bytes.Buffer
	huge.WriteString(pngSignature)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 10000)
	binary.BigEndian.PutUint32(ihdr[4:], 10000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	writeChunk(&huge, "IHDR", ihdr)
	writeChunk(&huge, "IEND", nil)
	if _, err := Inspect(huge.Bytes(), testKey); atelier.ErrorKind(err) != atelier.KindTooLarge {
		t.Fatalf("10⁸ pixels: err = %v, want too large", err)
	}
}
