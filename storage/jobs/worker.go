package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
)

// delivery is the payload of a River job: which job to run, under which
// of its deliveries.
type delivery struct {
	JobID    string `json:"job_id"`
	Dispatch int    `json:"dispatch"`
}

func (d delivery) target() delivery { return d }

// River routes by the Go type of a job's args, so each kind has one.
type (
	trainRecommenderArgs struct{ delivery }
	trainGANArgs         struct{ delivery }
	redesignArgs         struct{ delivery }
	importArgs           struct{ delivery }
	reportArgs           struct{ delivery }
	probePoolArgs        struct{ delivery }
)

func (trainRecommenderArgs) Kind() string { return atelier.JobTrainRecommender }
func (trainGANArgs) Kind() string         { return atelier.JobTrainGAN }
func (redesignArgs) Kind() string         { return atelier.JobRedesign }
func (importArgs) Kind() string           { return atelier.JobImport }
func (reportArgs) Kind() string           { return atelier.JobReport }
func (probePoolArgs) Kind() string        { return atelier.JobProbePool }

// argsFor returns the River args of a delivery of a job of kind.
func argsFor(kind string, d delivery) (river.JobArgs, error) {
	switch kind {
	case atelier.JobTrainRecommender:
		return trainRecommenderArgs{d}, nil
	case atelier.JobTrainGAN:
		return trainGANArgs{d}, nil
	case atelier.JobRedesign:
		return redesignArgs{d}, nil
	case atelier.JobImport:
		return importArgs{d}, nil
	case atelier.JobReport:
		return reportArgs{d}, nil
	case atelier.JobProbePool:
		return probePoolArgs{d}, nil
	}
	return nil, fmt.Errorf("unknown job kind %q", kind)
}

func addWorker(ws *river.Workers, kind string, q *Queue) error {
	switch kind {
	case atelier.JobTrainRecommender:
		return river.AddWorkerSafely(ws, &worker[trainRecommenderArgs]{q: q})
	case atelier.JobTrainGAN:
		return river.AddWorkerSafely(ws, &worker[trainGANArgs]{q: q})
	case atelier.JobRedesign:
		return river.AddWorkerSafely(ws, &worker[redesignArgs]{q: q})
	case atelier.JobImport:
		return river.AddWorkerSafely(ws, &worker[importArgs]{q: q})
	case atelier.JobReport:
		return river.AddWorkerSafely(ws, &worker[reportArgs]{q: q})
	case atelier.JobProbePool:
		return river.AddWorkerSafely(ws, &worker[probePoolArgs]{q: q})
	}
	return fmt.Errorf("unknown job kind %q", kind)
}

// worker adapts the queue to River's Worker interface for one kind.
type worker[T interface {
	river.JobArgs
	target() delivery
}] struct {
	river.WorkerDefaults[T]
	q *Queue
}

func (w *worker[T]) Timeout(j *river.Job[T]) time.Duration {
	return w.q.cfg.Timeouts[j.Args.Kind()]
}

func (w *worker[T]) Work(ctx context.Context, j *river.Job[T]) error {
	return w.q.work(ctx, j.Args.Kind(), j.Args.target())
}

// runner runs a kind's handler for one attempt and returns how to store
// its result under the attempt's token.
type runner func(ctx context.Context, job atelier.Job, report progress.Func) (complete func(ctx context.Context, token string) error, err error)

// runners adapts the handlers that are set to runners.
func (h Handlers) runners(s *storage.Store) map[string]runner {
	m := map[string]runner{}
	train := func(f TrainFunc) runner {
		return func(ctx context.Context, job atelier.Job, report progress.Func) (func(context.Context, string) error, error) {
			mv, err := f(ctx, job, report)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, token string) error {
				_, err := s.CompleteTrainingJob(ctx, job.ID, token, mv)
				return err
			}, nil
		}
	}
	if h.TrainRecommender != nil {
		m[atelier.JobTrainRecommender] = train(h.TrainRecommender)
	}
	if h.TrainGAN != nil {
		m[atelier.JobTrainGAN] = train(h.TrainGAN)
	}
	if h.Redesign != nil {
		m[atelier.JobRedesign] = func(ctx context.Context, job atelier.Job, report progress.Func) (func(context.Context, string) error, error) {
			rj, err := s.GetRedesignJob(ctx, job.ID, atelier.AllScope())
			if err != nil {
				return nil, err
			}
			res, err := h.Redesign(ctx, rj, report)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, token string) error {
				return s.CompleteRedesignJob(ctx, job.ID, token, res)
			}, nil
		}
	}
	summary := func(f ImportFunc) runner {
		return func(ctx context.Context, job atelier.Job, report progress.Func) (func(context.Context, string) error, error) {
			res, err := f(ctx, job, report)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, token string) error {
				return s.CompleteJob(ctx, job.ID, token, res)
			}, nil
		}
	}
	if h.Import != nil {
		m[atelier.JobImport] = summary(h.Import)
	}
	if h.ProbePool != nil {
		m[atelier.JobProbePool] = summary(h.ProbePool)
	}
	if h.Report != nil {
		m[atelier.JobReport] = func(ctx context.Context, job atelier.Job, report progress.Func) (func(context.Context, string) error, error) {
			r, err := s.GetReport(ctx, job.ID, atelier.AllScope())
			if err != nil {
				return nil, err
			}
			key, err := h.Report(ctx, r, report)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, token string) error {
				return s.CompleteReport(ctx, job.ID, token, key)
			}, nil
		}
	}
	return m
}

