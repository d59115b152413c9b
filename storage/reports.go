package storage

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toReport(r reportRow, job jobRow) atelier.Report {
	lc := toJob(job)
	return atelier.Report{
		ID: r.ID, SellerID: r.SellerID, SegmentID: valString(r.SegmentID),
		Status: lc.Status, Progress: lc.Progress, Error: lc.Error,
		ResultKey: r.ResultKey, CreatedAt: r.CreatedAt.UTC(),
		StartedAt: lc.StartedAt, FinishedAt: lc.FinishedAt,
	}
}

// ReportFilter narrows a list of reports.
type ReportFilter struct {
	Status    atelier.JobStatus
	SegmentID string
	Page
}

// CreateReport creates a queued report of a seller's items for a segment
// (every segment when r.SegmentID is ""): its job row (kind report) and
// its report record, in one transaction. created is false when
// o.IdempotencyKey returned an earlier report.
func (s *Store) CreateReport(ctx context.Context, r atelier.Report, o JobOptions) (atelier.Report, bool, error) {
	if r.SellerID == "" {
		return atelier.Report{}, false, atelier.FieldErrorf("seller_id", "a report needs a seller")
	}
	var segment *string
	if r.SegmentID != "" {
		segment = &r.SegmentID
	}
	args, err := json.Marshal(map[string]string{"segment_id": r.SegmentID})
	if err != nil {
		return atelier.Report{}, false, err
	}
	job, created, err := s.createJob(ctx, atelier.JobReport, r.SellerID, string(args), o, func(tx *gorm.DB, job jobRow) error {
		row := reportRow{ID: job.ID, SellerID: r.SellerID, SegmentID: segment, CreatedAt: job.CreatedAt}
		return dbErr(tx.Omit(clause.Associations).Create(&row).Error, "report for segment %q", r.SegmentID)
	})
	if err != nil {
		return atelier.Report{}, false, err
	}
	if job.Kind != atelier.JobReport {
		return atelier.Report{}, false, atelier.Errorf(atelier.KindConflict, "the Idempotency-Key was already used for a different request")
	}
	out, err := s.GetReport(ctx, job.ID, atelier.AllScope())
	return out, created, err
}

// GetReport returns a report; another seller's report is reported as not
// found.
func (s *Store) GetReport(ctx context.Context, id string, scope atelier.Scope) (atelier.Report, error) {
	db := s.db.WithContext(ctx)
	var row reportRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Report{}, dbErr(err, "report %q", id)
	}
	if !scope.All && row.SellerID != scope.SellerID {
		return atelier.Report{}, notFound("report %q", id)
	}
	var job jobRow
	if err := db.Where("id = ?", id).Take(&job).Error; err != nil {
		return atelier.Report{}, dbErr(err, "report %q", id)
	}
	return toReport(row, job), nil
}

// ListReports returns one page of the scope's reports.
func (s *Store) ListReports(ctx context.Context, scope atelier.Scope, f ReportFilter) ([]atelier.Report, error) {
	db := s.db.WithContext(ctx)
	q := db
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	if f.Status != "" {
		q = q.Where("id IN (?)", db.Model(&jobRow{}).Select("id").Where("status = ?", f.Status))
	}
	if f.SegmentID != "" {
		q = q.Where("segment_id = ?", f.SegmentID)
	}
	var rows []reportRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list reports")
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	jobs, err := s.jobRows(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]atelier.Report, len(rows))
	for i, r := range rows {
		out[i] = toReport(r, jobs[r.ID])
	}
	return out, nil
}

// CompleteReport marks a report succeeded with the blob key of its result,
// in one transaction guarded by the attempt's token.
func (s *Store) CompleteReport(ctx context.Context, id, token, resultKey string) error {
	if resultKey == "" {
		return atelier.FieldErrorf("result_key", "must not be empty")
	}
	err := s.complete(ctx, id, token, "", func(tx *gorm.DB) error {
		return tx.Model(&reportRow{}).Where("id = ?", id).Update("result_key", resultKey).Error
	})
	return dbErr(err, "complete report %q", id)
}
