package report

import (
	"cmp"
	"slices"

	"github.com/atelier-app/atelier"
)

// Bottom returns the ids of the report's n items that rank lowest with
// the segment among its redesign candidates (the items in the segment's
// bottom half), the lowest first: the items a "redesign the bottom n"
// action redesigns. Fewer come back when fewer items are candidates; a
// segment the report does not cover is KindNotFound.
func Bottom(doc Doc, segmentID string, n int) ([]string, error) {
	if _, err := doc.segment(segmentID); err != nil {
		return nil, err
	}
	type ranked struct {
		id   string
		rank int
	}
	var low []ranked
	for _, it := range doc.Items {
		for _, c := range it.Candidates {
			if c.SegmentID == segmentID {
				low = append(low, ranked{it.ItemID, c.Rank})
			}
		}
	}
	// Worst rank first; equal ranks keep the report's item order, so the
	// same report and n always name the same items.
	slices.SortStableFunc(low, func(a, b ranked) int { return cmp.Compare(b.rank, a.rank) })
	out := make([]string, 0, min(n, len(low)))
	for _, r := range low[:min(n, len(low))] {
		out = append(out, r.id)
	}
	return out, nil
}

// segment is the position of a segment in the report; one it does not
// cover is KindNotFound.
func (d Doc) segment(id string) (int, error) {
	s := slices.IndexFunc(d.Segments, func(sg Segment) bool { return sg.ID == id })
	if s < 0 {
		return -1, atelier.Errorf(atelier.KindNotFound, "report %s does not cover segment %q", d.ReportID, id)
	}
	return s, nil
}

// CheckSegment says whether the report covers the segment (KindNotFound
// when it does not).
func (d Doc) CheckSegment(id string) error {
	_, err := d.segment(id)
	return err
}

// ItemSet is the ids of the items the report ranks.
func (d Doc) ItemSet() map[string]bool {
	in := make(map[string]bool, len(d.Items))
	for _, it := range d.Items {
		in[it.ItemID] = true
	}
	return in
}
