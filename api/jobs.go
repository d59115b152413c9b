package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// jobView is a background job as operators see it.
type jobView struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	OwnerID     string          `json:"owner_id,omitempty"`
	Status      string          `json:"status"`
	Progress    progressView    `json:"progress"`
	Error       string          `json:"error,omitempty"`
	Args        json.RawMessage `json:"args"`
	Result      json.RawMessage `json:"result,omitempty"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	CreatedAt   time.Time       `json:"created_at"`
	Started     *time.Time      `json:"started_at,omitempty"`
	Finished    *time.Time      `json:"finished_at,omitempty"`
}

func viewJob(j atelier.Job) jobView {
	args := j.Args
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	return jobView{ID: j.ID, Kind: j.Kind, OwnerID: j.OwnerID, Status: string(j.Status),
		Progress: progressView{j.Progress.Stage, j.Progress.Step, j.Progress.Total}, Error: j.Error,
		Args: args, Result: j.Result, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, Started: timeOrNil(j.StartedAt), Finished: timeOrNil(j.FinishedAt)}
}

// listJobs lists background jobs of every kind, newest first
// (?kind=, ?status=, ?limit=, ?after=).
func (s *Server) listJobs(c *gin.Context) {
	page, status, err := jobListQuery(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := storage.JobFilter{Kind: c.Query("kind"), Status: status, Page: page}
	if f.Kind != "" && !atelier.ValidJobKind(f.Kind) {
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be one of %v", atelier.JobKinds()))
		return
	}
	jobs, err := s.jobs.List(c.Request.Context(), scopeOf(c), f)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]jobView, len(jobs))
	for i, j := range jobs {
		views[i] = viewJob(j)
	}
	next := nextAfter(jobs, page.Limit, func(r atelier.Job) string { return r.ID })
	c.JSON(http.StatusOK, gin.H{"jobs": views, "next_after": next})
}

// enqueue queues an operator's job with args (encoded as JSON) and
// answers 202 with it. A retry with the same Idempotency-Key answers the
// job queued first, marked with Idempotent-Replayed: true.
func (s *Server) enqueue(c *gin.Context, kind string, args any) {
	key, err := idempotencyKey(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	raw, err := json.Marshal(args)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("encode %s job arguments: %w", kind, err))
		return
	}
	job, created, err := s.jobs.Enqueue(c.Request.Context(), kind, "", raw, key)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	markReplay(c, created)
	c.JSON(http.StatusAccepted, viewJob(job))
}

// markReplay tells the client that its Idempotency-Key returned the job an
// earlier request queued, rather than a new one.
func markReplay(c *gin.Context, created bool) {
	if !created {
		c.Header("Idempotent-Replayed", "true")
	}
}
