package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/storage"
)

// reportRedesignsRequest asks to redesign items of a report for one of
// its segments: either its n lowest-ranked candidates (report.Bottom) or
// the items named.
type reportRedesignsRequest struct {
	SegmentID string   `json:"segment_id"`
	N         *int     `json:"n"`
	ItemIDs   []string `json:"item_ids"`
}

// reportRedesignsView answers both POST and GET: the redesign job of each
// item asked about, and how many the request queued anew.
type reportRedesignsView struct {
	SegmentID string         `json:"segment_id"`
	Queued    int            `json:"queued"`
	Redesigns []redesignView `json:"redesigns"`
}

// createReportRedesigns queues redesigns of a finished report's items for
// one of its segments and answers 202 with their jobs. It is idempotent:
// an item already queued from a report for the same segment and models
// gets its earlier job back (reportRedesignKey), so asking twice, or for
// the bottom 10 after the bottom 5, queues each item once. n is bounded by
// Limits.MaxReportRedesigns.
func (s *Server) createReportRedesigns(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	var req reportRedesignsRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	_, doc, err := s.finishedReport(ctx, c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ids, err := s.reportRedesignItems(doc, req)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := reportRedesignsView{SegmentID: req.SegmentID, Redesigns: []redesignView{}}
	for _, id := range ids {
		key := reportRedesignKey(doc.RecommenderVersionID, req.SegmentID, id)
		job, created, err := s.queueRedesign(ctx, seller, id, redesignRequest{SegmentID: req.SegmentID}, key)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		if created {
			out.Queued++
		}
		v, err := s.viewRedesign(ctx, job, false)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		out.Redesigns = append(out.Redesigns, v)
	}
	c.JSON(http.StatusAccepted, out)
}

// reportRedesignItems checks a request against the report and the limit
// and returns the items to redesign.
func (s *Server) reportRedesignItems(doc report.Doc, req reportRedesignsRequest) ([]string, error) {
	limit := s.limits.MaxReportRedesigns
	switch {
	case req.SegmentID == "":
		return nil, atelier.FieldErrorf("segment_id", "is required: the segment of the report to redesign for")
	case (req.N == nil) == (len(req.ItemIDs) == 0):
		return nil, atelier.FieldErrorf("n", "give either n (the n lowest-ranked items) or item_ids, not both")
	case req.N != nil && (*req.N < 1 || *req.N > limit):
		return nil, atelier.FieldErrorf("n", "must be between 1 and %d, got %d", limit, *req.N)
	case len(req.ItemIDs) > limit:
		return nil, atelier.FieldErrorf("item_ids", "at most %d items at a time, got %d", limit, len(req.ItemIDs))
	}
	if req.N != nil {
		return report.Bottom(doc, req.SegmentID, *req.N)
	}
	if err := doc.CheckSegment(req.SegmentID); err != nil {
		return nil, err
	}
	in := doc.ItemSet()
	for _, id := range req.ItemIDs {
		if !in[id] {
			return nil, atelier.FieldErrorf("item_ids", "item %q is not in report %s", id, doc.ReportID)
		}
	}
	return req.ItemIDs, nil
}

// listReportRedesigns answers the newest redesign job of each of the
// report's items for a segment (GET ...?segment_id=), so a page can show
// them filling in; items never redesigned for it are absent. Finished
// jobs come with their variants and base.
func (s *Server) listReportRedesigns(c *gin.Context) {
	ctx := c.Request.Context()
	segmentID := c.Query("segment_id")
	if segmentID == "" {
		writeError(c, s.log, atelier.FieldErrorf("segment_id", "is required"))
		return
	}
	_, doc, err := s.finishedReport(ctx, c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := doc.CheckSegment(segmentID); err != nil {
		writeError(c, s.log, err)
		return
	}
	in := doc.ItemSet()
	out := reportRedesignsView{SegmentID: segmentID, Redesigns: []redesignView{}}
	seen := map[string]bool{}
	f := storage.RedesignFilter{SegmentID: segmentID, Page: storage.Page{Desc: true, Limit: storage.MaxLimit}}
	var jobs []atelier.RedesignJob
	if err := s.store.EachRedesignJob(ctx, scopeOf(c), f, func(j atelier.RedesignJob) error {
		if in[j.ItemID] && !seen[j.ItemID] {
			seen[j.ItemID] = true
			jobs = append(jobs, j)
		}
		return nil
	}); err != nil {
		writeError(c, s.log, err)
		return
	}
	for _, j := range jobs {
		if j.Status == atelier.JobSucceeded {
			// Listed jobs come without their variants.
			if j, err = s.store.GetRedesignJob(ctx, j.ID, scopeOf(c)); err != nil {
				writeError(c, s.log, err)
				return
			}
		}
		// A finished one comes with its base (the item's photo), which the
		// page shows beside the best variant.
		v, err := s.viewRedesign(ctx, j, j.Status == atelier.JobSucceeded)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		out.Redesigns = append(out.Redesigns, v)
	}
	c.JSON(http.StatusOK, out)
}

// finishedReport reads the document of a succeeded report of the scope:
// another seller's is not found, an unfinished one a conflict naming its
// status.
func (s *Server) finishedReport(ctx context.Context, id string, scope atelier.Scope) (atelier.Report, report.Doc, error) {
	r, err := s.store.GetReport(ctx, id, scope)
	if err != nil {
		return atelier.Report{}, report.Doc{}, err
	}
	doc, err := report.Load(ctx, s.blobs, r)
	return r, doc, err
}

// reportRedesignKey is the idempotency key of a redesign asked for from a
// report: one per recommender version, segment and item, so the same item
// is not queued twice for a segment while the model stays the same.
func reportRedesignKey(versionID, segmentID, itemID string) string {
	h := sha256.Sum256([]byte(versionID + "\x00" + segmentID + "\x00" + itemID))
	return "report-redesign:" + hex.EncodeToString(h[:16])
}
