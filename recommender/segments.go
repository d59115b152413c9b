package recommender

import (
	"context"
	"fmt"
	"sort"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/cluster"
)

// Segment is a group of consumers a seller designs for. Its preference for
// an item with features f is the mean of its members' preferences,
// (1/|S|) Σ θ_u·f, which is Theta·f with Theta the members' mean θ.
type Segment struct {
	Name    string
	Members []int     // consumer indices, ascending
	Theta   []float32 // mean θ of the members
}

// Preference is the segment's mean preference for features f.
func (s Segment) Preference(f []float32) float32 { return dot(s.Theta, f) }

// SegmentsByKMeans clusters consumers' θ vectors with k-means++ and returns
// one segment per non-empty cluster, named "cluster-1" … in cluster order.
func SegmentsByKMeans(ctx context.Context, theta [][]float32, cfg KMeansConfig) ([]Segment, error) {
	c, err := cluster.KMeans(ctx, theta, cfg)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	members := make([][]int, len(c.Centroids))
	for u, a := range c.Assign {
		members[a] = append(members[a], u)
	}
	var segs []Segment
	for k, m := range members {
		if len(m) > 0 {
			segs = append(segs, Segment{Name: fmt.Sprintf("cluster-%d", k+1), Members: m, Theta: meanVector(theta, m)})
		}
	}
	return segs, nil
}

// SegmentsByLabel groups consumers by their imported segment label
// (consumers without one are left out), segments sorted by name. theta is
// indexed like consumers.
func SegmentsByLabel(consumers []Consumer, theta [][]float32) ([]Segment, error) {
	if len(theta) != len(consumers) {
		return nil, atelier.Errorf(atelier.KindInvalid, "segments: %d θ vectors for %d consumers", len(theta), len(consumers))
	}
	if err := sameDim("consumer", theta, -1); err != nil {
		return nil, err
	}
	byName := map[string][]int{}
	for u, c := range consumers {
		if c.Segment != "" {
			byName[c.Segment] = append(byName[c.Segment], u)
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	segs := make([]Segment, len(names))
	for k, n := range names {
		segs[k] = Segment{Name: n, Members: byName[n], Theta: meanVector(theta, byName[n])}
	}
	return segs, nil
}

// MeanTheta is the mean θ over all consumers, the usual fold-in prior for a
// new consumer (nil when there are none).
func MeanTheta(theta [][]float32) []float32 { return meanVector(theta, nil) }
