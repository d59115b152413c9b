package api

import (
	"os"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

// importRequest names a dataset directory on the server (CSV files with
// images/, or Amazon review files) and how to read it.
type importRequest struct {
	Path     string `json:"path"`
	Format   string `json:"format"`   // csv, amazon or "" to detect
	Strict   bool   `json:"strict"`   // stop at the first bad row
	Category string `json:"category"` // of items that name none
	Kind     string `json:"kind"`     // of interactions that name none
}

// importArgs are the job's arguments.
type importArgs struct {
	Path     string `json:"path"`
	Format   string `json:"format,omitempty"`
	Strict   bool   `json:"strict,omitempty"`
	Category string `json:"category,omitempty"`
	Kind     string `json:"kind,omitempty"`
}

// createImport queues the import of a dataset directory. The directory
// must exist on the server now; the job reads it when it runs.
func (s *Server) createImport(c *gin.Context) {
	var req importRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	for field, v := range map[string]string{"path": req.Path, "category": req.Category, "kind": req.Kind} {
		if err := checkToken(field, v); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	switch {
	case req.Path == "":
		writeError(c, s.log, atelier.FieldErrorf("path", "is required: a dataset directory on the server"))
		return
	case !filepath.IsAbs(req.Path) || filepath.Clean(req.Path) != req.Path:
		writeError(c, s.log, atelier.FieldErrorf("path", "must be an absolute, clean path, got %q", req.Path))
		return
	case req.Format != "" && req.Format != "csv" && req.Format != "amazon":
		writeError(c, s.log, atelier.FieldErrorf("format", "must be csv, amazon or empty (detect)"))
		return
	case len(req.Category) > atelier.MaxCategoryLen:
		writeError(c, s.log, atelier.FieldErrorf("category", "must be at most %d bytes long", atelier.MaxCategoryLen))
		return
	case len(req.Kind) > atelier.MaxKindLen:
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be at most %d bytes long", atelier.MaxKindLen))
		return
	}
	fi, err := os.Stat(req.Path)
	switch {
	case err != nil:
		writeError(c, s.log, atelier.FieldErrorf("path", "cannot be read on the server: %v", errorText(err)))
		return
	case !fi.IsDir():
		writeError(c, s.log, atelier.FieldErrorf("path", "is not a directory"))
		return
	}
	s.enqueue(c, JobImport, importArgs{Path: req.Path, Format: req.Format, Strict: req.Strict, Category: req.Category, Kind: req.Kind})
}

// errorText is the part of a file system error that names the problem,
// not the path (the client sent the path).
func errorText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
