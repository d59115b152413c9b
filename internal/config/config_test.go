package config

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier/internal/ratelimit"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsAreEmbedded(t *testing.T) {
	c, err := Load(env(map[string]string{"ATELIER_DATA_DIR": "/tmp/at"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:///tmp/at/atelier.db" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if c.BlobURL != "file:///tmp/at/blobs" {
		t.Errorf("BlobURL = %q", c.BlobURL)
	}
	if c.Workers != 1 || c.ShutdownTimeout.Seconds() != 10 {
		t.Errorf("unexpected defaults %+v", c)
	}
	if c.JobRescueAfter != time.Minute || c.JobMaxAttempts != 3 || c.JobRetryBackoff != 10*time.Second {
		t.Errorf("unexpected job defaults %+v", c)
	}
	if c.ImageURLTTL != 15*time.Minute {
		t.Errorf("image URL lifetime %s, want 15m", c.ImageURLTTL)
	}
	if c.ReportRedesignMax != 20 {
		t.Errorf("report redesign bound %d, want 20", c.ReportRedesignMax)
	}
	if c.RateAnon != (ratelimit.Rate{PerSecond: 10, Burst: 40}) || c.RateSeller != (ratelimit.Rate{PerSecond: 20, Burst: 200}) {
		t.Errorf("rates %v, %v; want 10:40 and 20:200", c.RateAnon, c.RateSeller)
	}
	if c.SessionsPerClient != 100 || c.SessionTTL != 24*time.Hour || c.MaxJSONBytes != 1<<20 || c.TrustedProxies != nil {
		t.Errorf("unexpected session and body defaults %+v", c)
	}
	if c.ReadHeaderTimeout != 10*time.Second || c.ReadTimeout != 30*time.Second || c.WriteTimeout != time.Minute ||
		c.IdleTimeout != time.Minute || c.RequestTimeout != 30*time.Second || c.UploadTimeout != 5*time.Minute {
		t.Errorf("unexpected timeouts %+v", c)
	}
}

func TestLimitsCanBeSet(t *testing.T) {
	c, err := Load(env(map[string]string{
		"ATELIER_RATE_ANON": "0", "ATELIER_RATE_SELLER": "2.5", "ATELIER_SESSIONS_PER_CLIENT": "0",
		"ATELIER_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5", "ATELIER_SESSION_TTL": "1h",
		"ATELIER_READ_TIMEOUT": "5s", "ATELIER_READ_HEADER_TIMEOUT": "2s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.RateAnon.Off() || c.RateSeller != (ratelimit.Rate{PerSecond: 2.5, Burst: 3}) || c.SessionsPerClient != 0 {
		t.Errorf("rates %v, %v, cap %d", c.RateAnon, c.RateSeller, c.SessionsPerClient)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "192.168.1.5" || c.SessionTTL != time.Hour {
		t.Errorf("proxies %q, ttl %s", c.TrustedProxies, c.SessionTTL)
	}
	if c.ReadTimeout != 5*time.Second || c.ReadHeaderTimeout != 2*time.Second {
		t.Errorf("read timeouts %s, %s", c.ReadTimeout, c.ReadHeaderTimeout)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"ATELIER_DATABASE_URL", "mysql://x"},
		{"ATELIER_DATABASE_URL", "::not a url"},
		{"ATELIER_BLOB_URL", "ftp://host/bucket"},
		{"ATELIER_ADDR", "8080"},
		{"ATELIER_LOG_LEVEL", "loud"},
		{"ATELIER_LOG_FORMAT", "xml"},
		{"ATELIER_WORKERS", "-1"},
		{"ATELIER_WORKERS", "many"},
		{"ATELIER_SHUTDOWN_TIMEOUT", "soon"},
		{"ATELIER_MAX_UPLOAD_BYTES", "12"},
		{"ATELIER_SHUTDOWN_TIMEOUT", "-1s"},
		{"ATELIER_JOB_RESCUE_AFTER", "500ms"},
		{"ATELIER_JOB_RESCUE_AFTER", "a while"},
		{"ATELIER_JOB_MAX_ATTEMPTS", "0"},
		{"ATELIER_JOB_RETRY_BACKOFF", "0s"},
		{"ATELIER_IMAGE_URL_TTL", "100ms"},
		{"ATELIER_IMAGE_URL_TTL", "169h"},
		{"ATELIER_REPORT_REDESIGN_MAX", "0"},
		{"ATELIER_RATE_ANON", "fast"},
		{"ATELIER_RATE_ANON", "10:0"},
		{"ATELIER_RATE_ANON", "-1"},
		{"ATELIER_RATE_SELLER", "20:lots"},
		{"ATELIER_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"},
		{"ATELIER_SESSIONS_PER_CLIENT", "-1"},
		{"ATELIER_SESSION_TTL", "forever"},
		{"ATELIER_SESSION_TTL", "10ms"},
		{"ATELIER_MAX_JSON_BYTES", "10"},
		{"ATELIER_READ_TIMEOUT", "0s"},
		{"ATELIER_READ_HEADER_TIMEOUT", "1m"}, // longer than the read timeout
		{"ATELIER_WRITE_TIMEOUT", "20s"},      // not longer than the request timeout
		{"ATELIER_IDLE_TIMEOUT", "idle"},
		{"ATELIER_REQUEST_TIMEOUT", "1ms"},
		{"ATELIER_UPLOAD_TIMEOUT", "10s"}, // shorter than the request timeout
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.name: tt.value}))
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tt.name {
				t.Fatalf("err = %v, want a config error naming %s", err, tt.name)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	c, err := Load(env(map[string]string{
		"ATELIER_DATABASE_URL":  "postgres://atelier:hunter2@db:5432/atelier",
		"ATELIER_BLOB_URL":      "s3://AKIA:topsecret@minio:9000/atelier?tls=false",
		"ATELIER_ADMIN_KEY":     "admin-key-value",
		"ATELIER_WATERMARK_KEY": "wm-key-value",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"hunter2", "topsecret", "admin-key-value", "wm-key-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "db:5432") || !strings.Contains(out, "minio:9000") {
		t.Errorf("log lost the hosts: %s", out)
	}
}
