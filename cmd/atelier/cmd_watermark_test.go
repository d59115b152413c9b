package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProductPNG writes a 64×64 product-like photo: a striped item on
// white.
func writeProductPNG(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 16 && x < 48 && y >= 12 && y < 54 {
				c = color.NRGBA{40, 90, 200, 255}
				if y%6 < 3 {
					c = color.NRGBA{230, 200, 60, 255}
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func verifyJSON(t *testing.T, env map[string]string, args ...string) []verifyResult {
	t.Helper()
	out, errs, code := runCmd(t, env, append([]string{"watermark", "verify", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("verify exit %d: %s", code, errs)
	}
	var res []verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("verify output is not JSON: %v\n%s", err, out)
	}
	return res
}

func TestWatermarkEmbedAndVerify(t *testing.T) {
	dir := t.TempDir()
	plain := writeProductPNG(t, dir, "plain.png")
	marked := filepath.Join(dir, "marked.png")

	out, errs, code := runCmd(t, nil, "watermark", "embed", "--in", plain, "--out", marked)
	if code != 0 || !strings.Contains(out, "wrote "+marked) {
		t.Fatalf("embed exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// Flags may follow the files.
	out, errs, code = runCmd(t, nil, "watermark", "verify", marked, plain, "--json")
	if code != 0 {
		t.Fatalf("verify exit %d: %s", code, errs)
	}
	var res []verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].File != marked || !res[0].Marked || !res[0].Labelled || res[0].Score < 6 {
		t.Fatalf("marked file: %+v", res)
	}
	if res[1].Marked || res[1].Labelled || res[1].Score > 4.5 {
		t.Fatalf("plain file: %+v", res[1])
	}
	if !strings.Contains(out, `"text_chunk": true`) || !strings.Contains(out, `"watermark": true`) {
		t.Fatalf("JSON fields missing:\n%s", out)
	}

	out, _, code = runCmd(t, nil, "watermark", "verify", marked, plain)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[1], "present") || !strings.Contains(lines[2], "absent") {
		t.Fatalf("table exit %d:\n%s", code, out)
	}
}

func TestWatermarkKeyFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	plain := writeProductPNG(t, dir, "plain.png")
	marked := filepath.Join(dir, "marked.png")
	env := map[string]string{"ATELIER_WATERMARK_KEY": "shop-secret"}
	if _, errs, code := runCmd(t, env, "watermark", "embed", "--in", plain, "--out", marked); code != 0 {
		t.Fatalf("embed: %s", errs)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want bool
	}{
		{"same key from the environment", env, nil, true},
		{"same key as a flag", nil, []string{"--key", "shop-secret"}, true},
		{"demo key", nil, nil, false},
		{"flag overrides the environment", env, []string{"--key", "other"}, false},
	} {
		res := verifyJSON(t, tc.env, append(tc.args, marked)...)
		if res[0].Marked != tc.want || !res[0].Labelled {
			t.Errorf("%s: %+v, want mark %v and the label", tc.name, res[0], tc.want)
		}
	}
}

func TestWatermarkCommandErrors(t *testing.T) {
	dir := t.TempDir()
	plain := writeProductPNG(t, dir, "plain.png")
	small := filepath.Join(dir, "small.png")
	f, err := os.Create(small)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, image.NewNRGBA(image.Rect(0, 0, 32, 32)))
	f.Close()

	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no target", []string{"watermark"}, 2, "want one of: embed, verify"},
		{"unknown target", []string{"watermark", "strip"}, 2, `unknown target "strip"`},
		{"verify without files", []string{"watermark", "verify", "--json"}, 2, "give one or more image files"},
		{"verify with an empty key", []string{"watermark", "verify", "--key", "", plain}, 2, "--key is empty"},
		{"embed without --out", []string{"watermark", "embed", "--in", plain}, 2, "--in and --out are required"},
		{"embed too small", []string{"watermark", "embed", "--in", small, "--out", filepath.Join(dir, "o.png")}, 1, "at least 64×64"},
		{"embed missing input", []string{"watermark", "embed", "--in", filepath.Join(dir, "nope.png"), "--out", filepath.Join(dir, "o.png")}, 1, "nope.png"},
		{"verify a missing file", []string{"watermark", "verify", plain, filepath.Join(dir, "nope.png")}, 1, "1 of 2 files could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, code := runCmd(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.inStderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tt.code, tt.inStderr)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Fatalf("error is not one line: %q", errs)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "o.png")); !os.IsNotExist(err) {
		t.Fatalf("a failed embed left an output file: %v", err)
	}
	// The readable file is still reported next to the unreadable one.
	out, _, _ := runCmd(t, nil, "watermark", "verify", plain, filepath.Join(dir, "nope.png"))
	if !strings.Contains(out, "absent") || !strings.Contains(out, "error: ") {
		t.Fatalf("partial report:\n%s", out)
	}
}
