package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/storage"
)

// maxInlineReport bounds a report result returned inline; a larger one is
// only linked (result_url).
const maxInlineReport = 4 << 20

// reportRequest asks for a report of the seller's items; without a
// segment, every segment is reported on.
type reportRequest struct {
	SegmentID string `json:"segment_id"`
}

// reportView is a report as its seller sees it: its life cycle and, once
// succeeded, the result document inline and as a short-lived URL.
type reportView struct {
	ID        string            `json:"id"`
	SegmentID string            `json:"segment_id,omitempty"`
	Status    string            `json:"status"`
	Progress  progressView      `json:"progress"`
	Error     string            `json:"error,omitempty"`
	Result    json.RawMessage   `json:"result,omitempty"`
	ResultURL string            `json:"result_url,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Started   *time.Time        `json:"started_at,omitempty"`
	Finished  *time.Time        `json:"finished_at,omitempty"`
	Links     map[string]string `json:"links"`
}

func (s *Server) viewReport(ctx context.Context, r atelier.Report, withResult bool) (reportView, error) {
	v := reportView{
		ID: r.ID, SegmentID: r.SegmentID, Status: string(r.Status),
		Progress: progressView{r.Progress.Stage, r.Progress.Step, r.Progress.Total}, Error: r.Error,
		CreatedAt: r.CreatedAt, Started: timeOrNil(r.StartedAt), Finished: timeOrNil(r.FinishedAt),
		Links: map[string]string{"self": "/api/v1/reports/" + r.ID},
	}
	if !withResult || r.Status != atelier.JobSucceeded || r.ResultKey == "" {
		return v, nil
	}
	var err error
	if v.ResultURL, err = s.imageURL(ctx, r.ResultKey); err != nil {
		return reportView{}, err
	}
	rc, info, err := s.blobs.Get(ctx, r.ResultKey)
	if err != nil {
		return reportView{}, fmt.Errorf("report %s result: %w", r.ID, err)
	}
	defer rc.Close()
	if info.Size > maxInlineReport {
		return v, nil
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxInlineReport+1))
	if err != nil {
		return reportView{}, fmt.Errorf("report %s result: %w", r.ID, err)
	}
	if len(data) <= maxInlineReport && json.Valid(data) {
		v.Result = data
	}
	return v, nil
}

// createReport queues a report of the seller's items and answers 202 with
// it; poll GET /reports/{id}.
func (s *Server) createReport(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	var req reportRequest
	if err := decodeJSON(c, &req, true); err != nil {
		writeError(c, s.log, err)
		return
	}
	key, err := idempotencyKey(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.SegmentID != "" {
		if checkToken("segment_id", req.SegmentID) != nil || len(req.SegmentID) > 100 {
			writeError(c, s.log, atelier.FieldErrorf("segment_id", "is not a segment id"))
			return
		}
		if _, err := s.store.GetSegment(ctx, req.SegmentID); err != nil {
			if atelier.ErrorKind(err) == atelier.KindNotFound {
				err = atelier.Errorf(atelier.KindNotFound, "no segment %q (GET /api/v1/segments lists them)", req.SegmentID)
			}
			writeError(c, s.log, err)
			return
		}
	}
	r, created, err := s.jobs.EnqueueReport(ctx, atelier.Report{SellerID: seller.ID, SegmentID: req.SegmentID}, key)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	markReplay(c, created)
	v, err := s.viewReport(ctx, r, false)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Location", v.Links["self"])
	c.JSON(http.StatusAccepted, v)
}

// getReport reports a report's status, progress and, once done, its
// result. GET /reports/{id}.csv, .html and .json are the report's exports
// (exportReport): Gin's router matches a parameter up to the next slash,
// so the extension arrives as part of the id.
func (s *Server) getReport(c *gin.Context) {
	id := c.Param("id")
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		s.export(c, id[:i], id[i+1:])
		return
	}
	r, err := s.store.GetReport(c.Request.Context(), id, scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewReport(c.Request.Context(), r, true)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// listReports lists the seller's reports, newest first, without results.
func (s *Server) listReports(c *gin.Context) {
	page, status, err := jobListQuery(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	reports, err := s.store.ListReports(c.Request.Context(), scopeOf(c), storage.ReportFilter{Status: status, SegmentID: c.Query("segment_id"), Page: page})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]reportView, len(reports))
	for i, r := range reports {
		if views[i], err = s.viewReport(c.Request.Context(), r, false); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	next := nextAfter(reports, page.Limit, func(r atelier.Report) string { return r.ID })
	c.JSON(http.StatusOK, gin.H{"reports": views, "next_after": next})
}

// exportReport answers GET /reports/{id}/export?format=csv|html|json, the
// same files as /reports/{id}.csv, .html and .json.
func (s *Server) exportReport(c *gin.Context) {
	s.export(c, c.Param("id"), c.DefaultQuery("format", "csv"))
}

// export answers a finished report as a file. Another seller's report is
// not found; an unfinished one is a conflict naming its status.
func (s *Server) export(c *gin.Context, id, format string) {
	ctx := c.Request.Context()
	contentType, ok := report.Formats[format]
	if !ok {
		writeError(c, s.log, atelier.FieldErrorf("format", "unknown export format %q: want csv, html or json", format))
		return
	}
	r, doc, err := s.finishedReport(ctx, id, scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// Written whole before answering, so a link that cannot be signed or
	// an image that cannot be read is an error response rather than a
	// truncated file.
	var buf bytes.Buffer
	err = report.Export(&buf, format, doc, r.CreatedAt, report.StorePictures(ctx, s.store, s.blobs, scopeOf(c)),
		func(key string) (string, error) { return s.imageURL(ctx, key) })
	if err != nil {
		writeError(c, s.log, fmt.Errorf("report %s as %s: %w", r.ID, format, err))
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "report-" + r.ID + "." + format}))
	c.Data(http.StatusOK, contentType, buf.Bytes())
}

// reportChart answers a finished report's charts as SVG documents, drawn
// on the server as in the HTML export: GET /reports/{id}/charts/heat.svg
// and /reports/{id}/charts/distribution.svg?segment_id=.
func (s *Server) reportChart(c *gin.Context) {
	ctx := c.Request.Context()
	_, doc, err := s.finishedReport(ctx, c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var svg string
	switch c.Param("chart") {
	case "heat.svg":
		svg = report.HeatMapSVG(doc)
	case "distribution.svg":
		segmentID := c.Query("segment_id")
		if segmentID == "" {
			writeError(c, s.log, atelier.FieldErrorf("segment_id", "is required: the segment whose distribution to draw"))
			return
		}
		if svg, err = report.DistributionSVG(doc, segmentID); err != nil {
			writeError(c, s.log, err)
			return
		}
	default:
		writeError(c, s.log, atelier.Errorf(atelier.KindNotFound, "no chart %q: want heat.svg or distribution.svg", c.Param("chart")))
		return
	}
	// Opened on its own, an SVG is a document: nothing in ours runs or
	// loads, and the policy keeps it so.
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Data(http.StatusOK, "image/svg+xml", []byte(svg))
}
