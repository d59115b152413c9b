package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage/blob"
)

// trainingState is a training job's saved state: a local file the trainer
// writes, copied to the blob store under a key named by the job, so that
// an attempt that follows a dead one resumes from it.
type trainingState struct {
	blobs blob.Store
	key   string // in the blob store
	dir   string // a scratch directory of the attempt, removed by close
	path  string // the local file, in dir
}

func openTrainingState(blobs blob.Store, kind, jobID string) (*trainingState, error) {
	dir, err := os.MkdirTemp("", "atelier-train-"+kind+"-*")
	if err != nil {
		return nil, err
	}
	return &trainingState{blobs: blobs, key: fmt.Sprintf("models/%s/job-%s.training.safetensors", kind, jobID),
		dir: dir, path: filepath.Join(dir, "training.safetensors")}, nil
}

// fetch copies a dead attempt's saved state to path; false when there is
// none.
func (s *trainingState) fetch(ctx context.Context) (bool, error) {
	switch err := fetchToFile(ctx, s.blobs, s.key, s.path); {
	case err == nil:
		return true, nil
	case atelier.ErrorKind(err) == atelier.KindNotFound:
		return false, nil
	default:
		return false, err
	}
}

// store copies the local state to the blob store.
func (s *trainingState) store(ctx context.Context) error { return putFile(ctx, s.blobs, s.key, s.path) }

// drop deletes the stored state once the job has its result: only a
// retry of the job needs it.
func (s *trainingState) drop(ctx context.Context) { _ = s.blobs.Delete(ctx, s.key) }

func (s *trainingState) close() { os.RemoveAll(s.dir) }

// jobModelKey is where a training job stores its model version's file:
// one key per job, so a retried attempt replaces the dead one's file.
func jobModelKey(kind, jobID string) string {
	return fmt.Sprintf("models/%s/job-%s.safetensors", kind, jobID)
}

// putFile stores a local file in the blob store.
func putFile(ctx context.Context, blobs blob.Store, key, path string) error {
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

// fetchToFile copies a blob into a new file at path.
func fetchToFile(ctx context.Context, blobs blob.Store, key, path string) error {
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
