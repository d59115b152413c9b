package report

import (
	"cmp"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/chart"
)

// The HTML export is one file a seller can forward, open offline and
// print: the charts are inline SVG (internal/chart), the pictures inline
// data: URIs and the style one <style> element, with no script and no
// link to anything. html/template escapes every text from the document
// (names, external ids, taste sentences); only the chart markup, which
// internal/chart escapes itself, and the data: URIs built here from image
// bytes of an allowed type are passed as trusted.

//go:embed html.tmpl
var htmlSource string

var htmlPage = template.Must(template.New("report").Parse(htmlSource))

// RowsShown is how many of a segment's ranked items its table shows
// open; the rest sit in a collapsed <details> so a large report's page
// stays quick to open (the CSV export has them all).
const RowsShown = 100

// MaxRowsHTML bounds a segment's rows in the HTML file, so a report over
// thousands of items stays a file a browser opens quickly; the rest are
// counted in the file and listed in the CSV export.
const MaxRowsHTML = 1000

// Pictures supplies the images an HTML export inlines, as PNG, JPEG, GIF
// or WebP bytes; the caller decides where they come from. Item is an
// item's model-size image (a segment's top catalog items), Blob an image
// by blob key (a best variant). A KindNotFound error (an item deleted
// since the report ran) draws a placeholder; any other fails the export.
type Pictures struct {
	Item func(itemID string) ([]byte, error)
	Blob func(key string) ([]byte, error)
}

// WriteHTML writes doc as a self-contained HTML page: a header, a heat
// map of the seller's items × segments (the first chart.MaxRows items),
// and per segment its size, its taste in words and pictures, the
// distribution of the seller's items against the catalog and the items
// ranked with their percentile and best variant. created is when the
// report was asked for (the document does not hold it).
func WriteHTML(w io.Writer, doc Doc, created time.Time, pics Pictures) error {
	page, err := newHTMLPage(doc, created, pics)
	if err != nil {
		return err
	}
	if err := htmlPage.Execute(w, page); err != nil {
		return fmt.Errorf("report %s as HTML: %w", doc.ReportID, err)
	}
	return nil
}

// htmlView and the views below are what the template reads.
type htmlView struct {
	Doc      Doc
	Created  string
	HeatMap  template.HTML
	HeatRows int // items in the heat map
	LeftOut  int // items beyond chart.MaxRows, not in the heat map
	Segments []segmentView
}

type segmentView struct {
	Segment
	Top     []pictureView
	Chart   template.HTML
	Shown   []rowView // the first RowsShown rows
	More    []rowView // the rows after them, up to MaxRowsHTML in all
	Omitted int       // rows beyond MaxRowsHTML, in the CSV only
}

type pictureView struct {
	Src template.URL // "" when the image is gone
	Alt string
}

type rowView struct {
	Rank       int
	ExternalID string
	ItemID     string
	Category   string
	Percentile string // one decimal
	Width      string // the bar's CSS width in %, same value
	Variant    *pictureView
	Uplift     string
}

// newHTMLPage builds the template's view of doc, reading each picture
// once.
func newHTMLPage(doc Doc, created time.Time, pics Pictures) (htmlView, error) {
	in := inliner{pics: pics, seen: map[string]template.URL{}}
	v := htmlView{Doc: doc, Created: created.UTC().Format("2006-01-02 15:04 UTC"),
		HeatMap: template.HTML(chart.HeatMap(heatMatrix(doc))), HeatRows: min(chart.MaxRows, len(doc.Items)), LeftOut: max(0, len(doc.Items)-chart.MaxRows)}
	for s, sg := range doc.Segments {
		sv := segmentView{Segment: sg, Chart: template.HTML(chart.Distribution(distSample(doc, s)))}
		for n, id := range sg.TopItemIDs {
			src, err := in.src("item:"+id, func() ([]byte, error) { return pics.Item(id) })
			if err != nil {
				return htmlView{}, fmt.Errorf("segment %s top item %s: %w", sg.ID, id, err)
			}
			sv.Top = append(sv.Top, pictureView{Src: src, Alt: fmt.Sprintf("catalog favourite %d of segment %s", n+1, sg.Name)})
		}
		rows, omitted, err := segmentRows(doc, s, &in)
		if err != nil {
			return htmlView{}, err
		}
		sv.Omitted = omitted
		sv.Shown, sv.More = rows[:min(RowsShown, len(rows))], rows[min(RowsShown, len(rows)):]
		v.Segments = append(v.Segments, sv)
	}
	return v, nil
}

