package storage

import (
	"context"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// Limits of redesign parameters.
const (
	MaxRedesignVariants = 16
	MaxRedesignSteps    = 10000
)

func toRedesignJob(r redesignJobRow, vs []variantRow) atelier.RedesignJob {
	j := atelier.RedesignJob{
		ID: r.ID, SellerID: r.SellerID, ItemID: r.ItemID, SegmentID: r.SegmentID,
		N: r.N, Epsilon: r.Epsilon, Steps: r.Steps, Seed: r.Seed,
		Status:   atelier.JobStatus(r.Status),
		Progress: atelier.Progress{Stage: r.Stage, Step: r.Step, Total: r.Total},
		Error:    r.Error, RecommenderVersionID: valString(r.RecommenderVersionID),
		GANVersionID: valString(r.GANVersionID), CreatedAt: r.CreatedAt.UTC(),
		StartedAt: valTime(r.StartedAt), FinishedAt: valTime(r.FinishedAt),
	}
	for _, v := range vs {
		j.Variants = append(j.Variants, atelier.Variant{
			Rank: v.Rank, ImageKey: v.ImageKey, Scores: v.Scores, Flags: v.Flags, Passed: v.Passed,
		})
	}
	return j
}

func fromVariant(jobID string, v atelier.Variant) variantRow {
	scores, flags := v.Scores, v.Flags
	if scores == nil {
		scores = map[string]float64{}
	}
	if flags == nil {
		flags = []string{}
	}
	return variantRow{JobID: jobID, Rank: v.Rank, ImageKey: v.ImageKey, Scores: scores, Flags: flags, Passed: v.Passed}
}

// RedesignFilter narrows a list of redesign jobs.
type RedesignFilter struct {
	Status atelier.JobStatus
	ItemID string
	Page
}

// CreateRedesignJob queues a redesign. The seller, item, segment and the
// model versions (when set) must exist; whether the seller may redesign the
// item is the caller's decision.
func (s *Store) CreateRedesignJob(ctx context.Context, j atelier.RedesignJob) (atelier.RedesignJob, error) {
	switch {
	case j.SellerID == "" || j.ItemID == "" || j.SegmentID == "":
		return atelier.RedesignJob{}, atelier.FieldErrorf("item_id", "a redesign needs a seller, an item and a segment")
	case j.N < 1 || j.N > MaxRedesignVariants:
		return atelier.RedesignJob{}, atelier.FieldErrorf("n", "must be between 1 and %d", MaxRedesignVariants)
	case !(j.Epsilon > 0) || math.IsInf(j.Epsilon, 0):
		return atelier.RedesignJob{}, atelier.FieldErrorf("epsilon", "must be a positive number")
	case j.Steps < 1 || j.Steps > MaxRedesignSteps:
		return atelier.RedesignJob{}, atelier.FieldErrorf("steps", "must be between 1 and %d", MaxRedesignSteps)
	}
	now := s.stamp()
	j.ID, j.Status, j.Progress, j.Error, j.Variants = newID(), atelier.JobQueued, atelier.Progress{}, "", nil
	j.CreatedAt, j.StartedAt, j.FinishedAt = now, time.Time{}, time.Time{}
	row := redesignJobRow{
		ID: j.ID, SellerID: j.SellerID, ItemID: j.ItemID, SegmentID: j.SegmentID,
		N: j.N, Epsilon: j.Epsilon, Steps: j.Steps, Seed: j.Seed, Status: string(j.Status),
		RecommenderVersionID: ptrString(j.RecommenderVersionID), GANVersionID: ptrString(j.GANVersionID),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.WithContext(ctx).Omit(clause.Associations).Create(&row).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "redesign of item %q", j.ItemID)
	}
	return j, nil
}

// GetRedesignJob returns a job with its variants; another seller's job is
// reported as not found.
func (s *Store) GetRedesignJob(ctx context.Context, id string, scope atelier.Scope) (atelier.RedesignJob, error) {
	var row redesignJobRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "redesign job %q", id)
	}
	if !scope.All && row.SellerID != scope.SellerID {
		return atelier.RedesignJob{}, notFound("redesign job %q", id)
	}
	var vs []variantRow
	if err := s.db.WithContext(ctx).Where("job_id = ?", id).Order("rank").Find(&vs).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "variants of redesign job %q", id)
	}
	return toRedesignJob(row, vs), nil
}

