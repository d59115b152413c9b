package dataimport_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// amazonFixture writes a tiny Amazon dump: reviews, meta (2014 and 2018
// category forms) and images for B001 (JPEG), B002 and B003 (PNG); B004
// has meta but no image.
func amazonFixture(t *testing.T, withMeta bool) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 100, 150)), nil); err != nil {
		t.Fatal(err)
	}
	write("images/B001.jpg", jpg.Bytes())
	write("images/B002.png", encodedPNG(t, 64))
	write("images/B003.png", encodedPNG(t, 32))
	write("reviews.json", []byte(strings.Join([]string{
		`{"reviewerID": "R1", "asin": "B001", "unixReviewTime": 1400000000, "overall": 5.0, "reviewText": "lovely"}`,
		`{"reviewerID": "R1", "asin": "B002", "unixReviewTime": 1400000100}`,
		`{"reviewerID": "R2", "asin": "B001", "unixReviewTime": 1400000200}`,
		`{"reviewerID": "R2", "asin": "B001"`,
		`{"reviewerID": "R3", "asin": "B004", "unixReviewTime": 1400000300}`,
		`{"reviewerID": "R2", "asin": "B002"}`,
		``,
		`{"reviewerID": "R3", "asin": "B002", "unixReviewTime": 1400000400}`,
		`{"reviewerID": "R3", "asin": "B003", "unixReviewTime": 1400000500}`,
	}, "\n")+"\n"))
	if withMeta {
		write("meta.json", []byte(strings.Join([]string{
			`{"asin": "B001", "title": "Summer dress", "categories": [["Clothing, Shoes & Jewelry", "Women", "Dresses"]]}`,
			`{"asin": "B002", "brand": "Fleet", "category": ["Clothing, Shoes & Jewelry", "Shoes", "Sneakers"]}`,
			`{"asin": "B004", "category": ["Clothing, Shoes & Jewelry", "Bags"]}`,
		}, "\n")+"\n"))
	}
	return dir
}

func TestAmazonReviews(t *testing.T) {
	dir := amazonFixture(t, true)
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := storagetest.OpenBlob(t, storagetest.LocalBlobURL(t))
		sum := testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{BatchSize: 3}))(t)
		if sum.Format != dataimport.FormatAmazon {
			t.Fatalf("format %q", sum.Format)
		}
		want := []string{
			`meta.json:3: item "B004": no image images/B004{.png,.jpg,.jpeg,.webp}`,
			`reviews.json:4: not a JSON object: unexpected end of JSON input`,
			`reviews.json:6: no unixReviewTime`,
			// Names are resolved when the batch (lines 4 to 9) is written.
			`reviews.json:5: unknown asin "B004"`,
			`reviews.json:9: unknown asin "B003"`, // B003 has an image but no meta line
		}
		if got := issueStrings(sum); !slices.Equal(got, want) {
			t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if f := fileStats(t, sum, "meta.json", "items"); f.New != 2 || f.Skipped != 1 {
			t.Errorf("items %+v", f)
		}
		if f := fileStats(t, sum, "reviews.json", "consumers"); f.New != 3 {
			t.Errorf("consumers %+v", f)
		}
		if f := fileStats(t, sum, "reviews.json", "interactions"); f.New != 4 || f.Skipped != 4 {
			t.Errorf("interactions %+v", f)
		}

		b1 := testkit.Must(s.ItemByExternalID(ctx, "", "B001"))(t)
		b2 := testkit.Must(s.ItemByExternalID(ctx, "", "B002"))(t)
		if b1.Category != "Dresses" || b1.Attributes["title"] != "Summer dress" || b1.Images[0].ContentType != "image/jpeg" || b1.Images[0].Width != 100 {
			t.Errorf("B001 %+v", b1)
		}
		if b2.Category != "Sneakers" || b2.Attributes["brand"] != "Fleet" || b2.Images[0].ContentType != "image/png" {
			t.Errorf("B002 %+v", b2)
		}
		r3 := testkit.Must(s.ConsumerByExternalID(ctx, "R3"))(t)
		hist := testkit.Must(s.ListInteractions(ctx, storage.InteractionFilter{ConsumerID: r3.ID}))(t)
		if len(hist) != 1 || hist[0].ItemID != b2.ID || hist[0].Kind != dataimport.KindReview || hist[0].At.Unix() != 1400000400 {
			t.Errorf("R3 history %+v", hist)
		}

		before := takeSnapshot(t, s, b)
		again := testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{BatchSize: 3}))(t)
		if again.New() != 0 || again.Blobs.Written != 0 {
			t.Errorf("second import: %d new, %+v", again.New(), again.Blobs)
		}
		if after := takeSnapshot(t, s, b); !after.equal(before) {
			t.Errorf("second import changed the stores")
		}
	})
}

// TestAmazonWithoutMeta: without a meta file the items are the image
// files, of the default category, which is then required.
func TestAmazonWithoutMeta(t *testing.T) {
	dir := amazonFixture(t, false)
	s, b := sqliteLocal(t)
	ctx := context.Background()
	_, err := dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{})
	if atelier.ErrorField(err) != "category" {
		t.Fatalf("error %v, want one naming the category", err)
	}
	sum := testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{Category: "shoes", BatchSize: 2}))(t)
	if f := fileStats(t, sum, "images", "items"); f.New != 3 {
		t.Errorf("items %+v", f)
	}
	if f := fileStats(t, sum, "reviews.json", "interactions"); f.New != 5 || f.Skipped != 3 {
		t.Errorf("interactions %+v, issues %q", f, issueStrings(sum))
	}
	if it := testkit.Must(s.ItemByExternalID(ctx, "", "B003"))(t); it.Category != "shoes" || it.Images[0].Width != 32 {
		t.Errorf("B003 %+v", it)
	}
}
