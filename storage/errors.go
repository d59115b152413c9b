package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// dbErr classifies a database error for the caller: missing rows become
// KindNotFound, unique violations KindConflict, foreign-key violations
// KindConflict (a reference to something missing, or a delete of something
// still referenced), a lost or refused database connection KindUnavailable
// (the caller may retry once the database is back). what names the record in client-safe words, e.g.
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
	case isDiskFull(err):
		return atelier.Wrap(atelier.KindNoSpace, err, "%s: the database is out of disk space", what)
	case isUnavailable(err):
		return unavailable(err, what)
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

// unavailable is the error for a database that cannot be reached: the
// request may succeed when retried, so clients see 503, not 500.
func unavailable(err error, what string) error {
	return atelier.Wrap(atelier.KindUnavailable, err, "%s: the database is unavailable; retry later", what)
}

// isUnavailable recognises a database that is down, restarting or
// unreachable: a refused or lost connection, a server that is shutting
// down or starting up (SQLSTATE class 08, 57P01–57P03), or a connection
// the pool found broken. Such a request may succeed when retried; a bug
// or a constraint failure is not one of them.
func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// isDiskFull recognises a database out of disk space: PostgreSQL's
// disk_full (SQLSTATE 53100), or a write that failed with ENOSPC.
func isDiskFull(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "53100"
	}
	return errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "database or disk is full")
}
