package dataimport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Limits bound the images an import job reads.
type Limits struct {
	MaxImageBytes  int64
	MaxImagePixels int
}

// Job runs import jobs with Import: the job's arguments are the schema
// POST /api/v1/imports checks (atelier.ImportArgs). Import is idempotent,
// so a retried attempt only adds what the dead one had not.
func Job(store *storage.Store, blobs blob.Store, limits Limits) func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
	return func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
		var a atelier.ImportArgs
		dec := json.NewDecoder(strings.NewReader(string(job.Args)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, atelier.Errorf(atelier.KindInvalid, "import arguments: %v", err)
		}
		if a.Dir == "" {
			return nil, atelier.FieldErrorf("dir", "is required")
		}
		sum, err := Import(ctx, report, store, blobs, a.Dir, Options{
			Format:         a.Format,
			Category:       a.Category,
			Kind:           a.Kind,
			Strict:         a.Strict,
			MaxImageBytes:  limits.MaxImageBytes,
			MaxImagePixels: limits.MaxImagePixels,
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", a.Dir, err)
		}
		return json.Marshal(sum)
	}
}
