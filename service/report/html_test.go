package report_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/report"
)

// htmlDoc is a finished report of three items over two segments, with
// text that must be escaped, one best variant and one catalog favourite
// whose item is gone.
func htmlDoc() report.Doc {
	return report.Doc{ReportID: "rep1", PoolSize: 13, CatalogSize: 10, RecommenderVersionID: "mv1",
		Segments: []report.Segment{
			{ID: "s1", Name: "warm <bold>", Members: 40, TopItemIDs: []string{"c1", "c2", "gone"},
				Taste: report.Taste{Summary: "Likes warmer & brighter colours, mostly \"dresses\"."}},
			{ID: "s2", Name: "dark minimal", Members: 25, TopItemIDs: []string{"c2", "c3"},
				Taste: report.Taste{Summary: "Likes darker, plainer items."}},
		},
		Skipped: []report.Skip{{ID: "s3", Name: "empty", Reason: "no member is known to the active recommender"}},
		Items: []report.Item{
			{ItemID: "a", ExternalID: "sku-<1>", Category: "dress", Scores: []report.Score{
				{SegmentID: "s1", Rank: 1, Percentile: 100}, {SegmentID: "s2", Rank: 10, Percentile: 25}},
				Candidates: []report.Candidate{{SegmentID: "s2", Rank: 10, Percentile: 25,
					BestVariant: &report.LiftingVariant{RedesignID: "r1", Uplift: 0.375, ImageKey: "redesigns/r1/2.png"}}}},
			{ItemID: "b", ExternalID: "sku-2", Category: "heel", Scores: []report.Score{
				{SegmentID: "s1", Rank: 7, Percentile: 50}, {SegmentID: "s2", Rank: 1, Percentile: 100}}},
			{ItemID: "c", ExternalID: "https://shop.example/sku-3", Category: "bag", Scores: []report.Score{
				{SegmentID: "s1", Rank: 13, Percentile: 0}, {SegmentID: "s2", Rank: 4, Percentile: 75}}},
		}}
}

// testPNG is a tiny PNG of one colour.
func testPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testPictures serves a PNG per catalog item and variant, and
// KindNotFound for the item "gone"; reads counts the calls.
func testPictures(t *testing.T, reads map[string]int) report.Pictures {
	item, variant := testPNG(t, color.RGBA{200, 40, 40, 255}), testPNG(t, color.RGBA{40, 40, 200, 255})
	return report.Pictures{
		Item: func(id string) ([]byte, error) {
			reads["item:"+id]++
			if id == "gone" {
				return nil, atelier.Errorf(atelier.KindNotFound, "item %s not found", id)
			}
			return item, nil
		},
		Blob: func(key string) ([]byte, error) {
			reads["blob:"+key]++
			return variant, nil
		},
	}
}

func writeHTML(t *testing.T, doc report.Doc, pics report.Pictures) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, doc, time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC), pics); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWriteHTML(t *testing.T) {
	doc := htmlDoc()
	reads := map[string]int{}
	out := writeHTML(t, doc, testPictures(t, reads))
	root, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not HTML: %v", err)
	}
	text := textOf(root)
	for _, want := range []string{"rep1", "2026-12-05 18:00 UTC", "warm <bold>", "dark minimal", "40 consumers",
		"sku-<1>", "sku-2", "https://shop.example/sku-3", "+0.375", "image gone", "no member is known"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, sg := range doc.Segments {
		if !strings.Contains(text, sg.Taste.Summary) {
			t.Errorf("no taste summary %q", sg.Taste.Summary)
		}
	}
	if strings.Contains(out, "<bold>") || strings.Contains(out, "sku-<1>") {
		t.Error("document text is not escaped")
	}

	// Self-contained: no script, no link out. The only URLs are the SVG
	// namespace and text the document itself holds.
	if n := count(root, "script"); n != 0 {
		t.Errorf("%d <script> elements", n)
	}
	rest := strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, "")
	rest = strings.ReplaceAll(rest, "https://shop.example/sku-3", "")
	if strings.Contains(rest, "http://") || strings.Contains(rest, "https://") {
		t.Errorf("an external reference in the page")
	}
	for _, src := range attrs(root, "img", "src") {
		if !strings.HasPrefix(src, "data:image/png;base64,") {
			t.Errorf("image not inlined: %.60s", src)
		}
		if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,")); err != nil {
			t.Errorf("inlined image is not base64: %v", err)
		}
	}
	// c1 and c2 for s1 ("gone" is a placeholder), c2 and c3 for s2 (c2
	// read once), one variant.
	if n := len(attrs(root, "img", "src")); n != 4+1 {
		t.Errorf("%d images, want 4 favourites and 1 variant", n)
	}
	if reads["item:c2"] != 1 || reads["blob:redesigns/r1/2.png"] != 1 {
		t.Errorf("an image read more than once: %v", reads)
	}

	// One heat map (3 items × 2 segments), one distribution per segment,
	// one table row per item and segment.
	if n := count(root, "svg"); n != 1+len(doc.Segments) {
		t.Errorf("%d charts, want %d", n, 1+len(doc.Segments))
	}
	if n := classCount(root, "rect", "chart-cell"); n != 6 {
		t.Errorf("%d heat map cells, want 6", n)
	}
	if n := count(root, "tr") - len(doc.Segments); n != 6 { // less each table's header row
		t.Errorf("%d item rows, want 6", n)
	}
}

