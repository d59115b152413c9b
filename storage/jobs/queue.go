package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
)

// Config tunes a Queue. Zero fields take the defaults below.
type Config struct {
	// Workers is how many jobs of each kind this process runs at once. 0
	// makes a queue that only enqueues, cancels and reads jobs.
	Workers int
	// RescueAfter is how long a running job may go without a heartbeat
	// before another worker takes it over.
	RescueAfter time.Duration
	// MaxAttempts bounds the attempts of a job, including attempts whose
	// worker died.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry; it doubles with
	// each further attempt, up to MaxRetryBackoff.
	RetryBackoff time.Duration
	// ProgressInterval is the least time between two progress writes of
	// one attempt; reports in between are kept for the next write.
	ProgressInterval time.Duration
	// PollInterval is how often idle workers look for new jobs when no
	// notification comes.
	PollInterval time.Duration
	// Timeouts bound one attempt of each kind; kinds missing here use
	// DefaultTimeouts.
	Timeouts map[string]time.Duration
}

// Defaults of Config.
const (
	DefaultRescueAfter      = time.Minute
	DefaultMaxAttempts      = storage.DefaultMaxAttempts
	DefaultRetryBackoff     = 10 * time.Second
	MaxRetryBackoff         = time.Hour
	DefaultProgressInterval = 200 * time.Millisecond
	DefaultPollInterval     = time.Second
)

// DefaultTimeouts are the attempt time limits per kind: generous, since
// they only stop hung handlers (dead workers are caught by heartbeats).
func DefaultTimeouts() map[string]time.Duration {
	return map[string]time.Duration{
		atelier.JobTrainRecommender: 6 * time.Hour,
		atelier.JobTrainGAN:         12 * time.Hour,
		atelier.JobRedesign:         30 * time.Minute,
		atelier.JobImport:           6 * time.Hour,
		atelier.JobReport:           time.Hour,
		atelier.JobProbePool:        time.Hour,
	}
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Workers < 0:
		return c, fmt.Errorf("job queue: workers must not be negative")
	case c.RescueAfter < 0 || c.RetryBackoff < 0 || c.ProgressInterval < 0 || c.PollInterval < 0:
		return c, fmt.Errorf("job queue: durations must not be negative")
	case c.MaxAttempts < 0 || c.MaxAttempts > storage.MaxMaxAttempts:
		return c, fmt.Errorf("job queue: max attempts must be between 1 and %d", storage.MaxMaxAttempts)
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = DefaultRescueAfter
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	timeouts := DefaultTimeouts()
	for k, d := range c.Timeouts {
		if d <= 0 {
			return c, fmt.Errorf("job queue: timeout of %s jobs must be positive", k)
		}
		timeouts[k] = d
	}
	c.Timeouts = timeouts
	return c, nil
}

// Handlers do the work of each kind. The wiring code (cmd) provides them,
// so this package knows nothing of models; a nil handler means this
// process does not run jobs of that kind (others may). Each handler gets a
// context that is cancelled when the job is cancelled, times out, or the
// worker shuts down, and a progress callback whose reports are stored on
// the job. Handlers must be idempotent apart from their result, which the
// queue stores in the same transaction as the job's completion.
type Handlers struct {
	// TrainRecommender and TrainGAN train a model from the job's args,
	// upload its file and return its version record (Kind, BlobKey,
	// Metrics, Config, Active); the queue stores the version.
	TrainRecommender TrainFunc
	TrainGAN         TrainFunc
	// Redesign computes the variants of a redesign.
	Redesign RedesignFunc
	// Import imports a dataset and returns a summary (JSON) as the result.
	Import ImportFunc
	// Report writes a report's result to the blob store and returns its key.
	Report ReportFunc
	// ProbePool draws and stores a pool of the choice flow's generated
	// probes and returns a summary (JSON) as the result.
	ProbePool ImportFunc
}

// Handler signatures, per kind.
type (
	TrainFunc    func(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error)
	RedesignFunc func(ctx context.Context, job atelier.RedesignJob, report progress.Func) (atelier.RedesignResult, error)
	ImportFunc   func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error)
	ReportFunc   func(ctx context.Context, r atelier.Report, report progress.Func) (resultKey string, err error)
)

// Queue enqueues, cancels and reads jobs, and runs workers for the kinds
// it has handlers for. It is safe for concurrent use.
type Queue struct {
	store   *storage.Store
	cfg     Config
	log     *slog.Logger
	runners map[string]runner
	engine  engine
	close   func()

	// running holds the ids of jobs whose attempt runs in this process:
	// the reaper never takes those over, however late their heartbeat.
	running sync.Map

	mu       sync.Mutex
	started  bool
	stopping atomic.Bool // set once Stop begins: cancelled attempts are released
	cancel   context.CancelFunc
	reaper   sync.WaitGroup
}

// Open connects the queue engine to the store's database, migrates its
// tables, and registers
// workers for the kinds h has handlers for. Workers run after Start. A nil
// log discards the queue's log.
func Open(ctx context.Context, store *storage.Store, cfg Config, h Handlers, log *slog.Logger) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	q := &Queue{store: store, cfg: cfg, log: log, runners: h.runners(store)}
	if cfg.Workers == 0 {
		q.runners = nil
	}
	q.engine, q.close, err = openEngine(ctx, store, q)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Start starts the workers and the reaper of stale jobs; a queue without
