package catalog

import (
	"context"
	"fmt"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
)

// Tastes is what a segment's θ is computed from: the consumers' taste
// vectors of a recommender model, by external id. *recommender.Model
// satisfies it.
type Tastes interface {
	Dim() int
	Theta(externalID string) ([]float32, bool)
}

var _ Tastes = (*recommender.Model)(nil)

// Member is one consumer of a segment, by external id, with its weight.
type Member struct {
	ExternalID string
	Weight     float64 // ≤ 0 counts as 1
}

// SegmentTheta is a segment's taste: the weighted mean θ of its members
// that the model knows,
//
//	θ_seg = Σ_m w_m θ_m / Σ_m w_m   over members m with a θ in the model.
//
// Members the model does not know (consumers who joined after it was
// trained) are skipped rather than failing the segment: a segment outlives
// model versions. known is how many members counted; a segment none of
// whose members the model knows is KindInvalid.
func SegmentTheta(model Tastes, members []Member) (theta []float32, known int, err error) {
	sum := make([]float64, model.Dim())
	var total float64
	for _, m := range members {
		th, ok := model.Theta(m.ExternalID)
		if !ok {
			continue
		}
		w := m.Weight
		if w <= 0 {
			w = 1
		}
		for j, v := range th {
			sum[j] += w * float64(v)
		}
		total += w
		known++
	}
	if known == 0 {
		return nil, 0, atelier.Errorf(atelier.KindInvalid, "none of the %d members is known to the recommender", len(members))
	}
	theta = make([]float32, len(sum))
	for j, v := range sum {
		theta[j] = float32(v / total)
	}
	return theta, known, nil
}

// StoreSegmentTheta is SegmentTheta over the stored segment's members.
func StoreSegmentTheta(ctx context.Context, store *storage.Store, segmentID string, model Tastes) ([]float32, error) {
	ms, err := store.ListMemberships(ctx, segmentID)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", segmentID, err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ConsumerID
	}
	consumers, err := store.GetConsumers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("segment %s members: %w", segmentID, err)
	}
	members := make([]Member, len(ms))
	for i, m := range ms {
		members[i] = Member{ExternalID: consumers[m.ConsumerID].ExternalID, Weight: m.Weight}
	}
	theta, _, err := SegmentTheta(model, members)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", segmentID, err)
	}
	return theta, nil
}

// DatasetMembers lists the dataset's consumers labelled segment, each of
// weight 1.
func DatasetMembers(d *recommender.Dataset, segment string) []Member {
	var out []Member
	for _, c := range d.Consumers {
		if c.Segment == segment {
			out = append(out, Member{ExternalID: c.ID, Weight: 1})
		}
	}
	return out
}
