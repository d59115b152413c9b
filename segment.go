package atelier

import "time"

// Segment is a group of consumers a seller can design for. K-means segments
// are computed from the taste vectors of one recommender version; imported
// segments come from labels in the marketplace's consumer file.
type Segment struct {
	ID   string
	Name string
	Kind string // SegmentKMeans or SegmentImported
	// Description holds what makes the segment distinct (e.g. top
	// categories, centroid statistics); it must be JSON-encodable.
	Description map[string]any
	// ModelVersionID is the recommender version the segment was computed
	// with ("" for imported segments).
	ModelVersionID string
	CreatedAt      time.Time
}

// Segment kinds.
const (
	SegmentKMeans   = "kmeans"
	SegmentImported = "imported"
)

// Membership puts a consumer in a segment. Weight is 1 for hard
// assignments; soft assignments use a value in (0, 1].
type Membership struct {
	SegmentID  string
	ConsumerID string
	Weight     float64
}
