package recommender

import "github.com/atelier-app/atelier/internal/cluster"

// KMeansConfig configures the k-means of SegmentsByKMeans (cluster.KMeans).
type KMeansConfig = cluster.Config
