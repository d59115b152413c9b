package watermark

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
)

// chunkList parses a PNG stream independently of the package: it returns
// the chunk types in order and fails the test on any bad length or CRC.
func chunkList(t *testing.T, data []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("no PNG signature")
	}
	var types []string
	for off := 8; off < len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		typ := data[off+4 : off+8]
		want := crc32.Update(crc32.ChecksumIEEE(typ), crc32.IEEETable, data[off+8:off+8+n])
		if got := binary.BigEndian.Uint32(data[off+8+n:]); got != want {
			t.Fatalf("chunk %s: CRC %08x, want %08x", typ, got, want)
		}
		types = append(types, string(typ))
		off += 12 + n
	}
	return types
}

func sameColour(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func encodeLabelled(t *testing.T, img image.Image, chunks ...TextChunk) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img, chunks...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTextChunksRoundTrip(t *testing.T) {
	img := productImage(64, 1)
	chunks := append(Provenance("variant of item 42 for segment bright-cool"),
		TextChunk{"Comment", "café, naïve (Latin-1)"},
		TextChunk{"Title", "变体 · variant"}, // not Latin-1: written as iTXt
		TextChunk{"Empty", ""},
	)
	data := encodeLabelled(t, img, chunks...)

	types := chunkList(t, data)
	if types[0] != "IHDR" || types[len(types)-1] != "IEND" {
		t.Fatalf("chunk order %v", types)
	}
	if got := strings.Join(types[len(types)-7:len(types)-1], ","); got != "tEXt,tEXt,tEXt,tEXt,iTXt,tEXt" {
		t.Fatalf("text chunks before IEND: %s (all: %v)", got, types)
	}

	// The image still decodes, with the same pixels.
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png cannot decode the labelled file: %v", err)
	}
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if !sameColour(dec, img, x, y) {
				t.Fatalf("pixel (%d,%d) changed", x, y)
			}
		}
	}

	got, err := ReadText(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, chunks) {
		t.Fatalf("read back %q, want %q", got, chunks)
	}
}

func TestReadCompressedTextChunks(t *testing.T) {
	var plain bytes.Buffer
	if err := png.Encode(&plain, productImage(64, 2)); err != nil {
		t.Fatal(err)
	}
	deflate := func(s string) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	// Written by hand, the way other tools do: a zTXt, a compressed iTXt
	// with a language tag, then IEND.
	data := plain.Bytes()
	iend := len(data) - 12
	var extra bytes.Buffer
	writeChunk(&extra, "zTXt", append([]byte("Software\x00\x00"), deflate("some editor \xe9")...))
	writeChunk(&extra, "iTXt", append([]byte("Description\x00\x01\x00fr\x00Description\x00"), deflate("variante générée")...))
	data = append(append(slices.Clone(data[:iend]), extra.Bytes()...), data[iend:]...)

	got, err := ReadText(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []TextChunk{{"Software", "some editor é"}, {"Description", "variante générée"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAddTextRejectsBadInput(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, productImage(64, 3)); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	badCRC := slices.Clone(good)
	badCRC[20] ^= 0xff // inside IHDR's data
	tests := []struct {
		name  string
		data  []byte
		chunk TextChunk
	}{
		{"empty keyword", good, TextChunk{"", "x"}},
		{"long keyword", good, TextChunk{strings.Repeat("k", 80), "x"}},
		{"leading space", good, TextChunk{" Key", "x"}},
		{"double space", good, TextChunk{"A  B", "x"}},
		{"non-ASCII keyword", good, TextChunk{"Schlüssel", "x"}},
		{"NUL in text", good, TextChunk{"Key", "a\x00b"}},
		{"invalid UTF-8 text", good, TextChunk{"Key", "\xff\xfe"}},
		{"not a PNG", []byte("GIF89a..."), TextChunk{"Key", "x"}},
		{"truncated", good[:len(good)-20], TextChunk{"Key", "x"}},
		{"no IEND", good[:len(good)-12], TextChunk{"Key", "x"}},
		{"bad CRC", badCRC, TextChunk{"Key", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AddText(tt.data, tt.chunk)
			if atelier.ErrorKind(err) != atelier.KindInvalid || out != nil {
				t.Fatalf("err = %v, want an invalid-input error and no output", err)
			}
		})
	}
}

func TestReadTextRejectsCorruptChunks(t *testing.T) {
	data := encodeLabelled(t, productImage(64, 4), Provenance("")...)
	i := bytes.Index(data, []byte("AI-Generated"))
	corrupt := slices.Clone(data)
	corrupt[i] = 'a' // the CRC no longer matches
	if _, err := ReadText(corrupt); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("corrupt tEXt: err = %v", err)
	}
	if _, err := ReadText([]byte("not a png")); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("not a PNG: err = %v", err)
	}
	// A keyword without its NUL separator.
	var bad bytes.Buffer
	writeChunk(&bad, "tEXt", []byte("no separator"))
	end := len(data) - 12
	broken := append(append(slices.Clone(data[:end]), bad.Bytes()...), data[end:]...)
	if _, err := ReadText(broken); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Fatalf("tEXt without keyword: err = %v", err)
	}
}