// workers has nothing to start.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || len(q.runners) == 0 {
		return nil
	}
	if err := q.engine.Start(ctx); err != nil {
		return atelier.Wrap(atelier.KindUnavailable, err, "job workers could not start")
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.cancel, q.started = cancel, true
	q.stopping.Store(false)
	q.reaper.Go(func() { q.reap(rctx) })
	q.log.Info("job workers started", "workers_per_kind", q.cfg.Workers, "kinds", q.kinds())
	return nil
}

// Stop stops the workers: running jobs may finish until ctx is done; then
// their contexts are cancelled and they go back to the queue, for another
// worker, without counting the attempt.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		return nil
	}
	q.started = false
	q.stopping.Store(true)
	q.cancel()
	q.reaper.Wait()
	err := q.engine.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		q.log.Warn("job workers did not finish in time; releasing their jobs")
		hctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		err = q.engine.StopAndCancel(hctx)
	}
	if err != nil {
		return fmt.Errorf("stop job workers: %w", err)
	}
	q.log.Info("job workers stopped")
	return nil
}

// releaseTimeout bounds how long cancelled jobs may take to return.
const releaseTimeout = 10 * time.Second

// Close releases the engine's connections (the store stays open). Stop
// the workers first.
func (q *Queue) Close() error {
	if q.close != nil {
		q.close()
	}
	return nil
}

func (q *Queue) kinds() []string {
	var out []string
	for _, k := range atelier.JobKinds() {
		if q.runners[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// Enqueue creates a job of a kind without a record of its own
// (train-recommender, train-gan, import) for ownerID ("" for an
// operator) and hands it to the queue. With an idempotency key, the same
// request returns the job created first (created false) and a different
// one is a KindConflict error.
func (q *Queue) Enqueue(ctx context.Context, kind, ownerID string, args json.RawMessage, idempotencyKey string) (job atelier.Job, created bool, err error) {
	job, created, err = q.store.CreateJob(ctx, kind, ownerID, args, q.options(idempotencyKey))
	if err != nil {
		return atelier.Job{}, false, err
	}
	if created {
		q.dispatch(ctx, storage.JobDelivery{Job: job, Dispatch: storage.FirstDispatch})
	}
	return job, created, nil
}

// EnqueueRedesign creates a redesign job (see storage.CreateRedesignJob)
// and hands it to the queue; idempotency works as in Enqueue.
func (q *Queue) EnqueueRedesign(ctx context.Context, j atelier.RedesignJob, idempotencyKey string) (atelier.RedesignJob, bool, error) {
	r, created, err := q.store.CreateRedesignJob(ctx, j, q.options(idempotencyKey))
	if err != nil {
		return atelier.RedesignJob{}, false, err
	}
	if created {
		q.dispatchID(ctx, r.ID)
	}
	return r, created, nil
}

// EnqueueReport creates a report job (see storage.CreateReport) and hands
// it to the queue; idempotency works as in Enqueue.
func (q *Queue) EnqueueReport(ctx context.Context, r atelier.Report, idempotencyKey string) (atelier.Report, bool, error) {
	out, created, err := q.store.CreateReport(ctx, r, q.options(idempotencyKey))
	if err != nil {
		return atelier.Report{}, false, err
	}
	if created {
		q.dispatchID(ctx, out.ID)
	}
	return out, created, nil
}

func (q *Queue) options(key string) storage.JobOptions {
	return storage.JobOptions{MaxAttempts: q.cfg.MaxAttempts, IdempotencyKey: key}
}

// Cancel cancels a queued or running job of the scope and returns it; a
// finished job is a KindConflict error. The job's handler, wherever it
// runs, sees its context cancelled (see the package doc).
func (q *Queue) Cancel(ctx context.Context, id string, scope atelier.Scope) (atelier.Job, error) {
	job, err := q.store.CancelJob(ctx, id, scope)
	if err != nil {
		return atelier.Job{}, err
	}
	d, err := q.store.GetJobDelivery(ctx, id)
	if err == nil && d.RiverJobID != 0 {
		_, err = q.engine.JobCancel(ctx, d.RiverJobID)
	}
	if err != nil && !errors.Is(err, river.ErrNotFound) {
		// The job is cancelled; its attempt finds out at its next write.
		q.log.Warn("could not cancel the job's queue entry", "job_id", id, "error", err)
	}
	return job, nil
}

// Get returns a job of the scope with its status and progress.
func (q *Queue) Get(ctx context.Context, id string, scope atelier.Scope) (atelier.Job, error) {
	return q.store.GetJob(ctx, id, scope)
}

// List returns one page of the scope's jobs of every kind (kind, status,
// progress, attempts, errors, times), for operators.
func (q *Queue) List(ctx context.Context, scope atelier.Scope, f storage.JobFilter) ([]atelier.Job, error) {
	return q.store.ListJobs(ctx, scope, f)
}
