package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// useWAL switches a SQLite database to write-ahead logging, which lets
// readers work while one writer writes. The file remembers the mode, so
// this runs once per Open rather than as a pragma on every new connection:
// when several processes open a new file at once, their connections each
// hold a read lock and want the exclusive lock the switch needs, and
// SQLite answers one of them SQLITE_BUSY at once (waiting could deadlock)
// instead of waiting out busy_timeout. So a busy answer is retried here,
// after a short random pause, until ctx ends.
func useWAL(ctx context.Context, db *sql.DB) (mode string, err error) {
	for {
		err = db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil || !isSQLiteBusy(err) {
			return mode, err
		}
		pause := time.Duration(5+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (still busy when %v)", err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// isSQLiteBusy reports whether err is SQLite's SQLITE_BUSY, any extended
// variant included (the primary code is the low byte).
func isSQLiteBusy(err error) bool {
	const sqliteBusy = 5
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == sqliteBusy
}
