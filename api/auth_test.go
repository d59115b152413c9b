package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSellerIsolation checks that a seller sees and touches only its own
// items and redesigns: another seller's ids answer 404, and lists leave
// them out.
func TestSellerIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		rec, body := e.call(t, "POST", "/api/v1/items/"+item+"/redesigns", e.aliceKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		redesign := body["id"].(string)

		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/items/" + item},
			{"GET", "/api/v1/redesigns/" + redesign},
			{"DELETE", "/api/v1/redesigns/" + redesign},
		} {
			rec, body := e.call(t, c.method, c.path, e.bobKey, nil)
			if _, kind := errField(body); rec.Code != http.StatusNotFound || kind != "not_found" {
				t.Errorf("bob %s %s: %d %s", c.method, c.path, rec.Code, rec.Body.String())
			}
		}
		rec, _ = e.call(t, "POST", "/api/v1/items/"+item+"/redesigns", e.bobKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusNotFound)
		for _, path := range []string{"/api/v1/items", "/api/v1/redesigns", "/api/v1/items?owner_id=" + e.alice.ID} {
			rec, body := e.call(t, "GET", path, e.bobKey, nil)
			want(t, rec, 200)
			for _, list := range body {
				if l, ok := list.([]any); ok && len(l) != 0 {
					t.Errorf("bob lists %s: %v", path, l)
				}
			}
		}
		// Bob's attempt to cancel left Alice's job alone.
		rec, body = e.call(t, "GET", "/api/v1/redesigns/"+redesign, e.aliceKey, nil)
		want(t, rec, 200)
		if body["status"] != "queued" {
			t.Fatalf("alice's job is %v after bob's DELETE", body["status"])
		}
		// An anonymous caller sees the catalog only.
		rec, _ = e.call(t, "GET", "/api/v1/items/"+item+"/similar", "", nil)
		want(t, rec, http.StatusNotFound)
		// The operator sees everything.
		rec, _ = e.call(t, "GET", "/api/v1/items/"+item, e.adminKey, nil)
		want(t, rec, 200)
		rec, _ = e.call(t, "GET", "/api/v1/redesigns/"+redesign, e.adminKey, nil)
		want(t, rec, 200)
	})
}

// TestAuthentication groups requests by the status authentication gives.
func TestAuthentication(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type tc struct{ method, path, key, header string }
		groups := []struct {
			status int
			cases  []tc
		}{
			{http.StatusUnauthorized, []tc{
				{"GET", "/api/v1/items", "", ""},
				{"GET", "/api/v1/items", "", "Basic YWxpY2U6c2VjcmV0"},
				{"GET", "/api/v1/items", "", "Bearer "},
				{"GET", "/api/v1/items", "", "Bearer atl_unknown-key-000000000000"},
				{"GET", "/api/v1/models", "", ""},
				// A wrong key is refused even where no key is needed.
				{"POST", "/api/v1/choice-sessions", "", "Bearer wrong"},
			}},
			{http.StatusForbidden, []tc{
				{"GET", "/api/v1/models", e.aliceKey, ""},
				{"GET", "/api/v1/jobs", e.aliceKey, ""},
				{"POST", "/api/v1/sellers", e.aliceKey, ""},
				{"POST", "/api/v1/imports", e.bobKey, ""},
				{"POST", "/api/v1/segments", e.bobKey, ""},
				{"POST", "/api/v1/models/train", e.bobKey, ""},
				{"POST", "/api/v1/models/" + e.recVersion.ID + "/activate", e.bobKey, ""},
			}},
			{http.StatusOK, []tc{
				{"GET", "/api/v1/items", e.aliceKey, ""},
				{"GET", "/api/v1/items", "", "bearer " + e.aliceKey},
				{"GET", "/api/v1/models", e.adminKey, ""},
				{"GET", "/api/v1/segments", e.bobKey, ""},
			}},
		}
		for _, g := range groups {
			for _, c := range g.cases {
				req := httptest.NewRequest(c.method, c.path, nil)
				if c.header != "" {
					req.Header.Set("Authorization", c.header)
				}
				rec, _ := e.send(t, req, c.key)
				if rec.Code != g.status {
					t.Errorf("%s %s (key %t, header %q): %d, want %d (%s)", c.method, c.path, c.key != "", c.header, rec.Code, g.status, rec.Body.String())
				}
			}
		}
	})
}

func TestCreateSeller(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rec, body := e.call(t, "POST", "/api/v1/sellers", e.adminKey, map[string]any{"name": "Carol"})
		want(t, rec, http.StatusCreated)
		key, _ := body["api_key"].(string)
		if key == "" || body["admin"] != false || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("created %v", body)
		}
		rec, _ = e.call(t, "GET", "/api/v1/items", key, nil)
		want(t, rec, 200)
		rec, _ = e.call(t, "GET", "/api/v1/jobs", key, nil)
		want(t, rec, http.StatusForbidden)

		for name, body := range map[string]any{
			"no name":       map[string]any{},
			"blank name":    map[string]any{"name": "  "},
			"unknown field": map[string]any{"name": "Dan", "key": "mine"},
			"admin string":  map[string]any{"name": "Dan", "admin": "yes"},
		} {
			rec, _ := e.call(t, "POST", "/api/v1/sellers", e.adminKey, body)
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
			}
		}
	})
}
