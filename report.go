package atelier

import "time"

// Report is a batch analysis of a seller's items for one segment: how each
// item ranks with the segment and which variants would lift it. The result
// is a JSON document kept in the blob store under ResultKey.
type Report struct {
	ID        string
	SellerID  string
	SegmentID string

	Status    JobStatus
	Progress  Progress
	Error     string // client-safe reason when Status is failed
	ResultKey string // blob key of the result JSON; "" until succeeded

	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}
