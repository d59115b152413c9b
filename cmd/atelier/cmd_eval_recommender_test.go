package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeEvalDataset writes a small two-group world in the dataset format:
// 40 items (the first half red squares, the rest blue) and 30 consumers,
// each taking 6 items of their group's colour.
func writeEvalDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	items := "item_id,category,colour\n"
	for i := 0; i < 40; i++ {
		col, name := color.RGBA{220, 30, 30, 255}, "red"
		if i >= 20 {
			col, name = color.RGBA{30, 30, 220, 255}, "blue"
		}
		items += fmt.Sprintf("item%02d,tshirt,%s\n", i, name)
		img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		for p := 0; p < 32*32; p++ {
			img.Set(p%32, p/32, col)
		}
		f, err := os.Create(filepath.Join(dir, "images", fmt.Sprintf("item%02d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	consumers, inter := "consumer_id,segment\n", "consumer_id,item_id,timestamp\n"
	for u := 0; u < 30; u++ {
		g := u % 2
		consumers += fmt.Sprintf("c%02d,group%d\n", u, g)
		for k := 0; k < 6; k++ {
			inter += fmt.Sprintf("c%02d,item%02d,%d\n", u, g*20+(u*7+k*3)%20, 1000+k)
		}
	}
	for name, body := range map[string]string{"items.csv": items, "consumers.csv": consumers, "interactions.csv": inter} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runEvalCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, env{getenv: func(string) string { return "" }, stdout: &out, stderr: &errOut})
	return out.String(), errOut.String(), err
}

func TestEvalRecommenderJSON(t *testing.T) {
	dir := writeEvalDataset(t)
	args := []string{"eval", "recommender", "--dataset", dir, "--json", "--seed", "3", "--epochs", "20", "--factors", "4"}
	out, _, err := runEvalCmd(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Models    map[string]map[string]*float64 `json:"models"`
		Consumers int                            `json:"consumers"`
		Items     int                            `json:"items"`
		ColdItems int                            `json:"cold_items"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if rep.Consumers != 30 || rep.Items != 40 || rep.ColdItems != 4 {
		t.Errorf("consumers %d items %d cold items %d, want 30, 40 and 4 (the default 10%%)", rep.Consumers, rep.Items, rep.ColdItems)
	}
	for _, name := range []string{"random", "popularity", "raw-pixels", "bpr-mf"} {
		m, ok := rep.Models[name]
		if !ok {
			t.Errorf("no %s in %s", name, out)
			continue
		}
		for _, key := range []string{"auc", "auc_sampled", "ndcg@10", "recall@10", "recall@50", "hr@10"} {
			if v := m[key]; v == nil || *v < 0 || *v > 1 || math.IsNaN(*v) {
				t.Errorf("%s %s = %v", name, key, v)
			}
		}
	}
	if _, ok := rep.Models["dvbpr"]; ok {
		t.Error("dvbpr reported without a model")
	}
	// Colour is all that matters in this world: raw pixels must see it.
	if auc := *rep.Models["raw-pixels"]["auc"]; auc < 0.65 {
		t.Errorf("raw-pixels AUC %.3f on a colour-only world", auc)
	}
	again, _, err := runEvalCmd(t, args...)
	if err != nil || again != out {
		t.Errorf("second run differs (err %v)", err)
	}
}

func TestEvalRecommenderTable(t *testing.T) {
	out, _, err := runEvalCmd(t, "eval", "recommender", "--dataset", writeEvalDataset(t), "--epochs", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"30 consumers (30 evaluated), 40 items (4 cold)", "auc@100", "random", "popularity", "raw-pixels", "bpr-mf"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// --cold-items 0 holds out nothing: no cold items, no cold-start measure.
func TestEvalRecommenderNoColdItems(t *testing.T) {
	out, _, err := runEvalCmd(t, "eval", "recommender", "--dataset", writeEvalDataset(t), "--json", "--epochs", "2", "--cold-items", "0")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Models    map[string]map[string]*float64 `json:"models"`
		ColdItems *int                           `json:"cold_items"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if rep.ColdItems == nil || *rep.ColdItems != 0 {
		t.Errorf("cold_items %v, want 0", rep.ColdItems)
	}
	for name, m := range rep.Models {
		if m["auc_cold"] != nil || m["cold_consumers"] == nil || *m["cold_consumers"] != 0 {
			t.Errorf("%s: auc_cold %v over %v consumers, want null over 0", name, m["auc_cold"], m["cold_consumers"])
		}
	}
	table, _, err := runEvalCmd(t, "eval", "recommender", "--dataset", writeEvalDataset(t), "--epochs", "2", "--cold-items", "0")
	if err != nil || !strings.Contains(table, "40 items (0 cold)") || !strings.Contains(table, "no cold items held out") {
		t.Errorf("table (err %v):\n%s", err, table)
	}
}

func TestEvalRecommenderErrors(t *testing.T) {
	dir := writeEvalDataset(t)
	tests := []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"eval"}, "want one of: backgrounds, choices, gan, recommender, redesign", true},
		{[]string{"eval", "recommender"}, "--dataset is required", true},
		{[]string{"eval", "recommender", "--dataset", dir, "--pixels", "5"}, "--pixels 5 must divide 64", true},
		{[]string{"eval", "recommender", "--dataset", dir, "--epochs", "0"}, "must be positive", true},
		{[]string{"eval", "recommender", "--dataset", dir, "--cold-items", "1"}, "--cold-items 1 must be at least 0 and below 1", true},
		{[]string{"eval", "recommender", "--dataset", dir, "--cold-items", "-0.2"}, "--cold-items -0.2 must be", true},
		{[]string{"eval", "recommender", "--dataset", filepath.Join(dir, "nope")}, "items.csv: no such file", false},
		{[]string{"eval", "recommender", "--dataset", dir, "--model", "m.bin"}, "--model m.bin", false},
	}
	for _, tt := range tests {
		_, _, err := runEvalCmd(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
			continue
		}
		var stderr bytes.Buffer
		code := exitCode(err, &stderr)
		if (code == 2) != tt.usage || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, message %q", tt.args, code, stderr.String())
		}
	}
}
