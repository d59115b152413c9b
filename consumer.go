package atelier

import "time"

// Consumer is a shopper of the marketplace, known by the marketplace's own
// id (ExternalID). Consumers take part in the choice flow and appear in
// interaction logs; the recommender learns one taste vector per consumer.
type Consumer struct {
	ID         string
	ExternalID string
	// Segment is the segment label the marketplace gave this consumer in an
	// import ("" when none); imported labels become segments of kind
	// SegmentImported.
	Segment   string
	CreatedAt time.Time
}
