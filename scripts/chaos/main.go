// Command chaos runs Atelier's fault scenarios (make chaos, docs/chaos.md):
// each starts `atelier serve` (and `atelier worker` where jobs are
// involved) on loopback against servers of its own, drives real traffic,
// injects one fault, checks the outcome and reports one row of the table.
// It exits non-zero if any scenario lost acknowledged data, left orphans
// or failed a check.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// result is one row of the table.
type result struct {
	scenario string
	requests int
	faults   int
	fivexx   int  // 5xx answers seen (503 included)
	lost     int  // acknowledged writes missing afterwards
	orphans  int  // blobs without rows and rows without blobs
	noOrphan bool // the scenario writes nothing that could be orphaned
	recovery time.Duration
	failures []string // failed checks
}

func (r *result) failf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

type scenario struct {
	name string
	run  func(ctx context.Context, c config) result
}

type config struct {
	bin  string // the atelier binary
	keep bool   // keep temporary directories (logs) for a look afterwards
}

var scenarios = []scenario{
	{"postgres-restart", runPostgresRestart},
	{"worker-kill", runWorkerKill},
	{"minio-stop", runMinIOStop},
	{"disk-full", runDiskFull},
	{"hostile-clients", runHostileClients},
}

func main() {
	bin := flag.String("bin", "bin/atelier", "the atelier binary")
	only := flag.String("only", "", "comma-separated scenarios to run (default: all)")
	keep := flag.Bool("keep", false, "keep the temporary directories (logs) of the scenarios")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	cfg := config{bin: abs, keep: *keep}
	var results []result
	for _, s := range scenarios {
		if *only != "" && !strings.Contains(","+*only+",", ","+s.name+",") {
			continue
		}
		fmt.Fprintf(os.Stderr, "chaos: %s\n", s.name)
		begin := time.Now()
		r := s.run(ctx, cfg)
		r.scenario = s.name
		fmt.Fprintf(os.Stderr, "chaos: %s done in %s\n", s.name, time.Since(begin).Round(time.Second))
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	if !report(os.Stdout, results) {
		os.Exit(1)
	}
}

// report prints the table and the failed checks; false if any scenario
// failed.
func report(w *os.File, results []result) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "scenario\t requests sent\t faults injected\t 5xx seen\t data lost\t orphans found\t recovery time\t verdict")
	ok := true
	for _, r := range results {
		verdict := "PASS"
		if len(r.failures) > 0 {
			verdict, ok = "FAIL", false
		}
		orphans := fmt.Sprint(r.orphans)
		if r.noOrphan {
			orphans = "-"
		}
		rec := "-"
		if r.recovery > 0 {
			rec = r.recovery.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t %d\t %d\t %d\t %d\t %s\t %s\t %s\n",
			r.scenario, r.requests, r.faults, r.fivexx, r.lost, orphans, rec, verdict)
	}
	tw.Flush()
	for _, r := range results {
		for i, f := range r.failures {
			if i == 5 {
				fmt.Fprintf(w, "FAIL %s: ... and %d more\n", r.scenario, len(r.failures)-i)
				break
			}
			fmt.Fprintf(w, "FAIL %s: %s\n", r.scenario, f)
		}
	}
	return ok
}
