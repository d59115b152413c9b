package cluster

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/atelier-app/atelier"
)

// blobs returns n points around each of the given centres (spread sd) and
// the index of each point's centre.
func blobs(centres [][]float32, n int, sd float64, seed uint64) ([][]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	var pts [][]float32
	var truth []int
	for k := 0; k < n; k++ { // interleaved, so cluster order ≠ point order
		for c, cen := range centres {
			p := make([]float32, len(cen))
			for d := range p {
				p[d] = cen[d] + float32(rng.NormFloat64()*sd)
			}
			pts = append(pts, p)
			truth = append(truth, c)
		}
	}
	return pts, truth
}

func TestKMeansRecoversClusters(t *testing.T) {
	centres := [][]float32{{0, 0, 0, 0}, {10, 0, 0, 0}, {0, 10, 0, 0}, {0, 0, 10, 10}, {-10, -10, 0, 0}}
	pts, truth := blobs(centres, 40, 1, 1)
	for seed := uint64(0); seed < 5; seed++ {
		c, err := KMeans(context.Background(), pts, Config{K: 5, Seed: seed, Restarts: 3})
		if err != nil {
			t.Fatal(err)
		}
		// Each true cluster maps to exactly one found cluster and back.
		fwd, back := map[int]int{}, map[int]int{}
		for i, a := range c.Assign {
			if f, ok := fwd[truth[i]]; ok && f != a {
				t.Fatalf("seed %d: true cluster %d split over %d and %d", seed, truth[i], f, a)
			}
			if b, ok := back[a]; ok && b != truth[i] {
				t.Fatalf("seed %d: found cluster %d mixes %d and %d", seed, a, b, truth[i])
			}
			fwd[truth[i]], back[a] = a, truth[i]
		}
		for tc, fc := range fwd {
			for d := range centres[tc] {
				if math.Abs(float64(c.Centroids[fc][d]-centres[tc][d])) > 0.5 {
					t.Errorf("seed %d: centroid %v far from true centre %v", seed, c.Centroids[fc], centres[tc])
					break
				}
			}
		}
		// Inertia ≈ n·dim·sd².
		if c.Inertia > 1.5*float64(len(pts)*4) {
			t.Errorf("seed %d: inertia %.1f, want about %d", seed, c.Inertia, len(pts)*4)
		}
	}
}

func TestKMeansDeterministic(t *testing.T) {
	pts, _ := blobs([][]float32{{0, 0}, {1, 1}, {2, 0}}, 30, 0.8, 2) // overlapping
	a, err := KMeans(context.Background(), pts, Config{K: 4, Seed: 7, Restarts: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KMeans(context.Background(), pts, Config{K: 4, Seed: 7, Restarts: 2})
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different clusterings")
	}
}

func TestKMeansFewDistinctPoints(t *testing.T) {
	// Three distinct points, repeated; k = 4 must not produce NaN or an
	// invalid assignment, and k = 3 must find the three.
	var pts [][]float32
	for k := 0; k < 5; k++ {
		pts = append(pts, []float32{0, 0}, []float32{5, 5}, []float32{5, 5}, []float32{-3, 1})
	}
	for _, k := range []int{3, 4} {
		c, err := KMeans(context.Background(), pts, Config{K: k, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, cen := range c.Centroids {
			for _, v := range cen {
				if math.IsNaN(float64(v)) {
					t.Fatalf("k=%d: NaN centroid %v", k, cen)
				}
			}
		}
		for i, a := range c.Assign {
			if a < 0 || a >= k {
				t.Fatalf("k=%d: point %d assigned to %d", k, i, a)
			}
		}
		if c.Inertia > 1e-9 {
			t.Errorf("k=%d: inertia %v, want 0 with ≥ 3 clusters for 3 distinct points", k, c.Inertia)
		}
	}
}

func TestKMeansRefillsEmptyCluster(t *testing.T) {
	// Both initial centres at the same place: one cluster starts empty and
	// must take over a point, ending with the two obvious groups.
	pts := [][]float32{{0}, {0.1}, {10}, {10.1}}
	c := lloyd(pts, [][]float64{{0}, {0}}, 100)
	if c.Assign[0] != c.Assign[1] || c.Assign[2] != c.Assign[3] || c.Assign[0] == c.Assign[2] {
		t.Errorf("assignment %v, want {0,1} and {2,3} apart", c.Assign)
	}
}

func TestKMeansErrors(t *testing.T) {
	pts := [][]float32{{1, 2}, {3, 4}}
	tests := []struct {
		name string
		pts  [][]float32
		cfg  Config
	}{
		{"k zero", pts, Config{}},
		{"k above points", pts, Config{K: 3}},
		{"ragged", [][]float32{{1, 2}, {3}}, Config{K: 1}},
		{"negative iterations", pts, Config{K: 1, MaxIter: -1}},
	}
	for _, tt := range tests {
		if _, err := KMeans(context.Background(), tt.pts, tt.cfg); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("%s: err %v, want invalid", tt.name, err)
		}
	}
}
