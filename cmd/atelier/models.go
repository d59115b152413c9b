package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/serving"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// recommenderLoader reads a recommender model version from the blob store.
func recommenderLoader(blobs blob.Store) serving.Loader {
	return func(ctx context.Context, mv atelier.ModelVersion) (serving.Model, error) {
		rc, _, err := blobs.Get(ctx, mv.BlobKey)
		if err != nil {
			return nil, fmt.Errorf("model version %s: %w", mv.ID, err)
		}
		defer rc.Close()
		m, err := recommender.ReadModel(rc)
		if err != nil {
			return nil, fmt.Errorf("model version %s (%s): %w", mv.ID, mv.BlobKey, err)
		}
		return m, nil
	}
}

// registerModel stores a checkpoint in the blob store as a model version of
// kind, under a key named by its content hash, and activates it unless a
// version is already active. Registering the same bytes again returns the
// existing version, so every start of the demo may call it.
func registerModel(ctx context.Context, store *storage.Store, blobs blob.Store, kind string, data []byte, metrics map[string]float64) (atelier.ModelVersion, error) {
	sum := sha256.Sum256(data)
	key := fmt.Sprintf("models/%s/%s.safetensors", kind, hex.EncodeToString(sum[:12]))
	versions, err := store.ListModelVersions(ctx, kind)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	active := false
	for _, v := range versions {
		if v.BlobKey == key {
			return v, nil
		}
		active = active || v.Active
	}
	if err := blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
		return atelier.ModelVersion{}, fmt.Errorf("store %s model: %w", kind, err)
	}
	cfg, _ := json.Marshal(map[string]string{"source": "demo checkpoint"})
	return store.CreateModelVersion(ctx, atelier.ModelVersion{
		Kind: kind, BlobKey: key, Metrics: metrics, Config: cfg, Active: !active,
	})
}

// recommenderMetrics reads the validation metrics recorded in a recommender
// checkpoint, for the model version's record.
func recommenderMetrics(r io.Reader) (map[string]float64, error) {
	m, err := recommender.ReadModel(r)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return map[string]float64{
		"val_auc":           m.Info.ValAUC,
		"category_accuracy": m.Info.CategoryAcc,
		"epochs":            float64(m.Info.Epochs),
	}, nil
}
