package report

import (
	"cmp"
	"slices"
	"sort"
)

// ranking answers the rank of any score in one segment's pool: the scores
// sorted once, best first, so each of the seller's items is ranked by a
// binary search rather than a scan of the pool.
type ranking []float64

func newRanking(scores []float64) ranking {
	r := slices.Clone(scores)
	slices.SortFunc(r, func(a, b float64) int { return cmp.Compare(b, a) })
	return r
}

// rank is 1 + the number of pool scores strictly above s: ties share the
// better rank.
func (r ranking) rank(s float64) int {
	return 1 + sort.Search(len(r), func(i int) bool { return r[i] <= s })
}

// percentile maps rank 1 to 100 and rank n to 0.
func percentile(rank, n int) float64 {
	if n <= 1 {
		return 100
	}
	return 100 * float64(n-rank) / float64(n-1)
}

func dot64(a, b []float32) float64 {
	var s float64
	for j := range a {
		s += float64(a[j]) * float64(b[j])
	}
	return s
}
