package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/watermark"
)

// redesignFixture is a tiny world with a small recommender and small
// untrained 64 px GAN models.
type redesignFixture struct{ world, gan, rec string }

func newRedesignFixture(t *testing.T) redesignFixture {
	t.Helper()
	f := redesignFixture{world: tinyWorld(t), gan: filepath.Join(t.TempDir(), "gan.safetensors"), rec: filepath.Join(t.TempDir(), "rec.bin")}
	m, err := gan.NewGAN(gan.GeneratorConfig{ZDim: 8, Widths: []int{8, 8, 8, 8}},
		gan.DiscriminatorConfig{Size: 64, Widths: []int{4, 4, 4, 4}, Group: 2, Gain: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Models().Save(f.gan); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runInProcess(t, trainArgs(f.world, f.rec)...); code != 0 {
		t.Fatalf("train recommender: %s", stderr)
	}
	return f
}

func TestRedesignCommand(t *testing.T) {
	f := newRedesignFixture(t)
	photo := filepath.Join(f.world, "images", "it00001.png")
	if _, err := os.Stat(photo); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runInProcess(t, "redesign", "--gan", f.gan, "--recommender", f.rec, "--image", photo,
		"--segment", "bright-cool", "--dataset", f.world, "--n", "3", "--steps", "3", "--invert-steps", "2", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res redesignDoc
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Inversion == nil || res.Creator || len(res.Variants) != 3 || res.RealismRefs != "catalog" {
		t.Fatalf("result %+v", res)
	}
	for _, key := range []string{"preference", "uplift", "realism", "realism_percentile", "category_prob", "ssim", "perceptual"} {
		if !strings.Contains(string(data), `"`+key+`"`) {
			t.Errorf("result.json has no %q", key)
		}
	}
	for _, name := range []string{"base.png", "variant-1.png", "variant-2.png", "variant-3.png", "variant-1-full.png", "variant-3-full.png"} {
		checkMarkedFile(t, filepath.Join(out, name))
	}

	// Creator mode for two consumers, printed as a table.
	out2 := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code = runInProcess(t, "redesign", "--gan", f.gan, "--recommender", f.rec,
		"--consumers", "c00001,c00002", "--n", "2", "--steps", "2", "--out", out2)
	if code != 0 {
		t.Fatalf("creator: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "variant-2.png") {
		t.Errorf("summary %q", stdout)
	}
	data, err = os.ReadFile(filepath.Join(out2, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var creator redesignDoc
	if err := json.Unmarshal(data, &creator); err != nil || !creator.Creator || creator.Inversion != nil || len(creator.Variants) != 2 {
		t.Errorf("creator result %+v (%v)", creator, err)
	}
}

func TestRedesignCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no models", []string{"redesign", "--out", dir, "--consumers", "c1"}, 2, "--gan and --recommender are required"},
		{"no out", []string{"redesign", "--gan", "g", "--recommender", "r", "--consumers", "c1"}, 2, "--out is required"},
		{"no taste", []string{"redesign", "--gan", "g", "--recommender", "r", "--out", dir}, 2, "either --segment"},
		{"both tastes", []string{"redesign", "--gan", "g", "--recommender", "r", "--out", dir, "--segment", "s", "--dataset", dir, "--consumers", "c1"}, 2, "either --segment"},
		{"segment without dataset", []string{"redesign", "--gan", "g", "--recommender", "r", "--out", dir, "--segment", "s"}, 2, "--segment needs --dataset"},
		{"bad n", []string{"redesign", "--gan", "g", "--recommender", "r", "--out", dir, "--consumers", "c1", "--n", "0"}, 2, "--n 0"},
		{"bad epsilon", []string{"redesign", "--gan", "g", "--recommender", "r", "--out", dir, "--consumers", "c1", "--epsilon", "-1"}, 2, "--epsilon -1"},
		{"unknown flag", []string{"redesign", "--bogus"}, 2, "bogus"},
		{"missing gan", []string{"redesign", "--gan", filepath.Join(dir, "nope"), "--recommender", "r", "--out", dir, "--consumers", "c1"}, 1, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runInProcess(t, tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tc.code || !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q on the last line", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func checkMarkedFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ok, score := watermark.Verify(img, watermark.DemoKey); !ok {
		t.Errorf("%s: no watermark (score %.2f)", path, score)
	}
	rep, err := watermark.Inspect(data, watermark.DemoKey)
	if err != nil || !rep.Labelled {
		t.Errorf("%s: provenance chunk %+v (%v)", path, rep, err)
	}
}
