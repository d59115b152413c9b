package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/redesign"
	"github.com/atelier-app/atelier/storage"
)

// Bounds and defaults of a redesign request.
const (
	defaultVariants = redesign.DefaultN
	maxVariants     = 16
	defaultEpsilon  = redesign.DefaultEpsilon
	maxEpsilon      = 2.0
	defaultSteps    = redesign.DefaultSteps
	minSteps        = 10
	maxSteps        = 1000
)

// redesignRequest asks for variants of an item; pointer fields tell an
// absent value (take the default) from a wrong one.
type redesignRequest struct {
	SegmentID string   `json:"segment_id"`
	N         *int     `json:"n"`
	Epsilon   *float64 `json:"epsilon"`
	Steps     *int     `json:"steps"`
	Seed      *int64   `json:"seed"`
}

// check fills in defaults and checks ranges, naming the field at fault.
// A missing seed is drawn at random and returned with the job, so the
// run can be repeated; with an idempotency key it is derived from the key
// instead, so that a retry is the same request (and returns the same job)
// rather than a conflicting one.
func (r *redesignRequest) check(sellerID, itemID, key string) (n int, eps float64, steps int, seed int64, err error) {
	n, eps, steps = defaultVariants, defaultEpsilon, defaultSteps
	switch {
	case r.SegmentID == "":
		return 0, 0, 0, 0, atelier.FieldErrorf("segment_id", "is required: the segment to design for (GET /api/v1/segments)")
	case checkToken("segment_id", r.SegmentID) != nil || len(r.SegmentID) > 100:
		return 0, 0, 0, 0, atelier.FieldErrorf("segment_id", "is not a segment id")
	case r.N != nil && (*r.N < 1 || *r.N > maxVariants):
		return 0, 0, 0, 0, atelier.FieldErrorf("n", "must be between 1 and %d, got %d", maxVariants, *r.N)
	case r.Epsilon != nil && (!(*r.Epsilon > 0) || *r.Epsilon > maxEpsilon || math.IsInf(*r.Epsilon, 0)):
		return 0, 0, 0, 0, atelier.FieldErrorf("epsilon", "must be greater than 0 and at most %g, got %g", maxEpsilon, *r.Epsilon)
	case r.Steps != nil && (*r.Steps < minSteps || *r.Steps > maxSteps):
		return 0, 0, 0, 0, atelier.FieldErrorf("steps", "must be between %d and %d, got %d", minSteps, maxSteps, *r.Steps)
	}
	if r.N != nil {
		n = *r.N
	}
	if r.Epsilon != nil {
		eps = *r.Epsilon
	}
	if r.Steps != nil {
		steps = *r.Steps
	}
	var b [8]byte
	switch {
	case r.Seed != nil:
		return n, eps, steps, *r.Seed, nil
	case key != "":
		h := sha256.Sum256([]byte("redesign-seed\x00" + sellerID + "\x00" + itemID + "\x00" + key))
		copy(b[:], h[:])
	default:
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	}
	return n, eps, steps, int64(binary.LittleEndian.Uint64(b[:]) >> 1), nil
}

// redesignView is a redesign job as its seller sees it.
type redesignView struct {
	ID        string         `json:"id"`
	ItemID    string         `json:"item_id"`
	SegmentID string         `json:"segment_id"`
	Status    string         `json:"status"`
	Progress  progressView   `json:"progress"`
	Error     string         `json:"error,omitempty"`
	Params    redesignParams `json:"params"`
	Models    modelsUsed     `json:"models"`
	Base      *baseView      `json:"base,omitempty"`
	Variants  []variantView  `json:"variants"`
	// Notes say in plain words what the seller should know about the
	// result (a photo the generator reconstructs poorly, say).
	Notes     []string          `json:"notes"`
	CreatedAt time.Time         `json:"created_at"`
	Started   *time.Time        `json:"started_at,omitempty"`
	Finished  *time.Time        `json:"finished_at,omitempty"`
	Links     map[string]string `json:"links"`
}

