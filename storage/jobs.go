package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// Every background job has a row in the jobs table: its kind, owner,
// arguments, life cycle, progress and attempts. Kinds with richer records
// (redesigns, reports) keep them in their own table under the same id. This
// file creates, reads and cancels jobs; job_attempts.go holds the worker's
// side of the life cycle.

// Limits of job creation.
const (
	DefaultMaxAttempts   = 3
	MaxMaxAttempts       = 100
	MaxIdempotencyKeyLen = 200
	MaxJobArgsBytes      = 64 << 10
)

// FirstDispatch is the delivery number of a new job (see JobDelivery).
const FirstDispatch = 1

// JobOptions are the settings of a new job.
type JobOptions struct {
	// MaxAttempts is how many attempts the job gets before it fails; 0
	// means DefaultMaxAttempts.
	MaxAttempts int
	// IdempotencyKey, when set, makes creation idempotent per owner: the
	// same key with the same request returns the job created first
	// (created is false); the same key with a different request is a
	// KindConflict error. Requests are compared by a fingerprint of the
	// kind and the canonical JSON of the arguments.
	IdempotencyKey string
}

// JobFilter narrows a list of jobs.
type JobFilter struct {
	Kind   string
	Status atelier.JobStatus
	Page
}

func toJob(r jobRow) atelier.Job {
	j := atelier.Job{
		ID: r.ID, Kind: r.Kind, OwnerID: valString(r.OwnerID), Args: json.RawMessage(r.Args),
		Status:   atelier.JobStatus(r.Status),
		Progress: atelier.Progress{Stage: r.Stage, Step: r.Step, Total: r.Total},
		Error:    r.Error, Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		CreatedAt: r.CreatedAt.UTC(), StartedAt: valTime(r.StartedAt),
		FinishedAt: valTime(r.FinishedAt), HeartbeatAt: valTime(r.HeartbeatAt),
	}
	if r.Result != "" {
		j.Result = json.RawMessage(r.Result)
	}
	return j
}

// canonicalArgs validates job arguments and returns them in a canonical
// form (object keys sorted, no insignificant space), so that equal requests
// have equal fingerprints.
func canonicalArgs(args json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(args)) == 0 {
		return "{}", nil
	}
	if len(args) > MaxJobArgsBytes {
		return "", atelier.FieldErrorf("args", "must be at most %d bytes of JSON", MaxJobArgsBytes)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber() // keep numbers exactly as given
	if err := dec.Decode(&v); err != nil || dec.More() {
		return "", atelier.FieldErrorf("args", "must be one valid JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return "", atelier.FieldErrorf("args", "must be a JSON object")
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("canonical job args: %w", err)
	}
	return string(out), nil
}

func fingerprint(kind, args string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + args))
	return hex.EncodeToString(h[:])
}

// CreateJob creates a queued job of kind for ownerID ("" for an operator's
// job) with args (a JSON object; nil for {}). created is false when an
// idempotency key returned an existing job. The job runs once the queue
// (storage/jobs) dispatches it; callers normally go through the queue.
func (s *Store) CreateJob(ctx context.Context, kind, ownerID string, args json.RawMessage, o JobOptions) (job atelier.Job, created bool, err error) {
	if kind == atelier.JobRedesign || kind == atelier.JobReport {
		return atelier.Job{}, false, atelier.FieldErrorf("kind", "%s jobs are created with their own record", kind)
	}
	canon, err := canonicalArgs(args)
	if err != nil {
		return atelier.Job{}, false, err
	}
	row, created, err := s.createJob(ctx, kind, ownerID, canon, o, nil)
	if err != nil {
		return atelier.Job{}, false, err
	}
	return toJob(row), created, nil
}

// createJob inserts a job row and, in the same transaction, the kind's own
// record (extra) and the idempotency key. When the key already names a job
// of the same request, that job is returned with created false.
func (s *Store) createJob(ctx context.Context, kind, ownerID, args string, o JobOptions, extra func(tx *gorm.DB, row jobRow) error) (jobRow, bool, error) {
	switch {
	case !atelier.ValidJobKind(kind):
		return jobRow{}, false, atelier.FieldErrorf("kind", "unknown job kind %q", kind)
	case o.MaxAttempts < 0 || o.MaxAttempts > MaxMaxAttempts:
		return jobRow{}, false, atelier.FieldErrorf("max_attempts", "must be between 1 and %d", MaxMaxAttempts)
	case len(o.IdempotencyKey) > MaxIdempotencyKeyLen:
		return jobRow{}, false, atelier.FieldErrorf("idempotency_key", "must be at most %d bytes long", MaxIdempotencyKeyLen)
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	fp := fingerprint(kind, args)
	now := s.stamp()
	row := jobRow{
		ID: newID(), Kind: kind, OwnerID: ptrString(ownerID), Args: args,
		Status: string(atelier.JobQueued), MaxAttempts: o.MaxAttempts, Dispatch: FirstDispatch,
		CreatedAt: now, UpdatedAt: now,
	}
	var existing *jobRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if o.IdempotencyKey != "" {
			prior, err := s.idempotentJob(tx, ownerID, o.IdempotencyKey, fp)
			if err != nil || prior != nil {
				existing = prior
				return err
			}
		}
		if err := tx.Omit(clause.Associations).Create(&row).Error; err != nil {
			return dbErr(err, "%s job", kind)
		}
		if extra != nil {
			if err := extra(tx, row); err != nil {
				return err
			}
		}
		if o.IdempotencyKey == "" {
			return nil
		}
		key := idempotencyKeyRow{Owner: ownerID, Key: o.IdempotencyKey, Fingerprint: fp, JobID: row.ID, CreatedAt: now}
		return tx.Omit(clause.Associations).Create(&key).Error
	})
	if existing != nil {
		return *existing, false, nil
	}
	if err != nil && o.IdempotencyKey != "" && errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another request with the same key committed first.
		prior, perr := s.idempotentJob(s.db.WithContext(ctx), ownerID, o.IdempotencyKey, fp)
		if perr != nil {
			return jobRow{}, false, perr
		}
		if prior != nil {
			return *prior, false, nil
		}
	}
	if err != nil {
		return jobRow{}, false, dbErr(err, "%s job", kind)
	}
	return row, true, nil
}

