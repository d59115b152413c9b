package storage

import (
	"context"
	"encoding/json"
	"math"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// Limits of redesign parameters.
const (
	MaxRedesignVariants = 16
	MaxRedesignSteps    = 10000
)

// redesignArgs are the parameters of a redesign as kept in its job row's
// args: what operators see in the job list, and what the idempotency
// fingerprint compares.
type redesignArgs struct {
	ItemID               string  `json:"item_id"`
	SegmentID            string  `json:"segment_id"`
	N                    int     `json:"n"`
	Epsilon              float64 `json:"epsilon"`
	Steps                int     `json:"steps"`
	Seed                 int64   `json:"seed"`
	RecommenderVersionID string  `json:"recommender_version_id,omitempty"`
	GANVersionID         string  `json:"gan_version_id,omitempty"`
}

func toRedesignJob(r redesignJobRow, job jobRow, vs []variantRow) atelier.RedesignJob {
	lc := toJob(job)
	j := atelier.RedesignJob{
		ID: r.ID, SellerID: r.SellerID, ItemID: r.ItemID, SegmentID: r.SegmentID,
		N: r.N, Epsilon: r.Epsilon, Steps: r.Steps, Seed: r.Seed,
		Status: lc.Status, Progress: lc.Progress, Error: lc.Error,
		RecommenderVersionID: valString(r.RecommenderVersionID),
		GANVersionID:         valString(r.GANVersionID), CreatedAt: r.CreatedAt.UTC(),
		StartedAt: lc.StartedAt, FinishedAt: lc.FinishedAt, Notes: r.Notes,
	}
	for _, v := range vs {
		j.Variants = append(j.Variants, atelier.Variant{
			Rank: v.Rank, ImageKey: v.ImageKey, FullImageKey: v.FullImageKey, Scores: v.Scores, Flags: v.Flags, Passed: v.Passed,
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
	return variantRow{JobID: jobID, Rank: v.Rank, ImageKey: v.ImageKey, FullImageKey: v.FullImageKey, Scores: scores, Flags: flags, Passed: v.Passed}
}

// RedesignFilter narrows a list of redesign jobs.
type RedesignFilter struct {
	Status    atelier.JobStatus
	ItemID    string
	SegmentID string
	Page
}

// CreateRedesignJob creates a queued redesign: its job row (kind
// redesign, owned by the seller) and its redesign record, in one
// transaction. The seller, item, segment and the model versions (when set)
// must exist; whether the seller may redesign the item is the caller's
// decision. created is false when o.IdempotencyKey returned an earlier job.
// It runs once the queue (storage/jobs) dispatches it.
func (s *Store) CreateRedesignJob(ctx context.Context, j atelier.RedesignJob, o JobOptions) (atelier.RedesignJob, bool, error) {
	switch {
	case j.SellerID == "" || j.ItemID == "" || j.SegmentID == "":
		return atelier.RedesignJob{}, false, atelier.FieldErrorf("item_id", "a redesign needs a seller, an item and a segment")
	case j.N < 1 || j.N > MaxRedesignVariants:
		return atelier.RedesignJob{}, false, atelier.FieldErrorf("n", "must be between 1 and %d", MaxRedesignVariants)
	case !(j.Epsilon > 0) || math.IsInf(j.Epsilon, 0):
		return atelier.RedesignJob{}, false, atelier.FieldErrorf("epsilon", "must be a positive number")
	case j.Steps < 1 || j.Steps > MaxRedesignSteps:
		return atelier.RedesignJob{}, false, atelier.FieldErrorf("steps", "must be between 1 and %d", MaxRedesignSteps)
	}
	args, err := json.Marshal(redesignArgs{
		ItemID: j.ItemID, SegmentID: j.SegmentID, N: j.N, Epsilon: j.Epsilon, Steps: j.Steps, Seed: j.Seed,
		RecommenderVersionID: j.RecommenderVersionID, GANVersionID: j.GANVersionID,
	})
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	canon, err := canonicalArgs(args)
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	job, created, err := s.createJob(ctx, atelier.JobRedesign, j.SellerID, canon, o, func(tx *gorm.DB, job jobRow) error {
		row := redesignJobRow{
			ID: job.ID, SellerID: j.SellerID, ItemID: j.ItemID, SegmentID: j.SegmentID,
			N: j.N, Epsilon: j.Epsilon, Steps: j.Steps, Seed: j.Seed,
			RecommenderVersionID: ptrString(j.RecommenderVersionID), GANVersionID: ptrString(j.GANVersionID),
			CreatedAt: job.CreatedAt,
		}
		return dbErr(tx.Omit(clause.Associations).Create(&row).Error, "redesign of item %q", j.ItemID)
	})
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	if job.Kind != atelier.JobRedesign {
		return atelier.RedesignJob{}, false, atelier.Errorf(atelier.KindConflict, "the Idempotency-Key was already used for a different request")
	}
	out, err := s.GetRedesignJob(ctx, job.ID, atelier.AllScope())
	return out, created, err
}

// GetRedesignJob returns a job with its variants; another seller's job is
// reported as not found.
func (s *Store) GetRedesignJob(ctx context.Context, id string, scope atelier.Scope) (atelier.RedesignJob, error) {
	db := s.db.WithContext(ctx)
	var row redesignJobRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "redesign job %q", id)
	}
	if !scope.All && row.SellerID != scope.SellerID {
		return atelier.RedesignJob{}, notFound("redesign job %q", id)
	}
	var job jobRow
	if err := db.Where("id = ?", id).Take(&job).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "redesign job %q", id)
	}
	var vs []variantRow
	if err := db.Where("job_id = ?", id).Order("rank").Find(&vs).Error; err != nil {
		return atelier.RedesignJob{}, dbErr(err, "variants of redesign job %q", id)
	}
	return toRedesignJob(row, job, vs), nil
}

