package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestDemoPrepare runs the main job's preparation twice on a fresh data
// directory: the first run generates and imports the default world, the
// second changes nothing and keeps the seller key.
func TestDemoPrepare(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports the full default world")
	}
	dataDir := t.TempDir()
	getenv := map[string]string{"ATELIER_DATA_DIR": dataDir, "ATELIER_LOG_LEVEL": "warn"}
	keyRe := regexp.MustCompile(`demo seller API key: (atl_\S+)`)

	out1, errs1, code := runCmd(t, getenv, "demo", "--prepare-only")
	if code != 0 {
		t.Fatalf("first demo run exit %d: %s", code, errs1)
	}
	m1 := keyRe.FindStringSubmatch(out1)
	if m1 == nil {
		t.Fatalf("no seller key printed:\n%s", out1)
	}
	for _, persona := range []string{"warm-pattern", "dark-minimal", "bright-cool", "pastel-soft", "statement-long"} {
		if !strings.Contains(out1, persona) {
			t.Errorf("segment %s not listed:\n%s", persona, out1)
		}
	}
	for _, kind := range []string{"recommender", "gan"} {
		if !strings.Contains(errs1, "demo: "+kind+" model version ") || !regexp.MustCompile(`demo: `+kind+` model version \S+ \(active: true\)`).MatchString(errs1) {
			t.Errorf("the demo %s was not activated: %s", kind, lastLines(errs1, 4))
		}
	}
	if !strings.Contains(errs1, "42000 new rows") {
		t.Errorf("first import did not load the world: %s", lastLines(errs1, 3))
	}

	out2, errs2, code := runCmd(t, getenv, "demo", "--prepare-only")
	if code != 0 {
		t.Fatalf("second demo run exit %d: %s", code, errs2)
	}
	if m2 := keyRe.FindStringSubmatch(out2); m2 == nil || m2[1] != m1[1] {
		t.Fatalf("seller key changed between runs: %v vs %v", m1, m2)
	}
	if !strings.Contains(errs2, "(0 new rows") {
		t.Fatalf("second run imported again: %s", lastLines(errs2, 3))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
