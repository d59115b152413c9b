package blob

import (
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
)

func TestValidateKey(t *testing.T) {
	for _, key := range []string{
		"a", "items/0190/original.jpg", "models/gan-v1.safetensors", "a/b/c/d_e-f.G",
		strings.Repeat("k", MaxKeyLen),
	} {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
	for _, tc := range []struct{ key, why string }{
		{"", "empty"},
		{"../../etc/passwd", "'..'"},
		{"a/../../b", "'..'"},
		{"..", "'..'"},
		{"/etc/passwd", "relative"},
		{`a\b`, "backslash"},
		{`..\..\x`, "backslash"},
		{"a\x00b", "NUL"},
		{strings.Repeat("k", MaxKeyLen+1), "longer"},
		{"a//b", "empty or '.'"},
		{"a/./b", "empty or '.'"},
		{"a/", "empty or '.'"},
		{".hidden", "start with '.'"},
		{"a/.b.meta", "start with '.'"},
		{"a b", "not allowed"},
		{"a?b", "not allowed"},
		{"é", "not allowed"},
	} {
		err := ValidateKey(tc.key)
		if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ValidateKey(%q) = %v, want a KindInvalid error about %q", tc.key, err, tc.why)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, p := range []string{"", "items/", "items/01", "a"} {
		if err := validatePrefix(p); err != nil {
			t.Errorf("validatePrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"../", "/items", "a\\b", "a//"} {
		if atelier.ErrorKind(validatePrefix(p)) != atelier.KindInvalid {
			t.Errorf("validatePrefix(%q) accepted", p)
		}
	}
}

func TestParseS3URL(t *testing.T) {
	cfg, err := ParseS3URL("minio://ak:s%2Fk@127.0.0.1:9000/bucket?tls=false&region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := S3Config{Endpoint: "127.0.0.1:9000", AccessKey: "ak", SecretKey: "s/k", Bucket: "bucket", Region: "eu-west-1", TLS: false}
	if cfg != want {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
	if cfg, _ := ParseS3URL("s3://a:b@host/bkt"); !cfg.TLS || cfg.Region != DefaultRegion || cfg.Public != "" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg, err := ParseS3URL("minio://a:b@minio:9000/bkt?public=https%3A%2F%2Fimages.example.com%2F"); err != nil || cfg.Public != "https://images.example.com" {
		t.Fatalf("public URL: %+v (%v)", cfg, err)
	}
	for _, raw := range []string{
		"minio://host:9000/bucket",                                    // no credentials
		"minio://a:b@host:9000",                                       // no bucket
		"minio://a:b@host:9000/b/c",                                   // nested bucket
		"minio://a:b@/bucket",                                         // no host
		"minio://a:b@host/bucket?tls=maybe",                           // bad flag
		"minio://a:b@host/bucket?public=images.example.com",           // no scheme
		"minio://a:b@host/bucket?public=ftp://images.example.com",     // not HTTP
		"minio://a:b@host/bucket?public=https://images.example.com/x", // a path
	} {
		if _, err := ParseS3URL(raw); atelier.ErrorKind(err) != atelier.KindInvalid {
			t.Errorf("ParseS3URL(%q) = %v, want KindInvalid", raw, err)
		}
	}
}
