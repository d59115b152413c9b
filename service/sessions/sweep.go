// Package sessions expires abandoned choice sessions, so that the database
// does not grow with every visitor who came and went. Each `atelier serve`
// process sweeps periodically; sweeps of several processes may overlap
// (each session is deleted once). What a sweep deletes, and why that loses
// no training data, is storage.Store.SweepChoiceSessions's rule.
package sessions

import (
	"context"
	"log/slog"
	"time"
)

// Store is what a sweep needs of the store (*storage.Store).
type Store interface {
	SweepChoiceSessions(ctx context.Context, idle time.Duration, limit int) (int, error)
}

// sweepBatch is how many sessions one statement deletes: small enough to
// hold no lock for long.
const sweepBatch = 1000

// Sweeper deletes choice sessions idle for TTL.
type Sweeper struct {
	Store Store
	TTL   time.Duration
	Log   *slog.Logger
}

// Every is how often Run sweeps: a quarter of the TTL, at most every 10
// minutes and at least every second, so a session lives at most about
// TTL plus that.
func (w Sweeper) Every() time.Duration {
	return min(max(w.TTL/4, time.Second), 10*time.Minute)
}

// Run sweeps at once and then every Every until ctx ends; failures are
// logged and the next sweep tries again.
func (w Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(w.Every())
	defer t.Stop()
	for {
		n, err := w.Once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.Log.Warn("sweep of idle choice sessions failed", "err", err)
		case n > 0:
			w.Log.Info("swept idle choice sessions", "deleted", n, "idle_for", w.TTL)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once deletes every session idle for TTL, batch by batch, and says how
// many.
func (w Sweeper) Once(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.Store.SweepChoiceSessions(ctx, w.TTL, sweepBatch)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}
