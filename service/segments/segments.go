// Package segments is the use case that makes consumer segments: k-means
// clusters of the served recommender's tastes, or one segment per consumer
// label an import brought. Each segment is described by what its members
// liked. The segments one request makes are stored together or not at
// all.
package segments

import (
	"context"
	"errors"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
)

// MaxK bounds the number of k-means segments one request makes.
const MaxK = 50

// cleanupTimeout bounds the removal of what a failed request stored.
const cleanupTimeout = 30 * time.Second

// Recommender is what making segments asks of the served recommender; it
// is implemented by *serving.Runtime.
type Recommender interface {
	// KMeans clusters the served model's consumers into k segments.
	KMeans(ctx context.Context, k int, seed uint64) (atelier.ModelVersion, []serving.SegmentDraft, error)
	// Describe summarises what each group of consumers (by store id) likes.
	Describe(ctx context.Context, members map[string][]string) (map[string]map[string]any, error)
}

var _ Recommender = (*serving.Runtime)(nil)

// Made is a segment a request stored, with its number of members.
type Made struct {
	Segment atelier.Segment
	Size    int
}

// Service makes segments in a store with a recommender.
type Service struct {
	store *storage.Store
	rec   Recommender
}

// New returns a service on the store and recommender.
func New(store *storage.Store, rec Recommender) *Service {
	return &Service{store: store, rec: rec}
}

// KMeans clusters the served model's consumers into k segments, describes
// and stores them. If one fails to store, those already stored are
// removed.
func (s *Service) KMeans(ctx context.Context, k int, seed uint64) ([]Made, error) {
	if k < 1 || k > MaxK {
		return nil, atelier.FieldErrorf("k", "must be an integer between 1 and %d, got %d", MaxK, k)
	}
	mv, drafts, err := s.rec.KMeans(ctx, k, seed)
	if err != nil {
		return nil, err
	}
	storeID := map[string]string{} // external id → store id
	err = s.store.EachConsumer(ctx, storage.ConsumerFilter{}, func(c atelier.Consumer) error {
		storeID[c.ExternalID] = c.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	members := make(map[string][]string, len(drafts))
	for _, d := range drafts {
		for _, ext := range d.ConsumerIDs {
			if id, ok := storeID[ext]; ok {
				members[d.Name] = append(members[d.Name], id)
			}
		}
	}
	desc, err := s.rec.Describe(ctx, members)
	if err != nil {
		return nil, err
	}
	var out []Made
	var stored []string
	for _, d := range drafts {
		sg, err := s.store.CreateSegment(ctx, atelier.Segment{
			Name: d.Name, Kind: atelier.SegmentKMeans, ModelVersionID: mv.ID, Description: desc[d.Name]})
		if err == nil {
			stored = append(stored, sg.ID)
			err = s.store.SetMemberships(ctx, sg.ID, memberships(members[d.Name]))
		}
		if err != nil {
			return nil, errors.Join(err, s.drop(ctx, stored))
		}
		out = append(out, Made{Segment: sg, Size: len(members[d.Name])})
	}
	return out, nil
}

func memberships(ids []string) []atelier.Membership {
	ms := make([]atelier.Membership, len(ids))
	for i, id := range ids {
		ms[i] = atelier.Membership{ConsumerID: id, Weight: 1}
	}
	return ms
}

// drop removes segments stored by a request that failed, even when the
// request itself was cancelled.
func (s *Service) drop(reqCtx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, id := range ids {
		if err := s.store.DeleteSegment(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Imported turns imported consumer labels into segments (again: it is
// idempotent) and describes every imported segment afresh.
func (s *Service) Imported(ctx context.Context) ([]Made, error) {
	if _, err := s.store.SyncImportedSegments(ctx); err != nil {
		return nil, err
	}
	var segs []atelier.Segment
	f := storage.SegmentFilter{Kind: atelier.SegmentImported, Page: storage.Page{Limit: storage.MaxLimit}}
	if err := s.store.EachSegment(ctx, f, func(sg atelier.Segment) error {
		segs = append(segs, sg)
		return nil
	}); err != nil {
		return nil, err
	}
	members := make(map[string][]string, len(segs))
	for _, sg := range segs {
		ms, err := s.store.ListMemberships(ctx, sg.ID)
		if err != nil {
			return nil, err
		}
		members[sg.ID] = []string{}
		for _, m := range ms {
			members[sg.ID] = append(members[sg.ID], m.ConsumerID)
		}
	}
	desc, err := s.rec.Describe(ctx, members)
	if err != nil {
		return nil, err
	}
	out := make([]Made, len(segs))
	for i, sg := range segs {
		if err := s.store.SetSegmentDescription(ctx, sg.ID, desc[sg.ID]); err != nil {
			return nil, err
		}
		sg.Description = desc[sg.ID]
		out[i] = Made{Segment: sg, Size: len(members[sg.ID])}
	}
	return out, nil
}
