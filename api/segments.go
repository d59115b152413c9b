package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
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

// maxSegments bounds k.
const maxSegments = 50

// createSegments computes segments: k-means over the served model's θ
// (method kmeans, with k), or one per imported consumer label (method
// imported). Each is described by what its members liked.
func (s *Server) createSegments(c *gin.Context) {
	var req segmentsRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	var segs []segmentView
	var err error
	switch req.Method {
	case atelier.SegmentKMeans:
		if req.K == nil || *req.K < 1 || *req.K > maxSegments {
			writeError(c, s.log, atelier.FieldErrorf("k", "is required with method kmeans: an integer between 1 and %d", maxSegments))
			return
		}
		var seed uint64
		if req.Seed != nil {
			seed = *req.Seed
		}
		segs, err = s.kmeansSegments(c.Request.Context(), *req.K, seed)
	case atelier.SegmentImported:
		if req.K != nil || req.Seed != nil {
			writeError(c, s.log, atelier.FieldErrorf("k", "k and seed are for method kmeans only"))
			return
		}
		segs, err = s.importedSegments(c.Request.Context())
	default:
		writeError(c, s.log, atelier.FieldErrorf("method", "must be %q or %q", atelier.SegmentKMeans, atelier.SegmentImported))
		return
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"segments": segs})
}

// kmeansSegments clusters, describes and stores k segments. The segments
// of one request are stored together or not at all: if one fails, those
// already stored are removed.
func (s *Server) kmeansSegments(ctx context.Context, k int, seed uint64) ([]segmentView, error) {
	mv, drafts, err := s.rec.KMeans(ctx, k, seed)
	if err != nil {
		return nil, err
	}
	storeID := map[string]string{} // external id → store id
	err = s.store.EachConsumer(ctx, storage.ConsumerFilter{}, func(c atelier.Consumer) error {
		storeID[c.ExternalID] = c.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	members := make(map[string][]string, len(drafts))
	for _, d := range drafts {
		for _, ext := range d.ConsumerIDs {
			if id, ok := storeID[ext]; ok {
				members[d.Name] = append(members[d.Name], id)
			}
		}
	}
	desc, err := s.rec.Describe(ctx, members)
	if err != nil {
		return nil, err
	}
	var out []segmentView
	var stored []string
	for _, d := range drafts {
		sg, err := s.store.CreateSegment(ctx, atelier.Segment{
			Name: d.Name, Kind: atelier.SegmentKMeans, ModelVersionID: mv.ID, Description: desc[d.Name]})
		if err == nil {
			stored = append(stored, sg.ID)
			ms := make([]atelier.Membership, len(members[d.Name]))
			for i, id := range members[d.Name] {
				ms[i] = atelier.Membership{ConsumerID: id, Weight: 1}
			}
			err = s.store.SetMemberships(ctx, sg.ID, ms)
		}
		if err != nil {
			return nil, errors.Join(err, s.dropSegments(ctx, stored))
		}
		out = append(out, viewSegment(sg, len(members[d.Name])))
	}
	return out, nil
}

// dropSegments removes segments stored by a request that failed.
func (s *Server) dropSegments(reqCtx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, id := range ids {
		if err := s.store.DeleteSegment(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// importedSegments turns imported consumer labels into segments (again:
// it is idempotent) and describes every imported segment afresh.
func (s *Server) importedSegments(ctx context.Context) ([]segmentView, error) {
	if _, err := s.store.SyncImportedSegments(ctx); err != nil {
		return nil, err
	}
	var segs []atelier.Segment
	page := storage.Page{Limit: storage.MaxLimit}
	for {
		batch, err := s.store.ListSegments(ctx, storage.SegmentFilter{Kind: atelier.SegmentImported, Page: page})
		if err != nil {
			return nil, err
		}
		segs = append(segs, batch...)
		if len(batch) < page.Limit {
			break
		}
		page.After = batch[len(batch)-1].ID
	}
	members := make(map[string][]string, len(segs))
	for _, sg := range segs {
		ms, err := s.store.ListMemberships(ctx, sg.ID)
		if err != nil {
			return nil, err
		}
		members[sg.ID] = []string{}
		for _, m := range ms {
			members[sg.ID] = append(members[sg.ID], m.ConsumerID)
		}
	}
	desc, err := s.rec.Describe(ctx, members)
	if err != nil {
		return nil, err
	}
	out := make([]segmentView, len(segs))
	for i, sg := range segs {
		if err := s.store.SetSegmentDescription(ctx, sg.ID, desc[sg.ID]); err != nil {
			return nil, err
		}
		sg.Description = desc[sg.ID]
		out[i] = viewSegment(sg, len(members[sg.ID]))
	}
	return out, nil
}
