package main

import (
	"encoding/json"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackgroundsCommand writes a photo's description and its composites
// on the built-in scenes, and refuses bad flags with one line and exit 2.
func TestBackgroundsCommand(t *testing.T) {
	photo := filepath.Join(t.TempDir(), "photo.png")
	writePhoto(t, photo)
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runInProcess(t, "backgrounds", "--image", photo, "--out", out, "--n", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Description struct{ Sentence, Pattern string }
		Suggestions []struct{ ID, Caption, File string }
	}
	data, err := os.ReadFile(filepath.Join(out, "description.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Description.Sentence == "" || len(doc.Suggestions) != 3 {
		t.Fatalf("description.json: %s (%v)", data, err)
	}
	src, _ := os.Open(photo)
	cfg, _, err := image.DecodeConfig(src)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Suggestions {
		f, err := os.Open(filepath.Join(out, s.File))
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || got.Width != cfg.Width || got.Height != cfg.Height {
			t.Errorf("%s: %dx%d (%v), want the photo's %dx%d", s.File, got.Width, got.Height, err, cfg.Width, cfg.Height)
		}
		if !strings.Contains(stdout, s.Caption) {
			t.Errorf("stdout does not list %q", s.Caption)
		}
	}

	for _, args := range [][]string{
		{"backgrounds", "--out", out},
		{"backgrounds", "--image", photo, "--out", out, "--n", "0"},
		{"backgrounds", "--image", filepath.Join(t.TempDir(), "missing.png"), "--out", out},
	} {
		_, stderr, code := runInProcess(t, args...)
		if code == 0 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q: want a failure in one line", args, code, stderr)
		}
	}
}
