// Package lowprio runs background work at a lower CPU priority than the
// requests a service answers, so that work a service starts for itself
// (seeding a library at its first start) does not slow its answers.
//
// Go has no goroutine priorities, but Linux schedules threads, and a
// thread's nice value is its own: Go pins the calling goroutine to its
// thread, raises that thread's nice value and runs the work there. The
// work must stay on that goroutine (no helper goroutines of its own) to
// benefit. When the goroutine ends the runtime retires the pinned thread,
// so the lowered priority never passes to other goroutines.
package lowprio

import "runtime"

// Nice is the nice value of background work: low enough that request
// handlers win the CPU whenever they want it, not so low that the work
// starves on a busy machine.
const Nice = 10

// Go runs f on a new goroutine whose thread has nice value Nice (on
// Linux; elsewhere at normal priority).
func Go(f func()) {
	go func() {
		runtime.LockOSThread() // not unlocked: the thread ends with the goroutine
		setNice(Nice)
		f()
	}()
}
