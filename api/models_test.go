package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

func TestModels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		broken, err := e.store.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/broken"})
		if err != nil {
			t.Fatal(err)
		}
		gan, err := e.store.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelGAN, BlobKey: "models/gan"})
		if err != nil {
			t.Fatal(err)
		}
		e.withCatalog(t)
		rec, body := e.call(t, "GET", "/api/v1/models", e.adminKey, nil)
		want(t, rec, 200)
		models := body["models"].([]any)
		if len(models) != 3 {
			t.Fatalf("models %v", models)
		}
		for _, m := range models {
			mv := m.(map[string]any)
			serving := mv["id"] == e.recVersion.ID
			if mv["active"] != serving || mv["serving"] != serving {
				t.Fatalf("model %v", mv)
			}
			if serving && (mv["metrics"].(map[string]any)["auc"] != 0.9 || mv["config"].(map[string]any)["dim"] != 3.0) {
				t.Fatalf("model %v", mv)
			}
		}

		// A version that does not load is refused and the old one kept.
		rec, _ = e.call(t, "POST", "/api/v1/models/"+broken.ID+"/activate", e.adminKey, nil)
		want(t, rec, http.StatusConflict)
		if v, _ := e.rt.Version(); v.ID != e.recVersion.ID {
			t.Fatalf("serving %s after a failed activation", v.ID)
		}
		if mv, _ := e.store.ActiveModelVersion(ctx, atelier.ModelRecommender); mv.ID != e.recVersion.ID {
			t.Fatalf("active %s after a failed activation", mv.ID)
		}
		rec, body = e.call(t, "POST", "/api/v1/models/"+gan.ID+"/activate", e.adminKey, nil)
		want(t, rec, 200)
		if body["active"] != true || body["kind"] != "gan" {
			t.Fatalf("activated %v", body)
		}
		rec, body = e.call(t, "GET", "/api/v1/models?kind=gan", e.adminKey, nil)
		want(t, rec, 200)
		if n := len(body["models"].([]any)); n != 1 {
			t.Fatalf("%d gan models", n)
		}
		rec, _ = e.call(t, "POST", "/api/v1/models/nope/activate", e.adminKey, nil)
		want(t, rec, http.StatusNotFound)
		rec, _ = e.call(t, "GET", "/api/v1/models?kind=other", e.adminKey, nil)
		want(t, rec, http.StatusBadRequest)
	})
}

// TestActivationSwitchesWithoutRestart activates a second recommender
// version while the first serves and checks the next answers come from it.
func TestActivationSwitchesWithoutRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		v2, err := e.store.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/fake.safetensors"})
		if err != nil {
			t.Fatal(err)
		}
		rec, body := e.call(t, "POST", "/api/v1/models/"+v2.ID+"/activate", e.adminKey, nil)
		want(t, rec, 200)
		if body["serving"] != true || body["active"] != true {
			t.Fatalf("activated %v", body)
		}
		rec, body = e.call(t, "GET", "/api/v1/models?kind=recommender", e.adminKey, nil)
		want(t, rec, 200)
		for _, m := range body["models"].([]any) {
			mv := m.(map[string]any)
			if (mv["id"] == v2.ID) != (mv["active"] == true) || (mv["id"] == v2.ID) != (mv["serving"] == true) {
				t.Fatalf("after switching: %v", mv)
			}
		}
		rec, _ = e.call(t, "GET", "/api/v1/consumers/likes-red/recommendations", "", nil)
		want(t, rec, http.StatusNotFound) // not a store consumer yet; the model answers once it is
		if _, err := e.store.EnsureConsumer(ctx, "likes-red"); err != nil {
			t.Fatal(err)
		}
		rec, _ = e.call(t, "GET", "/api/v1/consumers/likes-red/recommendations", "", nil)
		want(t, rec, 200)
	})
}

