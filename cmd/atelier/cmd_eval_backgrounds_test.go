package main

import (
	"encoding/json"
	"testing"
)

// TestEvalBackgroundsCommand judges descriptions and suggestions on a tiny
// world and checks the report's shape and ranges.
func TestEvalBackgroundsCommand(t *testing.T) {
	world := tinyWorld(t)
	stdout, stderr, code := runInProcess(t, "eval", "backgrounds", "--dataset", world, "--items", "12", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Description struct {
			CategoryAcc      float64                   `json:"category_acc"`
			ColourFamilyAcc  float64                   `json:"colour_family_acc"`
			PatternAcc       float64                   `json:"pattern_acc"`
			PatternConfusion map[string]map[string]int `json:"pattern_confusion"`
		} `json:"description"`
		Suggestions struct {
			PrecisionAt5 map[string]float64 `json:"precision_at_5"`
		} `json:"suggestions"`
		Items int `json:"items"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	counted := 0
	for _, row := range rep.Description.PatternConfusion {
		for _, n := range row {
			counted += n
		}
	}
	if rep.Items != 12 || counted != 12 {
		t.Fatalf("%d items, %d in the confusion table: %s", rep.Items, counted, stdout)
	}
	for _, v := range []float64{rep.Description.CategoryAcc, rep.Description.ColourFamilyAcc, rep.Description.PatternAcc} {
		if v < 0 || v > 1 {
			t.Fatalf("an accuracy out of [0, 1]: %s", stdout)
		}
	}
	for _, k := range []string{"text", "random", "colour_only", "same_colour"} {
		if v, ok := rep.Suggestions.PrecisionAt5[k]; !ok || v < 0 || v > 1 {
			t.Fatalf("precision@5 %q = %v (%v): %s", k, v, ok, stdout)
		}
	}
	if _, stderr, code := runInProcess(t, "eval", "backgrounds"); code != 2 || stderr == "" {
		t.Errorf("without --dataset: exit %d, %q", code, stderr)
	}
}
