package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/service/serving/servingtest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/jobs"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// env is a server on real storage with the real job queue (without
// workers unless a test starts one) and a serving runtime over a fake
// model, plus an operator and two sellers.
type env struct {
	srv      *Server
	h        http.Handler
	store    *storage.Store
	blobs    blob.Store
	jobs     *jobs.Queue
	rt       *serving.Runtime
	logs     *testkit.LogBuffer
	adminKey string
	alice    atelier.Seller
	aliceKey string
	bob      atelier.Seller
	bobKey   string
	// catalog items by colour name (after withCatalog)
	catalog map[string]atelier.Item
	// recVersion is a recommender version the fake loader knows.
	recVersion atelier.ModelVersion
}

// adminTestKey is the operator key of test servers.
const adminTestKey = "atl_test-operator-key-0123456789"

// forEachBackend runs fn on each deployment's backends with a fresh
// server.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env), opts ...func(*Deps)) {
	t.Helper()
	storagetest.ForEachBackend(t, func(t *testing.T, s *storage.Store, b blob.Store) {
		fn(t, newEnv(t, s, b, opts...))
	})
}

// newEnv makes a server on s and b; opts change its Deps first (limits,
// timeouts, a clock).
func newEnv(t testing.TB, s *storage.Store, b blob.Store, opts ...func(*Deps)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{store: s, blobs: b, logs: &testkit.LogBuffer{}, adminKey: adminTestKey, catalog: map[string]atelier.Item{}}
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.jobs = openQueue(t, s, 0, jobs.Handlers{}, log)
	if _, err := s.EnsureOperator(ctx, "operator", adminTestKey); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.alice, e.aliceKey, err = s.CreateSeller(ctx, atelier.Seller{Name: "Alice"}, ""); err != nil {
		t.Fatal(err)
	}
	if e.bob, e.bobKey, err = s.CreateSeller(ctx, atelier.Seller{Name: "Bob"}, ""); err != nil {
		t.Fatal(err)
	}
	if e.recVersion, err = s.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/fake.safetensors",
		Metrics: map[string]float64{"auc": 0.9}, Config: json.RawMessage(`{"dim":3}`)}); err != nil {
		t.Fatal(err)
	}
	e.rt = serving.New(serving.Config{Store: s, Blobs: b, Load: loadFake, Log: log})
	d := Deps{Log: log, Store: s, Blobs: b, Recommender: e.rt, Jobs: e.jobs,
		Limits: Limits{MaxUploadBytes: 256 << 10, MaxUploadPixels: 1 << 20}}
	for _, opt := range opts {
		opt(&d)
	}
	e.srv = New(d)
	e.h = e.srv.Handler()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

// fakeThetas are the consumers the fake model knows.
var fakeThetas = map[string][]float32{
	"likes-red":  {4, -2, -2},
	"likes-blue": {-2, -2, 4},
}

func loadFake(_ context.Context, mv atelier.ModelVersion) (serving.Model, error) {
	if mv.BlobKey != "models/fake.safetensors" {
		return nil, fmt.Errorf("read %s: not a model file", mv.BlobKey)
	}
	return servingtest.NewColourModel(fakeThetas), nil
}

// palette is the colours of the test catalog.
var palette = map[string]color.NRGBA{
	"red": {220, 20, 20, 255}, "darkred": {150, 10, 10, 255}, "pink": {240, 120, 160, 255},
	"green": {20, 200, 40, 255}, "olive": {110, 130, 30, 255}, "teal": {20, 150, 150, 255},
	"blue": {20, 40, 220, 255}, "navy": {10, 20, 120, 255}, "yellow": {230, 220, 30, 255},
	"orange": {240, 140, 20, 255}, "grey": {128, 128, 128, 255}, "black": {10, 10, 10, 255},
}

