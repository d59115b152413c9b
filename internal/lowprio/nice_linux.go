package lowprio

import "syscall"

// setNice sets the calling thread's nice value to n unless it is already
// higher (a process started under nice keeps its lower priority): on Linux
// PRIO_PROCESS with a thread id names that thread alone. Failure leaves
// the priority as it was, which is still correct, only less kind to
// requests.
func setNice(n int) {
	tid := syscall.Gettid()
	// The raw system call answers 20 - nice, so that it is never negative.
	if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && 20-p >= n {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, n)
}
