// Package config reads the service's settings from environment variables,
// fills in embedded defaults (a SQLite file and a local blob folder under the
// data directory, so the service runs on a machine with no servers) and
// validates them, naming the variable at fault.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/atelier-app/atelier/internal/ratelimit"
)

// Config is the effective configuration of a process.
type Config struct {
	Addr            string        // ATELIER_ADDR: listen address of the HTTP server
	DataDir         string        // ATELIER_DATA_DIR: home of the embedded defaults
	DatabaseURL     string        // ATELIER_DATABASE_URL: sqlite://PATH or postgres://...
	BlobURL         string        // ATELIER_BLOB_URL: file://PATH or s3:// / minio:// URL
	AdminKey        string        // ATELIER_ADMIN_KEY: operator API key (secret)
	WatermarkKey    string        // ATELIER_WATERMARK_KEY: key of the invisible watermark (secret)
	LogLevel        slog.Level    // ATELIER_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // ATELIER_LOG_FORMAT: json or text
	Workers         int           // ATELIER_WORKERS: jobs of each kind a process runs at once (serve: 0 runs none)
	JobRescueAfter  time.Duration // ATELIER_JOB_RESCUE_AFTER: a running job silent this long is taken over
	JobMaxAttempts  int           // ATELIER_JOB_MAX_ATTEMPTS: attempts of a job before it fails
	JobRetryBackoff time.Duration // ATELIER_JOB_RETRY_BACKOFF: wait before the first retry (doubles)
	ShutdownTimeout time.Duration // ATELIER_SHUTDOWN_TIMEOUT: grace period on SIGTERM
	MaxUploadBytes  int64         // ATELIER_MAX_UPLOAD_BYTES: largest accepted image upload
	MaxUploadPixels int           // ATELIER_MAX_UPLOAD_PIXELS: largest accepted width×height
	ImageURLTTL     time.Duration // ATELIER_IMAGE_URL_TTL: how long image URLs in API responses work
	// ATELIER_REPORT_REDESIGN_MAX: most redesigns one request from a report may queue
	ReportRedesignMax int
	// ATELIER_PROBE_POOL: generated probes per pool for the choice flow (0: none);
	// 300 served the flow best (docs/choice-probes.md)
	ProbePool int
	// ATELIER_PROBE_SHARE: share of a round's options that are probes when a pool is ready
	ProbeShare float64

	// Limits against abuse and slow clients (docs/limits.md).
	RateAnon          ratelimit.Rate // ATELIER_RATE_ANON: requests/s:burst per client address without an API key (0: none)
	RateSeller        ratelimit.Rate // ATELIER_RATE_SELLER: requests/s:burst per seller with an API key (0: none)
	TrustedProxies    []string       // ATELIER_TRUSTED_PROXIES: proxies (IPs, CIDRs) whose X-Forwarded-For is believed
	SessionsPerClient int            // ATELIER_SESSIONS_PER_CLIENT: choice sessions one client address holds at once (0: no cap)
	SessionTTL        time.Duration  // ATELIER_SESSION_TTL: choice sessions idle this long expire
	MaxJSONBytes      int64          // ATELIER_MAX_JSON_BYTES: largest JSON request body
	ReadHeaderTimeout time.Duration  // ATELIER_READ_HEADER_TIMEOUT: to read a request's headers
	ReadTimeout       time.Duration  // ATELIER_READ_TIMEOUT: to read a whole request (uploads: UploadTimeout)
	WriteTimeout      time.Duration  // ATELIER_WRITE_TIMEOUT: from a request's headers to the end of its response
	IdleTimeout       time.Duration  // ATELIER_IDLE_TIMEOUT: a kept-alive connection waits this long for the next request
	RequestTimeout    time.Duration  // ATELIER_REQUEST_TIMEOUT: deadline of a request's database and blob calls
	UploadTimeout     time.Duration  // ATELIER_UPLOAD_TIMEOUT: read, write and request deadline of an upload
}

// MaxImageURLTTL is the longest image URL lifetime: S3 presigned URLs
// work for at most a week.
const MaxImageURLTTL = 7 * 24 * time.Hour

