package atelier

// The module is layered, and this test keeps it that way:
//
//	cmd/...                  wires everything together; nothing imports it
//	api/..., ui/...          HTTP front ends (gin lives here and in cmd)
//	service/...              use cases; no HTTP framework, no front ends
//	storage/...              persistence (gorm, pgx, minio, river)
//	gan/..., recommender/... pure compute: no persistence, no HTTP, no I/O stack
//	internal/...             leaves: small helpers every layer may use
//
// Each layer may depend only on the layers below it (and on the root package,
// which holds the shared domain vocabulary). Keeping the compute packages free
// of database and web dependencies lets them be trained, benchmarked and
// tested on their own; keeping the leaves at the bottom prevents cycles. The
// rules are data, written against path prefixes rather than today's package
// list, so packages can move without the test having to change.
//
// "Depend" is transitive (go list's Deps) and covers non-test code only.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const layerMod = "github.com/atelier-app/atelier"

// listedPackage is the part of `go list -json` output the test needs.
type listedPackage struct {
	ImportPath string
	Deps       []string
}

// layerRule forbids packages matching From to depend on packages matching
// Forbidden. A pattern ending in "/..." matches that path and everything
// below it; any other pattern matches exactly.
type layerRule struct {
	From      []string
	Forbidden []string
	Reason    string
}

// Path patterns shared by several rules.
var (
	layerStorage      = []string{layerMod + "/storage/..."}
	layerCompute      = []string{layerMod + "/gan/...", layerMod + "/recommender/..."}
	layerTop          = []string{layerMod + "/api/...", layerMod + "/ui/...", layerMod + "/cmd/..."}
	layerAboveStorage = slices.Concat([]string{layerMod + "/service/..."}, layerTop)
	layerHeavyDeps    = []string{
		"github.com/gin-gonic/...", "gorm.io/...", "github.com/minio/minio-go/...",
		"github.com/riverqueue/...", "github.com/jackc/pgx/...",
	}
)

var layerRules = []layerRule{{
	From:      layerCompute,
	Forbidden: slices.Concat(layerStorage, layerAboveStorage, layerHeavyDeps),
	Reason:    "pure compute must not depend on storage, services, front ends or their libraries",
}, {
	From:      []string{layerMod + "/internal/..."},
	Forbidden: slices.Concat(layerStorage, layerAboveStorage, layerCompute),
	Reason:    "internal packages are leaves and must not depend on other layers",
}, {
	From:      []string{layerMod + "/service/..."},
	Forbidden: slices.Concat([]string{"github.com/gin-gonic/..."}, layerTop),
	Reason:    "services must not depend on the HTTP framework, front ends or cmd",
}, {
	From:      layerStorage,
	Forbidden: slices.Concat(layerAboveStorage, layerCompute),
	Reason:    "storage must not depend on services, front ends, cmd or compute",
}, {
	From:      []string{layerMod + "/api/...", layerMod + "/ui/..."},
	Forbidden: []string{layerMod + "/cmd/..."},
	Reason:    "front ends must not depend on cmd",
}}

func layerMatches(patterns []string, path string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "/..."); ok {
			if path == prefix || strings.HasPrefix(path, prefix+"/") {
				return true
			}
		} else if path == p {
			return true
		}
	}
	return false
}

// layeringViolations returns one line "PKG imports DEP: REASON" per
// forbidden dependency, in the order of pkgs and their Deps.
func layeringViolations(pkgs []listedPackage, rules []layerRule) []string {
	var out []string
	for _, pkg := range pkgs {
		for _, r := range rules {
			if !layerMatches(r.From, pkg.ImportPath) {
				continue
			}
			for _, dep := range pkg.Deps {
				if layerMatches(r.Forbidden, dep) {
					out = append(out, pkg.ImportPath+" imports "+dep+": "+r.Reason)
				}
			}
		}
	}
	return out
}

func TestLayering(t *testing.T) {
	// The test's working directory is the package directory, the module root.
	cmd := exec.Command("go", "list", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -json ./...: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(stdout)); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	// A rule that matches no package is most likely a typo, and would
	// silently check nothing.
	for _, r := range layerRules {
		if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return layerMatches(r.From, p.ImportPath) }) {
			t.Errorf("rule %v matches no package in the module", r.From)
		}
	}
	for _, v := range layeringViolations(pkgs, layerRules) {
		t.Error(v)
	}
}

func TestLayeringCatchesViolations(t *testing.T) {
	clean := []listedPackage{
		{layerMod + "/gan", []string{"fmt", layerMod, layerMod + "/internal/nn", "gorgonia.org/gorgonia"}},
		{layerMod + "/internal/nn", []string{"math", "gorgonia.org/tensor"}},
		{layerMod + "/service/serving", []string{layerMod + "/storage", layerMod + "/recommender", "gorm.io/gorm"}},
		{layerMod + "/storage/blob", []string{layerMod + "/internal/config", "github.com/minio/minio-go/v7"}},
		{layerMod + "/api", []string{layerMod + "/service/serving", "github.com/gin-gonic/gin"}},
		{layerMod + "/cmd/atelier", []string{layerMod + "/api", layerMod + "/ui", layerMod + "/storage"}},
		// Prefix matching is by path element: these are not the forbidden trees.
		{layerMod + "/recommender", []string{layerMod + "/storagex", layerMod + "/apiutil"}},
	}
	if got := layeringViolations(clean, layerRules); len(got) != 0 {
		t.Errorf("clean package list reported violations:\n%s", strings.Join(got, "\n"))
	}

	planted := []listedPackage{
		{layerMod + "/gan", []string{"fmt", "github.com/gin-gonic/gin"}},
		{layerMod + "/recommender/x", []string{"github.com/jackc/pgx/v5/pgconn"}},
		{layerMod + "/internal/nn", []string{layerMod + "/storage"}},
		{layerMod + "/internal/synth", []string{layerMod + "/gan"}},
		{layerMod + "/service/x", []string{"github.com/gin-gonic/gin/render"}},
		{layerMod + "/storage", []string{layerMod + "/gan"}},
		{layerMod + "/storage/jobs", []string{layerMod + "/service/training"}},
		{layerMod + "/ui", []string{layerMod + "/cmd/atelier"}},
	}
	got := layeringViolations(planted, layerRules)
	for _, p := range planted {
		want := p.ImportPath + " imports " + p.Deps[len(p.Deps)-1] + ": "
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, want) }) {
			t.Errorf("planted violation %q... not reported; got:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(planted) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(planted), strings.Join(got, "\n"))
	}
}
