// Package testkit holds the small assertions every package's tests use,
// written once.
package testkit

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
)

// Must returns v, failing the test when err is not nil:
// x := testkit.Must(f())(t).
func Must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// WantKind fails the test unless err is of the given kind.
func WantKind(t testing.TB, err error, kind atelier.Kind) {
	t.Helper()
	if got := atelier.ErrorKind(err); got != kind {
		t.Fatalf("error kind %q, want %q (error: %v)", got, kind, err)
	}
}

// LogBuffer is a log sink safe for concurrent writes, for tests that read
// what a server or worker logged.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Clock is a clock that tests move by hand; safe for concurrent use.
// Pass its Now where code takes a func() time.Time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
