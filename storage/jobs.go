package storage

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// Redesign jobs and reports share one life cycle (atelier.JobStatus) and
// these helpers, which work on any table with the job columns (id,
// seller_id, status, stage, step, total, error, created_at, updated_at,
// started_at, finished_at).

// claimJob moves the oldest queued job of a table to running and returns
// its id, or "" when none is queued. The guarded update (status still
// queued) makes the claim safe with many workers on one database: exactly
// one of them wins each job. Losing a race means another worker took that
// job, so the loop ends once the queue is empty.
func (s *Store) claimJob(ctx context.Context, model any) (string, error) {
	db := s.db.WithContext(ctx)
	for {
		var ids []string
		err := db.Model(model).Where("status = ?", atelier.JobQueued).
			Order("created_at, id").Limit(1).Pluck("id", &ids).Error
		if err != nil || len(ids) == 0 {
			return "", err
		}
		now := s.stamp()
		res := db.Model(model).Where("id = ? AND status = ?", ids[0], atelier.JobQueued).Updates(map[string]any{
			"status": atelier.JobRunning, "started_at": now, "updated_at": now,
		})
		if res.Error != nil {
			return "", res.Error
		}
		if res.RowsAffected == 1 {
			return ids[0], nil
		}
	}
}

// transition applies updates to job id if its status is one of from (and,
// in a seller scope, the job is the seller's). Otherwise it reports why:
// not found, or a KindConflict naming the current status.
func (s *Store) transition(db *gorm.DB, model any, what, id string, scope atelier.Scope, from []atelier.JobStatus, updates map[string]any) error {
	updates["updated_at"] = s.stamp()
	q := db.Model(model).Where("id = ? AND status IN ?", id, from)
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	res := q.Updates(updates)
	if res.Error != nil {
		return dbErr(res.Error, "%s %q", what, id)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var status []string
	q = db.Model(model).Where("id = ?", id)
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	if err := q.Pluck("status", &status).Error; err != nil {
		return dbErr(err, "%s %q", what, id)
	}
	if len(status) == 0 {
		return notFound("%s %q", what, id)
	}
	return atelier.Errorf(atelier.KindConflict, "%s %q is %s", what, id, status[0])
}

// progressUpdates are the columns of a progress report.
func progressUpdates(p atelier.Progress) map[string]any {
	return map[string]any{"stage": p.Stage, "step": p.Step, "total": p.Total}
}

// requeueStale puts running jobs whose last update is older than before
// back in the queue: their worker died. It returns how many.
func (s *Store) requeueStale(ctx context.Context, model any, before time.Time) (int, error) {
	res := s.db.WithContext(ctx).Model(model).
		Where("status = ? AND updated_at < ?", atelier.JobRunning, dbTime(before)).
		Updates(map[string]any{
			"status": atelier.JobQueued, "stage": "", "step": 0, "total": 0,
			"started_at": nil, "updated_at": s.stamp(),
		})
	return int(res.RowsAffected), res.Error
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

// The statuses a job may leave for another: progress and completion only
// from running (a job cancelled meanwhile makes its worker's next report
// fail, which tells it to stop), cancellation from queued or running.
func fromRunning() []atelier.JobStatus { return []atelier.JobStatus{atelier.JobRunning} }
func fromActive() []atelier.JobStatus {
	return []atelier.JobStatus{atelier.JobQueued, atelier.JobRunning}
}