type progressView struct {
	Stage string `json:"stage"`
	Step  int    `json:"step"`
	Total int    `json:"total"`
}

type redesignParams struct {
	N       int     `json:"n"`
	Epsilon float64 `json:"epsilon"`
	Steps   int     `json:"steps"`
	Seed    int64   `json:"seed"`
}

// modelsUsed names the model versions a job runs with ("" when none was
// active when it was created).
type modelsUsed struct {
	Recommender string `json:"recommender"`
	GAN         string `json:"gan"`
}

// baseView is the seller's own image the variants are made from and,
// once the job succeeded, its reconstruction by the generator (the image
// that variants' uplifts are measured against; AI-generated and marked).
type baseView struct {
	ImageURL          string `json:"image_url"`
	ModelImageURL     string `json:"model_image_url"`
	ReconstructionURL string `json:"reconstruction_url,omitempty"`
}

// variantView is one generated variant: its rank, its image (watermarked
// and labelled as AI-generated), every score and flag.
type variantView struct {
	Rank     int    `json:"rank"`
	ImageURL string `json:"image_url"` // at the generator's size
	// FullImageURL is the seller's photo changed the way the variant
	// changes it, at the photo's resolution (absent for older jobs).
	FullImageURL string             `json:"full_image_url,omitempty"`
	Scores       map[string]float64 `json:"scores"`
	Flags        []string           `json:"flags"`
	Passed       bool               `json:"passed"`
	AIGenerated  bool               `json:"ai_generated"`
}

func (s *Server) viewRedesign(ctx context.Context, j atelier.RedesignJob, withBase bool) (redesignView, error) {
	v := redesignView{
		ID: j.ID, ItemID: j.ItemID, SegmentID: j.SegmentID, Status: string(j.Status),
		Progress: progressView{j.Progress.Stage, j.Progress.Step, j.Progress.Total}, Error: j.Error,
		Params:   redesignParams{j.N, j.Epsilon, j.Steps, j.Seed},
		Models:   modelsUsed{j.RecommenderVersionID, j.GANVersionID},
		Variants: []variantView{}, Notes: notes(j.Notes), CreatedAt: j.CreatedAt, Started: timeOrNil(j.StartedAt), Finished: timeOrNil(j.FinishedAt),
		Links: map[string]string{"self": "/api/v1/redesigns/" + j.ID, "item": "/api/v1/items/" + j.ItemID},
	}
	if withBase {
		it, err := s.store.GetItem(ctx, j.ItemID, atelier.AllScope())
		if err != nil {
			return redesignView{}, err
		}
		if img, ok := it.Primary(); ok {
			b := &baseView{}
			if b.ImageURL, err = s.imageURL(ctx, img.OriginalKey); err != nil {
				return redesignView{}, err
			}
			if b.ModelImageURL, err = s.imageURL(ctx, img.ModelKey); err != nil {
				return redesignView{}, err
			}
			if j.Status == atelier.JobSucceeded {
				if b.ReconstructionURL, err = s.imageURL(ctx, atelier.RedesignImageKey(j.ID, "base")); err != nil {
					return redesignView{}, err
				}
			}
			v.Base = b
		}
	}
	for _, vr := range j.Variants {
		u, err := s.imageURL(ctx, vr.ImageKey)
		if err != nil {
			return redesignView{}, err
		}
		flags := vr.Flags
		if flags == nil {
			flags = []string{}
		}
		view := variantView{Rank: vr.Rank, ImageURL: u, Scores: vr.Scores, Flags: flags, Passed: vr.Passed, AIGenerated: true}
		if vr.FullImageKey != "" {
			if view.FullImageURL, err = s.imageURL(ctx, vr.FullImageKey); err != nil {
				return redesignView{}, err
			}
		}
		v.Variants = append(v.Variants, view)
	}
	return v, nil
}

