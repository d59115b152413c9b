package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEvalChoicesCommand runs the choice-flow evaluation at a tiny scale
// with the demo models and checks the report's shape.
func TestEvalChoicesCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo models")
	}
	world := tinyWorld(t)
	args := []string{"eval", "choices", "--dataset", world, "--gan", "../../models/demo/gan.safetensors",
		"--recommender", "../../models/demo/recommender.safetensors", "--consumers", "6", "--probes", "20", "--small-catalog", "16"}
	stdout, stderr, code := runInProcess(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Consumers    int                                      `json:"consumers"`
		Full         map[string]map[string]map[string]float64 `json:"full"`
		SmallCatalog map[string]map[string]map[string]float64 `json:"small_catalog"`
		Pool         struct {
			Size        int                `json:"size"`
			RealismPass float64            `json:"realism_pass"`
			CategoryMix map[string]float64 `json:"category_mix"`
			Seconds     float64            `json:"seconds"`
		} `json:"pool"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Consumers != 6 || rep.Pool.Size != 20 || rep.Pool.RealismPass <= 0 || len(rep.Pool.CategoryMix) == 0 {
		t.Fatalf("report %s", stdout)
	}
	for _, cat := range []map[string]map[string]map[string]float64{rep.Full, rep.SmallCatalog} {
		for _, mode := range []string{"catalog", "probes", "mixed"} {
			for _, rounds := range []string{"3", "5"} {
				s, ok := cat[mode][rounds]
				if !ok {
					t.Fatalf("no %s after %s rounds: %s", mode, rounds, stdout)
				}
				for _, key := range []string{"rec_utility", "rec_utility_se", "rec_utility_share", "taste_cosine", "gain_over_catalog"} {
					if _, ok := s[key]; !ok {
						t.Errorf("%s after %s rounds has no %q", mode, rounds, key)
					}
				}
			}
		}
	}
	stdout, stderr, code = runInProcess(t, args...)
	if code != 0 || !strings.Contains(stdout, "small catalog") || !strings.Contains(stdout, "probe pool: 20 kept") {
		t.Errorf("table: exit %d %q %s", code, stdout, stderr)
	}
	// A pool smaller than the rounds would show.
	_, stderr, code = runInProcess(t, append(args[:len(args):len(args)], "--probes", "12")...)
	if code != 1 || !strings.Contains(stderr, "more than the pool's 12") {
		t.Errorf("a pool of 12 for 15 probes shown: exit %d, %s", code, stderr)
	}
}

func TestEvalChoicesCommandErrors(t *testing.T) {
	base := []string{"eval", "choices", "--dataset", "d", "--gan", "g", "--recommender", "r"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{"eval", "choices", "--gan", "g", "--recommender", "r"}, "are required"},
		{"one consumer", append(base[:len(base):len(base)], "--consumers", "1"), "--consumers 1"},
		{"no probes", append(base[:len(base):len(base)], "--probes", "0"), "--probes 0"},
		{"share 0", append(base[:len(base):len(base)], "--probe-share", "0"), "--probe-share 0"},
		{"share over 1", append(base[:len(base):len(base)], "--probe-share", "1.5"), "--probe-share 1.5"},
		{"two options", append(base[:len(base):len(base)], "--options", "2"), "--options 2"},
		{"ten options", append(base[:len(base):len(base)], "--options", "10"), "--options 10"},
		{"tiny shop", append(base[:len(base):len(base)], "--small-catalog", "5"), "--small-catalog 5"},
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
