package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
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

func viewJob(j Job) jobView {
	args := j.Args
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	return jobView{ID: j.ID, Kind: j.Kind, OwnerID: j.OwnerID, Status: string(j.Status),
		Progress: progressView{j.Progress.Stage, j.Progress.Step, j.Progress.Total}, Error: j.Error,
		Args: args, Result: j.Result, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, Started: timeOrNil(j.StartedAt), Finished: timeOrNil(j.FinishedAt)}
}

// jobKinds are the kinds GET /jobs may filter by.
var jobKinds = []string{JobImport, JobTrainRecommender, JobTrainGAN, JobRedesign, "report"}

// listJobs lists background jobs of every kind, newest first
// (?kind=, ?status=, ?limit=, ?after=).
func (s *Server) listJobs(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	f := JobFilter{Kind: c.Query("kind"), Status: atelier.JobStatus(c.Query("status")), After: page.After, Limit: page.Limit}
	if f.Kind != "" && !contains(jobKinds, f.Kind) {
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be one of %v", jobKinds))
		return
	}
	if f.Status != "" && !f.Status.Valid() {
		writeError(c, s.log, atelier.FieldErrorf("status", "must be queued, running, succeeded, failed or cancelled"))
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
	next := ""
	if len(jobs) > 0 {
		next = nextAfter(len(jobs), page.Limit, jobs[len(jobs)-1].ID)
	}
	c.JSON(http.StatusOK, gin.H{"jobs": views, "next_after": next})
}

// enqueue queues an operator's job and answers 202 with it.
func (s *Server) enqueue(c *gin.Context, kind string, args any) {
	key, err := idempotencyKey(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	job, err := s.jobs.Enqueue(c.Request.Context(), kind, args, key, "")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusAccepted, viewJob(job))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
