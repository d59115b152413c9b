package atelier

import (
	"encoding/json"
	"time"
)

// ModelVersion is one trained model file kept in the blob store. At most one
// version of each kind is active: the one the service serves with.
type ModelVersion struct {
	ID      string
	Kind    string // ModelRecommender or ModelGAN
	BlobKey string
	// Metrics are the evaluation numbers of the version (e.g. "auc",
	// "ndcg@10", "fid").
	Metrics map[string]float64
	// Config is the training configuration, as JSON.
	Config    json.RawMessage
	Active    bool
	CreatedAt time.Time
}

// Model kinds.
const (
	ModelRecommender = "recommender"
	ModelGAN         = "gan"
)
