package describe

import (
	"math"
	"sort"

	"github.com/atelier-app/atelier/internal/colour"
)

const (
	// MergeDistance (ΔE, CIE76) joins clusters a person would call one
	// colour: shading and anti-aliasing split a flat colour into near twins.
	MergeDistance = 12
	// MinColourShare is the smallest share of the region a colour needs to
	// be named.
	MinColourShare = 0.08
	k              = 4
	maxSamples     = 16384
	iterations     = 12
)

type cluster struct {
	centre colour.Lab
	share  float64
}

// dominant clusters the region's colours (see the package doc) and returns
// the named ones, largest first; there is always at least one.
func dominant(labs []colour.Lab, region []bool) []cluster {
	pts := sample(labs, region)
	if len(pts) == 0 {
		return []cluster{{centre: colour.RGB{R: 1, G: 1, B: 1}.Lab(), share: 1}}
	}
	centres := seeds(pts)
	counts := make([]int, len(centres))
	for range iterations {
		centres, counts = step(pts, centres)
	}
	cs := make([]cluster, 0, len(centres))
	for i, c := range centres {
		if counts[i] > 0 {
			cs = append(cs, cluster{centre: c, share: float64(counts[i]) / float64(len(pts))})
		}
	}
	cs = merge(cs)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].share > cs[j].share })
	kept := cs[:1]
	for _, c := range cs[1:] {
		if c.share >= MinColourShare {
			kept = append(kept, c)
		}
	}
	return kept
}

// sample takes every region pixel, or an even stride of them when there
// are more than maxSamples.
func sample(labs []colour.Lab, region []bool) []colour.Lab {
	n := countTrue(region)
	stride := max(1, (n+maxSamples-1)/maxSamples)
	pts := make([]colour.Lab, 0, min(n, maxSamples))
	j := 0
	for i, in := range region {
		if !in {
			continue
		}
		if j%stride == 0 {
			pts = append(pts, labs[i])
		}
		j++
	}
	return pts
}

// seeds starts at the densest coarse colour bin and adds, k−1 times, the
// point farthest from the seeds so far: deterministic, and it finds a
// small second colour (dots) that random seeding can miss.
func seeds(pts []colour.Lab) []colour.Lab {
	bins := map[[3]int]int{}
	key := func(p colour.Lab) [3]int {
		return [3]int{int(math.Floor(p.L / 8)), int(math.Floor(p.A / 8)), int(math.Floor(p.B / 8))}
	}
	for _, p := range pts {
		bins[key(p)]++
	}
	first, best := pts[0], -1
	for _, p := range pts { // first point of the densest bin, in pixel order
		if n := bins[key(p)]; n > best {
			first, best = p, n
		}
	}
	centres := []colour.Lab{first}
	dist := make([]float64, len(pts))
	for i, p := range pts {
		dist[i] = p.Dist(first)
	}
	for len(centres) < k {
		far := 0
		for i := range dist {
			if dist[i] > dist[far] {
				far = i
			}
		}
		if dist[far] < MergeDistance/2 {
			break
		}
		c := pts[far]
		centres = append(centres, c)
		for i, p := range pts {
			dist[i] = math.Min(dist[i], p.Dist(c))
		}
	}
	return centres
}

func step(pts, centres []colour.Lab) ([]colour.Lab, []int) {
	sums := make([]colour.Lab, len(centres))
	counts := make([]int, len(centres))
	for _, p := range pts {
		j := nearest(p, centres)
		sums[j].L += p.L
		sums[j].A += p.A
		sums[j].B += p.B
		counts[j]++
	}
	next := make([]colour.Lab, len(centres))
	for j := range centres {
		if counts[j] == 0 {
			next[j] = centres[j]
			continue
		}
		n := float64(counts[j])
		next[j] = colour.Lab{L: sums[j].L / n, A: sums[j].A / n, B: sums[j].B / n}
	}
	return next, counts
}

func nearest(p colour.Lab, centres []colour.Lab) int {
	best, bestD := 0, math.Inf(1)
	for j, c := range centres {
		if d := p.Dist(c); d < bestD {
			best, bestD = j, d
		}
	}
	return best
}

// merge joins clusters closer than MergeDistance, share-weighted, until
// none are.
func merge(cs []cluster) []cluster {
	for {
		bi, bj, bd := -1, -1, math.Inf(1)
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if d := cs[i].centre.Dist(cs[j].centre); d < bd {
					bi, bj, bd = i, j, d
				}
			}
		}
		if bi < 0 || bd >= MergeDistance {
			return cs
		}
		a, b := cs[bi], cs[bj]
		s := a.share + b.share
		// The larger cluster's colour is the one a person sees; the smaller
		// is its shading.
		centre := a.centre
		if b.share > a.share {
			centre = b.centre
		}
		cs[bi] = cluster{centre: centre, share: s}
		cs = append(cs[:bj], cs[bj+1:]...)
	}
}
