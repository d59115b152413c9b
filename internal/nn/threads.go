package nn

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
)

// Intra-op parallelism. A layer splits its batch into a fixed number of
// parts (batchParts, never depending on the machine) and runs the parts on
// the calling goroutine plus whatever helper goroutines are free, up to
// Threads() in the whole process. Because the split is fixed and partial
// sums are added in part order, a seed gives the same numbers on one core
// or sixteen; because the helpers come from one process-wide pool, two jobs
// in one process share the cores instead of each starting its own threads.

// batchParts is how many parts a layer splits its batch into (fewer when
// the batch is smaller). Four keeps two to four cores busy; more would
// shrink each part's matrix products for no gain on our machines.
const batchParts = 4

var (
	threadsOnce sync.Once
	threads     int
	helpers     chan struct{} // one token per helper goroutine allowed to run
)

// Threads returns how many goroutines layers may use at once in this
// process: ATELIER_THREADS when set to a positive integer, otherwise
// GOMAXPROCS (all cores).
func Threads() int {
	threadsOnce.Do(func() {
		n := runtime.GOMAXPROCS(0)
		if v, err := strconv.Atoi(os.Getenv("ATELIER_THREADS")); err == nil && v > 0 {
			n = v
		}
		setThreads(n)
	})
	return threads
}

// Configure checks and applies the settings of this package from the
// environment, for a command to call once at start: ATELIER_THREADS (a
// positive integer; unset: all cores) and ATELIER_NN_BACKEND (one of
// Backends(); unset: the fastest compiled in). The error names the
// variable. Without Configure, Threads and Backend read the same variables
// and ignore bad values (tests and benchmarks).
func Configure(getenv func(string) string) error {
	n := runtime.GOMAXPROCS(0)
	if v := getenv("ATELIER_THREADS"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || t < 1 || t > 1024 {
			return fmt.Errorf("ATELIER_THREADS: %q is not a thread count in [1, 1024]", v)
		}
		n = t
	}
	if b := getenv("ATELIER_NN_BACKEND"); b != "" && !slices.Contains(Backends(), b) {
		return fmt.Errorf("ATELIER_NN_BACKEND: %q is not compiled into this binary (have %v)", b, Backends())
	}
	threadsOnce.Do(func() {})
	setThreads(n)
	return nil
}

// setThreads sizes the helper pool for n goroutines in all. Tests call it
// (when no layer is running) to compare thread counts in one process.
func setThreads(n int) {
	threads = n
	helpers = make(chan struct{}, n-1)
	for range n - 1 {
		helpers <- struct{}{}
	}
}

// splitBatch returns the part boundaries of a batch: parts of near-equal
// size, min(batch, parts) of them.
func splitBatch(batch, parts int) []int {
	n := max(1, min(batch, parts))
	bounds := make([]int, n+1)
	for i := range bounds {
		bounds[i] = i * batch / n
	}
	return bounds
}

// perPart makes one T per part of a batch split into parts (splitBatch)
// from the part's number of samples, and returns them with the part
// boundaries.
func perPart[T any](batch, parts int, mk func(samples int) (T, error)) ([]T, []int, error) {
	bounds := splitBatch(batch, parts)
	made := make([]T, len(bounds)-1)
	for i := range made {
		var err error
		if made[i], err = mk(bounds[i+1] - bounds[i]); err != nil {
			return nil, nil, err
		}
	}
	return made, bounds, nil
}

// parallel runs fn(0), ..., fn(n−1), each exactly once, on the calling
// goroutine and on as many free helpers as there are (none when the pool is
// busy: the caller then runs them all). fn must write disjoint outputs.
func parallel(n int, fn func(i int)) {
	Threads()
	if n <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i
	}
	work := func() {
		for i := take(); i < n; i = take() {
			fn(i)
		}
	}
	for range n - 1 {
		select {
		case <-helpers:
			wg.Add(1)
			go func() {
				defer func() { helpers <- struct{}{}; wg.Done() }()
				work()
			}()
		default:
		}
	}
	work()
	wg.Wait()
}

// Parallel runs fn(0), ..., fn(n−1), each exactly once, on the calling
// goroutine and on the process's free helpers, as layers do with the parts
// of a batch: for callers with independent pieces of work (the optimiser
// updates of separate networks) that should use idle cores without adding
// threads when there are none. fn must write disjoint outputs.
func Parallel(n int, fn func(i int)) { parallel(n, fn) }

// Concurrent runs fn(0), ..., fn(n−1) all at once, fn(0) on the calling
// goroutine and each other on a goroutine of its own, whatever the thread
// count: for work whose pieces must overlap, such as a trainer's batch
// shards. Each extra goroutine holds a helper token while one is free, so
// the layers it runs count it among Threads(): without that, on two cores,
// two shards would each also start helpers for their layers' parts and
// three or four goroutines would contend for the two cores (7% slower GAN
// training steps).
func Concurrent(n int, fn func(i int)) {
	Threads()
	pool := helpers
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		// The token is taken here, before fn(0) starts: taken by the new
		// goroutine, it often went to a helper of fn(0)'s first layer
		// instead, and for the rest of the call the layers of both
		// pieces started helpers on cores the pieces were using.
		held := false
		select {
		case <-pool:
			held = true
		default:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if held {
				defer func() { pool <- struct{}{} }()
			}
			fn(i)
		}()
	}
	if n > 0 {
		fn(0)
	}
	wg.Wait()
}

// eachPart runs fn(lo, hi) for the parts [lo, hi) of a batch (splitBatch),
// in parallel: for layers whose samples are independent.
func eachPart(batch int, fn func(lo, hi int)) {
	bounds := splitBatch(batch, batchParts)
	parallel(len(bounds)-1, func(i int) { fn(bounds[i], bounds[i+1]) })
}
