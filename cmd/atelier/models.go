package main

import (
	"context"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage/blob"
)

// recommenderLoader reads recommender model versions from the blob store
// for the serving runtime.
func recommenderLoader(blobs blob.Store) serving.Loader {
	return func(ctx context.Context, mv atelier.ModelVersion) (serving.Model, error) {
		m, err := catalog.LoadRecommender(ctx, blobs, mv)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return m, nil
	}
}
