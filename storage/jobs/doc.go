// Package jobs runs Atelier's background jobs (training, redesigns,
// imports, reports) on a durable queue kept in the service's database. The
// queue engine is River (github.com/riverqueue/river): on PostgreSQL through
// a pgx pool opened from the same URL as the store, on SQLite through the
// store's own connection pool. River's tables are migrated when a Queue
// opens, next to the store's schema.
//
// # Two records per job
//
// The jobs table of package storage is the product's record of a job: its
// kind, owner, arguments, status, progress, attempts, heartbeat and result.
// The API reads it, and it alone decides what happens. A River job is only
// a delivery: "run attempt of job X under dispatch N". A job gets a new
// delivery (N+1) when its old one is lost: its worker died, or the
// delivery was never handed to River because the process stopped between
// committing the job and inserting the delivery. A delivery whose number is
// not the job's current one does nothing.
//
// # Guarantees
//
// River delivers at least once. Each delivery starts an attempt that holds
// a fresh token; every write of the attempt (heartbeat, progress,
// completion, failure) is a database update guarded by that token and the
// running status. Completion moves the job to succeeded and writes its
// results (variants, a model version, a report key) in one transaction
// under the guard, so a job completes at most once: a second attempt, a
// late attempt that lost its claim, or a cancelled one, changes nothing.
// At-least-once delivery plus guarded completion makes a job's effect on
// the database happen effectively once. Handlers must make their other
// effects idempotent: write blobs under keys derived from the job id, so
// that a retry overwrites rather than adds.
//
// # Heartbeats and rescue
//
// A running attempt writes a heartbeat every RescueAfter/4, and each
// progress report (at most one write per ProgressInterval) is a heartbeat
// too. Every worker process also runs a reaper: a running job whose
// heartbeat is older than RescueAfter lost its worker (SIGKILL, a crash, a
// machine gone), so the reaper moves it back to queued under a new
// delivery, which any worker then picks up as the next attempt (a reaper
// never takes over a job whose attempt runs in its own process). A healthy
// job, however long (training runs for an hour), keeps its heartbeat fresh
// and is never taken over; a delivery that finds a live attempt running the
// job snoozes instead of running it twice. River's own rescue of stuck
// River jobs is only a backstop: it waits for the kind's attempt timeout
// (Timeouts), which also bounds a hung handler.
//
// Attempts that died count against MaxAttempts like failed ones. A failed
// attempt is retried with exponential backoff (RetryBackoff doubling up to
// MaxRetryBackoff) until MaxAttempts, then the job fails with the reason of
// the last attempt; errors marked Permanent, and invalid input, fail at
// once. A worker that shuts down (SIGTERM) lets running jobs finish within
// its grace period, then cancels them and puts them back in the queue
// without counting the attempt.
//
// # Cancellation
//
// Cancel marks the job cancelled in the database and asks River to cancel
// its delivery. River cancels the handler's context at once in the same
// process, and on PostgreSQL in other processes too (LISTEN/NOTIFY). In any
// case the attempt's next heartbeat or progress write finds the job
// cancelled and cancels the handler's context, so a handler that reports
// progress stops within one step (at most ProgressInterval later).
//
// # Several workers
//
// Any number of processes may run workers against one database and blob
// store: `atelier serve` (ATELIER_WORKERS > 0) and `atelier worker`. With
// PostgreSQL they may be on different machines (whose clocks agree to well
// under RescueAfter, since heartbeats carry wall-clock times). With SQLite
// they must share one machine and a local file system: SQLite's locking
// does not work over network file systems.
package jobs
