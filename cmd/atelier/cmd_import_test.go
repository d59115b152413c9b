package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/service/dataimport"
)

// runWithEnv runs the command line in-process with the given environment.
func runWithEnv(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code = exitCode(run(context.Background(), args, e), &errb)
	return out.String(), errb.String(), code
}

func TestImportCommand(t *testing.T) {
	world := filepath.Join(t.TempDir(), "world")
	if _, stderr, code := runInProcess(t, "synth", "--out", world, "--items", "24", "--consumers", "8", "--interactions", "3", "--size", "32"); code != 0 {
		t.Fatalf("synth: exit %d: %s", code, stderr)
	}
	vars := map[string]string{"ATELIER_DATA_DIR": filepath.Join(t.TempDir(), "data")}

	out, stderr, code := runWithEnv(t, vars, "import", world)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"imported " + world + " (csv)", "56 new, 0 bad rows skipped", "items.csv        items        24 new, 0 existing, 0 skipped", "48 blobs written, 0 reused", "8 new memberships"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// The defaults put the database and the blobs under the data directory.
	for _, p := range []string{"atelier.db", "blobs/catalog/it00001"} {
		if _, err := os.Stat(filepath.Join(vars["ATELIER_DATA_DIR"], p)); err != nil {
			t.Error(err)
		}
	}

	out, stderr, code = runWithEnv(t, vars, "import", "--json", world)
	if code != 0 {
		t.Fatalf("second import: exit %d: %s", code, stderr)
	}
	var sum dataimport.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if sum.New() != 0 || sum.Blobs.Written != 0 || len(sum.Files) != 3 || sum.Files[2].Existing != 24 {
		t.Errorf("second import %+v", sum)
	}

	// A bad row is printed with its line and skipped; --strict makes it an
	// error.
	broken := filepath.Join(world, "interactions.csv")
	data, _ := os.ReadFile(broken)
	if err := os.WriteFile(broken, append(data, "c00001,it99999,1700000000\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runWithEnv(t, vars, "import", world)
	if code != 0 || !strings.Contains(stderr, `interactions.csv:26: unknown item_id "it99999"`) {
		t.Errorf("bad row: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runWithEnv(t, vars, "import", "--strict", world)
	if code != 1 || !strings.Contains(stderr, `atelier: import `+world+`: interactions.csv:26: unknown item_id "it99999" (strict`) {
		t.Errorf("strict: exit %d, stderr %q", code, stderr)
	}
}

func TestImportCommandUsage(t *testing.T) {
	vars := map[string]string{"ATELIER_DATA_DIR": t.TempDir()}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import"}, 2, "want one dataset directory"},
		{[]string{"import", "a", "b"}, 2, "want one dataset directory"},
		{[]string{"import", "--batch", "0", "dir"}, 2, "--batch"},
		{[]string{"import", filepath.Join(t.TempDir(), "none")}, 1, "does not exist"},
	} {
		_, stderr, code := runWithEnv(t, vars, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	_, stderr, code := runWithEnv(t, map[string]string{"ATELIER_MAX_UPLOAD_PIXELS": "lots"}, "import", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "ATELIER_MAX_UPLOAD_PIXELS") {
		t.Errorf("bad config: exit %d, stderr %q", code, stderr)
	}
}
