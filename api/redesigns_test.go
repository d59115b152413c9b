package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
)

// segment stores a k-means segment of the test recommender version.
func (e *env) segment(t testing.TB) atelier.Segment {
	t.Helper()
	sg, err := e.store.CreateSegment(context.Background(), atelier.Segment{Name: "cluster-1", Kind: atelier.SegmentKMeans,
		ModelVersionID: e.recVersion.ID, Description: map[string]any{"summary": "mostly likes dress"}})
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func TestRedesignLifeCycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		path := "/api/v1/items/" + item + "/redesigns"

		// Defaults: 8 variants, ε 0.4, 100 steps, a random seed returned.
		rec, body := e.call(t, "POST", path, e.aliceKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		id := body["id"].(string)
		params := body["params"].(map[string]any)
		if params["n"] != 8.0 || params["epsilon"] != 0.4 || params["steps"] != 100.0 || body["status"] != "queued" {
			t.Fatalf("created %v", body)
		}
		if rec.Header().Get("Location") != "/api/v1/redesigns/"+id {
			t.Fatalf("Location %q", rec.Header().Get("Location"))
		}
		if jobs, _ := e.jobs.List(ctx, atelier.AllScope(), storage.JobFilter{Kind: atelier.JobRedesign}); len(jobs) != 1 || jobs[0].ID != id {
			t.Fatalf("queued jobs %+v", jobs)
		}

		// Explicit values, and an idempotent retry.
		req := map[string]any{"segment_id": sg.ID, "n": 3, "epsilon": 1.5, "steps": 10, "seed": 42}
		r := httptest.NewRequest("POST", path, bytes.NewReader(mustJSON(t, req)))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "retry-1")
		rec, first := e.send(t, r, e.aliceKey)
		want(t, rec, http.StatusAccepted)
		if rec.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("a new job is marked as a replay")
		}
		r = httptest.NewRequest("POST", path, bytes.NewReader(mustJSON(t, req)))
		r.Header.Set("Idempotency-Key", "retry-1")
		rec, again := e.send(t, r, e.aliceKey)
		want(t, rec, http.StatusAccepted)
		if first["id"] != again["id"] || first["params"].(map[string]any)["seed"] != 42.0 {
			t.Fatalf("retry made %v after %v", again["id"], first["id"])
		}
		if rec.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retry is not marked as a replay")
		}

		// A worker runs the first job: progress, then variants. Its handler
		// is a test stand-in for the GAN engine (see variantHandler).
		release := make(chan struct{})
		e.startWorker(t, jobs.Handlers{Redesign: variantHandler(e, id, release)})
		waitFor(t, "the worker to report progress", func() bool {
			rec, body = e.call(t, "GET", "/api/v1/redesigns/"+id, e.aliceKey, nil)
			return body["status"] == "running" && body["progress"].(map[string]any)["stage"] == "shift"
		})
		want(t, rec, 200)
		if p := body["progress"].(map[string]any); body["status"] != "running" || p["stage"] != "shift" || p["step"] != 40.0 || p["total"] != 100.0 {
			t.Fatalf("running job: %v", body)
		}
		if u, ok := body["base"].(map[string]any)["reconstruction_url"]; ok {
			t.Fatalf("a running job shows a reconstruction: %v", u)
		}
		close(release)
		waitFor(t, "the job to finish", func() bool {
			j, err := e.jobs.Get(ctx, id, atelier.AllScope())
			return err == nil && j.Status.Final()
		})
		rec, body = e.call(t, "GET", "/api/v1/redesigns/"+id, e.aliceKey, nil)
		want(t, rec, 200)
		vs := body["variants"].([]any)
		v := vs[0].(map[string]any)
		if body["status"] != "succeeded" || len(vs) != 1 || v["image_url"] == "" || v["ai_generated"] != true ||
			v["scores"].(map[string]any)["preference_lift"] != 0.31 || v["flags"].([]any)[0] != "far_from_base" || v["passed"] != false {
			t.Fatalf("finished job: %v", body)
		}
		if base := body["base"].(map[string]any); base["image_url"] == "" || base["model_image_url"] == "" ||
			!strings.Contains(base["reconstruction_url"].(string), atelier.RedesignImageKey(id, "base")) {
			t.Fatalf("base %v", base)
		}
		if models := body["models"].(map[string]any); models["recommender"] != "" {
			t.Fatalf("no recommender was active, yet the job names %v", models)
		}
		// A finished job cannot be cancelled; a queued one can, once.
		rec, _ = e.call(t, "DELETE", "/api/v1/redesigns/"+id, e.aliceKey, nil)
		want(t, rec, http.StatusConflict)
		other := first["id"].(string)
		rec, body = e.call(t, "DELETE", "/api/v1/redesigns/"+other, e.aliceKey, nil)
		want(t, rec, 200)
		if body["status"] != "cancelled" || body["finished_at"] == nil {
			t.Fatalf("cancelled: %v", body)
		}
		rec, _ = e.call(t, "DELETE", "/api/v1/redesigns/"+other, e.aliceKey, nil)
		want(t, rec, http.StatusConflict)

		rec, body = e.call(t, "GET", "/api/v1/redesigns", e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["redesigns"].([]any)); n != 2 {
			t.Fatalf("alice lists %d redesigns", n)
		}
		rec, body = e.call(t, "GET", "/api/v1/redesigns?status=cancelled", e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["redesigns"].([]any)); n != 1 {
			t.Fatalf("alice lists %d cancelled redesigns", n)
		}
	})
}

