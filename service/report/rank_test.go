package report

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankingMatchesAScan checks the sorted ranking against the
// definition (1 + the number of strictly higher scores), ties included.
func TestRankingMatchesAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scores := make([]float64, 500)
	for i := range scores {
		scores[i] = float64(rng.IntN(60)) / 7 // many ties
	}
	r := newRanking(scores)
	for i, s := range scores {
		want := 1
		for _, o := range scores {
			if o > s {
				want++
			}
		}
		if got := r.rank(s); got != want {
			t.Fatalf("score %d (%g): rank %d, want %d", i, s, got, want)
		}
	}
	if r.rank(1e9) != 1 || r.rank(-1e9) != len(scores)+1 {
		t.Errorf("outside the pool: %d and %d", r.rank(1e9), r.rank(-1e9))
	}
}

func TestBottom(t *testing.T) {
	cand := func(seg string, rank int) Candidate { return Candidate{SegmentID: seg, Rank: rank} }
	doc := Doc{ReportID: "r", Segments: []Segment{{ID: "a"}, {ID: "b"}}, Items: []Item{
		{ItemID: "x", Candidates: []Candidate{cand("a", 70), cand("b", 90)}},
		{ItemID: "y", Candidates: []Candidate{cand("b", 95)}},
		{ItemID: "z", Candidates: []Candidate{cand("a", 80)}},
		{ItemID: "w", Candidates: []Candidate{cand("a", 80)}},
		{ItemID: "v"}, // top half everywhere
	}}
	for _, c := range []struct {
		seg  string
		n    int
		want []string
	}{
		{"a", 2, []string{"z", "w"}},
		{"a", 10, []string{"z", "w", "x"}},
		{"b", 1, []string{"y"}},
		{"a", 0, []string{}},
	} {
		got, err := Bottom(doc, c.seg, c.n)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Bottom(%s, %d) = %v, %v; want %v", c.seg, c.n, got, err, c.want)
		}
	}
	if _, err := Bottom(doc, "c", 3); err == nil {
		t.Error("a segment outside the report was accepted")
	}
}
