package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// The worker's side of a job's life cycle. A queue delivery (dispatch)
// starts an attempt, which gets a fresh token; every later write of the
// attempt (heartbeat, progress, completion, failure) is an UPDATE guarded
// by that token and status running. So an attempt that was cancelled, or
// that stopped responding and was replaced, can no longer change the job,
// and a job completes at most once: the transition to succeeded and the
// writing of its results happen in one transaction under the guard.

// Errors of a guarded write that did not apply. Both are KindConflict.
var (
	// ErrJobCancelled: the job was cancelled; the attempt should stop.
	ErrJobCancelled = atelier.Errorf(atelier.KindConflict, "the job was cancelled")
	// ErrJobFinished: the job already reached a final status.
	ErrJobFinished = atelier.Errorf(atelier.KindConflict, "the job is already finished")
	// ErrClaimLost: another attempt holds the job now; this one must stop
	// without writing anything.
	ErrClaimLost = atelier.Errorf(atelier.KindConflict, "another attempt holds the job")
)

// AttemptStart says what a delivery of a job should do.
type AttemptStart int

const (
	// AttemptStarted: the attempt holds the job; run its handler.
	AttemptStarted AttemptStart = iota
	// AttemptFinished: the job is final (succeeded, failed, cancelled, or
	// it just ran out of attempts); nothing to do.
	AttemptFinished
	// AttemptObsolete: a newer delivery replaced this one; nothing to do.
	AttemptObsolete
	// AttemptBusy: another attempt is running it and alive; try later.
	AttemptBusy
)

// JobDelivery is a job with the queue delivery it waits for or runs under.
type JobDelivery struct {
	atelier.Job
	Dispatch   int   // number of the current delivery
	RiverJobID int64 // the queue engine's id of it; 0 until handed over
}

func toDelivery(r jobRow) JobDelivery {
	d := JobDelivery{Job: toJob(r), Dispatch: r.Dispatch}
	if r.RiverJobID != nil {
		d.RiverJobID = *r.RiverJobID
	}
	return d
}

// GetJobDelivery returns a job with its current delivery.
func (s *Store) GetJobDelivery(ctx context.Context, id string) (JobDelivery, error) {
	row, err := s.jobRow(s.db.WithContext(ctx), id, atelier.AllScope())
	if err != nil {
		return JobDelivery{}, err
	}
	return toDelivery(row), nil
}

// SetJobRiverID records the queue engine's id of delivery dispatch of job
// id; nothing happens if the job has moved on to a newer delivery.
func (s *Store) SetJobRiverID(ctx context.Context, id string, dispatch int, riverID int64) error {
	err := s.db.WithContext(ctx).Model(&jobRow{}).Where("id = ? AND dispatch = ?", id, dispatch).
		Update("river_job_id", riverID).Error
	return dbErr(err, "job %q", id)
}

// StartJobAttempt starts an attempt of job id for its delivery dispatch,
// naming it by token. It starts when the job is queued for this delivery,
// or running under it with a heartbeat older than staleBefore (the worker
// running it died); an attempt beyond the job's MaxAttempts fails the job
// instead. The started job is returned with AttemptStarted.
func (s *Store) StartJobAttempt(ctx context.Context, id string, dispatch int, token string, staleBefore time.Time) (atelier.Job, AttemptStart, error) {
	if token == "" {
		return atelier.Job{}, 0, atelier.FieldErrorf("token", "must not be empty")
	}
	db := s.db.WithContext(ctx)
	var row jobRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return atelier.Job{}, AttemptObsolete, nil // deleted with its owner
		}
		return atelier.Job{}, 0, dbErr(err, "job %q", id)
	}
	status := atelier.JobStatus(row.Status)
	switch {
	case status.Final():
		return toJob(row), AttemptFinished, nil
	case row.Dispatch != dispatch:
		return toJob(row), AttemptObsolete, nil
	case status == atelier.JobRunning && row.HeartbeatAt != nil && !row.HeartbeatAt.Before(dbTime(staleBefore)):
		return toJob(row), AttemptBusy, nil
	}
	now := s.stamp()
	guard := db.Model(&jobRow{}).Where("id = ? AND dispatch = ? AND status = ? AND token = ?", id, dispatch, row.Status, row.Token)
	updates := map[string]any{"token": token, "updated_at": now}
	if status == atelier.JobRunning {
		updates["error"] = fmt.Sprintf("attempt %d stopped responding", row.Attempt)
	}
	outcome := AttemptStarted
	if row.Attempt >= row.MaxAttempts {
		reason := row.Error
		if status == atelier.JobRunning || reason == "" {
			reason = fmt.Sprintf("gave up after %d attempts; the last one stopped responding", row.Attempt)
		}
		updates = map[string]any{"status": atelier.JobFailed, "error": reason, "token": "", "finished_at": now, "updated_at": now}
		outcome = AttemptFinished
	} else {
		updates["status"] = atelier.JobRunning
		updates["attempt"] = row.Attempt + 1
		updates["heartbeat_at"] = now
		if row.StartedAt == nil {
			updates["started_at"] = now
		}
	}
	res := guard.Updates(updates)
	if res.Error != nil {
		return atelier.Job{}, 0, dbErr(res.Error, "start job %q", id)
	}
	if res.RowsAffected == 0 {
		return toJob(row), AttemptBusy, nil // another delivery moved first
	}
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Job{}, 0, dbErr(err, "job %q", id)
	}
	return toJob(row), outcome, nil
}