// ListRedesignJobs returns one page of the scope's jobs, without variants.
func (s *Store) ListRedesignJobs(ctx context.Context, scope atelier.Scope, f RedesignFilter) ([]atelier.RedesignJob, error) {
	db := s.db.WithContext(ctx)
	q := db
	if !scope.All {
		q = q.Where("seller_id = ?", scope.SellerID)
	}
	if f.Status != "" {
		q = q.Where("id IN (?)", db.Model(&jobRow{}).Select("id").Where("status = ?", f.Status))
	}
	if f.ItemID != "" {
		q = q.Where("item_id = ?", f.ItemID)
	}
	if f.SegmentID != "" {
		q = q.Where("segment_id = ?", f.SegmentID)
	}
	var rows []redesignJobRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list redesign jobs")
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	jobs, err := s.jobRows(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]atelier.RedesignJob, len(rows))
	for i, r := range rows {
		out[i] = toRedesignJob(r, jobs[r.ID], nil)
	}
	return out, nil
}

// CompleteRedesignJob marks a redesign succeeded and stores its variants
// and the model versions it used, in one transaction guarded by the
// attempt's token: a second completion changes nothing.
func (s *Store) CompleteRedesignJob(ctx context.Context, id, token string, res atelier.RedesignResult) error {
	rows := make([]variantRow, len(res.Variants))
	seen := map[int]bool{}
	for i, v := range res.Variants {
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
	err := s.complete(ctx, id, token, "", func(tx *gorm.DB) error {
		versions := map[string]any{}
		if res.RecommenderVersionID != "" {
			versions["recommender_version_id"] = res.RecommenderVersionID
		}
		if res.GANVersionID != "" {
			versions["gan_version_id"] = res.GANVersionID
		}
		if len(res.Notes) > 0 {
			notes, err := json.Marshal(res.Notes)
			if err != nil {
				return err
			}
			versions["notes"] = string(notes)
		}
		if len(versions) > 0 {
			if err := tx.Model(&redesignJobRow{}).Where("id = ?", id).Updates(versions).Error; err != nil {
				return err
			}
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Create(&rows).Error
	})
	return dbErr(err, "complete redesign job %q", id)
}

// EachRedesignJob calls fn for every redesign job of the scope matching f,
// without variants (GetRedesignJob has them), a page at a time; an error
// from fn stops the walk and is returned.
func (s *Store) EachRedesignJob(ctx context.Context, scope atelier.Scope, f RedesignFilter, fn func(atelier.RedesignJob) error) error {
	for {
		page, err := s.ListRedesignJobs(ctx, scope, f)
		if err != nil {
			return err
		}
		for _, j := range page {
			if err := fn(j); err != nil {
				return err
			}
		}
		if len(page) < f.Page.limit() {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}
