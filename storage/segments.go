package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

func toSegment(r segmentRow) atelier.Segment {
	d := r.Description
	if d == nil {
		d = map[string]any{}
	}
	return atelier.Segment{
		ID: r.ID, Name: r.Name, Kind: r.Kind, Description: d,
		ModelVersionID: valString(r.ModelVersionID), CreatedAt: r.CreatedAt.UTC(),
	}
}

func fromSegment(sg atelier.Segment) segmentRow {
	d := sg.Description
	if d == nil {
		d = map[string]any{}
	}
	return segmentRow{
		ID: sg.ID, Name: sg.Name, Kind: sg.Kind, Description: d,
		ModelVersionID: ptrString(sg.ModelVersionID), CreatedAt: dbTime(sg.CreatedAt),
	}
}

// SegmentFilter narrows a list of segments.
type SegmentFilter struct {
	Kind           string
	ModelVersionID string
	Page
}

// CreateSegment stores a new segment. K-means segments name the
// recommender version they were computed with; imported segments have
// unique names.
func (s *Store) CreateSegment(ctx context.Context, sg atelier.Segment) (atelier.Segment, error) {
	sg.Name = strings.TrimSpace(sg.Name)
	switch {
	case sg.Name == "" || len(sg.Name) > atelier.MaxNameLen:
		return atelier.Segment{}, atelier.FieldErrorf("name", "must be 1 to %d bytes long", atelier.MaxNameLen)
	case sg.Kind != atelier.SegmentKMeans && sg.Kind != atelier.SegmentImported:
		return atelier.Segment{}, atelier.FieldErrorf("kind", "must be %q or %q", atelier.SegmentKMeans, atelier.SegmentImported)
	case sg.Kind == atelier.SegmentKMeans && sg.ModelVersionID == "":
		return atelier.Segment{}, atelier.FieldErrorf("model_version_id", "a k-means segment names the model version it was computed with")
	}
	sg.ID = newID()
	sg.CreatedAt = s.stamp()
	row := fromSegment(sg)
	if err := s.db.WithContext(ctx).Omit(clause.Associations).Create(&row).Error; err != nil {
		return atelier.Segment{}, dbErr(err, "segment %q", sg.Name)
	}
	return toSegment(row), nil
}

// GetSegment returns a segment.
func (s *Store) GetSegment(ctx context.Context, id string) (atelier.Segment, error) {
	var row segmentRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.Segment{}, dbErr(err, "segment %q", id)
	}
	return toSegment(row), nil
}

// ListSegments returns one page of segments in creation order.
func (s *Store) ListSegments(ctx context.Context, f SegmentFilter) ([]atelier.Segment, error) {
	q := s.db.WithContext(ctx)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.ModelVersionID != "" {
		q = q.Where("model_version_id = ?", f.ModelVersionID)
	}
	var rows []segmentRow
	if err := f.Page.apply(q).Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list segments")
	}
	out := make([]atelier.Segment, len(rows))
	for i, r := range rows {
		out[i] = toSegment(r)
	}
	return out, nil
}

// DeleteSegment removes a segment and its memberships. A segment that jobs
// or reports refer to is a KindConflict error.
func (s *Store) DeleteSegment(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&segmentRow{})
	if res.Error != nil {
		return dbErr(res.Error, "segment %q", id)
	}
	if res.RowsAffected == 0 {
		return notFound("segment %q", id)
	}
	return nil
}

