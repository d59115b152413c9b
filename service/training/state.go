package training

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/catalog"
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

func openState(blobs blob.Store, kind, jobID string) (*trainingState, error) {
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
	switch err := catalog.FetchToFile(ctx, s.blobs, s.key, s.path); {
	case err == nil:
		return true, nil
	case atelier.ErrorKind(err) == atelier.KindNotFound:
		return false, nil
	default:
		return false, err
	}
}

// store copies the local state to the blob store.
func (s *trainingState) store(ctx context.Context) error {
	return catalog.PutFile(ctx, s.blobs, s.key, s.path)
}

// drop deletes the stored state once the job has its result: only a
// retry of the job needs it.
func (s *trainingState) drop(ctx context.Context) { _ = s.blobs.Delete(ctx, s.key) }

func (s *trainingState) close() { os.RemoveAll(s.dir) }

// ModelKey is where a training job stores its model version's file:
// one key per job, so a retried attempt replaces the dead one's file.
func ModelKey(kind, jobID string) string {
	return fmt.Sprintf("models/%s/job-%s.safetensors", kind, jobID)
}