// variantHandler is a test handler for redesign jobs, standing in for the
// GAN engine: for job id it reports progress, waits for release, then
// stores one fixed variant image and returns it with fixed scores. Any
// other redesign runs until it is cancelled.
func variantHandler(e *env, id string, release <-chan struct{}) jobs.RedesignFunc {
	return func(ctx context.Context, j atelier.RedesignJob, report progress.Func) (atelier.RedesignResult, error) {
		if j.ID != id {
			<-ctx.Done()
			return atelier.RedesignResult{}, ctx.Err()
		}
		report.Report(progress.Update{Stage: "shift", Step: 40, Total: 100})
		select {
		case <-release:
		case <-ctx.Done():
			return atelier.RedesignResult{}, ctx.Err()
		}
		key := "redesigns/" + j.ID + "/1.png"
		var buf bytes.Buffer
		if err := png.Encode(&buf, solid(palette["pink"], 64, 64)); err != nil {
			return atelier.RedesignResult{}, err
		}
		if err := e.blobs.Put(ctx, key, &buf, int64(buf.Len()), "image/png"); err != nil {
			return atelier.RedesignResult{}, err
		}
		return atelier.RedesignResult{
			Variants: []atelier.Variant{{Rank: 1, ImageKey: key,
				Scores: map[string]float64{"preference_lift": 0.31, "realism": 0.8}, Flags: []string{"far_from_base"}, Passed: false}},
			RecommenderVersionID: j.RecommenderVersionID, GANVersionID: j.GANVersionID,
		}, nil
	}
}

// TestRedesignIdempotencyKey checks that a retried request without a seed
// returns the job queued first (the seed is derived from the key, not
// drawn anew), and that reusing a key for another request is a conflict.
func TestRedesignIdempotencyKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		post := func(key string, body map[string]any) (*httptest.ResponseRecorder, map[string]any) {
			r := httptest.NewRequest("POST", "/api/v1/items/"+item+"/redesigns", bytes.NewReader(mustJSON(t, body)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", key)
			return e.send(t, r, e.aliceKey)
		}
		seed := func(body map[string]any) any { return body["params"].(map[string]any)["seed"] }

		rec, first := post("no-seed", map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		rec, again := post("no-seed", map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		if again["id"] != first["id"] || seed(again) != seed(first) || rec.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry gave %v (seed %v) after %v (seed %v)", again["id"], seed(again), first["id"], seed(first))
		}
		rec, other := post("another-key", map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		if other["id"] == first["id"] || seed(other) == seed(first) {
			t.Fatalf("another key gave job %v with seed %v, like the first", other["id"], seed(other))
		}

		rec, body := post("no-seed", map[string]any{"segment_id": sg.ID, "n": 3})
		want(t, rec, http.StatusConflict)
		if _, kind := errField(body); kind != "conflict" {
			t.Fatalf("reused key: %v", body)
		}
		if jobs, _ := e.jobs.List(context.Background(), atelier.AllScope(), storage.JobFilter{}); len(jobs) != 2 {
			t.Fatalf("%d jobs queued, want 2", len(jobs))
		}
	})
}

func TestRedesignRecordsActiveModels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		gan, err := e.store.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelGAN, BlobKey: "models/gan", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		e.withCatalog(t) // activates the recommender
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		rec, body := e.call(t, "POST", "/api/v1/items/"+item+"/redesigns", e.aliceKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
		if m := body["models"].(map[string]any); m["recommender"] != e.recVersion.ID || m["gan"] != gan.ID {
			t.Fatalf("models used %v", m)
		}
	})
}

