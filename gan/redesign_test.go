package gan

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/atelier-app/atelier/internal/watermark"
)

const testKey = "test-key"

func TestRedesignMarksRanksAndScores(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	r := tinyRealism(t, m)
	photo := newSquares(1, m.Size(), 9)[0]
	cfg := RedesignConfig{Invert: InvertConfig{Steps: 5}, Shift: ShiftConfig{N: 4, Steps: 10, Seed: 1},
		WatermarkKey: testKey, Description: "test variant"}
	res, err := Redesign(t.Context(), m, s, r, RedesignRequest{Image: &photo, Theta: redTaste}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Creator || res.Inversion == nil || res.Inversion.Steps != 5 {
		t.Fatalf("inversion scores %+v, creator %v", res.Inversion, res.Creator)
	}
	if len(res.Variants) != 4 {
		t.Fatalf("%d variants", len(res.Variants))
	}
	checkMarked(t, "base", res.Base.PNG)
	seenFlagged := false
	for i, v := range res.Variants {
		checkMarked(t, "variant", v.Image.PNG)
		if v.Rank != i+1 {
			t.Errorf("variant %d has rank %d", i, v.Rank)
		}
		if v.Passed != (len(v.Flags) == 0) {
			t.Errorf("variant %d passed=%v with flags %v", i, v.Passed, v.Flags)
		}
		if seenFlagged && v.Passed {
			t.Errorf("passing variant %d ranked after a flagged one", i)
		}
		seenFlagged = seenFlagged || !v.Passed
		if got := v.Scores.Preference - res.BasePreference; abs(got-v.Scores.Uplift) > 1e-9 {
			t.Errorf("uplift %v, preference − base %v", v.Scores.Uplift, got)
		}
		if v.Scores.SSIM >= 1 || v.Scores.Perceptual <= 0 || v.Scores.CategoryProb <= 0 || v.Scores.CategoryProb > 1 {
			t.Errorf("variant %d scores %+v", i, v.Scores)
		}
	}
	if res.Diversity <= 0 {
		t.Errorf("diversity %v among distinct variants", res.Diversity)
	}
}

func TestRedesignCreatorMode(t *testing.T) {
	m := tinyModels64(t, 2)
	s := newColourScorer(t, m.Size())
	r := tinyRealism(t, m)
	cfg := RedesignConfig{Shift: ShiftConfig{N: 3, Steps: 5}, WatermarkKey: testKey}
	res, err := Redesign(t.Context(), m, s, r, RedesignRequest{CreatorSeed: 4, Theta: redTaste}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Creator || res.Inversion != nil || len(res.Variants) != 3 {
		t.Fatalf("creator %v, inversion %+v, %d variants", res.Creator, res.Inversion, len(res.Variants))
	}
	checkMarked(t, "base", res.Base.PNG)
	again, err := Redesign(t.Context(), m, s, r, RedesignRequest{CreatorSeed: 4, Theta: redTaste}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Base.PNG, res.Base.PNG) {
		t.Error("the same creator seed gave another start")
	}
}

func TestRedesignRejects(t *testing.T) {
	m := tinyModels64(t, 1)
	s := newColourScorer(t, m.Size())
	r := tinyRealism(t, m)
	photo := newSquares(1, m.Size(), 9)[0]
	small := newSquares(1, 16, 9)[0]
	ok := RedesignConfig{Shift: ShiftConfig{N: 2, Steps: 1}, WatermarkKey: testKey}
	for name, tc := range map[string]struct {
		req RedesignRequest
		cfg RedesignConfig
		r   *Realism
	}{
		"no key":           {RedesignRequest{Image: &photo, Theta: redTaste}, RedesignConfig{}, r},
		"no realism":       {RedesignRequest{Image: &photo, Theta: redTaste}, ok, nil},
		"wrong size":       {RedesignRequest{Image: &small, Theta: redTaste}, ok, r},
		"unknown category": {RedesignRequest{Image: &photo, Theta: redTaste, Category: "hats"}, ok, r},
		"theta dim":        {RedesignRequest{Image: &photo, Theta: []float32{1, 2}}, ok, r},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Redesign(t.Context(), m, s, tc.r, tc.req, tc.cfg, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestRankVariantsPutsFlaggedLast(t *testing.T) {
	vs := []RedesignVariant{
		{Index: 0, Scores: VariantScores{Uplift: 3}, Flags: []string{FlagUnrealistic}},
		{Index: 1, Scores: VariantScores{Uplift: 1}},
		{Index: 2, Scores: VariantScores{Uplift: 2}},
		{Index: 3, Scores: VariantScores{Uplift: 5}, Flags: []string{FlagTooFar}},
	}
	rankVariants(vs)
	want := []int{2, 1, 3, 0}
	for i, v := range vs {
		if v.Index != want[i] || v.Rank != i+1 {
			t.Errorf("rank %d: shift %d (rank field %d), want shift %d", i+1, v.Index, v.Rank, want[i])
		}
	}
}

func TestRealismFlagsAgainstRealImages(t *testing.T) {
	m := tinyModels64(t, 1)
	r := tinyRealism(t, m)
	if len(r.Scores) != 20 || r.Threshold < r.Scores[0] || r.Threshold > r.Scores[19] {
		t.Fatalf("threshold %v outside real scores %v", r.Threshold, r.Scores)
	}
	if p := r.PercentileOf(r.Scores[19] + 1); p != 100 {
		t.Errorf("percentile above every real score = %v", p)
	}
	if p := r.PercentileOf(r.Scores[0] - 1); p != 0 {
		t.Errorf("percentile below every real score = %v", p)
	}
}

func checkMarked(t *testing.T, what string, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if ok, score := watermark.Verify(img, testKey); !ok {
		t.Errorf("%s: no watermark (score %.2f)", what, score)
	}
	chunks, err := watermark.ReadText(data)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range chunks {
		found = found || (c.Keyword == watermark.KeyAIGenerated && c.Text == "true")
	}
	if !found {
		t.Errorf("%s: no provenance chunk in %v", what, chunks)
	}
}

func abs(x float64) float64 { return max(x, -x) }
