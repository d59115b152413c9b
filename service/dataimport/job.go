package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/dataimport"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage/jobs"
)

// importHandler runs import jobs with the dataset importer. The importer is
// idempotent, so a retried attempt only adds what the dead one had not.
func importHandler(cfg config.Config, b *backends) jobs.ImportFunc {
	return func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
		var a atelier.ImportArgs // the schema POST /api/v1/imports checks
		dec := json.NewDecoder(strings.NewReader(string(job.Args)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, jobs.Permanent(atelier.Errorf(atelier.KindInvalid, "import arguments: %v", err))
		}
		if a.Dir == "" {
			return nil, jobs.Permanent(atelier.FieldErrorf("dir", "is required"))
		}
		sum, err := dataimport.Import(ctx, report, b.store, b.blobs, a.Dir, dataimport.Options{
			Format:         a.Format,
			Category:       a.Category,
			Kind:           a.Kind,
			Strict:         a.Strict,
			MaxImageBytes:  cfg.MaxUploadBytes,
			MaxImagePixels: cfg.MaxUploadPixels,
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", a.Dir, err)
		}
		return json.Marshal(sum)
	}
}