// HeartbeatJob tells that the attempt token of job id is alive and, when p
// is not nil, how far it is. It fails with ErrJobCancelled, ErrJobFinished
// or ErrClaimLost when the attempt no longer holds the job, which tells it
// to stop.
func (s *Store) HeartbeatJob(ctx context.Context, id, token string, p *atelier.Progress) error {
	now := s.stamp()
	updates := map[string]any{"heartbeat_at": now, "updated_at": now}
	if p != nil {
		if err := checkProgress(*p); err != nil {
			return err
		}
		updates["stage"], updates["step"], updates["total"] = p.Stage, p.Step, p.Total
	}
	return s.guarded(s.db.WithContext(ctx), id, token, updates)
}

// guarded applies updates to job id if attempt token holds it, or returns
// why not.
func (s *Store) guarded(db *gorm.DB, id, token string, updates map[string]any) error {
	if token == "" {
		return ErrClaimLost
	}
	res := db.Model(&jobRow{}).Where("id = ? AND token = ? AND status = ?", id, token, atelier.JobRunning).Updates(updates)
	if res.Error != nil {
		return dbErr(res.Error, "job %q", id)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var status []string
	if err := db.Model(&jobRow{}).Where("id = ?", id).Pluck("status", &status).Error; err != nil {
		return dbErr(err, "job %q", id)
	}
	switch {
	case len(status) == 0:
		return fmt.Errorf("job %q is gone: %w", id, ErrClaimLost)
	case status[0] == string(atelier.JobCancelled):
		return fmt.Errorf("job %q: %w", id, ErrJobCancelled)
	case atelier.JobStatus(status[0]).Final():
		return fmt.Errorf("job %q: %w", id, ErrJobFinished)
	}
	return fmt.Errorf("job %q: %w", id, ErrClaimLost)
}

// complete marks job id succeeded with result under the attempt's guard
// and runs within in the same transaction, so results are written exactly
// when the job completes, and never twice.
func (s *Store) complete(ctx context.Context, id, token string, result string, within func(tx *gorm.DB) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.stamp()
		err := s.guarded(tx, id, token, map[string]any{
			"status": atelier.JobSucceeded, "result": result, "error": "", "token": "",
			"finished_at": now, "updated_at": now,
		})
		if err != nil || within == nil {
			return err
		}
		return within(tx)
	})
}

// CompleteJob marks the job succeeded with result (a JSON value, or nil).
func (s *Store) CompleteJob(ctx context.Context, id, token string, result json.RawMessage) error {
	if len(result) > 0 && !json.Valid(result) {
		return atelier.FieldErrorf("result", "must be valid JSON")
	}
	return s.complete(ctx, id, token, string(result), nil)
}

// CompleteTrainingJob stores the model version a training job produced
// and marks the job succeeded with {"model_version_id": ...}, in one
// transaction: a retried or duplicated attempt cannot add a second version.
func (s *Store) CompleteTrainingJob(ctx context.Context, id, token string, mv atelier.ModelVersion) (atelier.ModelVersion, error) {
	if err := checkModelVersion(mv); err != nil {
		return atelier.ModelVersion{}, err
	}
	mv.ID, mv.CreatedAt = newID(), s.stamp()
	result, err := json.Marshal(map[string]string{"model_version_id": mv.ID})
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	err = s.complete(ctx, id, token, string(result), func(tx *gorm.DB) error {
		return s.createModelVersion(tx, mv)
	})
	if err != nil {
		return atelier.ModelVersion{}, dbErr(err, "complete training job %q", id)
	}
	return toModelVersion(fromModelVersion(mv)), nil
}