// Error names the variable whose value is wrong.
type Error struct {
	Var, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Reason)
}

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests) and validates it.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Addr:      get("ATELIER_ADDR", "127.0.0.1:8080"),
		DataDir:   get("ATELIER_DATA_DIR", "atelier-data"),
		AdminKey:  getenv("ATELIER_ADMIN_KEY"),
		LogFormat: get("ATELIER_LOG_FORMAT", "json"),
	}
	c.WatermarkKey = get("ATELIER_WATERMARK_KEY", "atelier-demo-watermark-key")
	c.DatabaseURL = get("ATELIER_DATABASE_URL", "sqlite://"+filepath.Join(c.DataDir, "atelier.db"))
	c.BlobURL = get("ATELIER_BLOB_URL", "file://"+filepath.Join(c.DataDir, "blobs"))

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, &Error{"ATELIER_ADDR", c.Addr, "want host:port, e.g. 127.0.0.1:8080"}
	}
	if err := checkURL("ATELIER_DATABASE_URL", c.DatabaseURL, "sqlite", "postgres", "postgresql"); err != nil {
		return c, err
	}
	if err := checkURL("ATELIER_BLOB_URL", c.BlobURL, "file", "s3", "minio"); err != nil {
		return c, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("ATELIER_LOG_LEVEL", "info"))); err != nil {
		return c, &Error{"ATELIER_LOG_LEVEL", getenv("ATELIER_LOG_LEVEL"), "want debug, info, warn or error"}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, &Error{"ATELIER_LOG_FORMAT", c.LogFormat, "want json or text"}
	}
	var err error
	if c.Workers, err = intVar(get, "ATELIER_WORKERS", "1", 0, 64); err != nil {
		return c, err
	}
	if c.MaxUploadPixels, err = intVar(get, "ATELIER_MAX_UPLOAD_PIXELS", "25000000", 64*64, 1<<30); err != nil {
		return c, err
	}
	maxBytes, err := intVar(get, "ATELIER_MAX_UPLOAD_BYTES", "20971520", 1024, 1<<30)
	if err != nil {
		return c, err
	}
	c.MaxUploadBytes = int64(maxBytes)
	if c.ReportRedesignMax, err = intVar(get, "ATELIER_REPORT_REDESIGN_MAX", "20", 1, 1000); err != nil {
		return c, err
	}
	if c.ProbePool, err = intVar(get, "ATELIER_PROBE_POOL", "300", 0, 100_000); err != nil {
		return c, err
	}
	share := get("ATELIER_PROBE_SHARE", "1")
	if c.ProbeShare, err = strconv.ParseFloat(share, 64); err != nil || !(c.ProbeShare >= 0 && c.ProbeShare <= 1) {
		return c, &Error{"ATELIER_PROBE_SHARE", share, "want a share between 0 (catalog only) and 1 (probes only)"}
	}
	if c.JobMaxAttempts, err = intVar(get, "ATELIER_JOB_MAX_ATTEMPTS", "3", 1, 100); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = durationVar(get, "ATELIER_SHUTDOWN_TIMEOUT", "10s", time.Millisecond); err != nil {
		return c, err
	}
	// Rescue must leave room for a few heartbeats (every quarter of it).
	if c.JobRescueAfter, err = durationVar(get, "ATELIER_JOB_RESCUE_AFTER", "1m", time.Second); err != nil {
		return c, err
	}
	if c.JobRetryBackoff, err = durationVar(get, "ATELIER_JOB_RETRY_BACKOFF", "10s", time.Millisecond); err != nil {
		return c, err
	}
	if c.ImageURLTTL, err = durationVar(get, "ATELIER_IMAGE_URL_TTL", "15m", time.Second); err != nil {
		return c, err
	}
	if c.ImageURLTTL > MaxImageURLTTL {
		return c, &Error{"ATELIER_IMAGE_URL_TTL", get("ATELIER_IMAGE_URL_TTL", ""), "want at most 168h (presigned URLs work for a week at most)"}
	}
	if err := c.loadLimits(get); err != nil {
		return c, err
	}
	return c, nil
}

