package watermark

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/atelier-app/atelier"
)

// Keywords of the provenance label Atelier writes into generated PNGs.
const (
	KeyAIGenerated = "AI-Generated"
	KeyGenerator   = "Generator"
	KeyDescription = "Description"
)

// maxTextBytes bounds a decompressed text chunk, so that a hostile file
// cannot make ReadText inflate without limit.
const maxTextBytes = 1 << 20

const pngSignature = "\x89PNG\r\n\x1a\n"

// TextChunk is one PNG text chunk (tEXt, zTXt or iTXt): a keyword and its
// text.
type TextChunk struct {
	Keyword string `json:"keyword"`
	Text    string `json:"text"`
}

// Provenance returns the label of an AI-generated image: AI-Generated:
// true, Generator: Atelier and, when not empty, a description.
func Provenance(description string) []TextChunk {
	chunks := []TextChunk{{KeyAIGenerated, "true"}, {KeyGenerator, "Atelier"}}
	if description != "" {
		chunks = append(chunks, TextChunk{KeyDescription, description})
	}
	return chunks
}

// EncodePNG writes img as a PNG with the given text chunks.
func EncodePNG(w io.Writer, img image.Image, chunks ...TextChunk) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return err
	}
	out, err := AddText(buf.Bytes(), chunks...)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// AddText returns a copy of the PNG data with the text chunks inserted just
// before IEND: tEXt when the text is Latin-1, iTXt (UTF-8) otherwise. Go's
// image/png writes no text chunks, hence the surgery on the byte stream.
func AddText(data []byte, chunks ...TextChunk) ([]byte, error) {
	iend := -1
	if err := walkChunks(data, func(typ string, _ []byte, off int) bool {
		if typ == "IEND" {
			iend = off
			return false
		}
		return true
	}); err != nil {
		return nil, err
	}
	if iend < 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "PNG has no IEND chunk")
	}
	var ins bytes.Buffer
	for _, c := range chunks {
		if err := checkKeyword(c.Keyword); err != nil {
			return nil, err
		}
		if strings.IndexByte(c.Text, 0) >= 0 || !utf8.ValidString(c.Text) {
			return nil, atelier.FieldErrorf("text", "text of %q must be valid UTF-8 without NUL", c.Keyword)
		}
		if latin1, ok := toLatin1(c.Text); ok {
			writeChunk(&ins, "tEXt", append(append([]byte(c.Keyword), 0), latin1...))
			continue
		}
		// Keyword, NUL, compression flag and method 0, empty language tag
		// and translated keyword (each NUL-terminated), UTF-8 text.
		body := append(append([]byte(c.Keyword), 0, 0, 0, 0, 0), c.Text...)
		writeChunk(&ins, "iTXt", body)
	}
	out := make([]byte, 0, len(data)+ins.Len())
	out = append(out, data[:iend]...)
	out = append(out, ins.Bytes()...)
	return append(out, data[iend:]...), nil
}

