package api

import (
	"os"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

// createImport queues the import of a dataset directory. The request is
// the job's arguments (atelier.ImportArgs), checked here so that a worker
// never gets arguments it refuses. The directory must exist on the server
// now; the job reads it when it runs.
func (s *Server) createImport(c *gin.Context) {
	var req atelier.ImportArgs
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	for field, v := range map[string]string{"dir": req.Dir, "category": req.Category, "kind": req.Kind} {
		if err := checkToken(field, v); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	switch {
	case req.Dir == "":
		writeError(c, s.log, atelier.FieldErrorf("dir", "is required: a dataset directory on the server"))
		return
	case !filepath.IsAbs(req.Dir) || filepath.Clean(req.Dir) != req.Dir:
		writeError(c, s.log, atelier.FieldErrorf("dir", "must be an absolute, clean path, got %q", req.Dir))
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
	fi, err := os.Stat(req.Dir)
	switch {
	case err != nil:
		writeError(c, s.log, atelier.FieldErrorf("dir", "cannot be read on the server: %v", errorText(err)))
		return
	case !fi.IsDir():
		writeError(c, s.log, atelier.FieldErrorf("dir", "is not a directory"))
		return
	}
	s.enqueue(c, atelier.JobImport, req)
}

// errorText is the part of a file system error that names the problem,
// not the path (the client sent the path).
func errorText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
