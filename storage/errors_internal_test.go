package storage

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/atelier-app/atelier"
)

// A database that is down, restarting or unreachable is a 503 for the
// client (retry later), not a 500; other failures keep their kinds.
func TestDBErrKinds(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want atelier.Kind
	}{
		{"connection refused", fmt.Errorf("failed to connect: %w", refused), atelier.KindUnavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), atelier.KindUnavailable},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), atelier.KindUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, atelier.KindUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, atelier.KindUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, atelier.KindUnavailable},
		{"disk full", &pgconn.PgError{Code: "53100"}, atelier.KindNoSpace},
		{"sqlite full", errors.New("database or disk is full (13)"), atelier.KindNoSpace},
		{"unique violation", gorm.ErrDuplicatedKey, atelier.KindConflict},
		{"missing row", gorm.ErrRecordNotFound, atelier.KindNotFound},
		{"syntax error", &pgconn.PgError{Code: "42601"}, atelier.KindInternal},
		{"other", errors.New("boom"), atelier.KindInternal},
	} {
		if got := atelier.ErrorKind(dbErr(tc.err, "item %q", "x")); got != tc.want {
			t.Errorf("%s: kind %s, want %s", tc.name, got, tc.want)
		}
	}
}
