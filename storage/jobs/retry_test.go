package jobs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	b := backoff{base: time.Second, max: 10 * time.Second}
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{4, 0, 8 * time.Second},
		{5, 0, 10 * time.Second},
		{60, 0, 10 * time.Second},
		{1, 0.5, 950 * time.Millisecond},
		{3, 0.999, 4*time.Second - 399600*time.Microsecond},
	}
	for _, tt := range tests {
		if got := b.delay(tt.attempt, tt.jitter); got != tt.want {
			t.Errorf("delay(%d, %v) = %s, want %s", tt.attempt, tt.jitter, got, tt.want)
		}
	}
}

func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("connection reset"), false},
		{atelier.Errorf(atelier.KindUnavailable, "blob store down"), false},
		{atelier.Errorf(atelier.KindInternal, "bug"), false},
		{Permanent(atelier.Errorf(atelier.KindUnavailable, "not in this build")), true},
		{fmt.Errorf("load: %w", Permanent(errors.New("x"))), true},
		{atelier.FieldErrorf("epochs", "must be positive"), true},
		{fmt.Errorf("item: %w", atelier.Errorf(atelier.KindNotFound, "item gone")), true},
		{atelier.Errorf(atelier.KindConflict, "busy"), false},
	}
	for _, tt := range tests {
		if got := permanent(tt.err); got != tt.want {
			t.Errorf("permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}
