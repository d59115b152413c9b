package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage/blob"
)

// CSVHeader are the columns of a report's CSV export, one row per item ×
// segment.
var CSVHeader = []string{
	"item_id", "external_id", "category", "segment_id", "segment_name",
	"preference", "rank", "percentile", "best_variant_uplift", "best_variant_url",
}

// Load reads the document of report r. Only a succeeded report has one: any
// other is a conflict that names its status, so a client knows whether to
// wait (queued, running) or ask again (failed, cancelled).
func Load(ctx context.Context, blobs blob.Store, r atelier.Report) (Doc, error) {
	if r.Status != atelier.JobSucceeded || r.ResultKey == "" {
		return Doc{}, atelier.Errorf(atelier.KindConflict, "report %s is %s, not succeeded: its result is not ready", r.ID, r.Status)
	}
	rc, _, err := blobs.Get(ctx, r.ResultKey)
	if err != nil {
		return Doc{}, fmt.Errorf("report %s result %s: %w", r.ID, r.ResultKey, err)
	}
	defer rc.Close()
	var doc Doc
	if err := json.NewDecoder(rc).Decode(&doc); err != nil {
		return Doc{}, fmt.Errorf("report %s result %s: %w", r.ID, r.ResultKey, err)
	}
	return doc, nil
}

// WriteCSV writes doc as CSV (CSVHeader, then one row per item × segment
// in the document's order). The best-variant columns are empty where the
// item has no finished redesign for the segment (or ranks in its top
// half); urlOf turns the variant's image key into a link, so the caller
// decides how images are served and for how long the link works.
func WriteCSV(w io.Writer, doc Doc, urlOf func(key string) (string, error)) error {
	names := make(map[string]string, len(doc.Segments))
	for _, sg := range doc.Segments {
		names[sg.ID] = sg.Name
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, it := range doc.Items {
		for _, sc := range it.Scores {
			row, err := csvRow(it, sc, names[sc.SegmentID], urlOf)
			if err != nil {
				return err
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvRow is the row of item it with segment score sc.
func csvRow(it Item, sc Score, segmentName string, urlOf func(string) (string, error)) ([]string, error) {
	uplift, link := "", ""
	if v := bestVariant(it, sc.SegmentID); v != nil {
		u, err := urlOf(v.ImageKey)
		if err != nil {
			return nil, fmt.Errorf("item %s segment %s best variant: %w", it.ItemID, sc.SegmentID, err)
		}
		uplift, link = formatFloat(v.Uplift), u
	}
	return []string{
		it.ItemID, safeText(it.ExternalID), safeText(it.Category), sc.SegmentID, safeText(segmentName),
		formatFloat(sc.Preference), strconv.Itoa(sc.Rank), formatFloat(sc.Percentile), uplift, link,
	}, nil
}

// bestVariant is the item's best variant for the segment, or nil.
func bestVariant(it Item, segmentID string) *LiftingVariant {
	for _, c := range it.Candidates {
		if c.SegmentID == segmentID {
			return c.BestVariant
		}
	}
	return nil
}

// formatFloat writes the shortest decimal that reads back as v, without
// an exponent (spreadsheets read it as a number either way).
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// safeText keeps a seller's or operator's text from being read as a
// formula when the file is opened in a spreadsheet (CSV injection): a cell
// that starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text and do not display.
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Formats are the files a report exports to, by name, with their content
// type: CSV for spreadsheets, HTML for people (WriteHTML), JSON for
// programs (the document itself).
var Formats = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"html": "text/html; charset=utf-8",
	"json": "application/json",
}

// Export writes doc in format (a key of Formats): pics supply the HTML
// file's pictures and urlOf the CSV's variant links. created is when the
// report was asked for.
func Export(w io.Writer, format string, doc Doc, created time.Time, pics Pictures, urlOf func(key string) (string, error)) error {
	switch format {
	case "csv":
		return WriteCSV(w, doc, urlOf)
	case "html":
		return WriteHTML(w, doc, created, pics)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(doc)
	}
	return atelier.FieldErrorf("format", "unknown export format %q: want csv, html or json", format)
}