// ReadText returns the text chunks of PNG data in file order, with
// compressed zTXt and iTXt text inflated. It checks every chunk's CRC.
func ReadText(data []byte) ([]TextChunk, error) {
	var out []TextChunk
	var bad error
	err := walkChunks(data, func(typ string, body []byte, _ int) bool {
		var c TextChunk
		var err error
		switch typ {
		case "tEXt":
			c, err = parseTEXt(body)
		case "zTXt":
			c, err = parseZTXt(body)
		case "iTXt":
			c, err = parseITXt(body)
		default:
			return typ != "IEND"
		}
		if err != nil {
			bad = atelier.Wrap(atelier.KindInvalid, err, "PNG %s chunk", typ)
			return false
		}
		out = append(out, c)
		return true
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// walkChunks calls f with the type, data and offset of every chunk of a
// PNG stream until f returns false or IEND has been seen.
func walkChunks(data []byte, f func(typ string, body []byte, off int) bool) error {
	if !bytes.HasPrefix(data, []byte(pngSignature)) {
		return atelier.Errorf(atelier.KindInvalid, "not a PNG file")
	}
	off := len(pngSignature)
	for off < len(data) {
		if len(data)-off < 12 {
			return atelier.Errorf(atelier.KindInvalid, "PNG is truncated at byte %d", off)
		}
		n := binary.BigEndian.Uint32(data[off:])
		if uint64(n) > uint64(len(data)-off-12) {
			return atelier.Errorf(atelier.KindInvalid, "PNG chunk at byte %d runs past the end of the file", off)
		}
		typ := string(data[off+4 : off+8])
		body := data[off+8 : off+8+int(n)]
		crc := binary.BigEndian.Uint32(data[off+8+int(n):])
		if crc32.ChecksumIEEE(data[off+4:off+8+int(n)]) != crc {
			return atelier.Errorf(atelier.KindInvalid, "PNG %s chunk at byte %d has a bad CRC", typ, off)
		}
		if !f(typ, body, off) || typ == "IEND" {
			return nil
		}
		off += 12 + int(n)
	}
	return atelier.Errorf(atelier.KindInvalid, "PNG has no IEND chunk")
}

// writeChunk appends one chunk with its length and CRC.
func writeChunk(w *bytes.Buffer, typ string, body []byte) {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(body)))
	copy(hdr[4:], typ)
	w.Write(hdr[:])
	w.Write(body)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(body)
	binary.BigEndian.PutUint32(hdr[:4], crc.Sum32())
	w.Write(hdr[:4])
}

// checkKeyword enforces the PNG rules for keywords: 1–79 printable
// characters (ASCII here), no leading, trailing or double spaces.
func checkKeyword(k string) error {
	if len(k) == 0 || len(k) > 79 {
		return atelier.FieldErrorf("keyword", "PNG text keyword %q must have 1 to 79 characters", k)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return atelier.FieldErrorf("keyword", "PNG text keyword %q must be printable ASCII", k)
		}
	}
	if k[0] == ' ' || k[len(k)-1] == ' ' || strings.Contains(k, "  ") {
		return atelier.FieldErrorf("keyword", "PNG text keyword %q has leading, trailing or double spaces", k)
	}
	return nil
}

// toLatin1 encodes s in ISO 8859-1 when every rune fits.
func toLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

func fromLatin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func splitKeyword(body []byte) (string, []byte, error) {
	i := bytes.IndexByte(body, 0)
	if i < 1 || i > 79 {
		return "", nil, atelier.Errorf(atelier.KindInvalid, "missing or bad keyword")
	}
	return fromLatin1(body[:i]), body[i+1:], nil
}

func parseTEXt(body []byte) (TextChunk, error) {
	k, rest, err := splitKeyword(body)
	return TextChunk{k, fromLatin1(rest)}, err
}

func parseZTXt(body []byte) (TextChunk, error) {
	k, rest, err := splitKeyword(body)
	if err != nil {
		return TextChunk{}, err
	}
	if len(rest) < 1 || rest[0] != 0 {
		return TextChunk{}, atelier.Errorf(atelier.KindInvalid, "unknown compression method")
	}
	text, err := inflate(rest[1:])
	return TextChunk{k, fromLatin1(text)}, err
}

func parseITXt(body []byte) (TextChunk, error) {
	k, rest, err := splitKeyword(body)
	if err != nil {
		return TextChunk{}, err
	}
	if len(rest) < 2 {
		return TextChunk{}, atelier.Errorf(atelier.KindInvalid, "truncated header")
	}
	compressed, method := rest[0], rest[1]
	rest = rest[2:]
	for range 2 { // language tag, translated keyword
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return TextChunk{}, atelier.Errorf(atelier.KindInvalid, "truncated header")
		}
		rest = rest[i+1:]
	}
	if compressed == 1 {
		if method != 0 {
			return TextChunk{}, atelier.Errorf(atelier.KindInvalid, "unknown compression method")
		}
		if rest, err = inflate(rest); err != nil {
			return TextChunk{}, err
		}
	}
	if !utf8.Valid(rest) {
		return TextChunk{}, atelier.Errorf(atelier.KindInvalid, "text is not UTF-8")
	}
	return TextChunk{k, string(rest)}, nil
}

func inflate(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxTextBytes {
		return nil, atelier.Errorf(atelier.KindTooLarge, "text is longer than %d bytes", maxTextBytes)
	}
	return out, nil
}
