package recommender

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
)

func TestCosineIndexMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	feats := gaussian(rng, 500, 16, 1)
	for i := range feats { // varied norms: cosine must ignore them
		for d := range feats[i] {
			feats[i][d] *= float32(1 + i%7)
		}
	}
	x, err := NewCosineIndex(feats)
	if err != nil {
		t.Fatal(err)
	}
	cos := func(a, b []float32) float64 {
		return float64(dot(a, b)) / math.Sqrt(float64(dot(a, a))*float64(dot(b, b)))
	}
	for _, item := range []int{0, 123, 499} {
		got, err := x.Similar(item, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, 0, 499)
		for j := range feats {
			if j != item {
				want = append(want, j)
			}
		}
		slices.SortFunc(want, func(a, b int) int {
			ca, cb := cos(feats[item], feats[a]), cos(feats[item], feats[b])
			switch {
			case ca > cb:
				return -1
			case ca < cb:
				return 1
			}
			return a - b
		})
		if len(got) != 10 {
			t.Fatalf("%d neighbours, want 10", len(got))
		}
		for r, n := range got {
			if n.Item != want[r] {
				t.Fatalf("item %d: neighbour %d is %d, brute force says %d", item, r, n.Item, want[r])
			}
			if math.Abs(float64(n.Score)-cos(feats[item], feats[n.Item])) > 1e-5 {
				t.Errorf("score %v, cosine %v", n.Score, cos(feats[item], feats[n.Item]))
			}
		}
	}
}

func TestCosineIndexEdges(t *testing.T) {
	feats := [][]float32{{1, 0}, {2, 0}, {0, 1}, {3, 0}, {-1, 0}}
	x, _ := NewCosineIndex(feats)
	// Items 1 and 3 tie with item 0's direction: lower index first.
	got, _ := x.Nearest([]float32{5, 0}, 3, nil)
	if want := []int{0, 1, 3}; got[0].Item != want[0] || got[1].Item != want[1] || got[2].Item != want[2] {
		t.Errorf("nearest %+v, want items %v", got, want)
	}
	all, _ := x.Nearest([]float32{1, 0}, 99, func(i int) bool { return i == 2 })
	if len(all) != 4 || all[3].Item != 4 {
		t.Errorf("k above catalog size with a skip: %+v", all)
	}
	if none, _ := x.Nearest([]float32{1, 0}, 0, nil); len(none) != 0 {
		t.Errorf("k=0 gave %+v", none)
	}
	if _, err := x.Nearest([]float32{1}, 2, nil); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Errorf("short query: err %v", err)
	}
	if _, err := x.Similar(9, 2); atelier.ErrorKind(err) != atelier.KindNotFound {
		t.Errorf("unknown item: err %v", err)
	}
	if feats[1][0] != 2 {
		t.Error("index modified the caller's features")
	}
}

// Raw-pixel neighbours on the colour world stay within the colour.
func TestCosineIndexOnPixels(t *testing.T) {
	w := newGroupWorld(t, 2, 40, 3, 2, 0, 1)
	x, err := NewPixelIndex(w.images, 8)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := x.Similar(3, 5)
	if len(got) != 5 {
		t.Fatalf("%d neighbours, want 5", len(got))
	}
	for _, n := range got {
		if n.Item >= 20 {
			t.Errorf("a blue item %d among the neighbours of red item 3", n.Item)
		}
	}
}

func TestThumbnail(t *testing.T) {
	variants := [][]float32{{1, 0}, {0, 1}, {0.6, 0.6}}
	tests := []struct {
		name  string
		theta []float32
		liked [][]float32
		want  int
	}{
		{"θ likes the first axis", []float32{1, 0.1}, nil, 0},
		{"θ likes both", []float32{1, 1}, nil, 2},
		{"θ wins over likes", []float32{0, 1}, [][]float32{{1, 0}}, 1},
		{"likes along the second axis", nil, [][]float32{{0, 1.2}, {0.1, 0.8}}, 1},
		{"likes in between", nil, [][]float32{{1, 0}, {0, 1}}, 2},
		{"nothing known", nil, nil, 0},
	}
	for _, tt := range tests {
		got, err := Thumbnail(variants, tt.theta, tt.liked)
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		variants [][]float32
		theta    []float32
		liked    [][]float32
	}{
		{nil, nil, nil},
		{variants, []float32{1}, nil},
		{variants, nil, [][]float32{{1, 2, 3}}},
		{[][]float32{{1, 2}, {1}}, nil, nil},
	} {
		if _, err := Thumbnail(bad.variants, bad.theta, bad.liked); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("Thumbnail(%v, %v, %v): err %v, want invalid", bad.variants, bad.theta, bad.liked, err)
		}
	}
}
