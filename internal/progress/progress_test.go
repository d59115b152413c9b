package progress

import (
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// testBar returns a bar writing to a buffer on a clock the test moves.
func testBar(tty bool) (*Bar, *strings.Builder, *clock) {
	sb, c := &strings.Builder{}, &clock{t: time.Unix(0, 0)}
	b := NewBar(sb, tty)
	b.now = c.now
	return b, sb, c
}

func TestPlainBarThrottlesAndPrintsFinal(t *testing.T) {
	b, sb, c := testBar(false)
	for i := 1; i <= 10; i++ {
		c.t = c.t.Add(time.Second)
		b.Update(Update{Stage: "render", Step: i, Total: 10, Metrics: map[string]float64{"loss": 0.5}})
	}
	b.Done()
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	// One line on the first update, one after five more seconds, and the final one.
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), sb.String())
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"render", "10/10", "100%", "loss=0.5"} {
		if !strings.Contains(last, want) {
			t.Errorf("final line %q lacks %q", last, want)
		}
	}
}

func TestTTYBarRedrawsInPlace(t *testing.T) {
	b, sb, c := testBar(true)
	c.t = c.t.Add(time.Second)
	b.Update(Update{Stage: "train", Step: 1, Total: 4})
	c.t = c.t.Add(time.Second)
	b.Update(Update{Stage: "train", Step: 4, Total: 4})
	out := sb.String()
	if strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("unexpected tty output %q", out)
	}
	if !strings.Contains(out, "[========================]") {
		t.Fatalf("full bar missing in %q", out)
	}
}

func TestNilFuncIgnoresUpdates(t *testing.T) {
	var f Func
	f.Report(Update{Stage: "x"}) // must not panic
}

func TestRateCountsStepsSinceTheStageStarted(t *testing.T) {
	b, sb, c := testBar(false)
	// A run resumed at step 4000 of 14000 that then does 10 steps a second.
	b.Update(Update{Stage: "train", Step: 4000, Total: 14000})
	c.t = c.t.Add(10 * time.Second)
	b.Update(Update{Stage: "train", Step: 4100, Total: 14000})
	last := strings.TrimSpace(sb.String())
	last = last[strings.LastIndex(last, "\n")+1:]
	for _, want := range []string{"4100/14000", " 10.0/s", "ETA 16m30s"} {
		if !strings.Contains(last, want) {
			t.Errorf("line %q lacks %q", last, want)
		}
	}
}

func TestSlowStepsShowSecondsEach(t *testing.T) {
	b, sb, c := testBar(false)
	b.Update(Update{Stage: "evaluate", Step: 1, Total: 30})
	c.t = c.t.Add(42 * time.Second)
	b.Update(Update{Stage: "evaluate", Step: 3, Total: 30})
	if out := sb.String(); !strings.Contains(out, " 21.0s each ETA 9m27s") {
		t.Fatalf("output %q", out)
	}
}
