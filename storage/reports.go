package storage

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toReport(r reportRow) atelier.Report {
	return atelier.Report{
		ID: r.ID, SellerID: r.SellerID, SegmentID: r.SegmentID,
		Status:   atelier.JobStatus(r.Status),
		Progress: atelier.Progress{Stage: r.Stage, Step: r.Step, Total: r.Total},
		Error:    r.Error, ResultKey: r.ResultKey, CreatedAt: r.CreatedAt.UTC(),
		StartedAt: valTime(r.StartedAt), FinishedAt: valTime(r.FinishedAt),
	}
}

// ReportFilter narrows a list of reports.
type ReportFilter struct {
	Status    atelier.JobStatus
	SegmentID string
	Page
}

// CreateReport queues a report of a seller's items for a segment.
func (s *Store) CreateReport(ctx context.Context, r atelier.Report) (atelier.Report, error) {
	if r.SellerID == "" || r.SegmentID == "" {
		return atelier.Report{}, atelier.FieldErrorf("segment_id", "a report needs a seller and a segment")
	}
	now := s.stamp()
	row := reportRow{
		ID: newID(), SellerID: r.SellerID, SegmentID: r.SegmentID, Status: string(atelier.JobQueued),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.WithContext(ctx).Omit(clause.Associations).Create(&row).Error; err != nil {
		return atelier.Report{}, dbErr(err, "report for segment %q", r.SegmentID)
	}
	return toReport(row), nil
}

// GetReport returns a report; another seller's report is reported as not
// found.
func (s *Store) GetReport(ctx context.Context, id string, scope atelier.Scope) (atelier.Report, error) {
	var row reportRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Report{}, dbErr(err, "report %q", id)
	}
	if !scope.All && row.SellerID != scope.SellerID {
		return atelier.Report{}, notFound("report %q", id)
	}
	return toReport(row), nil
}

// ListReports returns one page of the scope's reports.
func (s *Store) ListReports(ctx context.Context, scope atelier.Scope, f ReportFilter) ([]atelier.Report, error) {
	q := s.db.WithContext(ctx)
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.SegmentID != "" {
		q = q.Where("segment_id = ?", f.SegmentID)
	}
	var rows []reportRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list reports")
	}
	out := make([]atelier.Report, len(rows))
	for i, r := range rows {
		out[i] = toReport(r)
	}
	return out, nil
}

// ClaimReport moves the oldest queued report to running and returns it;
// ok is false when the queue is empty. Safe to call from many workers.
func (s *Store) ClaimReport(ctx context.Context) (report atelier.Report, ok bool, err error) {
	id, err := s.claimJob(ctx, &reportRow{})
	if err != nil {
		return atelier.Report{}, false, dbErr(err, "claim report")
	}
	if id == "" {
		return atelier.Report{}, false, nil
	}
	report, err = s.GetReport(ctx, id, atelier.AllScope())
	return report, err == nil, err
}

// UpdateReportProgress records how far a running report is; it fails with
// KindConflict once the report is no longer running.
func (s *Store) UpdateReportProgress(ctx context.Context, id string, p atelier.Progress) error {
	if err := checkProgress(p); err != nil {
		return err
	}
	return s.transition(s.db.WithContext(ctx), &reportRow{}, "report", id, atelier.AllScope(), fromRunning(), progressUpdates(p))
}

// FinishReport marks a running report succeeded with the blob key of its
// result.
func (s *Store) FinishReport(ctx context.Context, id, resultKey string) error {
	if resultKey == "" {
		return atelier.FieldErrorf("result_key", "must not be empty")
	}
	return s.transition(s.db.WithContext(ctx), &reportRow{}, "report", id, atelier.AllScope(), fromRunning(), map[string]any{
		"status": atelier.JobSucceeded, "finished_at": s.stamp(), "result_key": resultKey, "error": "",
	})
}

// FailReport marks a queued or running report failed with a client-safe
// reason.
func (s *Store) FailReport(ctx context.Context, id, reason string) error {
	return s.transition(s.db.WithContext(ctx), &reportRow{}, "report", id, atelier.AllScope(), fromActive(), map[string]any{
		"status": atelier.JobFailed, "finished_at": s.stamp(), "error": reason,
	})
}

// CancelReport cancels a queued or running report of the scope and returns
// it; a finished report is a KindConflict error.
func (s *Store) CancelReport(ctx context.Context, id string, scope atelier.Scope) (atelier.Report, error) {
	err := s.transition(s.db.WithContext(ctx), &reportRow{}, "report", id, scope, fromActive(), map[string]any{
		"status": atelier.JobCancelled, "finished_at": s.stamp(),
	})
	if err != nil {
		return atelier.Report{}, err
	}
	return s.GetReport(ctx, id, scope)
}

// RequeueStaleReports puts back in the queue the running reports that
// reported no progress since before and returns how many there were.
func (s *Store) RequeueStaleReports(ctx context.Context, before time.Time) (int, error) {
	n, err := s.requeueStale(ctx, &reportRow{}, before)
	if err != nil {
		return 0, dbErr(err, "requeue stale reports")
	}
	return n, nil
}