// colourNames lists palette's names in a fixed order.
func colourNames() []string {
	var names []string
	for n := range palette {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// solid returns a w×h image of one colour.
func solid(c color.NRGBA, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// webpBytes is a small lossy WebP from golang.org/x/image's test data.
func webpBytes(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withCatalog adds one catalog item per palette colour (every image
// stored like an import would) and activates the fake recommender.
func (e *env) withCatalog(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for _, name := range colourNames() {
		data := pngBytes(t, solid(palette[name], atelier.ModelSize, atelier.ModelSize))
		key := "catalog/" + name + "/model-64.png"
		if err := e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
			t.Fatal(err)
		}
		it, err := e.store.CreateItem(ctx, atelier.Item{ExternalID: name, Category: categoryOf(name),
			Images: []atelier.Image{{OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"}}})
		if err != nil {
			t.Fatal(err)
		}
		e.catalog[name] = it
	}
	if _, err := e.rt.Activate(ctx, e.recVersion.ID); err != nil {
		t.Fatal(err)
	}
}

func categoryOf(colour string) string {
	switch colour {
	case "red", "darkred", "pink", "orange":
		return "dress"
	case "blue", "navy", "teal":
		return "shoes"
	}
	return "handbag"
}

// call sends a JSON request (body nil for none) with an API key ("" for
// none) and returns the recorder and the decoded JSON body, if any.
func (e *env) call(t testing.TB, method, path, key string, body any) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(t, req, key)
}

// send serves req with an API key ("" for none).
func (e *env) send(t testing.TB, req *http.Request, key string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var out map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", req.Method, req.URL, rec.Body.String(), err)
		}
	}
	return rec, out
}

// want fails unless the response has the status.
func want(t testing.TB, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body.String())
	}
}

// errField returns the error body's field and kind.
func errField(body map[string]any) (field, kind string) {
	e, _ := body["error"].(map[string]any)
	field, _ = e["field"].(string)
	kind, _ = e["kind"].(string)
	return field, kind
}

// formPart is one field of a multipart upload: a file when filename is
// set.
type formPart struct {
	name, filename, value string
	data                  []byte
}

// multipartBody encodes parts and returns the body and its content type.
func multipartBody(t testing.TB, parts ...formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		var err error
		if p.filename != "" {
			var fw io.Writer
			if fw, err = w.CreateFormFile(p.name, p.filename); err == nil {
				_, err = fw.Write(p.data)
			}
		} else {
			err = w.WriteField(p.name, p.value)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// upload posts an item upload with a key.
func (e *env) upload(t testing.TB, key string, parts ...formPart) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	req := httptest.NewRequest("POST", "/api/v1/items", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	return e.send(t, req, key)
}

// uploadItem uploads a valid item for key and returns its id.
func (e *env) uploadItem(t testing.TB, key string, c color.NRGBA) string {
	t.Helper()
	rec, body := e.upload(t, key, formPart{name: "image", filename: "x.png", data: pngBytes(t, solid(c, 80, 60))},
		formPart{name: "category", value: "dress"})
	want(t, rec, http.StatusCreated)
	return body["id"].(string)
}

// uploadProduct uploads a product photo for redesigns: a block of colour
// c on a white backdrop.
func (e *env) uploadProduct(t testing.TB, key string, c color.NRGBA) string {
	t.Helper()
	img := solid(color.NRGBA{255, 255, 255, 255}, 80, 60)
	for y := 10; y < 50; y++ {
		for x := 20; x < 60; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	rec, body := e.upload(t, key, formPart{name: "image", filename: "x.png", data: pngBytes(t, img)},
		formPart{name: "category", value: "dress"})
	want(t, rec, http.StatusCreated)
	return body["id"].(string)
}

// counts returns how many items and blobs are stored: a failed write must
// leave both unchanged.
func (e *env) counts(t testing.TB) (items, blobs int) {
	t.Helper()
	ctx := context.Background()
	err := e.store.EachItem(ctx, storage.ItemFilter{}, func(atelier.Item) error { items++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	infos, err := e.blobs.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return items, len(infos)
}

// openQueue opens the real job queue on s, with workers of each kind h
// has a handler for (0 workers: it only enqueues, cancels and reads jobs,
// as the API does in a process that runs none); it stops and closes when
// the test ends, before the store does.
func openQueue(t testing.TB, s *storage.Store, workers int, h jobs.Handlers, log *slog.Logger) *jobs.Queue {
	t.Helper()
	q, err := jobs.Open(context.Background(), s, jobs.Config{
		Workers:          workers,
		RescueAfter:      2 * time.Second, // heartbeats every 0.5 s notice a cancellation soon
		ProgressInterval: 10 * time.Millisecond,
		PollInterval:     50 * time.Millisecond,
	}, h, log.With("component", "jobs"))
	if err != nil {
		t.Fatalf("open job queue: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("start job workers: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop job workers: %v", err)
		}
		q.Close()
	})
	return q
}

// startWorker runs one worker of each kind h handles on the env's
// database, like an `atelier worker` process beside the service.
func (e *env) startWorker(t testing.TB, h jobs.Handlers) {
	t.Helper()
	openQueue(t, e.store, 1, h, slog.New(slog.NewJSONHandler(e.logs, nil)))
}

// waitFor polls cond every 20 ms until it holds; it fails the test after
// a minute, which only a hung job takes on a busy machine.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
