// Package blob stores binary objects (uploaded images, generated variants,
// model files, report results) under slash-separated keys, in a local
// directory or in an S3-compatible server such as MinIO. Both backends
// implement Store and accept exactly the same keys (ValidateKey).
package blob

import (
	"context"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
)

// Store is a blob store. Keys are checked by ValidateKey; missing objects
// are atelier.KindNotFound errors, bad keys atelier.KindInvalid.
type Store interface {
	// Put writes an object, replacing any object with that key. With
	// size >= 0 exactly size bytes are read from r (a reader that ends
	// sooner is a KindInvalid error, and nothing is written); with size -1
	// r is read to its end. Readers never see a partly written object.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens an object for reading; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes an object.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes an object.
	Delete(ctx context.Context, key string) error
	// List describes the objects whose keys start with prefix, sorted by
	// key. ContentType is not filled in by List.
	List(ctx context.Context, prefix string) ([]Info, error)
	// URL returns a URL from which a client can GET the object for ttl.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Ping checks that the store is reachable and usable.
	Ping(ctx context.Context) error
}

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
}

// MaxURLTTL is the longest validity of a URL (the S3 limit).
const MaxURLTTL = 7 * 24 * time.Hour

// DefaultContentType is used when Put is given none.
const DefaultContentType = "application/octet-stream"

// Option configures a store opened by Open or NewLocal.
type Option func(*options)

type options struct {
	signingKey []byte
	urlPrefix  string
	now        func() time.Time
}

// WithSigningKey sets the HMAC key that signs the URLs of a local store.
// Without it the store keeps a random key in its directory, shared by every
// process that opens the same directory.
func WithSigningKey(key []byte) Option { return func(o *options) { o.signingKey = key } }

// WithURLPrefix sets the service path under which a local store's Handler
// is mounted (default DefaultURLPrefix).
func WithURLPrefix(prefix string) Option { return func(o *options) { o.urlPrefix = prefix } }

// WithClock sets the clock that URL expiry is computed and checked with.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open opens the store named by rawURL: file://PATH for a local directory,
// s3://ACCESS:SECRET@HOST:PORT/BUCKET?tls=false&region=R or minio://...
// (same form) for an S3-compatible server, whose bucket is created when
// missing. It fails when the store cannot be reached.
func Open(ctx context.Context, rawURL string, opts ...Option) (Store, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, atelier.Errorf(atelier.KindInvalid, "blob URL must look like file://PATH or minio://ACCESS:SECRET@HOST:PORT/BUCKET")
	}
	switch scheme {
	case "file":
		path, _, _ := strings.Cut(rest, "?")
		if p, err := url.PathUnescape(path); err == nil {
			path = p
		}
		return NewLocal(path, opts...)
	case "s3", "minio":
		cfg, err := ParseS3URL(rawURL)
		if err != nil {
			return nil, err
		}
		return NewMinIO(ctx, cfg)
	default:
		return nil, atelier.Errorf(atelier.KindInvalid, "unsupported blob URL scheme %q (want file, s3 or minio)", scheme)
	}
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxURLTTL {
		return atelier.Errorf(atelier.KindInvalid, "URL lifetime must be positive and at most %s, got %s", MaxURLTTL, ttl)
	}
	return nil
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// exactReader passes on n bytes of r and turns an early end into a
// KindInvalid error, so an upload fails at once instead of leaving the
// server waiting for bytes that never come.
type exactReader struct {
	r    io.Reader
	left int64
	size int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, shortErr(e.size, e.size-e.left)
	}
	if err == io.EOF {
		err = nil // the next call reports EOF
	}
	return n, err
}

func shortErr(want, got int64) error {
	return atelier.Errorf(atelier.KindInvalid, "blob is shorter than announced: %d bytes, not %d", got, want)
}