// idempotentJob returns the job an idempotency key created, nil when the
// key is new, or a KindConflict error when it was used for another request.
func (s *Store) idempotentJob(db *gorm.DB, owner, key, fp string) (*jobRow, error) {
	var k idempotencyKeyRow
	err := db.Where("owner = ? AND key = ?", owner, key).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "idempotency key")
	}
	if k.Fingerprint != fp {
		return nil, atelier.Errorf(atelier.KindConflict, "the Idempotency-Key was already used for a different request")
	}
	var row jobRow
	if err := db.Where("id = ?", k.JobID).Take(&row).Error; err != nil {
		return nil, dbErr(err, "job %q", k.JobID)
	}
	return &row, nil
}

// GetJob returns a job. Sellers see their own jobs only; operators' jobs
// are visible to the All scope only.
func (s *Store) GetJob(ctx context.Context, id string, scope atelier.Scope) (atelier.Job, error) {
	row, err := s.jobRow(s.db.WithContext(ctx), id, scope)
	if err != nil {
		return atelier.Job{}, err
	}
	return toJob(row), nil
}

func (s *Store) jobRow(db *gorm.DB, id string, scope atelier.Scope) (jobRow, error) {
	var row jobRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return jobRow{}, dbErr(err, "job %q", id)
	}
	if !scope.All && valString(row.OwnerID) != scope.SellerID {
		return jobRow{}, notFound("job %q", id)
	}
	return row, nil
}

// ListJobs returns one page of the scope's jobs of every kind, for
// operators watching the queue.
func (s *Store) ListJobs(ctx context.Context, scope atelier.Scope, f JobFilter) ([]atelier.Job, error) {
	q := s.db.WithContext(ctx)
	if !scope.All {
		q = q.Where("owner_id = ?", scope.SellerID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	var rows []jobRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list jobs")
	}
	out := make([]atelier.Job, len(rows))
	for i, r := range rows {
		out[i] = toJob(r)
	}
	return out, nil
}

// CancelJob cancels a queued or running job of the scope and returns it; a
// finished job is a KindConflict error. A running attempt notices at its
// next heartbeat or progress report (ErrJobCancelled) and stops.
func (s *Store) CancelJob(ctx context.Context, id string, scope atelier.Scope) (atelier.Job, error) {
	db := s.db.WithContext(ctx)
	if _, err := s.jobRow(db, id, scope); err != nil {
		return atelier.Job{}, err
	}
	err := s.transition(db, id, fromActive(), map[string]any{
		"status": atelier.JobCancelled, "finished_at": s.stamp(), "token": "",
	})
	if err != nil {
		return atelier.Job{}, err
	}
	return s.GetJob(ctx, id, scope)
}

// transition applies updates to job id if its status is one of from.
// Otherwise it reports why: not found, or a KindConflict naming the
// current status.
func (s *Store) transition(db *gorm.DB, id string, from []atelier.JobStatus, updates map[string]any) error {
	updates["updated_at"] = s.stamp()
	res := db.Model(&jobRow{}).Where("id = ? AND status IN ?", id, from).Updates(updates)
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
	if len(status) == 0 {
		return notFound("job %q", id)
	}
	return atelier.Errorf(atelier.KindConflict, "job %q is %s", id, status[0])
}

func fromActive() []atelier.JobStatus {
	return []atelier.JobStatus{atelier.JobQueued, atelier.JobRunning}
}

// jobRows loads the job rows of ids, by id.
func (s *Store) jobRows(db *gorm.DB, ids []string) (map[string]jobRow, error) {
	out := make(map[string]jobRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []jobRow
	if err := db.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "jobs")
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// checkLegacyJobSchema refuses a database whose redesign or report rows
// still carry their own status columns: that pre-release schema had no
// jobs table, and its rows cannot be migrated into one automatically.
func (s *Store) checkLegacyJobSchema(db *gorm.DB) error {
	m := db.Migrator()
	for _, table := range []string{"redesign_jobs", "reports"} {
		if m.HasTable(table) && m.HasColumn(table, "status") {
			return atelier.Errorf(atelier.KindUnavailable,
				"database schema predates the job queue (%s has a status column): create a new database", table)
		}
	}
	return nil
}
