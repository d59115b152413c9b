// Package atelier holds the domain vocabulary shared by every layer of the
// service: the error type with its kinds, and the domain records that the
// storage layer persists and the API serves. It imports nothing heavy, so the
// compute packages (gan, recommender) may depend on it freely.
package atelier

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. The API maps
// each kind to exactly one HTTP status in one place (api/errors.go).
type Kind string

const (
	KindInvalid      Kind = "invalid"      // the request or input is wrong; fix it and retry
	KindNotFound     Kind = "not_found"    // no such thing, or not yours to see
	KindConflict     Kind = "conflict"     // the state does not allow it now
	KindUnauthorized Kind = "unauthorized" // missing or bad credentials
	KindForbidden    Kind = "forbidden"    // credentials are fine but not enough
	KindTooLarge     Kind = "too_large"    // input exceeds a configured limit
	KindRateLimited  Kind = "rate_limited" // too many requests or sessions; retry after Error.RetryAfter
	KindUnavailable  Kind = "unavailable"  // a dependency is down; retry later
	KindNoSpace      Kind = "no_space"     // the blob store or database is full; retry once space is freed
	KindInternal     Kind = "internal"     // a bug or an unexpected failure
)

// Error is the one error type of the product. Message is safe to show to a
// client; Err (the cause) is for logs only and never leaves the process.
type Error struct {
	Kind    Kind
	Field   string // the input field at fault, when there is one
	Message string
	Err     error
	// RetryAfter says when a KindRateLimited request may succeed (0:
	// unknown); the API sends it as Retry-After.
	RetryAfter time.Duration
	// Lasting marks a KindUnavailable error that lasts until an operator
	// acts (no model is active, the service runs without a part): the API
	// sends no Retry-After, which would invite clients to poll in vain.
	Lasting bool
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		if msg == "" {
			return e.Err.Error()
		}
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a client-safe message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a KindInvalid error naming the input field at fault.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a kind and a client-safe message to a cause.
func Wrap(kind Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorKind returns the kind of the first *Error in err's chain, or
// KindInternal for any other non-nil error.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain (with its field), or a generic text for anything
// else, so internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the input field named by the first *Error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// RateLimitedf returns a KindRateLimited error whose request may be tried
// again after retryAfter.
func RateLimitedf(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Kind: KindRateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// Lastingf returns a KindUnavailable error that retrying will not fix
// until an operator acts (Error.Lasting).
func Lastingf(format string, args ...any) *Error {
	return &Error{Kind: KindUnavailable, Message: fmt.Sprintf(format, args...), Lasting: true}
}

// ErrorLasting reports whether the first *Error in err's chain is Lasting.
func ErrorLasting(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Lasting
}

// ErrorRetryAfter returns the RetryAfter of the first *Error in err's chain.
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
