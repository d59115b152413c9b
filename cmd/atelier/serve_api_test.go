package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/atelier-app/atelier/internal/synth"
)

// TestServeImportsThroughTheAPI checks the service end to end: an import
// queued with POST /api/v1/imports is run by the in-process worker with
// the import handler, and arguments the handler would refuse are refused
// by the API (400) before anything is queued.
func TestServeImportsThroughTheAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	world := filepath.Join(t.TempDir(), "world")
	wc := synth.DefaultConfig(5)
	wc.Items, wc.Consumers, wc.Interactions = 12, 6, 3
	if _, err := synth.Write(ctx, world, wc, false, nil); err != nil {
		t.Fatal(err)
	}
	const admin = "atl_serve-test-operator-key-0123"
	base, cmd, logs := startServe(t, "ATELIER_ADMIN_KEY="+admin, "ATELIER_WORKERS=1")
	resp := waitHTTP(t, base+"/readyz", 30*time.Second)
	resp.Body.Close()

	call := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var r io.Reader = http.NoBody
		if body != nil {
			data, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			r = bytes.NewReader(data)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp.StatusCode, out
	}

	for _, bad := range []map[string]any{
		{"dir": world, "colour": "red"}, // the handler refuses unknown arguments
		{"path": world},                 // the argument is dir
		{"dir": "world"},                // not absolute
	} {
		if code, body := call("POST", "/api/v1/imports", bad); code != http.StatusBadRequest {
			t.Fatalf("import %v: %d %v", bad, code, body)
		}
	}
	code, job := call("POST", "/api/v1/imports", map[string]any{"dir": world, "format": "csv"})
	if code != http.StatusAccepted {
		t.Fatalf("import: %d %v\n%s", code, job, logs)
	}
	id := job["id"].(string)
	for {
		code, page := call("GET", "/api/v1/jobs?kind=import", nil)
		if code != http.StatusOK {
			t.Fatalf("jobs: %d %v", code, page)
		}
		jobs := page["jobs"].([]any)
		if len(jobs) != 1 || jobs[0].(map[string]any)["id"] != id {
			t.Fatalf("import jobs %v, want only %s", jobs, id)
		}
		j := jobs[0].(map[string]any)
		if j["status"] == "succeeded" {
			res := j["result"].(map[string]any)
			items := 0.0
			for _, f := range res["files"].([]any) {
				if f := f.(map[string]any); f["table"] == "items" {
					items += f["new"].(float64)
				}
			}
			if res["dir"] != world || res["format"] != "csv" || items != float64(wc.Items) {
				t.Fatalf("import result %v, want %d new items", res, wc.Items)
			}
			break
		}
		if j["status"] == "failed" || j["status"] == "cancelled" {
			t.Fatalf("import job %v\n%s", j, logs)
		}
		if ctx.Err() != nil {
			t.Fatalf("import job still %s\n%s", j["status"], logs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v\n%s", err, logs)
	}
}
