package api

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestOpenAPIMatchesRoutes walks the router and the OpenAPI document and
// fails on any route or operation that one has and the other lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, storagetest.OpenStore(t, storagetest.SQLiteURL(t)), storagetest.OpenBlob(t, storagetest.LocalBlobURL(t)))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`\{([^}/]+)\}`)
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				documented = append(documented, strings.ToUpper(method)+" "+param.ReplaceAllString(path, ":$1"))
			}
		}
	}
	var routed []string
	for _, r := range e.srv.router.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1") {
			routed = append(routed, r.Method+" "+r.Path)
		}
	}
	slices.Sort(documented)
	slices.Sort(routed)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("openapi.json documents %s, which the router does not have", d)
		}
	}
	if len(routed) < 20 {
		t.Fatalf("only %d routes: %v", len(routed), routed)
	}

	// The document is served as it is embedded.
	rec, body := e.call(t, "GET", "/api/v1/openapi.json", "", nil)
	want(t, rec, 200)
	if body["openapi"] != doc.OpenAPI {
		t.Fatalf("served document: %v", body["openapi"])
	}
}
