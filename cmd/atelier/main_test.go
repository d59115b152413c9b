package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs the binary's entry point in-process and returns its streams and
// exit status.
func runCmd(t *testing.T, getenv map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{
		getenv: func(k string) string { return getenv[k] },
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
	}
	err := run(context.Background(), args, e)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, 0, "usage: atelier", ""},
		{nil, 2, "usage: atelier", "no command given"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "atelier dev", ""},
		{[]string{"version", "extra"}, 2, "", "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, code := runCmd(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(out, tt.inStdout) || !strings.Contains(errs, tt.inStderr) {
				t.Fatalf("stdout %q stderr %q; want %q / %q", out, errs, tt.inStdout, tt.inStderr)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Fatalf("error is not one line: %q", errs)
			}
		})
	}
}