// FailJobAttempt ends the attempt with a client-safe reason. With retry
// and attempts left the job goes back to queued (keeping the reason);
// otherwise it fails. The job is returned as it now stands.
func (s *Store) FailJobAttempt(ctx context.Context, id, token, reason string, retry bool) (atelier.Job, error) {
	var row jobRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return dbErr(err, "job %q", id)
		}
		now := s.stamp()
		updates := map[string]any{"error": reason, "token": "", "updated_at": now}
		if retry && row.Attempt < row.MaxAttempts {
			updates["status"] = atelier.JobQueued
		} else {
			updates["status"], updates["finished_at"] = atelier.JobFailed, now
		}
		if err := s.guarded(tx, id, token, updates); err != nil {
			return err
		}
		return tx.Where("id = ?", id).Take(&row).Error
	})
	if err != nil {
		return atelier.Job{}, err
	}
	return toJob(row), nil
}

// ReleaseJob puts a running job back in the queue without counting the
// attempt, for a worker that shuts down before the job finished.
func (s *Store) ReleaseJob(ctx context.Context, id, token string) error {
	return s.guarded(s.db.WithContext(ctx), id, token, map[string]any{
		"status": atelier.JobQueued, "token": "", "attempt": gorm.Expr("attempt - 1"), "updated_at": s.stamp(),
	})
}

// StaleJobs lists running jobs whose last heartbeat is older than before:
// their worker died or lost the database.
func (s *Store) StaleJobs(ctx context.Context, before time.Time, limit int) ([]JobDelivery, error) {
	var rows []jobRow
	err := s.db.WithContext(ctx).Where("status = ? AND (heartbeat_at < ? OR heartbeat_at IS NULL)", atelier.JobRunning, dbTime(before)).
		Order("heartbeat_at").Limit(limit).Find(&rows).Error
	return deliveries(rows), dbErr(err, "stale jobs")
}

// WaitingJobs lists queued jobs unchanged since before, oldest first, so
// the queue can check that each still has a live delivery.
func (s *Store) WaitingJobs(ctx context.Context, before time.Time, limit int) ([]JobDelivery, error) {
	var rows []jobRow
	err := s.db.WithContext(ctx).Where("status = ? AND updated_at < ?", atelier.JobQueued, dbTime(before)).
		Order("updated_at").Limit(limit).Find(&rows).Error
	return deliveries(rows), dbErr(err, "waiting jobs")
}

func deliveries(rows []jobRow) []JobDelivery {
	out := make([]JobDelivery, len(rows))
	for i, r := range rows {
		out[i] = toDelivery(r)
	}
	return out
}

// RedispatchJob gives job d a new delivery: when it is queued under
// d.Dispatch (whose delivery was lost), or running under it with a
// heartbeat still older than staleBefore (its attempt stopped responding;
// the job goes back to queued). ok is false when the job changed meanwhile.
// The caller hands the new delivery to the queue engine.
func (s *Store) RedispatchJob(ctx context.Context, d JobDelivery, staleBefore time.Time) (JobDelivery, bool, error) {
	db := s.db.WithContext(ctx)
	q := db.Model(&jobRow{}).Where("id = ? AND dispatch = ?", d.ID, d.Dispatch)
	updates := map[string]any{
		"status": atelier.JobQueued, "dispatch": d.Dispatch + 1, "river_job_id": nil,
		"token": "", "updated_at": s.stamp(),
	}
	switch d.Status {
	case atelier.JobQueued:
		q = q.Where("status = ?", atelier.JobQueued)
	case atelier.JobRunning:
		q = q.Where("status = ? AND (heartbeat_at < ? OR heartbeat_at IS NULL)", atelier.JobRunning, dbTime(staleBefore))
		updates["error"] = fmt.Sprintf("attempt %d stopped responding", d.Attempt)
	default:
		return d, false, nil
	}
	res := q.Updates(updates)
	if res.Error != nil {
		return JobDelivery{}, false, dbErr(res.Error, "redispatch job %q", d.ID)
	}
	if res.RowsAffected == 0 {
		return d, false, nil
	}
	nd, err := s.GetJobDelivery(ctx, d.ID)
	return nd, err == nil, err
}

func checkProgress(p atelier.Progress) error {
	if len(p.Stage) > 100 {
		return atelier.FieldErrorf("stage", "must be at most 100 bytes long")
	}
	if p.Step < 0 || p.Total < 0 {
		return atelier.FieldErrorf("step", "step and total must not be negative")
	}
	return nil
}
