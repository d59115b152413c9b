package recommender

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/atelier-app/atelier/internal/progress"
)

// forEach runs fn(worker, i) for every i in [0, n) on up to workers
// goroutines (worker in [0, workers) indexes per-worker scratch space). The
// first error stops the others and is returned; a cancelled ctx returns its
// error. Results must be written by index, which keeps them independent of
// scheduling. Progress is reported as stage, serialised, about every 1%.
func forEach(ctx context.Context, n, workers int, stage string, prog progress.Func,
	fn func(worker, i int) error) error {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		firstErr   error
		wg         sync.WaitGroup
	)
	every := int64(n/100 + 1)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				if inner.Err() != nil {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(w, i); err != nil {
					fail(err)
					return
				}
				if d := done.Add(1); d%every == 0 || d == int64(n) {
					mu.Lock()
					prog.Report(progress.Update{Stage: stage, Step: int(d), Total: n})
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if done.Load() < int64(n) {
		return ctx.Err()
	}
	return nil
}