// loadLimits reads the limits against abuse and slow clients.
func (c *Config) loadLimits(get func(string, string) string) error {
	var err error
	if c.RateAnon, err = rateVar(get, "ATELIER_RATE_ANON", "10:40"); err != nil {
		return err
	}
	if c.RateSeller, err = rateVar(get, "ATELIER_RATE_SELLER", "20:200"); err != nil {
		return err
	}
	if raw := get("ATELIER_TRUSTED_PROXIES", ""); raw != "" {
		for _, p := range strings.Split(raw, ",") {
			p = strings.TrimSpace(p)
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
				return &Error{"ATELIER_TRUSTED_PROXIES", raw, fmt.Sprintf("%q is not an IP address or CIDR range; want e.g. 10.0.0.0/8,192.168.1.5", p)}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.SessionsPerClient, err = intVar(get, "ATELIER_SESSIONS_PER_CLIENT", "100", 0, 1_000_000); err != nil {
		return err
	}
	if c.SessionTTL, err = durationVar(get, "ATELIER_SESSION_TTL", "24h", time.Second); err != nil {
		return err
	}
	maxJSON, err := intVar(get, "ATELIER_MAX_JSON_BYTES", "1048576", 1024, 64<<20)
	if err != nil {
		return err
	}
	c.MaxJSONBytes = int64(maxJSON)
	for _, d := range []struct {
		dst       *time.Duration
		name, def string
	}{
		{&c.ReadHeaderTimeout, "ATELIER_READ_HEADER_TIMEOUT", "10s"},
		{&c.ReadTimeout, "ATELIER_READ_TIMEOUT", "30s"},
		{&c.WriteTimeout, "ATELIER_WRITE_TIMEOUT", "60s"},
		{&c.IdleTimeout, "ATELIER_IDLE_TIMEOUT", "60s"},
		{&c.RequestTimeout, "ATELIER_REQUEST_TIMEOUT", "30s"},
		{&c.UploadTimeout, "ATELIER_UPLOAD_TIMEOUT", "5m"},
	} {
		if *d.dst, err = durationVar(get, d.name, d.def, 10*time.Millisecond); err != nil {
			return err
		}
	}
	switch {
	case c.ReadHeaderTimeout > c.ReadTimeout:
		return &Error{"ATELIER_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout.String(), "want at most ATELIER_READ_TIMEOUT (" + c.ReadTimeout.String() + "): the headers are part of the request"}
	case c.WriteTimeout <= c.RequestTimeout:
		return &Error{"ATELIER_WRITE_TIMEOUT", c.WriteTimeout.String(), "want more than ATELIER_REQUEST_TIMEOUT (" + c.RequestTimeout.String() + "), or a request that uses its deadline could not be answered"}
	case c.UploadTimeout < c.RequestTimeout:
		return &Error{"ATELIER_UPLOAD_TIMEOUT", c.UploadTimeout.String(), "want at least ATELIER_REQUEST_TIMEOUT (" + c.RequestTimeout.String() + ")"}
	}
	return nil
}

func rateVar(get func(string, string) string, name, def string) (ratelimit.Rate, error) {
	raw := get(name, def)
	r, err := ratelimit.Parse(raw)
	if err != nil {
		return r, &Error{name, raw, err.Error()}
	}
	return r, nil
}

func durationVar(get func(string, string) string, name, def string, least time.Duration) (time.Duration, error) {
	raw := get(name, def)
	d, err := time.ParseDuration(raw)
	if err != nil || d < least {
		return 0, &Error{name, raw, fmt.Sprintf("want a duration of at least %s, e.g. %s", least, def)}
	}
	return d, nil
}

func intVar(get func(string, string) string, name, def string, lo, hi int) (int, error) {
	raw := get(name, def)
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, &Error{name, raw, fmt.Sprintf("want an integer in [%d, %d]", lo, hi)}
	}
	return n, nil
}

func checkURL(name, raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &Error{name, Mask(raw), "not a URL: " + err.Error()}
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return &Error{name, Mask(raw), "unsupported scheme " + strconv.Quote(u.Scheme) + ", want one of " + strings.Join(schemes, ", ")}
}

// Mask hides the password of a URL (and of key=value DSN parameters such as
// secret_key=...) so that it can be logged.
func Mask(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "password") || strings.Contains(lk, "token") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

func maskKey(k string) string {
	if k == "" {
		return "(unset)"
	}
	return "(set)"
}

// LogValue lets slog log a Config with its secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("data_dir", c.DataDir),
		slog.String("database_url", Mask(c.DatabaseURL)),
		slog.String("blob_url", Mask(c.BlobURL)),
		slog.String("admin_key", maskKey(c.AdminKey)),
		slog.String("watermark_key", maskKey(c.WatermarkKey)),
		slog.String("log_level", c.LogLevel.String()),
		slog.Int("workers", c.Workers),
		slog.Duration("job_rescue_after", c.JobRescueAfter),
		slog.Int("job_max_attempts", c.JobMaxAttempts),
		slog.Duration("job_retry_backoff", c.JobRetryBackoff),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Int64("max_upload_bytes", c.MaxUploadBytes),
		slog.Int("max_upload_pixels", c.MaxUploadPixels),
		slog.Duration("image_url_ttl", c.ImageURLTTL),
		slog.Int("report_redesign_max", c.ReportRedesignMax),
		slog.Int("probe_pool", c.ProbePool),
		slog.Float64("probe_share", c.ProbeShare),
		slog.String("rate_anon", c.RateAnon.String()),
		slog.String("rate_seller", c.RateSeller.String()),
		slog.String("trusted_proxies", strings.Join(c.TrustedProxies, ",")),
		slog.Int("sessions_per_client", c.SessionsPerClient),
		slog.Duration("session_ttl", c.SessionTTL),
		slog.Int64("max_json_bytes", c.MaxJSONBytes),
		slog.Duration("read_header_timeout", c.ReadHeaderTimeout),
		slog.Duration("read_timeout", c.ReadTimeout),
		slog.Duration("write_timeout", c.WriteTimeout),
		slog.Duration("idle_timeout", c.IdleTimeout),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Duration("upload_timeout", c.UploadTimeout),
	)
}