// writeTimeout bounds the final writes of an attempt, which must happen
// even when the attempt's context is gone (timeout, shutdown).
const writeTimeout = 30 * time.Second

// work runs one delivery: it starts an attempt (or finds there is nothing
// to do), runs the handler with heartbeats, and records the outcome. What
// it returns tells River whether to finish, retry or snooze the delivery.
func (q *Queue) work(ctx context.Context, kind string, d delivery) error {
	token := uuid.NewString()
	job, outcome, err := q.store.StartJobAttempt(ctx, d.JobID, d.Dispatch, token, time.Now().Add(-q.cfg.RescueAfter))
	if err != nil {
		return fmt.Errorf("start job %s: %w", d.JobID, err)
	}
	switch outcome {
	case storage.AttemptFinished, storage.AttemptObsolete:
		return nil
	case storage.AttemptBusy:
		return river.JobSnooze(q.cfg.RescueAfter)
	}
	q.running.Store(job.ID, token)
	defer q.running.CompareAndDelete(job.ID, token)
	log := q.log.With("job_id", job.ID, "kind", kind, "attempt", job.Attempt)
	log.Info("job attempt started")
	began := time.Now()

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &attempt{q: q, ctx: actx, cancel: cancel, id: job.ID, token: token, log: log}
	stopBeats := a.heartbeats()
	complete, herr := runHandler(q.runners[kind], actx, job, a.report)
	stopBeats()

	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer wcancel()
	if herr == nil {
		err := complete(wctx, token)
		if err == nil {
			log.Info("job succeeded", "duration", time.Since(began).Round(time.Millisecond))
			return nil
		}
		if ret, ok := q.lostJob(err); ok {
			return ret
		}
		herr = fmt.Errorf("store the result: %w", err)
	}
	if ret, ok := q.lostJob(context.Cause(actx)); ok {
		return ret
	}
	if q.stopping.Load() && ctx.Err() != nil {
		// The worker shuts down: the job goes back to the queue without
		// using up an attempt, and River makes its delivery available.
		err := q.store.ReleaseJob(wctx, job.ID, token)
		if ret, ok := q.lostJob(err); ok {
			return ret
		}
		if err != nil {
			log.Warn("could not release the job on shutdown", "error", err)
		}
		log.Info("job released on shutdown")
		return fmt.Errorf("job %s released on shutdown: %w", job.ID, ctx.Err())
	}
	reason := failureReason(herr, ctx, q.cfg.Timeouts[kind])
	after, err := q.store.FailJobAttempt(wctx, job.ID, token, reason, !permanent(herr))
	if ret, ok := q.lostJob(err); ok {
		return ret
	}
	if err != nil {
		// The attempt still holds the job; its heartbeat stops, so the
		// reaper will retry it once RescueAfter passes.
		log.Warn("could not record the failed attempt", "error", err, "attempt_error", herr)
		return fmt.Errorf("job %s: %w", job.ID, herr)
	}
	if after.Status == atelier.JobFailed {
		log.Warn("job failed", "error", herr, "reason", reason)
		return river.JobCancel(herr) // final: no more deliveries
	}
	log.Warn("job attempt failed; will retry", "error", herr, "reason", reason)
	return herr
}

// lostJob maps the errors of a write that found the attempt no longer
// holds the job to River's outcome of the delivery.
func (q *Queue) lostJob(err error) (error, bool) {
	switch {
	case err == nil:
		return nil, false
	case errors.Is(err, storage.ErrJobCancelled):
		return river.JobCancel(err), true
	case errors.Is(err, storage.ErrJobFinished):
		return nil, true
	case errors.Is(err, storage.ErrClaimLost):
		// Another attempt runs the job. Snoozing keeps this delivery until
		// the job's fate is known; its next run then finds nothing to do.
		return river.JobSnooze(q.cfg.RescueAfter), true
	}
	return nil, false
}

// runHandler runs r, turning a panic into an error so that the attempt is
// recorded like any failure.
func runHandler(r runner, ctx context.Context, job atelier.Job, report progress.Func) (complete func(context.Context, string) error, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return r(ctx, job, report)
}

// failureReason is the client-safe reason stored on the job.
func failureReason(err error, ctx context.Context, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("the attempt ran longer than its limit of %s", timeout)
	}
	return atelier.ErrorMessage(err)
}
