package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/segments"
	"github.com/atelier-app/atelier/storage"
)

// segmentView is a segment with its size and description (dominant
// categories and colours of what its members liked).
type segmentView struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	Size           int            `json:"size"`
	Description    map[string]any `json:"description"`
	ModelVersionID string         `json:"model_version_id,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
}

func viewSegment(sg atelier.Segment, size int) segmentView {
	return segmentView{ID: sg.ID, Name: sg.Name, Kind: sg.Kind, Size: size, Description: sg.Description,
		ModelVersionID: sg.ModelVersionID, CreatedAt: sg.CreatedAt}
}

// listSegments lists segments (sellers pick one to redesign for).
func (s *Server) listSegments(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	kind := c.Query("kind")
	if kind != "" && kind != atelier.SegmentKMeans && kind != atelier.SegmentImported {
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be %s or %s", atelier.SegmentKMeans, atelier.SegmentImported))
		return
	}
	segs, err := s.store.ListSegments(c.Request.Context(), storage.SegmentFilter{Kind: kind, Page: page})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	sizes, err := s.store.SegmentSizes(c.Request.Context())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]segmentView, len(segs))
	for i, sg := range segs {
		views[i] = viewSegment(sg, sizes[sg.ID])
	}
	next := nextAfter(segs, page.Limit, func(r atelier.Segment) string { return r.ID })
	c.JSON(http.StatusOK, gin.H{"segments": views, "next_after": next})
}

type segmentsRequest struct {
	Method string  `json:"method"` // kmeans or imported
	K      *int    `json:"k"`
	Seed   *uint64 `json:"seed"`
}

// createSegments computes segments: k-means over the served model's θ
// (method kmeans, with k), or one per imported consumer label (method
// imported). Each is described by what its members liked.
func (s *Server) createSegments(c *gin.Context) {
	var req segmentsRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	var made []segments.Made
	var err error
	switch req.Method {
	case atelier.SegmentKMeans:
		if req.K == nil || *req.K < 1 || *req.K > segments.MaxK {
			writeError(c, s.log, atelier.FieldErrorf("k", "is required with method kmeans: an integer between 1 and %d", segments.MaxK))
			return
		}
		var seed uint64
		if req.Seed != nil {
			seed = *req.Seed
		}
		made, err = s.segments.KMeans(c.Request.Context(), *req.K, seed)
	case atelier.SegmentImported:
		if req.K != nil || req.Seed != nil {
			writeError(c, s.log, atelier.FieldErrorf("k", "k and seed are for method kmeans only"))
			return
		}
		made, err = s.segments.Imported(c.Request.Context())
	default:
		writeError(c, s.log, atelier.FieldErrorf("method", "must be %q or %q", atelier.SegmentKMeans, atelier.SegmentImported))
		return
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]segmentView, len(made))
	for i, m := range made {
		views[i] = viewSegment(m.Segment, m.Size)
	}
	c.JSON(http.StatusCreated, gin.H{"segments": views})
}