// ListRedesignJobs returns one page of the scope's jobs, without variants.
func (s *Store) ListRedesignJobs(ctx context.Context, scope atelier.Scope, f RedesignFilter) ([]atelier.RedesignJob, error) {
	q := s.db.WithContext(ctx)
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.ItemID != "" {
		q = q.Where("item_id = ?", f.ItemID)
	}
	var rows []redesignJobRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list redesign jobs")
	}
	out := make([]atelier.RedesignJob, len(rows))
	for i, r := range rows {
		out[i] = toRedesignJob(r, nil)
	}
	return out, nil
}

// ClaimRedesignJob moves the oldest queued job to running and returns it;
// ok is false when the queue is empty. Safe to call from many workers.
func (s *Store) ClaimRedesignJob(ctx context.Context) (job atelier.RedesignJob, ok bool, err error) {
	id, err := s.claimJob(ctx, &redesignJobRow{})
	if err != nil {
		return atelier.RedesignJob{}, false, dbErr(err, "claim redesign job")
	}
	if id == "" {
		return atelier.RedesignJob{}, false, nil
	}
	job, err = s.GetRedesignJob(ctx, id, atelier.AllScope())
	return job, err == nil, err
}

// UpdateRedesignProgress records how far a running job is. It fails with
// KindConflict once the job is no longer running (e.g. cancelled), which
// tells the worker to stop.
func (s *Store) UpdateRedesignProgress(ctx context.Context, id string, p atelier.Progress) error {
	if err := checkProgress(p); err != nil {
		return err
	}
	return s.transition(s.db.WithContext(ctx), &redesignJobRow{}, "redesign job", id, atelier.AllScope(), fromRunning(), progressUpdates(p))
}

// FinishRedesignJob marks a running job succeeded and stores its
// variants, in one transaction.
func (s *Store) FinishRedesignJob(ctx context.Context, id string, variants []atelier.Variant) error {
	rows := make([]variantRow, len(variants))
	seen := map[int]bool{}
	for i, v := range variants {
		if v.Rank < 1 || seen[v.Rank] {
			return atelier.FieldErrorf("rank", "variant %d: ranks must be distinct and start at 1", i)
		}
		if v.ImageKey == "" {
			return atelier.FieldErrorf("image_key", "variant %d: must not be empty", i)
		}
		for name, x := range v.Scores {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return atelier.FieldErrorf("scores", "variant %d: score %q is not a finite number", i, name)
			}
		}
		seen[v.Rank] = true
		rows[i] = fromVariant(id, v)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		err := s.transition(tx, &redesignJobRow{}, "redesign job", id, atelier.AllScope(), fromRunning(), map[string]any{
			"status": atelier.JobSucceeded, "finished_at": s.stamp(), "error": "",
		})
		if err != nil || len(rows) == 0 {
			return err
		}
		return dbErr(tx.Create(&rows).Error, "variants of redesign job %q", id)
	})
}

// FailRedesignJob marks a queued or running job failed with a client-safe
// reason.
func (s *Store) FailRedesignJob(ctx context.Context, id, reason string) error {
	return s.transition(s.db.WithContext(ctx), &redesignJobRow{}, "redesign job", id, atelier.AllScope(), fromActive(), map[string]any{
		"status": atelier.JobFailed, "finished_at": s.stamp(), "error": reason,
	})
}

// CancelRedesignJob cancels a queued or running job of the scope and
// returns it; a finished job is a KindConflict error.
func (s *Store) CancelRedesignJob(ctx context.Context, id string, scope atelier.Scope) (atelier.RedesignJob, error) {
	err := s.transition(s.db.WithContext(ctx), &redesignJobRow{}, "redesign job", id, scope, fromActive(), map[string]any{
		"status": atelier.JobCancelled, "finished_at": s.stamp(),
	})
	if err != nil {
		return atelier.RedesignJob{}, err
	}
	return s.GetRedesignJob(ctx, id, scope)
}

// RequeueStaleRedesignJobs puts back in the queue the running jobs that
// reported no progress since before (their worker is gone) and returns how
// many there were.
func (s *Store) RequeueStaleRedesignJobs(ctx context.Context, before time.Time) (int, error) {
	n, err := s.requeueStale(ctx, &redesignJobRow{}, before)
	if err != nil {
		return 0, dbErr(err, "requeue stale redesign jobs")
	}
	return n, nil
}
