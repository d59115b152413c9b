package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/atelier-app/atelier"
)

// S3Config is what an s3:// or minio:// URL says.
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	Region    string // default DefaultRegion
	TLS       bool   // default true; ?tls=false for plain HTTP
	// Public is the base URL (scheme://host[:port]) that clients reach the
	// server at, when it differs from Endpoint: a service inside a private
	// network talks to minio:9000 while browsers fetch images from
	// https://images.example.com. Presigned URLs are signed for it.
	// Empty: URLs name Endpoint.
	Public string
}

// DefaultRegion is assumed when the URL names none; MinIO accepts it.
const DefaultRegion = "us-east-1"

// connectTimeout bounds the reachability check of NewMinIO.
const connectTimeout = 5 * time.Second

// ParseS3URL reads s3://ACCESS:SECRET@HOST:PORT/BUCKET?tls=false&region=R
// &public=https://HOST (minio:// is the same). Credentials and the public
// URL may be percent-encoded.
func ParseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL does not parse")
	}
	cfg := S3Config{Endpoint: u.Host, Bucket: strings.Trim(u.Path, "/"), Region: DefaultRegion, TLS: true}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		cfg.SecretKey, _ = u.User.Password()
	}
	q := u.Query()
	if r := q.Get("region"); r != "" {
		cfg.Region = r
	}
	if p := q.Get("public"); p != "" {
		pu, err := url.Parse(p)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || strings.Trim(pu.Path, "/") != "" || pu.RawQuery != "" || pu.User != nil {
			return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL: public must be http(s)://HOST[:PORT] with nothing after the host")
		}
		cfg.Public = pu.Scheme + "://" + pu.Host
	}
	switch strings.ToLower(q.Get("tls")) {
	case "", "true", "1":
	case "false", "0":
		cfg.TLS = false
	default:
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL: tls must be true or false")
	}
	switch {
	case cfg.Endpoint == "":
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL has no host (want %s://ACCESS:SECRET@HOST:PORT/BUCKET)", u.Scheme)
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL has no access key and secret (want %s://ACCESS:SECRET@HOST:PORT/BUCKET)", u.Scheme)
	case cfg.Bucket == "":
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL names no bucket (want %s://ACCESS:SECRET@HOST:PORT/BUCKET)", u.Scheme)
	case strings.Contains(cfg.Bucket, "/"):
		return S3Config{}, atelier.Errorf(atelier.KindInvalid, "blob URL: bucket %q must be a single path segment", cfg.Bucket)
	}
	return cfg, nil
}

// NewClient returns a minio-go client for cfg (also used by tests to make
// and remove buckets).
func NewClient(cfg S3Config) (*minio.Client, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.TLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "blob URL: bad endpoint %q", cfg.Endpoint)
	}
	return c, nil
}

// MinIO stores objects in one bucket of an S3-compatible server.
type MinIO struct {
	client *minio.Client
	signer *minio.Client // presigns URLs: client, or one for the public URL
	bucket string
}

var _ Store = (*MinIO)(nil)

// NewMinIO connects to the server, creates the bucket when it is missing
// and fails, within a few seconds, when the server cannot be reached.
func NewMinIO(ctx context.Context, cfg S3Config) (*MinIO, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "blob store could not be reached (%s)", cfg.Endpoint)
	}
	if !ok {
		err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, atelier.Wrap(atelier.KindUnavailable, err, "blob store: could not create bucket %q", cfg.Bucket)
		}
	}
	signer := c
	if cfg.Public != "" {
		// Presigning is computed locally; with the region given, this
		// client never calls its endpoint, which may be unreachable from
		// the service.
		pu, _ := url.Parse(cfg.Public) // checked by ParseS3URL
		pub := cfg
		pub.Endpoint, pub.TLS = pu.Host, pu.Scheme == "https"
		if signer, err = NewClient(pub); err != nil {
			return nil, err
		}
	}
	return &MinIO{client: c, signer: signer, bucket: cfg.Bucket}, nil
}

// unknownSizePart is the part size of uploads of unknown length; without
// it minio-go sizes parts for a 5 TiB object and buffers accordingly.
const unknownSizePart = 16 << 20

// Put implements Store. Objects over 16 MiB are uploaded in parts.
func (m *MinIO) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	opts := minio.PutObjectOptions{ContentType: contentType}
	if size < 0 {
		opts.PartSize = unknownSizePart
	} else {
		r = &exactReader{r: r, left: size, size: size}
	}
	if _, err := m.client.PutObject(ctx, m.bucket, key, ctxReader{ctx, r}, size, opts); err != nil {
		var ae *atelier.Error
		if errors.As(err, &ae) {
			return fmt.Errorf("put blob %q: %w", key, ae)
		}
		return m.err(err, "write", key)
	}
	return nil
}

// Get implements Store.
func (m *MinIO) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	obj, err := m.client.GetObject(ctx, m.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, m.err(err, "read", key)
	}
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, m.err(err, "read", key)
	}
	return obj, toInfo(oi), nil
}

// Stat implements Store.
func (m *MinIO) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	oi, err := m.client.StatObject(ctx, m.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, m.err(err, "stat", key)
	}
	return toInfo(oi), nil
}

// Delete implements Store. S3 deletes of missing keys succeed silently, so
// the object is looked up first to report KindNotFound like the local
// store does.
func (m *MinIO) Delete(ctx context.Context, key string) error {
	if _, err := m.Stat(ctx, key); err != nil {
		return err
	}
	if err := m.client.RemoveObject(ctx, m.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return m.err(err, "delete", key)
	}
	return nil
}

// List implements Store.
func (m *MinIO) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if we return early
	var out []Info
	for oi := range m.client.ListObjects(ctx, m.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, m.err(oi.Err, "list", prefix)
		}
		out = append(out, Info{Key: oi.Key, Size: oi.Size, ModTime: oi.LastModified.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// URL implements Store: a presigned GET URL of the server, at its public
// URL when one is configured.
func (m *MinIO) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	u, err := m.signer.PresignedGetObject(ctx, m.bucket, key, ttl, nil)
	if err != nil {
		return "", m.err(err, "sign URL of", key)
	}
	return u.String(), nil
}

// Ping implements Store: the bucket must exist.
func (m *MinIO) Ping(ctx context.Context) error {
	ok, err := m.client.BucketExists(ctx, m.bucket)
	if err != nil {
		return atelier.Wrap(atelier.KindUnavailable, err, "blob store is unavailable")
	}
	if !ok {
		return atelier.Errorf(atelier.KindUnavailable, "blob store: bucket %q is gone", m.bucket)
	}
	return nil
}

func toInfo(oi minio.ObjectInfo) Info {
	return Info{Key: oi.Key, Size: oi.Size, ContentType: oi.ContentType, ModTime: oi.LastModified.UTC()}
}

// err classifies a server error: missing objects are KindNotFound, network
// trouble KindUnavailable.
func (m *MinIO) err(err error, op, key string) error {
	var netErr net.Error
	switch code := minio.ToErrorResponse(err).Code; {
	case code == "NoSuchKey":
		return atelier.Wrap(atelier.KindNotFound, err, "blob %q not found", key)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s blob %q: %w", op, key, err)
	case code == "NoSuchBucket", errors.As(err, &netErr):
		return atelier.Wrap(atelier.KindUnavailable, err, "blob store is unavailable")
	}
	return fmt.Errorf("%s blob %q: %w", op, key, err)
}