func TestTrainImportAndJobs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		dir := t.TempDir()
		rec, body := e.call(t, "POST", "/api/v1/models/train", e.adminKey, map[string]any{"kind": "recommender", "params": map[string]any{"epochs": 3}})
		want(t, rec, http.StatusAccepted)
		if body["kind"] != atelier.JobTrainRecommender || body["status"] != "queued" {
			t.Fatalf("train job %v", body)
		}
		// The job states its whole configuration: the request's params
		// over the defaults, as the worker decodes them.
		var args atelier.TrainRecommenderArgs
		raw, _ := json.Marshal(body["args"])
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatalf("train job args %s: %v", raw, err)
		}
		wantParams := atelier.DefaultTrainRecommenderParams()
		wantParams.Epochs = 3
		if args.Params != wantParams {
			t.Fatalf("train job params %+v, want %+v", args.Params, wantParams)
		}
		rec, body = e.call(t, "POST", "/api/v1/models/train", e.adminKey, map[string]any{"kind": "gan"})
		want(t, rec, http.StatusAccepted)
		if body["kind"] != atelier.JobTrainGAN {
			t.Fatalf("gan job %v", body)
		}
		var ganArgs atelier.TrainGANArgs
		if err := json.Unmarshal(mustJSON(t, body["args"]), &ganArgs); err != nil || ganArgs.Params != atelier.DefaultTrainGANParams() {
			t.Fatalf("gan job args %v (%v), want the defaults %+v", body["args"], err, atelier.DefaultTrainGANParams())
		}
		req := httptest.NewRequest("POST", "/api/v1/imports", strings.NewReader(`{"dir":"`+dir+`","format":"csv"}`))
		req.Header.Set("Idempotency-Key", "import-1")
		rec, first := e.send(t, req, e.adminKey)
		want(t, rec, http.StatusAccepted)
		req = httptest.NewRequest("POST", "/api/v1/imports", strings.NewReader(`{"dir":"`+dir+`","format":"csv"}`))
		req.Header.Set("Idempotency-Key", "import-1")
		rec, again := e.send(t, req, e.adminKey)
		want(t, rec, http.StatusAccepted)
		if rec.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retried import is not marked as a replay")
		}
		if first["id"] != again["id"] || first["kind"] != atelier.JobImport || first["args"].(map[string]any)["dir"] != dir {
			t.Fatalf("import jobs %v then %v", first, again)
		}

		rec, body = e.call(t, "GET", "/api/v1/jobs", e.adminKey, nil)
		want(t, rec, 200)
		if n := len(body["jobs"].([]any)); n != 3 {
			t.Fatalf("%d jobs listed", n)
		}
		rec, body = e.call(t, "GET", "/api/v1/jobs?kind=import&limit=1", e.adminKey, nil)
		want(t, rec, 200)
		if jobs := body["jobs"].([]any); len(jobs) != 1 || body["next_after"] == "" {
			t.Fatalf("import jobs %v", body)
		}

		file := dir + "/items.csv"
		if err := os.WriteFile(file, []byte("item_id,category\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		type tc struct {
			name, path, field string
			body              any
		}
		for _, c := range []tc{
			{"train without kind", "/api/v1/models/train", "kind", map[string]any{}},
			{"train of another kind", "/api/v1/models/train", "kind", map[string]any{"kind": "oracle"}},
			{"params not an object", "/api/v1/models/train", "params", map[string]any{"kind": "gan", "params": []int{1}}},
			{"unknown recommender param", "/api/v1/models/train", "params.colour", map[string]any{"kind": "recommender", "params": map[string]any{"colour": "red"}}},
			{"no epochs", "/api/v1/models/train", "params.epochs", map[string]any{"kind": "recommender", "params": map[string]any{"epochs": 0}}},
			{"lr as text", "/api/v1/models/train", "params.lr", map[string]any{"kind": "recommender", "params": map[string]any{"lr": "fast"}}},
			{"lr decay above 1", "/api/v1/models/train", "params.lr_decay", map[string]any{"kind": "recommender", "params": map[string]any{"lr_decay": 1.5}}},
			{"all items cold", "/api/v1/models/train", "params.cold_items", map[string]any{"kind": "recommender", "params": map[string]any{"cold_items": 1}}},
			{"huge dim", "/api/v1/models/train", "params.dim", map[string]any{"kind": "recommender", "params": map[string]any{"dim": 100000}}},
			{"unknown gan param", "/api/v1/models/train", "params.lr", map[string]any{"kind": "gan", "params": map[string]any{"lr": 0.1}}},
			{"gan batch not a multiple of 8", "/api/v1/models/train", "params.batch", map[string]any{"kind": "gan", "params": map[string]any{"batch": 12}}},
			{"no gan steps", "/api/v1/models/train", "params.steps", map[string]any{"kind": "gan", "params": map[string]any{"steps": 0}}},
			{"huge zdim", "/api/v1/models/train", "params.zdim", map[string]any{"kind": "gan", "params": map[string]any{"zdim": 5000}}},
			{"negative seed", "/api/v1/models/train", "params.seed", map[string]any{"kind": "recommender", "params": map[string]any{"seed": -1}}},
			{"import without dir", "/api/v1/imports", "dir", map[string]any{}},
			{"relative dir", "/api/v1/imports", "dir", map[string]any{"dir": "data/world"}},
			{"unclean dir", "/api/v1/imports", "dir", map[string]any{"dir": dir + "/../x"}},
			{"missing directory", "/api/v1/imports", "dir", map[string]any{"dir": dir + "/missing"}},
			{"a file", "/api/v1/imports", "dir", map[string]any{"dir": file}},
			{"bad format", "/api/v1/imports", "format", map[string]any{"dir": dir, "format": "xml"}},
			{"strict as text", "/api/v1/imports", "strict", map[string]any{"dir": dir, "strict": "yes"}},
			{"unknown argument", "/api/v1/imports", "path", map[string]any{"dir": dir, "path": dir}},
			{"bad job kind", "/api/v1/jobs?kind=other", "kind", nil},
			{"bad job status", "/api/v1/jobs?status=done", "status", nil},
		} {
			method := "POST"
			if c.body == nil {
				method = "GET"
			}
			rec, body := e.call(t, method, c.path, e.adminKey, c.body)
			if field, _ := errField(body); rec.Code != http.StatusBadRequest || field != c.field {
				t.Errorf("%s: %d field %q, want 400 %q (%s)", c.name, rec.Code, field, c.field, rec.Body.String())
			}
		}
		if jobs, _ := e.jobs.List(context.Background(), atelier.AllScope(), storage.JobFilter{}); len(jobs) != 3 {
			t.Fatalf("refused requests queued jobs: %d", len(jobs))
		}

		// Without a queue: 503, naming no internals.
		e.srv.jobs = noJobs{}
		rec, body = e.call(t, "GET", "/api/v1/jobs", e.adminKey, nil)
		want(t, rec, http.StatusServiceUnavailable)
		if _, kind := errField(body); kind != "unavailable" {
			t.Fatalf("%v", body)
		}
	})
}
