package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// reapBatch bounds the jobs one reaper pass looks at.
const reapBatch = 200

// reap runs passes every RescueAfter/2 until ctx ends. Every worker process
// reaps; the guarded updates of the store let exactly one of them act on
// each job.
func (q *Queue) reap(ctx context.Context) {
	t := time.NewTicker(max(q.cfg.RescueAfter/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := q.reapOnce(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("job reaper pass failed", "error", err)
		}
	}
}

// reapOnce gives a new delivery to every job that lost its own:
//   - running jobs whose heartbeat is older than RescueAfter (their worker
//     died): back to queued, for the next attempt;
//   - queued jobs unchanged for RescueAfter whose delivery is missing,
//     finished, or running for that long without starting an attempt (the
//     process died between committing the job and handing it to River, or
//     just after River handed it over).
func (q *Queue) reapOnce(ctx context.Context) error {
	before := time.Now().Add(-q.cfg.RescueAfter)
	stale, err := q.store.StaleJobs(ctx, before, reapBatch)
	if err != nil {
		return err
	}
	waiting, err := q.store.WaitingJobs(ctx, before, reapBatch)
	if err != nil {
		return err
	}
	for _, d := range waiting {
		if d.RiverJobID == 0 {
			stale = append(stale, d)
			continue
		}
		rj, err := q.engine.JobGet(ctx, d.RiverJobID)
		if err != nil && !errors.Is(err, river.ErrNotFound) {
			return err
		}
		if err != nil || !deliveryAlive(rj, before) {
			stale = append(stale, d)
		}
	}
	for _, d := range stale {
		if _, local := q.running.Load(d.ID); local && d.Status == atelier.JobRunning {
			continue // alive here: its heartbeat is only late (a busy machine, a slow write)
		}
		nd, ok, err := q.store.RedispatchJob(ctx, d, before)
		if err != nil {
			return err
		}
		if !ok {
			continue // it moved meanwhile, or another reaper got there first
		}
		if d.Status == atelier.JobRunning {
			q.log.Warn("job attempt stopped responding; queueing the job again", "job_id", d.ID, "kind", d.Kind, "attempt", d.Attempt)
		} else {
			q.log.Warn("job lost its queue entry; queueing it again", "job_id", d.ID, "kind", d.Kind)
		}
		q.dispatch(ctx, nd)
	}
	return nil
}

// deliveryAlive reports whether a River job will still run (or is running
// an attempt start that began after before).
func deliveryAlive(rj *rivertype.JobRow, before time.Time) bool {
	switch rj.State {
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending:
		return true
	case rivertype.JobStateRunning:
		return rj.AttemptedAt != nil && rj.AttemptedAt.After(before)
	}
	return false
}

// dispatch hands a delivery of a job to River and records River's id of
// it. A failure is only logged: the job stays queued without a live
// delivery, and a reaper dispatches it again after RescueAfter.
func (q *Queue) dispatch(ctx context.Context, d storage.JobDelivery) {
	args, err := argsFor(d.Kind, delivery{JobID: d.ID, Dispatch: d.Dispatch})
	if err == nil {
		var res *rivertype.JobInsertResult
		res, err = q.engine.Insert(ctx, args, &river.InsertOpts{Queue: d.Kind, MaxAttempts: d.MaxAttempts + attemptSlack})
		if err == nil {
			err = q.store.SetJobRiverID(ctx, d.ID, d.Dispatch, res.Job.ID)
		}
	}
	if err != nil {
		q.log.Warn("could not hand the job to the queue; it will be retried", "job_id", d.ID, "kind", d.Kind, "error", err)
	}
}

// dispatchID dispatches a job just created, by id.
func (q *Queue) dispatchID(ctx context.Context, id string) {
	d, err := q.store.GetJobDelivery(ctx, id)
	if err != nil {
		q.log.Warn("could not hand the job to the queue; it will be retried", "job_id", id, "error", err)
		return
	}
	q.dispatch(ctx, d)
}
