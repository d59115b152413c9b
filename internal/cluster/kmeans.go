// Package cluster groups vectors: k-means++ with Lloyd iterations, used
// for consumer segments over taste vectors (recommender) and for the
// components of the generator's latent prior (gan).
package cluster

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/atelier-app/atelier"
)

// Config configures KMeans; zero fields take the defaults shown.
type Config struct {
	K        int // clusters (required)
	MaxIter  int // Lloyd iterations per run (100)
	Restarts int // independent seeded runs; the lowest inertia wins (1)
	Seed     uint64
}

// Clustering is a k-means result.
type Clustering struct {
	Centroids  [][]float32
	Assign     []int   // cluster of each point
	Inertia    float64 // Σ squared distance of each point to its centroid
	Iterations int     // Lloyd iterations of the winning run
}

// KMeans clusters points (e.g. consumers' θ vectors) with k-means++
// seeding (Arthur & Vassilvitskii 2007: each next centre drawn with
// probability proportional to the squared distance to the nearest centre
// so far) and Lloyd iterations until no assignment changes. A cluster that
// empties takes over the point farthest from its centroid, so K clusters
// stay in use whenever there are K distinct points. Ties go to the lowest
// index and all sums are in float64, so the result depends only on the
// points and cfg.
func KMeans(ctx context.Context, points [][]float32, cfg Config) (*Clustering, error) {
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 100
	}
	if cfg.Restarts == 0 {
		cfg.Restarts = 1
	}
	switch {
	case cfg.K < 1:
		return nil, atelier.FieldErrorf("k", "must be at least 1, got %d", cfg.K)
	case cfg.K > len(points):
		return nil, atelier.FieldErrorf("k", "%d clusters for %d points", cfg.K, len(points))
	case cfg.MaxIter < 0 || cfg.Restarts < 0:
		return nil, atelier.Errorf(atelier.KindInvalid, "k-means iterations and restarts must be positive")
	}
	for i, p := range points {
		if len(p) != len(points[0]) || len(p) == 0 {
			return nil, atelier.Errorf(atelier.KindInvalid, "point %d has length %d, want %d", i, len(p), len(points[0]))
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6b6d65616e73))
	var best *Clustering
	for r := 0; r < cfg.Restarts; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := lloyd(points, seedPlusPlus(points, cfg.K, rng), cfg.MaxIter)
		if best == nil || c.Inertia < best.Inertia {
			best = c
		}
	}
	return best, nil
}

func sqDist(a []float32, b []float64) float64 {
	s := 0.0
	for d, x := range a {
		e := float64(x) - b[d]
		s += e * e
	}
	return s
}

// seedPlusPlus picks k initial centres by k-means++.
func seedPlusPlus(points [][]float32, k int, rng *rand.Rand) [][]float64 {
	centres := make([][]float64, 0, k)
	add := func(i int) {
		c := make([]float64, len(points[i]))
		for d, x := range points[i] {
			c[d] = float64(x)
		}
		centres = append(centres, c)
	}
	chosen := make([]bool, len(points))
	first := rng.IntN(len(points))
	chosen[first] = true
	add(first)
	d2 := make([]float64, len(points))
	for i := range points {
		d2[i] = sqDist(points[i], centres[0])
	}
	for len(centres) < k {
		total := 0.0
		for _, v := range d2 {
			total += v
		}
		next := -1
		if total > 0 {
			target := rng.Float64() * total
			for i, v := range d2 {
				target -= v
				if v > 0 && target < 0 {
					next = i
					break
				}
			}
			if next < 0 { // rounding left target ≥ 0: take the last candidate
				for i := len(d2) - 1; i >= 0; i-- {
					if d2[i] > 0 {
						next = i
						break
					}
				}
			}
		} else {
			// Fewer distinct points than k: duplicate the next unused one.
			for i := range chosen {
				if !chosen[i] {
					next = i
					break
				}
			}
		}
		chosen[next] = true
		add(next)
		for i := range points {
			d2[i] = min(d2[i], sqDist(points[i], centres[len(centres)-1]))
		}
	}
	return centres
}

// lloyd runs Lloyd iterations from the given centres.
func lloyd(points [][]float32, centres [][]float64, maxIter int) *Clustering {
	k, dim := len(centres), len(centres[0])
	assign := make([]int, len(points))
	for i := range assign {
		assign[i] = -1
	}
	dist := make([]float64, len(points))
	sizes := make([]int, k)
	iter := 0
	for iter < maxIter {
		iter++
		changed := false
		for i, p := range points {
			bi, bd := 0, math.Inf(1)
			for c := range centres {
				if d := sqDist(p, centres[c]); d < bd {
					bi, bd = c, d
				}
			}
			if assign[i] != bi {
				assign[i], changed = bi, true
			}
			dist[i] = bd
		}
		clear(sizes)
		for _, a := range assign {
			sizes[a]++
		}
		// An empty cluster takes the point farthest from its centroid among
		// clusters that can spare one.
		for c := range centres {
			if sizes[c] > 0 {
				continue
			}
			far := -1
			for i := range points {
				if sizes[assign[i]] > 1 && dist[i] > 0 && (far < 0 || dist[i] > dist[far]) {
					far = i
				}
			}
			if far < 0 {
				continue // all points sit on centroids: nothing to split
			}
			sizes[assign[far]]--
			assign[far], dist[far], sizes[c], changed = c, 0, 1, true
		}
		for c := range centres {
			if sizes[c] > 0 {
				clear(centres[c])
			}
		}
		for i, p := range points {
			cen := centres[assign[i]]
			for d, x := range p {
				cen[d] += float64(x)
			}
		}
		for c := range centres {
			if sizes[c] > 0 {
				for d := range dim {
					centres[c][d] /= float64(sizes[c])
				}
			}
		}
		if !changed {
			break
		}
	}
	out := &Clustering{Assign: assign, Iterations: iter, Centroids: make([][]float32, k)}
	for c, cen := range centres {
		out.Centroids[c] = make([]float32, dim)
		for d, x := range cen {
			out.Centroids[c][d] = float32(x)
		}
	}
	for i, p := range points {
		out.Inertia += sqDist(p, centres[assign[i]])
	}
	return out
}