// Rows are ranked: in segment s2 the item ranked 1 comes first.
func TestWriteHTMLRanksRows(t *testing.T) {
	out := writeHTML(t, htmlDoc(), testPictures(t, map[string]int{}))
	s2 := out[strings.Index(out, `id="segment-s2"`):]
	b, c, a := strings.Index(s2, "sku-2"), strings.Index(s2, "sku-3"), strings.Index(s2, "sku-&lt;1&gt;")
	if !(b >= 0 && b < c && c < a) {
		t.Errorf("segment s2 rows not by rank: sku-2 at %d, sku-3 at %d, sku-<1> at %d", b, c, a)
	}
	if !strings.Contains(s2, `style="width: 75.0%"`) {
		t.Error("no percentile bar of 75%")
	}
}

func TestWriteHTMLPagesTheHeatMap(t *testing.T) {
	doc := htmlDoc()
	base := doc.Items[0]
	doc.Items = nil
	for i := range 130 {
		it := base
		it.ItemID, it.ExternalID = fmt.Sprintf("i%d", i), fmt.Sprintf("sku-%d", i)
		doc.Items = append(doc.Items, it)
	}
	root, err := html.Parse(strings.NewReader(writeHTML(t, doc, testPictures(t, map[string]int{}))))
	if err != nil {
		t.Fatal(err)
	}
	if n := classCount(root, "rect", "chart-cell"); n != 60*2 {
		t.Errorf("%d heat map cells, want 60 rows × 2", n)
	}
	text := textOf(root)
	if !strings.Contains(text, "the first 60 of your 130 items; the other 70 are left out") {
		t.Error("the page does not say how many items the heat map leaves out")
	}
	// Past RowsShown, each segment's table goes on collapsed.
	if n := count(root, "details"); n != len(doc.Segments) || !strings.Contains(text, "30 more items") {
		t.Errorf("%d collapsed tables for 130 rows, want one per segment with 30 more items", n)
	}
	if n := count(root, "tr") - len(doc.Segments); n != 130*len(doc.Segments) {
		t.Errorf("%d item rows, want every item in every segment", n)
	}
}

func TestWriteHTMLFailsOnBadImages(t *testing.T) {
	pics := testPictures(t, map[string]int{})
	pics.Blob = func(string) ([]byte, error) { return []byte("<svg onload=alert(1)>"), nil }
	err := report.WriteHTML(&bytes.Buffer{}, htmlDoc(), time.Now(), pics)
	if err == nil || !strings.Contains(err.Error(), "redesigns/r1/2.png") {
		t.Errorf("a variant that is not an image: %v", err)
	}
	pics = testPictures(t, map[string]int{})
	pics.Item = func(string) ([]byte, error) { return nil, fmt.Errorf("disk on fire") }
	if err := report.WriteHTML(&bytes.Buffer{}, htmlDoc(), time.Now(), pics); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("an image that cannot be read: %v", err)
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func count(root *html.Node, tag string) int {
	return classCount(root, tag, "")
}

// classCount counts the elements tag with class class ("" for any).
func classCount(root *html.Node, tag, class string) int {
	n := 0
	walk(root, func(x *html.Node) {
		if x.Type == html.ElementNode && x.Data == tag && (class == "" || attr(x, "class") == class) {
			n++
		}
	})
	return n
}

func attrs(root *html.Node, tag, key string) []string {
	var out []string
	walk(root, func(x *html.Node) {
		if x.Type == html.ElementNode && x.Data == tag {
			out = append(out, attr(x, key))
		}
	})
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// textOf is the page's text outside <style>, as a reader sees it.
func textOf(root *html.Node) string {
	var b strings.Builder
	walk(root, func(x *html.Node) {
		if x.Type == html.TextNode && (x.Parent == nil || x.Parent.Data != "style") {
			b.WriteString(x.Data)
			b.WriteString(" ")
		}
	})
	return b.String()
}

// A report over a seller with no items says so and still shows each
// segment's taste, without an empty heat map.
func TestWriteHTMLWithoutItems(t *testing.T) {
	doc := htmlDoc()
	doc.Items, doc.Notes = nil, []string{report.NoItemsNote}
	out := writeHTML(t, doc, testPictures(t, map[string]int{}))
	root, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not HTML: %v", err)
	}
	text := textOf(root)
	if !strings.Contains(text, "You have no items with an image to rank yet") || !strings.Contains(text, doc.Segments[0].Taste.Summary) {
		t.Errorf("the page does not say there are no items, or lost the taste: %.300s", text)
	}
	if n := classCount(root, "rect", "chart-cell"); n != 0 || strings.Contains(text, "Your items across segments") {
		t.Errorf("a heat map of no items (%d cells)", n)
	}
}

// Past MaxRowsHTML, a segment's lowest-ranked items are left out of the
// file and counted.
func TestWriteHTMLBoundsTheRows(t *testing.T) {
	doc := htmlDoc()
	base := doc.Items[0]
	doc.Items = nil
	n := report.MaxRowsHTML + 7
	for i := range n {
		it := base
		it.ItemID, it.ExternalID = fmt.Sprintf("i%d", i), fmt.Sprintf("sku-%d", i)
		it.Scores = slices.Clone(base.Scores)
		for s := range it.Scores {
			it.Scores[s].Rank = i + 1 // item i ranks i+1 everywhere
		}
		doc.Items = append(doc.Items, it)
	}
	root, err := html.Parse(strings.NewReader(writeHTML(t, doc, testPictures(t, map[string]int{}))))
	if err != nil {
		t.Fatal(err)
	}
	text := textOf(root)
	if rows := count(root, "tr") - len(doc.Segments); rows != report.MaxRowsHTML*len(doc.Segments) {
		t.Errorf("%d item rows, want %d per segment", rows, report.MaxRowsHTML)
	}
	if !strings.Contains(text, "7 lower-ranked items are left out of this file") || strings.Contains(text, fmt.Sprintf("sku-%d ", n-1)) {
		t.Error("the file does not leave out and count the lowest-ranked items")
	}
}