// TestRedesignRejections checks each bad request is refused with its
// status and the field named, and queues nothing.
func TestRedesignRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		blank := e.uploadItem(t, e.aliceKey, palette["red"]) // all one colour: no product on a backdrop
		e.withCatalog(t)
		catalogItem := e.catalog["red"].ID
		path := "/api/v1/items/" + item + "/redesigns"
		type tc struct {
			name, path, field string
			body              any
		}
		groups := []struct {
			status int
			cases  []tc
		}{
			{http.StatusBadRequest, []tc{
				{"empty body", path, "", ""},
				{"not JSON", path, "", "segment=1"},
				{"not an object", path, "", `[1,2]`},
				{"trailing data", path, "", fmt.Sprintf(`{"segment_id":%q} {}`, sg.ID)},
				{"no segment", path, "segment_id", map[string]any{"n": 4}},
				{"unknown segment", path, "segment_id", map[string]any{"segment_id": "nope"}},
				{"unknown field", path, "variants", map[string]any{"segment_id": sg.ID, "variants": 4}},
				{"n as a string", path, "n", fmt.Sprintf(`{"segment_id":%q,"n":"8"}`, sg.ID)},
				{"n fractional", path, "n", fmt.Sprintf(`{"segment_id":%q,"n":2.5}`, sg.ID)},
				{"n zero", path, "n", map[string]any{"segment_id": sg.ID, "n": 0}},
				{"n 17", path, "n", map[string]any{"segment_id": sg.ID, "n": 17}},
				{"epsilon zero", path, "epsilon", map[string]any{"segment_id": sg.ID, "epsilon": 0}},
				{"epsilon negative", path, "epsilon", map[string]any{"segment_id": sg.ID, "epsilon": -0.1}},
				{"epsilon 2.5", path, "epsilon", map[string]any{"segment_id": sg.ID, "epsilon": 2.5}},
				{"epsilon as a string", path, "epsilon", fmt.Sprintf(`{"segment_id":%q,"epsilon":"big"}`, sg.ID)},
				{"steps 9", path, "steps", map[string]any{"segment_id": sg.ID, "steps": 9}},
				{"steps 1001", path, "steps", map[string]any{"segment_id": sg.ID, "steps": 1001}},
				{"seed as a float", path, "seed", fmt.Sprintf(`{"segment_id":%q,"seed":1e40}`, sg.ID)},
				{"a photo without a product", "/api/v1/items/" + blank + "/redesigns", "", map[string]any{"segment_id": sg.ID}},
			}},
			{http.StatusForbidden, []tc{
				{"a catalog item", "/api/v1/items/" + catalogItem + "/redesigns", "", map[string]any{"segment_id": sg.ID}},
			}},
			{http.StatusNotFound, []tc{
				{"no such item", "/api/v1/items/nope/redesigns", "", map[string]any{"segment_id": sg.ID}},
			}},
		}
		for _, g := range groups {
			for _, c := range g.cases {
				rec, body := e.call(t, "POST", c.path, e.aliceKey, c.body)
				if rec.Code != g.status {
					t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, g.status, rec.Body.String())
					continue
				}
				if field, _ := errField(body); field != c.field {
					t.Errorf("%s: field %q, want %q (%s)", c.name, field, c.field, rec.Body.String())
				}
			}
		}
		if jobs, _ := e.jobs.List(context.Background(), atelier.AllScope(), storage.JobFilter{}); len(jobs) != 0 {
			t.Fatalf("rejected requests queued %d jobs", len(jobs))
		}
		// Without a job queue the request is refused as unavailable.
		e.srv.jobs = noJobs{}
		rec, _ := e.call(t, "POST", path, e.aliceKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusServiceUnavailable)
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
