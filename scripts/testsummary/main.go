// Command testsummary reads `go test -json` on standard input and prints
// what `go test` would (package results, and the whole output of failing
// tests), then how many subtests ran against each storage backend, so a
// test run shows that its PostgreSQL and MinIO suites ran rather than
// skipped. It exits non-zero when a test failed, a package failed to build,
// or a required backend ran no test.
//
//	go test -json ./... | go run ./scripts/testsummary -require postgres,minio
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// backends are the subtest names the storage suites use for each backend.
var backends = []string{"postgres", "minio", "sqlite", "local"}

type counts struct{ pass, skip, fail int }

func main() {
	require := flag.String("require", "", "comma-separated backends that must have passing subtests")
	flag.Parse()
	ok, err := summarise(os.Stdin, os.Stdout, splitList(*require))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func summarise(r io.Reader, w io.Writer, require []string) (bool, error) {
	outputs := map[string]*strings.Builder{} // package/test -> its output
	byBackend := map[string]*counts{}
	for _, b := range backends {
		byBackend[b] = &counts{}
	}
	ok := true
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			// Build errors arrive as plain text before any JSON.
			fmt.Fprintln(w, string(line))
			ok = false
			continue
		}
		key := ev.Package + "/" + ev.Test
		switch ev.Action {
		case "output":
			if ev.Test == "" {
				// Package-level lines: "ok  pkg 1.2s", "FAIL pkg", "? pkg [no test files]".
				if !strings.HasPrefix(ev.Output, "PASS") && !strings.HasPrefix(ev.Output, "=== ") {
					fmt.Fprint(w, ev.Output)
				}
				continue
			}
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(ev.Output)
		case "pass", "skip", "fail":
			if ev.Test != "" {
				countBackend(byBackend, ev)
				if ev.Action == "fail" {
					ok = false
					keepFailure(w, outputs, ev)
				}
				delete(outputs, key)
			} else if ev.Action == "fail" {
				ok = false
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	fmt.Fprintln(w, "\nsubtests by storage backend:")
	names := append([]string(nil), backends...)
	sort.Strings(names)
	for _, n := range names {
		c := byBackend[n]
		fmt.Fprintf(w, "  %-9s %4d passed, %d skipped, %d failed\n", n, c.pass, c.skip, c.fail)
	}
	for _, n := range require {
		if c := byBackend[n]; c == nil || c.pass == 0 || c.skip > 0 {
			fmt.Fprintf(w, "backend %s is required but did not run every suite\n", n)
			ok = false
		}
	}
	return ok, nil
}

// keepFailure prints the output of a failed top-level test, or, for a
// failed subtest, adds its output to its top-level test's, which is
// printed when that fails in turn (a subtest's failure fails its parent):
// the subtest's output holds the failure's messages.
func keepFailure(w io.Writer, outputs map[string]*strings.Builder, ev event) {
	b := outputs[ev.Package+"/"+ev.Test]
	if b == nil {
		return
	}
	top, _, sub := strings.Cut(ev.Test, "/")
	if !sub {
		fmt.Fprint(w, b.String())
		return
	}
	pk := ev.Package + "/" + top
	if outputs[pk] == nil {
		outputs[pk] = &strings.Builder{}
	}
	outputs[pk].WriteString(b.String())
}

// countBackend attributes a subtest result to the backend its name ends in
// (TestItems/postgres, TestImportSynthWorld/postgres/minio, ...).
func countBackend(by map[string]*counts, ev event) {
	parts := strings.Split(ev.Test, "/")
	if len(parts) < 2 {
		return
	}
	for _, p := range parts[1:] {
		for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '+' || r == '_' }) {
			c := by[seg]
			if c == nil {
				continue
			}
			switch ev.Action {
			case "pass":
				c.pass++
			case "skip":
				c.skip++
			case "fail":
				c.fail++
			}
		}
	}
}