// segmentRows are the seller's items for segment s, best rank first
// (ties in the document's order), at most MaxRowsHTML of them; omitted
// counts the rest. Only the rows kept have their pictures read.
func segmentRows(doc Doc, s int, in *inliner) (rows []rowView, omitted int, err error) {
	segID := doc.Segments[s].ID
	type ranked struct {
		it Item
		sc Score
	}
	var order []ranked
	for _, it := range doc.Items {
		if sc, ok := scoreFor(it, segID); ok {
			order = append(order, ranked{it, sc})
		}
	}
	slices.SortStableFunc(order, func(a, b ranked) int { return cmp.Compare(a.sc.Rank, b.sc.Rank) })
	omitted = max(0, len(order)-MaxRowsHTML)
	rows = make([]rowView, 0, len(order)-omitted)
	for _, o := range order[:len(order)-omitted] {
		it, sc := o.it, o.sc
		pct := strconv.FormatFloat(sc.Percentile, 'f', 1, 64)
		r := rowView{Rank: sc.Rank, ExternalID: it.ExternalID, ItemID: it.ItemID, Category: it.Category, Percentile: pct, Width: pct}
		if bv := bestVariant(it, segID); bv != nil {
			src, err := in.src("blob:"+bv.ImageKey, func() ([]byte, error) { return in.pics.Blob(bv.ImageKey) })
			if err != nil {
				return nil, 0, fmt.Errorf("item %s segment %s best variant: %w", it.ItemID, segID, err)
			}
			r.Variant = &pictureView{Src: src, Alt: "best variant of " + it.ExternalID}
			r.Uplift = fmt.Sprintf("%+.3f", bv.Uplift)
		}
		rows = append(rows, r)
	}
	return rows, omitted, nil
}

// scoreFor is the item's score for the segment.
func scoreFor(it Item, segID string) (Score, bool) {
	for _, sc := range it.Scores {
		if sc.SegmentID == segID {
			return sc, true
		}
	}
	return Score{}, false
}

// heatMatrix is the seller's first chart.MaxRows items × the segments,
// by percentile.
func heatMatrix(doc Doc) chart.Matrix {
	m := chart.Matrix{Title: "Your items × segments (percentile, 100 = most preferred)"}
	for _, sg := range doc.Segments {
		m.Cols = append(m.Cols, sg.Name)
	}
	for _, it := range doc.Items[:min(chart.MaxRows, len(doc.Items))] {
		m.Rows = append(m.Rows, cmp.Or(it.ExternalID, it.ItemID))
		row := make([]float64, len(doc.Segments))
		for s, sg := range doc.Segments {
			row[s] = nanUnless(scoreFor(it, sg.ID))
		}
		m.Values = append(m.Values, row)
	}
	return m
}

func nanUnless(sc Score, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return sc.Percentile
}

// distSample is segment s's distribution chart input: the seller's
// items' percentiles against the catalog's share of each bin.
func distSample(doc Doc, s int) chart.Sample {
	sg := doc.Segments[s]
	var mine []float64
	for _, it := range doc.Items {
		if sc, ok := scoreFor(it, sg.ID); ok {
			mine = append(mine, sc.Percentile)
		}
	}
	return chart.Sample{Title: "How your items rank with " + sg.Name, Values: mine,
		Reference: catalogShares(doc, mine), ValueName: "your items", ReferenceName: "the catalog"}
}

// catalogShares is the catalog's share of each percentile bin. The
// document keeps only the seller's items' percentiles, but the pool's
// ranks are 1..PoolSize, so its percentiles are known: the catalog's
// count in a bin is the pool's less the seller's (ties, which share a
// rank, move an item by a rank at most). nil without a catalog.
func catalogShares(doc Doc, mine []float64) []float64 {
	if doc.CatalogSize <= 0 || doc.PoolSize <= 0 {
		return nil
	}
	pool := make([]float64, doc.PoolSize)
	for r := range pool {
		pool[r] = percentile(r+1, doc.PoolSize)
	}
	all, seller := chart.Histogram(pool, chart.DefaultBins), chart.Histogram(mine, chart.DefaultBins)
	shares := make([]float64, len(all))
	for b := range all {
		shares[b] = float64(max(0, all[b]-seller[b])) / float64(doc.CatalogSize)
	}
	return shares
}

// inliner turns image bytes into data: URIs, once per image.
type inliner struct {
	pics Pictures
	seen map[string]template.URL
}

// inlineTypes are the image types a page may inline: what browsers
// render in <img>, detected from the bytes rather than trusted from the
// store.
var inlineTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// src is the data: URI of the image under id ("" for a missing one).
func (in *inliner) src(id string, read func() ([]byte, error)) (template.URL, error) {
	if u, ok := in.seen[id]; ok {
		return u, nil
	}
	data, err := read()
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		in.seen[id] = ""
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ct := http.DetectContentType(data)
	if !slices.Contains(inlineTypes, ct) {
		return "", atelier.Errorf(atelier.KindInvalid, "image %s is %s, not an image a page can show", id, ct)
	}
	// Safe as a trusted URL: a fixed scheme, an allowed type and base64.
	u := template.URL("data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data))
	in.seen[id] = u
	return u, nil
}
