package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func newRouter(t *testing.T) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	Register(r)
	return r
}

// TestPagesAndAssets checks that every page and every asset a page links
// to is served with its content type, and that unknown assets are 404.
func TestPagesAndAssets(t *testing.T) {
	r := newRouter(t)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	tests := []struct {
		path, contentType string
		contains          []string
	}{
		{"/", "text/html", []string{"/ui/consumer.js", "/ui/common.js", "/ui/style.css", "Round"}},
		{"/seller", "text/html", []string{"/ui/seller.js", "/ui/common.js", "/ui/style.css", "API key"}},
		{"/seller/reports", "text/html", []string{"/ui/reports.js", "/ui/common.js", "/ui/style.css", "API key", "Start report"}},
		{"/ui/reports.js", "javascript", []string{"/api/v1/reports", "/redesigns?segment_id=", "createObjectURL", "sessionStorage", "/thumbnail"}},
		{"/ui/style.css", "text/css", []string{"image-rendering: pixelated"}},
		{"/ui/common.js", "javascript", []string{"error.message", "async function api"}},
		{"/ui/consumer.js", "javascript", []string{"/api/v1/choice-sessions", "recommendations?n=12"}},
		{"/ui/seller.js", "javascript", []string{"/api/v1/items", "/api/v1/segments", "/api/v1/redesigns/", "sessionStorage", "AI-generated"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", tt.path, rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, tt.contentType) {
				t.Fatalf("GET %s Content-Type %q, want %s", tt.path, ct, tt.contentType)
			}
			for _, s := range tt.contains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("GET %s lacks %q", tt.path, s)
				}
			}
		})
	}
	for _, path := range []string{"/ui/nope.js", "/ui/../ui.go", "/seller/x"} {
		if rec := get(path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
	if csp := get("/").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("page CSP %q", csp)
	}
}

// TestPagesLoadNothingRemote keeps the pages working on a machine without
// internet: no CDN, no remote fonts or scripts.
func TestPagesLoadNothingRemote(t *testing.T) {
	entries, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s refers to %q", e.Name(), bad)
			}
		}
	}
}
