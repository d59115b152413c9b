package jobs

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/atelier-app/atelier"
)

// backoff is the retry policy: the n-th retry waits base·2^(n-1), at most
// max, less up to a tenth at random so that jobs failing together do not
// retry together.
type backoff struct {
	base, max time.Duration
}

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt, rand.Float64()))
}

// delay is the wait after attempt (1-based), with jitter u in [0, 1).
func (b backoff) delay(attempt int, u float64) time.Duration {
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return d - time.Duration(u*float64(d)/10)
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a missing model, a
// kind not available in this build): a handler returning it fails the job
// at once instead of using up its attempts.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// permanent reports whether the job should fail without a retry: errors
// marked Permanent, and errors about the job's own input or rights, which
// a retry would meet again.
func permanent(err error) bool {
	var p permanentError
	if errors.As(err, &p) {
		return true
	}
	var ae *atelier.Error
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Kind {
	case atelier.KindInvalid, atelier.KindNotFound, atelier.KindForbidden, atelier.KindUnauthorized, atelier.KindTooLarge:
		return true
	}
	return false
}
