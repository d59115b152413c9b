package dataimport_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage/blob"
)

// pngHeader returns a PNG signature and an IHDR chunk announcing w×h RGB
// pixels, followed by junk instead of image data: its size can be read,
// but decoding it fails.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.WriteString(strings.Repeat("junk", 16))
	return b.Bytes()
}

func encodedPNG(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := imaging.WritePNG(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// oneItem writes a dataset with one item "x" whose image file is data
// (none when data is nil) and returns its directory.
func oneItem(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "items.csv"), []byte("item_id,category\nx,tshirt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	if data != nil {
		if err := os.WriteFile(filepath.Join(dir, "images", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImagesRefused: images that cannot be decoded or are over a limit
// make their item a bad row, with the file and the reason, and store
// nothing.
func TestImagesRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		data []byte
		opts dataimport.Options
		want string
	}{
		// The header is read first: a file claiming 10^10 pixels is refused
		// for its size, never decoded (decoding this one would fail).
		{"pixel bomb", "x.png", pngHeader(100000, 100000), dataimport.Options{}, "images/x.png is 100000×100000 pixels, over the limit of 25000000 pixels"},
		{"over the pixel limit", "x.png", encodedPNG(t, 80), dataimport.Options{MaxImagePixels: 64 * 64}, "is 80×80 pixels, over the limit of 4096 pixels"},
		{"over the byte limit", "x.png", encodedPNG(t, 64), dataimport.Options{MaxImageBytes: 100}, "bytes, over the limit of 100"},
		{"corrupt PNG", "x.png", pngHeader(64, 64), dataimport.Options{}, "images/x.png cannot be decoded: "},
		{"not an image", "x.png", []byte("hello, I am text"), dataimport.Options{}, "images/x.png is not a decodable image: image: unknown format"},
		{"empty file", "x.jpg", []byte{}, dataimport.Options{}, "images/x.jpg is not a decodable image"},
		{"missing file", "", nil, dataimport.Options{}, "no image images/x{.png,.jpg,.jpeg,.webp}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := oneItem(t, tc.file, tc.data)
			s, b := sqliteLocal(t)
			sum := testkit.Must(dataimport.Import(context.Background(), nil, s, b, dir, tc.opts))(t)
			if len(sum.Issues) != 1 || !strings.HasPrefix(sum.Issues[0].String(), `items.csv:2: item "x": `) ||
				!strings.Contains(sum.Issues[0].Message, tc.want) {
				t.Fatalf("issues %q, want one on items.csv:2 saying %q", issueStrings(sum), tc.want)
			}
			if f := fileStats(t, sum, "items.csv", "items"); f.Skipped != 1 || f.New != 0 {
				t.Errorf("items: %+v", f)
			}
			if blobs := testkit.Must(b.List(context.Background(), ""))(t); len(blobs) != 0 {
				t.Errorf("refused image stored blobs: %+v", blobs)
			}
		})
	}
}

// TestJPEGImage: a JPEG keeps its bytes and type; the model version is a
// 64 px PNG. The keys depend on the id and content only.
func TestJPEGImage(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(3, 4, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	dir := oneItem(t, "x.jpg", buf.Bytes())
	s, b := sqliteLocal(t)
	ctx := context.Background()
	testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{}))(t)
	it := testkit.Must(s.ItemByExternalID(ctx, "", "x"))(t)
	im := it.Images[0]
	wantOrig, wantModel := dataimport.ImageKeys("x", sha256.Sum256(buf.Bytes()), "jpeg")
	if im.ContentType != "image/jpeg" || im.Width != 120 || im.Height != 90 || im.OriginalKey != wantOrig || im.ModelKey != wantModel {
		t.Fatalf("image %+v, want keys %s, %s", im, wantOrig, wantModel)
	}
	if !strings.HasSuffix(wantOrig, ".jpg") || !strings.HasSuffix(wantModel, "-64.png") {
		t.Errorf("keys %s, %s", wantOrig, wantModel)
	}
	if info := testkit.Must(b.Stat(ctx, im.OriginalKey))(t); info.ContentType != "image/jpeg" || info.Size != int64(buf.Len()) {
		t.Errorf("original blob %+v", info)
	}
	model, _, err := image.Decode(bytes.NewReader(readBlob(t, b, im.ModelKey)))
	if err != nil || model.Bounds().Dx() != atelier.ModelSize || model.Bounds().Dy() != atelier.ModelSize {
		t.Fatalf("model blob: %v, %v", err, model)
	}
}

// TestImageKeysAreValid: keys are valid blob keys for any external id,
// and differ with the id and the content.
func TestImageKeysAreValid(t *testing.T) {
	sum := sha256.Sum256([]byte("image"))
	other := sha256.Sum256([]byte("other image"))
	seen := map[string]bool{}
	for _, id := range []string{"it00001", "B00ABC.1_x-y", "../../etc/passwd", ".hidden", "a/b", "ünïcødé", "with space", strings.Repeat("long", 60)} {
		for _, s := range [][32]byte{sum, other} {
			orig, model := dataimport.ImageKeys(id, s, "png")
			for _, k := range []string{orig, model} {
				if err := blob.ValidateKey(k); err != nil {
					t.Errorf("id %q: %v", id, err)
				}
				if !strings.HasPrefix(k, dataimport.KeyPrefix) || seen[k] {
					t.Errorf("id %q: key %q outside the prefix or not unique", id, k)
				}
				seen[k] = true
			}
		}
	}
}

// TestImagesStayInsideTheDataset: an image that is a symbolic link out of
// the dataset directory is refused, not read.
func TestImagesStayInsideTheDataset(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(outside, encodedPNG(t, 16), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := oneItem(t, "", nil)
	if err := os.Symlink(outside, filepath.Join(dir, "images", "x.png")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	s, b := sqliteLocal(t)
	sum := testkit.Must(dataimport.Import(context.Background(), nil, s, b, dir, dataimport.Options{}))(t)
	if len(sum.Issues) != 1 || !strings.Contains(sum.Issues[0].Message, "image images/x.png: path escapes") || fileStats(t, sum, "items.csv", "items").New != 0 {
		t.Fatalf("issues %q, files %+v", issueStrings(sum), sum.Files)
	}
}
