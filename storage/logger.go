package storage

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// newLogger adapts GORM's query log to slog: slow queries and failures at
// warn level, except the failures the store turns into client errors
// (missing rows, unique and foreign-key violations) and cancellations,
// which are not the database's fault and would drown real problems.
func newLogger(log *slog.Logger) gormlogger.Interface {
	return quietLogger{gormlogger.NewSlogLogger(log, gormlogger.Config{
		SlowThreshold:             time.Second,
		LogLevel:                  gormlogger.Warn,
		IgnoreRecordNotFoundError: true,
	})}
}

type quietLogger struct{ gormlogger.Interface }

func (l quietLogger) LogMode(level gormlogger.LogLevel) gormlogger.Interface {
	return quietLogger{l.Interface.LogMode(level)}
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err != nil && (errors.Is(err, gorm.ErrDuplicatedKey) || isForeignKeyViolation(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		err = nil // still traced as slow if it was
	}
	l.Interface.Trace(ctx, begin, fc, err)
}
