package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// maxJSONBody bounds JSON request bodies where nothing tighter does: the
// routes' own limit (Limits.MaxJSONBytes, requestLimits) is smaller.
const maxJSONBody = 64 << 20

// decodeJSON reads the request body into dst, strictly: the content type,
// if given, is JSON; unknown fields, wrong types and trailing data are
// refused with the field named. An empty body is accepted (dst keeps its
// zero value) only when optional.
func decodeJSON(c *gin.Context, dst any, optional bool) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return atelier.Errorf(atelier.KindInvalid, "the request body must be JSON (Content-Type: application/json), not %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err != nil {
		return bodyReadError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return atelier.Errorf(atelier.KindInvalid, "the request body is empty; send a JSON object")
	}
	if err := checkJSONDepth(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return atelier.Errorf(atelier.KindInvalid, "the request body has data after the JSON object")
	}
	return nil
}

// bodyReadError classifies a failure to read a request body.
func bodyReadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return atelier.Errorf(atelier.KindTooLarge, "the request body is larger than the limit of %d bytes", tooBig.Limit)
	}
	return atelier.Wrap(atelier.KindInvalid, err, "the request body could not be read")
}

// jsonError turns a decoding error into a client error naming the field.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return atelier.Errorf(atelier.KindInvalid, "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return atelier.Errorf(atelier.KindInvalid, "the request body must be a JSON object, not %s", typ.Value)
		}
		return atelier.FieldErrorf(field, "must be %s, not %s", jsonTypeName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return atelier.Errorf(atelier.KindInvalid, "the request body is truncated JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return atelier.FieldErrorf(strings.Trim(name, `"`), "unknown field")
	}
	return atelier.Wrap(atelier.KindInvalid, err, "the request body does not decode")
}

// jsonTypeName says a Go kind in JSON words.
func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "map", kind == "struct":
		return "an object"
	case kind == "slice", kind == "array":
		return "an array"
	}
	return "of another type"
}

// queryInt reads an integer query parameter in [lo, hi], def when absent.
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, atelier.FieldErrorf(name, "must be an integer between %d and %d, got %q", lo, hi, raw)
	}
	return n, nil
}

// maxPage is the most records one list response holds.
const maxPage = 200

// pageOf reads ?limit= (1..200, default 50) and ?after= (the last id of
// the previous page).
func pageOf(c *gin.Context) (storage.Page, error) {
	limit, err := queryInt(c, "limit", 50, 1, maxPage)
	if err != nil {
		return storage.Page{}, err
	}
	after := c.Query("after")
	if len(after) > 100 {
		return storage.Page{}, atelier.FieldErrorf("after", "is not an id")
	}
	return storage.Page{After: after, Limit: limit}, nil
}

// nextAfter is the cursor of the page after rows: the id of its last row,
// or "" when the page was not full (there is no next page).
func nextAfter[T any](rows []T, limit int, id func(T) string) string {
	if len(rows) == 0 || len(rows) < limit {
		return ""
	}
	return id(rows[len(rows)-1])
}

// jobListQuery reads the page (newest first) and the optional ?status=
// filter of a list of jobs.
func jobListQuery(c *gin.Context) (storage.Page, atelier.JobStatus, error) {
	page, err := pageOf(c)
	if err != nil {
		return page, "", err
	}
	page.Desc = true
	status := atelier.JobStatus(c.Query("status"))
	if status != "" && !status.Valid() {
		return page, "", atelier.FieldErrorf("status", "must be queued, running, succeeded, failed or cancelled")
	}
	return page, status, nil
}

// idempotencyKey reads the Idempotency-Key header: a retried request with
// the same key does not queue a second job.
func idempotencyKey(c *gin.Context) (string, error) {
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 200 || strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		return "", atelier.FieldErrorf("Idempotency-Key", "must be at most 200 printable ASCII characters")
	}
	return key, nil
}

// imageURL returns a URL the client can GET the blob at for the server's
// URL lifetime (presigned for MinIO, signed and served under /blobs/ for
// a local store).
func (s *Server) imageURL(ctx context.Context, key string) (string, error) {
	u, err := s.blobs.URL(ctx, key, s.urlTTL)
	if err != nil {
		return "", fmt.Errorf("URL of blob %s: %w", key, err)
	}
	return u, nil
}

// timeOrNil leaves unset times out of JSON.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// created answers 201 with body and the new resource's location.
func created(c *gin.Context, location string, body any) {
	c.Header("Location", location)
	c.JSON(http.StatusCreated, body)
}

// maxParamLen bounds path and query values: ids are 36 bytes, external
// ids at most 200.
const maxParamLen = 1000

// checkParams refuses path and query values that no record can match
// (invalid UTF-8, control characters such as NUL, absurd lengths) before
// they reach a database, which would refuse them with an error of its
// own.
func (s *Server) checkParams(c *gin.Context) {
	for _, p := range c.Params {
		if err := checkToken(p.Key, p.Value); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	for key, values := range c.Request.URL.Query() {
		if err := checkToken("query parameter", key); err != nil {
			writeError(c, s.log, err)
			return
		}
		for _, v := range values {
			if err := checkToken(key, v); err != nil {
				writeError(c, s.log, err)
				return
			}
		}
	}
	c.Next()
}

// checkToken checks an id or name from a client: UTF-8 without control
// characters, at most maxParamLen bytes.
func checkToken(field, v string) error {
	switch {
	case len(v) > maxParamLen:
		return atelier.FieldErrorf(field, "is longer than %d bytes", maxParamLen)
	case !utf8.ValidString(v):
		return atelier.FieldErrorf(field, "is not valid UTF-8")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return atelier.FieldErrorf(field, "contains control characters")
	}
	return nil
}
