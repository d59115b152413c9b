// Package progress carries progress of long computations (training, synthesis,
// import, redesign) from the code doing the work to whoever shows it: a bar on
// a terminal, plain lines in a log, or progress fields of a job in the API.
//
// Compute packages accept a Func and call it as they go; they never know how
// the update is shown.
package progress

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Update is one report: Step of Total done in Stage, with optional named
// metrics (loss, AUC, images/s, ...).
type Update struct {
	Stage   string
	Step    int
	Total   int
	Metrics map[string]float64
}

// Func receives updates. A nil Func is valid and ignores them (see Report).
type Func func(Update)

// Report calls f with u when f is not nil, so callers need no nil checks.
func (f Func) Report(u Update) {
	if f != nil {
		f(u)
	}
}

// Bar renders updates on w. On a terminal it redraws one line with a bar,
// rate and ETA; elsewhere it prints a plain line at most every interval and
// at each stage's end, so logs stay readable.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	interval time.Duration
	now      func() time.Time

	stage     string
	started   time.Time
	firstStep int // the step of the stage's first update: a resumed run starts past 0
	lastPrint time.Time
	lastLen   int
	dirty     bool
}

// NewBar returns a Bar writing to w; tty says whether to redraw in place.
func NewBar(w io.Writer, tty bool) *Bar {
	return &Bar{w: w, tty: tty, interval: 5 * time.Second, now: time.Now}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Func returns the Bar as a progress.Func.
func (b *Bar) Func() Func { return b.Update }

// Update shows u.
func (b *Bar) Update(u Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if u.Stage != b.stage {
		b.finishLine()
		b.stage, b.started, b.firstStep, b.lastPrint = u.Stage, now, u.Step, time.Time{}
	}
	final := u.Total > 0 && u.Step >= u.Total
	if !b.tty && !final && now.Sub(b.lastPrint) < b.interval {
		return
	}
	if b.tty && !final && now.Sub(b.lastPrint) < 100*time.Millisecond {
		return
	}
	b.lastPrint = now
	line := b.format(u, now)
	if b.tty {
		pad := ""
		if n := b.lastLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(b.w, "\r%s%s", line, pad)
		b.lastLen, b.dirty = len(line), true
		if final {
			b.finishLine()
		}
		return
	}
	fmt.Fprintln(b.w, line)
}

// Done ends the current line on a terminal.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finishLine()
}

func (b *Bar) finishLine() {
	if b.dirty {
		fmt.Fprintln(b.w)
		b.dirty, b.lastLen = false, 0
	}
}

func (b *Bar) format(u Update, now time.Time) string {
	var sb strings.Builder
	sb.WriteString(u.Stage)
	elapsed := now.Sub(b.started).Seconds()
	if u.Total > 0 {
		frac := float64(u.Step) / float64(u.Total)
		if frac > 1 {
			frac = 1
		}
		if b.tty {
			const width = 24
			n := int(frac * width)
			sb.WriteString(" [" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]")
		}
		fmt.Fprintf(&sb, " %d/%d %3.0f%%", u.Step, u.Total, 100*frac)
		// The rate counts the steps done since the stage's first update,
		// so that a resumed run does not claim its earlier steps.
		if done := u.Step - b.firstStep; done > 0 && elapsed > 0 {
			rate := float64(done) / elapsed
			if rate >= 1 {
				fmt.Fprintf(&sb, " %.1f/s", rate)
			} else { // slow steps (a redesign job each): seconds per step reads better than 0.0/s
				fmt.Fprintf(&sb, " %.1fs each", 1/rate)
			}
			if u.Step < u.Total {
				eta := time.Duration(float64(u.Total-u.Step) / rate * float64(time.Second))
				sb.WriteString(" ETA " + eta.Round(time.Second).String())
			}
		}
	} else {
		fmt.Fprintf(&sb, " %d", u.Step)
	}
	keys := make([]string, 0, len(u.Metrics))
	for k := range u.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%.4g", k, u.Metrics[k])
	}
	return sb.String()
}
