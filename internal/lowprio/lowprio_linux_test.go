package lowprio

import (
	"runtime"
	"syscall"
	"testing"
)

// threadNice is the nice value of the calling thread. The raw
// getpriority system call answers 20 - nice, so that it is never
// negative.
func threadNice(t *testing.T) int {
	t.Helper()
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - p
}

func TestGoRunsAtLowerPriorityOnItsThreadOnly(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	got := make(chan int)
	Go(func() { got <- threadNice(t) })
	if n := <-got; n != max(before, Nice) {
		t.Fatalf("nice value inside Go: %d, want %d", n, max(before, Nice))
	}
	if n := threadNice(t); n != before {
		t.Fatalf("the caller's thread went from nice %d to %d", before, n)
	}
}
