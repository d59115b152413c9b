package nn

import (
	"strings"
	"testing"
)

func TestConfigure(t *testing.T) {
	Threads()
	defer setThreads(threads)
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	if err := Configure(env("ATELIER_THREADS", "3")); err != nil || Threads() != 3 {
		t.Fatalf("ATELIER_THREADS=3: err %v, threads %d", err, Threads())
	}
	for _, bad := range [][]string{
		{"ATELIER_THREADS", "0"}, {"ATELIER_THREADS", "two"}, {"ATELIER_THREADS", "5000"},
		{"ATELIER_NN_BACKEND", "cuda"},
	} {
		err := Configure(env(bad...))
		if err == nil || !strings.HasPrefix(err.Error(), bad[0]+": ") {
			t.Errorf("%s=%s: error %v, want one naming the variable", bad[0], bad[1], err)
		}
	}
}

// TestParallelRunsEachOnce checks that every index runs exactly once
// whether helpers are free or the pool is exhausted.
func TestParallelRunsEachOnce(t *testing.T) {
	Threads()
	defer setThreads(threads)
	for _, n := range []int{1, 4} {
		setThreads(n)
		counts := make([]int, 9)
		parallel(len(counts), func(i int) { counts[i]++ })
		for i, c := range counts {
			if c != 1 {
				t.Fatalf("threads %d: index %d ran %d times", n, i, c)
			}
		}
	}
}

// TestConcurrentCountsItsGoroutines checks that the goroutines Concurrent
// starts hold the helper tokens from the start, so that the layers of the
// pieces start no helpers while all cores run pieces, and that the tokens
// come back.
func TestConcurrentCountsItsGoroutines(t *testing.T) {
	Threads()
	defer setThreads(threads)
	for _, n := range []int{2, 3} {
		setThreads(n)
		for range 100 {
			free := -1
			release := make(chan struct{}) // the other pieces run until piece 0 has looked
			Concurrent(n, func(i int) {
				if i == 0 {
					free = len(helpers)
					close(release)
					return
				}
				<-release
			})
			if free != 0 {
				t.Fatalf("threads %d: %d helper tokens free while %d pieces ran", n, free, n)
			}
			if len(helpers) != n-1 {
				t.Fatalf("threads %d: %d tokens back after the call, want %d", n, len(helpers), n-1)
			}
		}
	}
}
