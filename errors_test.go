package atelier

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorKindAndMessage(t *testing.T) {
	base := FieldErrorf("n", "must be between 1 and 16, got %d", 40)
	wrapped := fmt.Errorf("create redesign: %w", base)
	if got := ErrorKind(wrapped); got != KindInvalid {
		t.Fatalf("kind = %q, want %q", got, KindInvalid)
	}
	if got := ErrorMessage(wrapped); got != "n: must be between 1 and 16, got 40" {
		t.Fatalf("message = %q", got)
	}
	if got := ErrorField(wrapped); got != "n" {
		t.Fatalf("field = %q", got)
	}

	secret := errors.New("dial tcp 10.0.0.3:5432: password authentication failed")
	if got := ErrorKind(secret); got != KindInternal {
		t.Fatalf("kind of plain error = %q", got)
	}
	if got := ErrorMessage(Wrap(KindInternal, secret, "load item")); got != "internal error" {
		t.Fatalf("internal message leaked: %q", got)
	}
	if got := ErrorMessage(secret); got != "internal error" {
		t.Fatalf("plain error leaked: %q", got)
	}
	if ErrorKind(nil) != "" {
		t.Fatal("nil error has a kind")
	}
	if !errors.Is(Wrap(KindUnavailable, secret, "db"), secret) {
		t.Fatal("Wrap does not unwrap to its cause")
	}
}

func TestRateLimitedCarriesRetryAfter(t *testing.T) {
	err := fmt.Errorf("start session: %w", RateLimitedf(90*time.Second, "too many sessions"))
	if ErrorKind(err) != KindRateLimited || ErrorRetryAfter(err) != 90*time.Second || ErrorMessage(err) != "too many sessions" {
		t.Fatalf("kind %q, retry after %s, message %q", ErrorKind(err), ErrorRetryAfter(err), ErrorMessage(err))
	}
	if ErrorRetryAfter(errors.New("plain")) != 0 {
		t.Fatal("a plain error has a retry time")
	}
}
