package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
)

func TestEvalRedesignCommand(t *testing.T) {
	f := newRedesignFixture(t)
	stdout, stderr, code := runInProcess(t, "eval", "redesign", "--dataset", f.world, "--gan", f.gan, "--recommender", f.rec,
		"--pairs", "2", "--segment-sizes", "1,2", "--n", "2", "--steps", "2", "--invert-steps", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Methods       map[string]map[string]float64 `json:"methods"`
		BySegmentSize []map[string]float64          `json:"by_segment_size"`
		Pairs         int                           `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Pairs != 2 || len(rep.Methods) != 3 || len(rep.BySegmentSize) == 0 {
		t.Fatalf("report %s", stdout)
	}
	for _, name := range []string{"gis", "random-shift", "kang-pm"} {
		for _, key := range []string{"pred_uplift", "oracle_uplift", "oracle_positive_frac", "diversity", "realism_pass", "category_consistency", "seconds_per_job"} {
			if _, ok := rep.Methods[name][key]; !ok {
				t.Errorf("%s has no %q", name, key)
			}
		}
	}
	for _, key := range []string{"size", "pred_uplift", "oracle_uplift"} {
		if _, ok := rep.BySegmentSize[0][key]; !ok {
			t.Errorf("by_segment_size has no %q", key)
		}
	}

	stdout, stderr, code = runInProcess(t, "eval", "redesign", "--dataset", f.world, "--gan", f.gan, "--recommender", f.rec,
		"--pairs", "1", "--n", "2", "--steps", "1", "--invert-steps", "1")
	if code != 0 || !strings.Contains(stdout, "kang-pm") || !strings.Contains(stdout, "by segment size") {
		t.Errorf("table: exit %d %q %s", code, stdout, stderr)
	}
}

// With --photos the evaluation redesigns sellers' photos as jobs do and
// reports every transfer method at the photos' resolution.
func TestEvalRedesignPhotos(t *testing.T) {
	f := newRedesignFixture(t)
	photos := filepath.Join(t.TempDir(), "photos")
	if _, stderr, code := runInProcess(t, "synth", "--out", photos, "--seed", "5", "--size", "128", "--items", "4", "--consumers", "4", "--interactions", "1"); code != 0 {
		t.Fatalf("synth: %s", stderr)
	}
	figure := filepath.Join(t.TempDir(), "figure.png")
	stdout, stderr, code := runInProcess(t, "eval", "redesign", "--dataset", f.world, "--gan", f.gan, "--recommender", f.rec,
		"--photos", photos, "--photos-jpeg", "85", "--pairs", "2", "--n", "2", "--steps", "2", "--invert-steps", "1", "--json", "--figure", figure)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Pairs   int `json:"pairs"`
		Methods map[string]struct {
			Full map[string]float64 `json:"full"`
		} `json:"methods"`
		Transfers       map[string]map[string]float64 `json:"transfers"`
		TransferSeconds map[string]float64            `json:"transfer_seconds"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	full := rep.Methods["gis"].Full
	for _, key := range []string{"oracle_uplift", "oracle_uplift_64", "oracle_positive_frac", "sharpness_ratio", "sharpness_ratio_naive",
		"background_changed_frac", "edit_consistency"} {
		if _, ok := full[key]; !ok {
			t.Errorf("gis.full has no %q: %s", key, stdout)
		}
	}
	if rep.Pairs != 2 || len(rep.Transfers) != len(transfer.Methods) || full["background_changed_frac"] != 0 {
		t.Errorf("report %s", stdout)
	}
	for _, side := range []string{"256", "1024", "4096"} {
		if !(rep.TransferSeconds[side] > 0) {
			t.Errorf("no transfer time at %s px: %v", side, rep.TransferSeconds)
		}
	}
	if img, err := imaging.ReadFile(figure); err != nil || img.Bounds().Dx() < 4*128 {
		t.Errorf("figure: %v", err)
	}
}

func TestEvalRedesignCommandErrors(t *testing.T) {
	base := []string{"eval", "redesign", "--dataset", "d", "--gan", "g", "--recommender", "r"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{"eval", "redesign", "--gan", "g", "--recommender", "r"}, "are required"},
		{"no gan", []string{"eval", "redesign", "--dataset", "d", "--recommender", "r"}, "are required"},
		{"bad sizes", append(base[:len(base):len(base)], "--segment-sizes", "1,x"), "--segment-sizes"},
		{"zero size", append(base[:len(base):len(base)], "--segment-sizes", "0"), "--segment-sizes"},
		{"bad pairs", append(base[:len(base):len(base)], "--pairs", "0"), "--pairs 0"},
		{"bad n", append(base[:len(base):len(base)], "--n", "65"), "--n 65"},
		{"bad steps", append(base[:len(base):len(base)], "--steps", "-1"), "--steps"},
		{"unknown flag", []string{"eval", "redesign", "--bogus"}, "bogus"},
		{"bad transfer", append(base[:len(base):len(base)], "--transfer", "magic"), "--transfer"},
		{"jpeg without photos", append(base[:len(base):len(base)], "--photos-jpeg", "85"), "--photos-jpeg needs --photos"},
		{"bad jpeg quality", append(base[:len(base):len(base)], "--photos", "p", "--photos-jpeg", "101"), "--photos-jpeg 101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runInProcess(t, tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 2 || !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q on the last line", code, stderr, tc.want)
			}
		})
	}
}
