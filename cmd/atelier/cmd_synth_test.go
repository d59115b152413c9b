package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
)

// runInProcess runs the atelier command line in-process and returns its
// output and exit status.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	err := run(context.Background(), args, e)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// writePNG writes img to a file in a fresh directory and returns its path.
func writePNG(t *testing.T, name string, img image.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := imaging.WritePNG(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSynthCommandWritesWorld(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "world")
	out, stderr, code := runInProcess(t, "synth", "--out", dir, "--items", "30", "--consumers", "10", "--interactions", "3", "--seed", "2", "--size", "32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"wrote " + dir, "30 items (32 px)", "10 consumers (warm-pattern 2", "30 interactions"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary %q lacks %q", out, want)
		}
	}
	for _, f := range []string{"items.csv", "consumers.csv", "interactions.csv", "personas.json", "oracle/consumers.json", "images/it00030.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// The oracle command on a written image prints what the Go oracle
	// computes from the same file.
	img := filepath.Join(dir, "images", "it00004.png")
	out, stderr, code = runInProcess(t, "oracle", "--json", "--personas", filepath.Join(dir, "personas.json"),
		"--consumers", filepath.Join(dir, "oracle", "consumers.json"), img)
	if code != 0 {
		t.Fatalf("oracle exit %d: %s", code, stderr)
	}
	got := decodeOracle(t, out)
	decoded, err := imaging.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	want := synth.FeaturesOf(imaging.FromImage(decoded))
	if got[0].Features != want {
		t.Fatalf("command features %+v, Go %+v", got[0].Features, want)
	}
	cs, err := synth.LoadConsumers(filepath.Join(dir, "oracle", "consumers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0].Consumers) != len(cs) {
		t.Fatalf("%d consumer utilities, want %d", len(got[0].Consumers), len(cs))
	}
	for i, c := range cs {
		if g := got[0].Consumers[i]; g.ID != c.ID || g.Utility != c.Utility(want) {
			t.Errorf("consumer %s: command %v, Go %v", c.ID, g.Utility, c.Utility(want))
		}
	}

	// Same seed, same world; --force replaces it.
	dir2 := filepath.Join(t.TempDir(), "again")
	if _, stderr, code := runInProcess(t, "synth", "--out", dir2, "--items", "30", "--consumers", "10", "--interactions", "3", "--seed", "2", "--size", "32", "--workers", "1"); code != 0 {
		t.Fatal(stderr)
	}
	for _, f := range []string{"interactions.csv", "items.csv", "images/it00017.png", "oracle/consumers.json"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with seed 2", f)
		}
	}
	if _, stderr, code := runInProcess(t, "synth", "--out", dir2, "--items", "12", "--consumers", "4", "--force"); code != 0 {
		t.Fatal(stderr)
	}
}

func TestSynthGridCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.png")
	out, stderr, code := runInProcess(t, "synth", "grid", "--out", path, "--seed", "1", "--size", "32", "--per-category", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img, err := imaging.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// 3 columns and 6 rows of 32 px tiles with 4 px gutters.
	if b := img.Bounds(); b.Dx() != 3*36+4 || b.Dy() != 6*36+4 || !strings.Contains(out, "6 categories × 3 items") {
		t.Fatalf("grid %v, output %q", b, out)
	}
}

func decodeOracle(t *testing.T, out string) []oracleImage {
	t.Helper()
	var res struct {
		Images []oracleImage `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("oracle output is not JSON: %v\n%s", err, out)
	}
	return res.Images
}

func TestOracleCommandHandBuiltImages(t *testing.T) {
	// A 10×10 white image with a pure red 4×4 square at rows and columns 3..6:
	// 16 pixels in the mask, h=0, s=1, v=1, L=0.299 everywhere, so
	// hue_cos 1, hue_sin 0, saturation 1, value 1, contrast 0, pattern 0
	// (flat interior), coverage 16/100, extent 4/10.
	red := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 3 && x <= 6 && y >= 3 && y <= 6 {
				c = color.NRGBA{255, 0, 0, 255}
			}
			red.SetNRGBA(x, y, c)
		}
	}
	// 8×8, even rows pure blue, odd rows black: hue_cos ½·cos 240° = −0.25,
	// hue_sin ½·sin 240°, saturation ½, value ½, contrast std{0.114, 0} =
	// 0.057, pattern mean |Laplacian| 0.228 / 0.25 = 0.912, coverage 1, extent 1.
	stripes := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			c := color.NRGBA{0, 0, 0, 255}
			if y%2 == 0 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			stripes.SetNRGBA(x, y, c)
		}
	}
	white := image.NewNRGBA(image.Rect(0, 0, 6, 6))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	paths := []string{writePNG(t, "red.png", red), writePNG(t, "stripes.png", stripes), writePNG(t, "white.png", white)}
	wants := []synth.Features{
		{HueCos: 1, Saturation: 1, Value: 1, Coverage: 0.16, Extent: 0.4},
		{HueCos: -0.25, HueSin: -0.4330127, Saturation: 0.5, Value: 0.5, Contrast: 0.057, Pattern: 0.912, Coverage: 1, Extent: 1},
		{},
	}

	out, stderr, code := runInProcess(t, append([]string{"oracle", "--json"}, paths...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decodeOracle(t, out)
	if len(got) != 3 {
		t.Fatalf("%d results", len(got))
	}
	personas := synth.DefaultPersonas()
	for i, r := range got {
		w := wants[i]
		g := r.Features
		pairs := [][2]float64{{g.HueCos, w.HueCos}, {g.HueSin, w.HueSin}, {g.Saturation, w.Saturation}, {g.Value, w.Value},
			{g.Contrast, w.Contrast}, {g.Pattern, w.Pattern}, {g.Coverage, w.Coverage}, {g.Extent, w.Extent}}
		for k, p := range pairs {
			// 8-bit PNG: 0.114·1 and 0.299·1 are exact; allow float noise only.
			if d := p[0] - p[1]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s feature %d = %.7f, want %.7f", paths[i], k, p[0], p[1])
			}
		}
		// The same numbers as the Go API, to the last bit.
		img, _ := imaging.ReadFile(paths[i])
		f := synth.FeaturesOf(imaging.FromImage(img))
		if f != g {
			t.Errorf("%s: command %+v, Go %+v", paths[i], g, f)
		}
		if len(r.Personas) != len(personas) {
			t.Fatalf("%d persona utilities", len(r.Personas))
		}
		for k, p := range personas {
			if r.Personas[k].Name != p.Name || r.Personas[k].Utility != synth.PersonaUtility(p, f) {
				t.Errorf("%s: persona %s utility %v, Go %v", paths[i], p.Name, r.Personas[k].Utility, synth.PersonaUtility(p, f))
			}
		}
	}

	// The text form shows the same numbers, rounded.
	out, _, code = runInProcess(t, "oracle", paths[0])
	if code != 0 || !strings.Contains(out, "coverage 0.1600") || !strings.Contains(out, "extent 0.4000") || !strings.Contains(out, "dark-minimal") {
		t.Fatalf("text output:\n%s", out)
	}
}

func TestSynthAndOracleBadInput(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	os.MkdirAll(filepath.Join(full, "x"), 0o755)
	badPersonas := filepath.Join(dir, "bad.json")
	os.WriteFile(badPersonas, []byte(`{"personas":[{"name":"a","share":1,"weights":{"sparkle":1}}]}`), 0o644)
	notImage := filepath.Join(dir, "note.png")
	os.WriteFile(notImage, []byte("hello"), 0o644)
	badConsumers := filepath.Join(dir, "consumers.json")
	os.WriteFile(badConsumers, []byte(`{"consumers":[{"persona":"a"}]}`), 0o644)
	okImage := writePNG(t, "ok.png", image.NewNRGBA(image.Rect(0, 0, 4, 4)))
	out := filepath.Join(dir, "out")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"synth without out", []string{"synth"}, 2, "--out is required"},
		{"synth unknown flag", []string{"synth", "--out", out, "--itemz", "3"}, 2, "itemz"},
		{"synth bad number", []string{"synth", "--out", out, "--items", "many"}, 2, "items"},
		{"synth zero items", []string{"synth", "--out", out, "--items", "0"}, 2, "--items"},
		{"synth negative temperature", []string{"synth", "--out", out, "--temperature", "-1"}, 2, "--temperature"},
		{"synth tiny size", []string{"synth", "--out", out, "--size", "4"}, 2, "--size"},
		{"synth extra argument", []string{"synth", "--out", out, "extra"}, 2, "unexpected argument"},
		{"synth bad personas", []string{"synth", "--out", out, "--personas", badPersonas}, 1, `unknown feature "sparkle"`},
		{"synth missing personas", []string{"synth", "--out", out, "--personas", filepath.Join(dir, "none.json")}, 1, "read persona file"},
		{"synth non-empty out", []string{"synth", "--out", full, "--items", "6", "--consumers", "2"}, 1, "--force"},
		{"grid without out", []string{"synth", "grid"}, 2, "--out is required"},
		{"grid bad size", []string{"synth", "grid", "--out", filepath.Join(dir, "g.png"), "--size", "2"}, 2, "--size"},
		{"oracle no images", []string{"oracle", "--json"}, 2, "no images given"},
		{"oracle missing image", []string{"oracle", filepath.Join(dir, "nope.png")}, 1, "nope.png"},
		{"oracle not an image", []string{"oracle", notImage}, 1, "note.png"},
		{"oracle bad personas", []string{"oracle", "--personas", badPersonas, okImage}, 1, `persona "a"`},
		{"oracle bad consumers", []string{"oracle", "--consumers", badConsumers, okImage}, 1, "consumers[0].consumer_id"},
		{"oracle bad size", []string{"oracle", "--size", "3", okImage}, 2, "--size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runInProcess(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			// Flag errors also print the flag usage; the error itself is the
			// last line, and only one line.
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "atelier: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("error line %q lacks %q", last, tc.want)
			}
			if tc.code == 1 && len(lines) != 1 {
				t.Fatalf("stderr has %d lines:\n%s", len(lines), stderr)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a refused synth left its output directory")
	}
	if ents, _ := os.ReadDir(full); len(ents) != 1 {
		t.Fatal("a refused synth touched the existing directory")
	}
}
