package describe

import (
	"sort"

	"github.com/atelier-app/atelier/internal/colour"
)

// blendTail is the share of pixels at each end of a blend whose mean
// names that end.
const blendTail = 0.08

// blendEnds names a blend ("other") by its two ends rather than by the
// cluster centres k-means puts along it, which are mixtures no one would
// name: the region's colours are projected on the line through the two
// colours farthest apart (found from the main cluster: the pixel farthest
// from it, then the pixel farthest from that), and each end is the mean
// of the blendTail of pixels beyond it. The end nearer the main cluster
// comes first; the shares are of the pixels nearer each end.
func blendEnds(labs []colour.Lab, region []bool, main colour.Lab) ([2]cluster, bool) {
	pts := sample(labs, region)
	if len(pts) < 20 {
		return [2]cluster{}, false
	}
	a := farthest(pts, main)
	b := farthest(pts, a)
	axis := colour.Lab{L: b.L - a.L, A: b.A - a.A, B: b.B - a.B}
	proj := make([]float64, len(pts))
	order := make([]int, len(pts))
	for i, p := range pts {
		proj[i] = (p.L-a.L)*axis.L + (p.A-a.A)*axis.A + (p.B-a.B)*axis.B
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return proj[order[i]] < proj[order[j]] })
	tail := max(1, int(blendTail*float64(len(pts))))
	lo, hi := meanOf(pts, order[:tail]), meanOf(pts, order[len(order)-tail:])
	nearLo := 0
	for _, p := range pts {
		if p.Dist(lo) <= p.Dist(hi) {
			nearLo++
		}
	}
	ends := [2]cluster{
		{centre: lo, share: float64(nearLo) / float64(len(pts))},
		{centre: hi, share: 1 - float64(nearLo)/float64(len(pts))},
	}
	if hi.Dist(main) < lo.Dist(main) {
		ends[0], ends[1] = ends[1], ends[0]
	}
	return ends, true
}

func farthest(pts []colour.Lab, from colour.Lab) colour.Lab {
	best, bestD := pts[0], -1.0
	for _, p := range pts {
		if d := p.Dist(from); d > bestD {
			best, bestD = p, d
		}
	}
	return best
}

func meanOf(pts []colour.Lab, idx []int) colour.Lab {
	var m colour.Lab
	for _, i := range idx {
		m.L += pts[i].L
		m.A += pts[i].A
		m.B += pts[i].B
	}
	n := float64(len(idx))
	return colour.Lab{L: m.L / n, A: m.A / n, B: m.B / n}
}
