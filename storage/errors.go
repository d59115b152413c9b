package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// dbErr classifies a database error for the caller: missing rows become
// KindNotFound, unique violations KindConflict, foreign-key violations
// KindConflict (a reference to something missing, or a delete of something
// still referenced). what names the record in client-safe words, e.g.
// `item "0190..."`.
func dbErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	var ae *atelier.Error
	switch {
	case errors.As(err, &ae):
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(err, gorm.ErrRecordNotFound):
		return atelier.Wrap(atelier.KindNotFound, err, "%s not found", what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return atelier.Wrap(atelier.KindConflict, err, "%s already exists", what)
	case isForeignKeyViolation(err):
		return atelier.Wrap(atelier.KindConflict, err, "%s refers to a record that does not exist, or is still in use", what)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// notFound is the error for a record that does not exist or that the
// caller's scope may not see: both look the same, so ids of other sellers'
// records cannot be probed.
func notFound(format string, args ...any) error {
	return atelier.Errorf(atelier.KindNotFound, format+" not found", args...)
}

// isForeignKeyViolation recognises foreign-key failures. GORM translates
// most of them; SQLite reports ON DELETE RESTRICT through a different code
// (SQLITE_CONSTRAINT_TRIGGER) that it leaves alone, so the message decides.
func isForeignKeyViolation(err error) bool {
	return errors.Is(err, gorm.ErrForeignKeyViolated) ||
		strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}
