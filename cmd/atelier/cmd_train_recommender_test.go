package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/recommender"
)

// trainArgs trains a small model quickly on the eval test world.
func trainArgs(dir, out string, extra ...string) []string {
	return append([]string{"train", "recommender", "--dataset", dir, "--out", out, "--dim", "8", "--batch", "16", "--epochs", "2"}, extra...)
}

func TestTrainRecommenderThenEval(t *testing.T) {
	dir := writeEvalDataset(t)
	out := filepath.Join(t.TempDir(), "recommender.safetensors")
	stdout, _, err := runEvalCmd(t, trainArgs(dir, out)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	m, err := recommender.LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if m.Dim() != 8 || m.Info.Epochs != 2 || m.Info.Split != (recommender.SplitConfig{ColdFraction: 0.1, Seed: 1}) {
		t.Errorf("model K=%d, %d epochs, split %+v", m.Dim(), m.Info.Epochs, m.Info.Split)
	}
	if _, err := os.Stat(out + ".ckpt"); err != nil {
		t.Errorf("no training checkpoint: %v", err)
	}

	// Evaluated with the baselines on the split it was trained on.
	js, _, err := runEvalCmd(t, "eval", "recommender", "--dataset", dir, "--model", out, "--json", "--epochs", "2")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Models           map[string]map[string]*float64 `json:"models"`
		CategoryAccuracy map[string]float64             `json:"category_accuracy"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("%v in %s", err, js)
	}
	for _, key := range []string{"auc", "auc_sampled", "auc_cold", "ndcg@10"} {
		if v := rep.Models["dvbpr"][key]; v == nil || *v < 0 || *v > 1 || math.IsNaN(*v) {
			t.Errorf("dvbpr %s = %v in %s", key, v, js)
		}
	}
	if acc, ok := rep.CategoryAccuracy["dvbpr"]; !ok || acc != 1 {
		// Every item of this world is a t-shirt.
		t.Errorf("category accuracy %v (present %v), want 1", acc, ok)
	}
	table, _, err := runEvalCmd(t, "eval", "recommender", "--dataset", dir, "--model", out, "--epochs", "2")
	if err != nil || !strings.Contains(table, "\ndvbpr ") || !strings.Contains(table, "dvbpr category head: accuracy 1.0000 on the cold items") {
		t.Errorf("table (err %v):\n%s", err, table)
	}

	// Any other split would have some of the model's training items among
	// its test items: refused.
	for _, args := range [][]string{{"--seed", "2"}, {"--cold-items", "0.2"}, {"--cold-items", "0"}} {
		_, _, err := runEvalCmd(t, append([]string{"eval", "recommender", "--dataset", dir, "--model", out, "--epochs", "2"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "trained on the split") {
			t.Errorf("%v: err %v, want a refusal", args, err)
		}
	}
}

func TestTrainRecommenderResume(t *testing.T) {
	dir := writeEvalDataset(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if _, _, err := runEvalCmd(t, trainArgs(dir, out, "--epochs", "1")...); err != nil {
		t.Fatal(err)
	}
	// Continue the same run for one more epoch.
	if _, _, err := runEvalCmd(t, trainArgs(dir, out, "--epochs", "2", "--resume")...); err != nil {
		t.Fatal(err)
	}
	m, err := recommender.LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if m.Info.Epochs != 2 || len(m.Info.History) != 2 {
		t.Errorf("resumed model has %d epochs (history %d), want 2", m.Info.Epochs, len(m.Info.History))
	}
	// Resuming with other settings is refused.
	_, _, err = runEvalCmd(t, trainArgs(dir, out, "--epochs", "3", "--resume", "--lr", "0.01")...)
	if err == nil || !strings.Contains(err.Error(), "resume from") {
		t.Errorf("err %v, want a refusal to resume", err)
	}
}

func TestTrainRecommenderErrors(t *testing.T) {
	dir := writeEvalDataset(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	tests := []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"train"}, "want one of: encoder, gan, prior, recommender", true},
		{[]string{"train", "gan2"}, "unknown target", true},
		{[]string{"train", "recommender", "--out", out}, "--dataset and --out are required", true},
		{[]string{"train", "recommender", "--dataset", dir}, "--dataset and --out are required", true},
		{trainArgs(dir, out, "--epochs", "0"), "must be positive", true},
		{trainArgs(dir, out, "--dim", "-3"), "must be positive", true},
		{trainArgs(dir, out, "--lr", "0"), "--lr must be positive", true},
		{trainArgs(dir, out, "--batch", "2", "--workers", "3"), "--workers 3 exceeds --batch 2", true},
		{trainArgs(dir, out, "--cold-items", "1"), "--cold-items 1 must be", true},
		{trainArgs(dir, out, "stray"), "unexpected argument", true},
		{trainArgs(filepath.Join(dir, "nope"), out), "items.csv: no such file", false},
		{trainArgs(dir, filepath.Join(dir, "no", "such", "dir", "m.safetensors")), "does not exist", false},
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
