package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
)

// attempt is one running attempt of a job: it writes heartbeats and
// progress under the attempt's token, and cancels the handler's context
// when a write finds that the attempt no longer holds the job.
type attempt struct {
	q      *Queue
	ctx    context.Context // the handler's context
	cancel context.CancelCauseFunc
	id     string
	token  string
	log    *slog.Logger

	mu        sync.Mutex
	pending   *atelier.Progress // reported, not yet written
	stage     string            // stage of the last report
	lastWrite time.Time
}

// maxStage is the longest stage name the jobs table keeps.
const maxStage = 100

// report is the handler's progress callback. It may be called from
// several goroutines. A report is written when ProgressInterval has passed
// since the last write, when the stage changes, and at a stage's last
// step; others wait for the next write (a report or a heartbeat).
func (a *attempt) report(u progress.Update) {
	stage := u.Stage
	if len(stage) > maxStage {
		stage = stage[:maxStage]
	}
	p := atelier.Progress{Stage: stage, Step: max(u.Step, 0), Total: max(u.Total, 0)}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = &p
	changed := p.Stage != a.stage
	a.stage = p.Stage
	last := p.Total > 0 && p.Step >= p.Total
	if !changed && !last && time.Since(a.lastWrite) < a.q.cfg.ProgressInterval {
		return
	}
	a.writeLocked()
}

// heartbeats writes a heartbeat (with any pending progress) whenever the
// attempt has written nothing for a quarter of RescueAfter, until stop is
// called or the handler's context ends.
func (a *attempt) heartbeats() (stop func()) {
	every := max(a.q.cfg.RescueAfter/4, 10*time.Millisecond)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-a.ctx.Done():
				return
			case <-t.C:
			}
			a.mu.Lock()
			if time.Since(a.lastWrite) >= every || a.pending != nil && time.Since(a.lastWrite) >= a.q.cfg.ProgressInterval {
				a.writeLocked()
			}
			a.mu.Unlock()
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// writeLocked writes a heartbeat with the pending progress; a.mu is held.
func (a *attempt) writeLocked() {
	if a.ctx.Err() != nil {
		return // the handler is stopping; nothing more to tell
	}
	p := a.pending
	a.pending = nil
	err := a.q.store.HeartbeatJob(a.ctx, a.id, a.token, p)
	a.lastWrite = time.Now()
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrJobCancelled):
		a.log.Info("job cancelled; stopping its handler")
		a.cancel(storage.ErrJobCancelled)
	case errors.Is(err, storage.ErrJobFinished), errors.Is(err, storage.ErrClaimLost):
		a.log.Warn("the attempt no longer holds the job; stopping its handler", "error", err)
		a.cancel(err)
	case a.ctx.Err() != nil:
	default:
		// The database is briefly away, or the report was invalid: keep
		// working. If writes fail past RescueAfter another worker takes the
		// job over, and this attempt's next write stops it.
		a.pending = p
		a.log.Warn("could not write the job's heartbeat", "error", err)
	}
}
