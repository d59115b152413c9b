package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/jobs"
)

// Version returns the model version of kind named by id, or the active
// one when id is "". No active version is a permanent KindUnavailable
// error that says how to get one: retrying a job will not train a model.
func Version(ctx context.Context, store *storage.Store, id, kind string) (atelier.ModelVersion, error) {
	if id != "" {
		mv, err := store.GetModelVersion(ctx, id)
		if err != nil {
			return mv, fmt.Errorf("%s model version %s: %w", kind, id, err)
		}
		return mv, nil
	}
	mv, err := store.ActiveModelVersion(ctx, kind)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return mv, jobs.Permanent(atelier.Lastingf(
			"no %s model version is active: train one (atelier train %s) and activate it", kind, kind))
	}
	if err != nil {
		return mv, fmt.Errorf("active %s model version: %w", kind, err)
	}
	return mv, nil
}

// LoadRecommender reads a recommender model version from the blob store.
func LoadRecommender(ctx context.Context, blobs blob.Store, mv atelier.ModelVersion) (*recommender.Model, error) {
	rc, _, err := blobs.Get(ctx, mv.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("model version %s: %w", mv.ID, err)
	}
	defer rc.Close()
	m, err := recommender.ReadModel(rc)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "model version %s (%s)", mv.ID, mv.BlobKey)
	}
	return m, nil
}

// LoadGAN reads a GAN models file from the blob store. The blob is read
// whole before it is decoded, so that a failed read (a retryable fault of
// the store) is never mistaken for a bad file (a permanent one), and
// nothing is written to disk.
func LoadGAN(ctx context.Context, blobs blob.Store, mv atelier.ModelVersion) (*gan.Models, error) {
	rc, _, err := blobs.Get(ctx, mv.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("gan model version %s: %w", mv.ID, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("gan model version %s: %w", mv.ID, err)
	}
	m, err := gan.ReadModels(bytes.NewReader(data), mv.BlobKey)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "gan model version %s", mv.ID)
	}
	return m, nil
}

// RegisterModel stores a models file in the blob store as a model version
// of kind, under a key named by its content hash, and activates it unless
// a version is already active. Registering the same bytes again returns
// the existing version, so every start of the demo may call it.
func RegisterModel(ctx context.Context, store *storage.Store, blobs blob.Store, kind string, data []byte, metrics map[string]float64) (atelier.ModelVersion, error) {
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
	cfg, err := json.Marshal(map[string]string{"source": "registered models file"})
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	return store.CreateModelVersion(ctx, atelier.ModelVersion{
		Kind: kind, BlobKey: key, Metrics: metrics, Config: cfg, Active: !active,
	})
}

// RecommenderMetrics reads the validation metrics recorded in a
// recommender models file, for its model version's record.
func RecommenderMetrics(r io.Reader) (map[string]float64, error) {
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

// PutFile stores a local file in the blob store.
func PutFile(ctx context.Context, blobs blob.Store, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return blobs.Put(ctx, key, f, st.Size(), "application/octet-stream")
}

// FetchToFile copies a blob into a new file at path.
func FetchToFile(ctx context.Context, blobs blob.Store, key, path string) error {
	rc, _, err := blobs.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
