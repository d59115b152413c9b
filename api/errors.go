package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

// statusOf maps an error kind to its HTTP status. It is the only place that
// does so.
func statusOf(kind atelier.Kind) int {
	switch kind {
	case atelier.KindInvalid:
		return http.StatusBadRequest
	case atelier.KindNotFound:
		return http.StatusNotFound
	case atelier.KindConflict:
		return http.StatusConflict
	case atelier.KindUnauthorized:
		return http.StatusUnauthorized
	case atelier.KindForbidden:
		return http.StatusForbidden
	case atelier.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case atelier.KindRateLimited:
		return http.StatusTooManyRequests
	case atelier.KindUnavailable:
		return http.StatusServiceUnavailable
	case atelier.KindNoSpace:
		return http.StatusInsufficientStorage
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Kind      string `json:"kind"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError answers the request with err. Internal errors are logged with
// their cause and answered without it.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	if atelier.ErrorKind(err) == atelier.KindInternal && errors.Is(err, context.DeadlineExceeded) && c.Request.Context().Err() != nil {
		// The request ran out of its deadline (Limits.RequestTimeout)
		// in a database or blob call: the service is too slow now.
		err = atelier.Wrap(atelier.KindUnavailable, err, "the request took longer than its deadline; retry later")
	}
	kind := atelier.ErrorKind(err)
	if kind == atelier.KindRateLimited || kind == atelier.KindUnavailable && !atelier.ErrorLasting(err) {
		// A dependency that is down (the database restarting, a
		// deadline passed) is usually back within seconds: tell
		// clients when to retry (1 s unless the error says). Not for
		// what lasts until an operator acts (no model active).
		c.Header("Retry-After", retryAfterSeconds(atelier.ErrorRetryAfter(err)))
	}
	status := statusOf(kind)
	detail := errorDetail{Kind: string(kind), RequestID: requestID(c)}
	var e *atelier.Error
	if errors.As(err, &e) && kind != atelier.KindInternal {
		detail.Field, detail.Message = e.Field, e.Message
	} else {
		detail.Message = atelier.ErrorMessage(err)
	}
	if status >= 500 {
		log.ErrorContext(c.Request.Context(), "request failed",
			"request_id", detail.RequestID, "route", c.FullPath(), "err", err)
	}
	c.AbortWithStatusJSON(status, errorBody{Error: detail})
}