// SetMemberships replaces the members of a segment, in one transaction. A
// weight of 0 is stored as 1 (a hard assignment).
func (s *Store) SetMemberships(ctx context.Context, segmentID string, ms []atelier.Membership) error {
	rows := make([]membershipRow, len(ms))
	for i, m := range ms {
		if m.Weight == 0 {
			m.Weight = 1
		}
		if m.Weight < 0 || m.Weight > 1 {
			return atelier.FieldErrorf("weight", "membership %d: weight must be in (0, 1], got %g", i, m.Weight)
		}
		rows[i] = membershipRow{SegmentID: segmentID, ConsumerID: m.ConsumerID, Weight: m.Weight}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", segmentID).Take(&segmentRow{}).Error; err != nil {
			return dbErr(err, "segment %q", segmentID)
		}
		if err := tx.Where("segment_id = ?", segmentID).Delete(&membershipRow{}).Error; err != nil {
			return err
		}
		for start := 0; start < len(rows); start += inChunk {
			chunk := rows[start:min(start+inChunk, len(rows))]
			if err := tx.Omit(clause.Associations).Create(&chunk).Error; err != nil {
				return dbErr(err, "memberships of segment %q", segmentID)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set memberships: %w", err)
	}
	return nil
}

// ListMemberships returns the members of a segment, by consumer id.
func (s *Store) ListMemberships(ctx context.Context, segmentID string) ([]atelier.Membership, error) {
	return s.memberships(ctx, "segment_id = ?", segmentID)
}

// ConsumerMemberships returns the segments a consumer belongs to.
func (s *Store) ConsumerMemberships(ctx context.Context, consumerID string) ([]atelier.Membership, error) {
	return s.memberships(ctx, "consumer_id = ?", consumerID)
}

func (s *Store) memberships(ctx context.Context, where, arg string) ([]atelier.Membership, error) {
	var rows []membershipRow
	if err := s.db.WithContext(ctx).Where(where, arg).Order("segment_id, consumer_id").Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list memberships")
	}
	out := make([]atelier.Membership, len(rows))
	for i, r := range rows {
		out[i] = atelier.Membership{SegmentID: r.SegmentID, ConsumerID: r.ConsumerID, Weight: r.Weight}
	}
	return out, nil
}

// SyncImportedSegments turns the segment labels of imported consumers into
// segments of kind imported, one per distinct label, and adds each
// labelled consumer to its segment. It is idempotent and returns how many
// memberships were new.
func (s *Store) SyncImportedSegments(ctx context.Context) (int, error) {
	var labels []string
	if err := s.db.WithContext(ctx).Model(&consumerRow{}).Where("segment <> ''").Distinct().Order("segment").Pluck("segment", &labels).Error; err != nil {
		return 0, dbErr(err, "read segment labels")
	}
	added := 0
	for _, label := range labels {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			seg := fromSegment(atelier.Segment{ID: newID(), Name: label, Kind: atelier.SegmentImported, CreatedAt: s.stamp()})
			if err := tx.Omit(clause.Associations).Clauses(clause.OnConflict{DoNothing: true}).Create(&seg).Error; err != nil {
				return err
			}
			seg = segmentRow{} // a set id would narrow the lookup to the new row
			if err := tx.Where("kind = ? AND name = ?", atelier.SegmentImported, label).Take(&seg).Error; err != nil {
				return err
			}
			res := tx.Exec(`INSERT INTO segment_memberships (segment_id, consumer_id, weight)
				SELECT ?, id, 1 FROM consumers WHERE segment = ? ON CONFLICT DO NOTHING`, seg.ID, label)
			added += int(res.RowsAffected)
			return res.Error
		})
		if err != nil {
			return added, dbErr(err, "imported segment %q", label)
		}
	}
	return added, nil
}

// SetSegmentDescription replaces what a segment's description says (e.g.
// after its members' liked items were summarised).
func (s *Store) SetSegmentDescription(ctx context.Context, id string, description map[string]any) error {
	if description == nil {
		description = map[string]any{}
	}
	b, err := json.Marshal(description)
	if err != nil {
		return atelier.FieldErrorf("description", "must be JSON-encodable: %v", err)
	}
	// A map update bypasses the column's serializer: give it the JSON.
	res := s.db.WithContext(ctx).Model(&segmentRow{}).Where("id = ?", id).Update("description", string(b))
	if res.Error != nil {
		return dbErr(res.Error, "segment %q", id)
	}
	if res.RowsAffected == 0 {
		return notFound("segment %q", id)
	}
	return nil
}

// SegmentSizes returns the number of members of every segment that has
// any, by segment id.
func (s *Store) SegmentSizes(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		SegmentID string
		N         int
	}
	err := s.db.WithContext(ctx).Model(&membershipRow{}).Select("segment_id, COUNT(*) AS n").Group("segment_id").Scan(&rows).Error
	if err != nil {
		return nil, dbErr(err, "count segment members")
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.SegmentID] = r.N
	}
	return out, nil
}

// EachSegment calls fn for every segment matching f, in creation order, a
// page at a time (f.Page.After is the starting point); an error from fn
// stops the walk and is returned.
func (s *Store) EachSegment(ctx context.Context, f SegmentFilter, fn func(atelier.Segment) error) error {
	for {
		page, err := s.ListSegments(ctx, f)
		if err != nil {
			return err
		}
		for _, sg := range page {
			if err := fn(sg); err != nil {
				return err
			}
		}
		if len(page) < f.Page.limit() {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}