// createRedesign queues a redesign of one of the seller's own items for a
// segment and answers 202 with the job; poll GET /redesigns/{id}.
func (s *Server) createRedesign(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	var req redesignRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	key, err := idempotencyKey(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	job, created, err := s.queueRedesign(ctx, seller, c.Param("id"), req, key)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	markReplay(c, created)
	v, err := s.viewRedesign(ctx, job, false)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Location", v.Links["self"])
	c.JSON(http.StatusAccepted, v)
}

// queueRedesign checks a redesign request of the seller's item and queues
// it; created is false when the idempotency key returned an earlier job.
func (s *Server) queueRedesign(ctx context.Context, seller atelier.Seller, itemID string, req redesignRequest, key string) (atelier.RedesignJob, bool, error) {
	n, eps, steps, seed, err := req.check(seller.ID, itemID, key)
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	it, err := s.product(ctx, itemID, seller.Scope())
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	if it.OwnerID != seller.ID && !seller.Admin {
		return atelier.RedesignJob{}, false, atelier.Errorf(atelier.KindForbidden, "only your own items can be redesigned; upload it first (POST /api/v1/items)")
	}
	if err := redesign.CheckPhoto(ctx, s.blobs, it); err != nil {
		return atelier.RedesignJob{}, false, err
	}
	if _, err := s.store.GetSegment(ctx, req.SegmentID); err != nil {
		if atelier.ErrorKind(err) == atelier.KindNotFound {
			err = atelier.FieldErrorf("segment_id", "no segment %q (GET /api/v1/segments lists them)", req.SegmentID)
		}
		return atelier.RedesignJob{}, false, err
	}
	job := atelier.RedesignJob{SellerID: seller.ID, ItemID: it.ID, SegmentID: req.SegmentID, N: n, Epsilon: eps, Steps: steps, Seed: seed}
	// The versions active now are recorded, so the result can be traced.
	if job.RecommenderVersionID, err = s.activeVersion(ctx, atelier.ModelRecommender); err != nil {
		return atelier.RedesignJob{}, false, err
	}
	if job.GANVersionID, err = s.activeVersion(ctx, atelier.ModelGAN); err != nil {
		return atelier.RedesignJob{}, false, err
	}
	return s.jobs.EnqueueRedesign(ctx, job, key)
}

// activeVersion is the id of the active version of kind, "" for none.
func (s *Server) activeVersion(ctx context.Context, kind string) (string, error) {
	mv, err := s.store.ActiveModelVersion(ctx, kind)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return "", nil
	}
	return mv.ID, err
}

// getRedesign reports a redesign's status, progress and, once done, its
// ranked variants.
func (s *Server) getRedesign(c *gin.Context) {
	j, err := s.store.GetRedesignJob(c.Request.Context(), c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewRedesign(c.Request.Context(), j, true)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// listRedesigns lists the seller's redesigns, newest first, without
// variants.
func (s *Server) listRedesigns(c *gin.Context) {
	page, status, err := jobListQuery(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	jobs, err := s.store.ListRedesignJobs(c.Request.Context(), scopeOf(c), storage.RedesignFilter{Status: status, ItemID: c.Query("item_id"), Page: page})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]redesignView, len(jobs))
	for i, j := range jobs {
		if views[i], err = s.viewRedesign(c.Request.Context(), j, false); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	next := nextAfter(jobs, page.Limit, func(r atelier.RedesignJob) string { return r.ID })
	c.JSON(http.StatusOK, gin.H{"redesigns": views, "next_after": next})
}

// cancelRedesign cancels a queued or running redesign; a finished one is
// a conflict.
func (s *Server) cancelRedesign(c *gin.Context) {
	ctx := c.Request.Context()
	scope := scopeOf(c)
	if _, err := s.store.GetRedesignJob(ctx, c.Param("id"), scope); err != nil {
		writeError(c, s.log, err)
		return
	}
	if _, err := s.jobs.Cancel(ctx, c.Param("id"), scope); err != nil {
		writeError(c, s.log, err)
		return
	}
	j, err := s.store.GetRedesignJob(ctx, c.Param("id"), scope)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewRedesign(ctx, j, true)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// notes is never null in JSON.
func notes(ns []string) []string {
	if ns == nil {
		return []string{}
	}
	return ns
}
