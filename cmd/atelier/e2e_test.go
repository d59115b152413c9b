package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestEndToEndOnPostgresAndMinIO runs the product as it is deployed: one
// `atelier serve` without workers and separate `atelier worker` processes,
// sharing a PostgreSQL database and a MinIO bucket. A seller uploads a
// photo and redesigns it for a segment; the worker running the job is
// killed with SIGKILL in the middle of it, and a second worker completes
// it exactly once. The seller then fetches the marked variant images from
// MinIO; a consumer goes through three choice rounds and gets
// recommendations; another seller sees none of the first one's work.
func TestEndToEndOnPostgresAndMinIO(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f := newRedesignFixture(t)
	const admin = "atl_e2e-test-operator-key-0123456"
	env := map[string]string{
		"ATELIER_DATABASE_URL":      storagetest.PostgresURL(t),
		"ATELIER_BLOB_URL":          storagetest.MinIOURL(t),
		"ATELIER_ADMIN_KEY":         admin,
		"ATELIER_JOB_RESCUE_AFTER":  "2s",
		"ATELIER_JOB_RETRY_BACKOFF": "100ms",
		// The untrained test GAN makes no probes worth showing; the
		// choice flow with probes is TestPagesInChromium's.
		"ATELIER_PROBE_POOL": "0",
		// The test follows the job every 20 ms, faster than a seller's
		// default rate limit (docs/limits.md) allows for long.
		"ATELIER_RATE_SELLER": "0",
	}
	_, b := openImported(ctx, t, env, f.world)
	registerFiles(ctx, t, b, map[string]string{atelier.ModelGAN: f.gan, atelier.ModelRecommender: f.rec})

	base, _, serveLogs := startServe(t, append(envList(env), "ATELIER_WORKERS=0")...)
	waitHTTP(t, base+"/readyz", 30*time.Second).Body.Close()
	adminAPI := e2eClient{t: t, ctx: ctx, base: base, key: admin}
	var alice, bob struct {
		APIKey string `json:"api_key"`
	}
	adminAPI.must("POST", "/api/v1/sellers", map[string]any{"name": "alice"}, http.StatusCreated, &alice)
	adminAPI.must("POST", "/api/v1/sellers", map[string]any{"name": "bob"}, http.StatusCreated, &bob)
	sellerA := e2eClient{t: t, ctx: ctx, base: base, key: alice.APIKey}
	sellerB := e2eClient{t: t, ctx: ctx, base: base, key: bob.APIKey}

	// Alice uploads a 1024×768 JPEG of her own product, which does not
	// fill the frame.
	var item struct {
		ID string `json:"id"`
	}
	photo := filepath.Join(t.TempDir(), "product.jpg")
	writeProductJPEG(t, photo, 1024, 768)
	sellerA.upload(photo, "tshirt", &item)
	var segs struct {
		Segments []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"segments"`
	}
	sellerA.must("GET", "/api/v1/segments", nil, http.StatusOK, &segs)
	if len(segs.Segments) == 0 {
		t.Fatal("no segments")
	}
	var job redesignStatus
	sellerA.must("POST", "/api/v1/items/"+item.ID+"/redesigns",
		map[string]any{"segment_id": segs.Segments[0].ID, "n": 3, "steps": 600}, http.StatusAccepted, &job)

	// The first worker is killed while it shifts latents.
	first, firstLogs := startWorker(t, env)
	for job.Progress.Stage != "shift" || job.Progress.Step < 1 {
		if job.Status == "succeeded" || job.Status == "failed" {
			t.Fatalf("job ended before it could be interrupted: %+v\n%s", job, firstLogs)
		}
		if ctx.Err() != nil {
			t.Fatalf("job never reached the shifting stage: %+v\n%s", job, firstLogs)
		}
		time.Sleep(20 * time.Millisecond)
		sellerA.must("GET", "/api/v1/redesigns/"+job.ID, nil, http.StatusOK, &job)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	_, secondLogs := startWorker(t, env)
	for job.Status != "succeeded" {
		if job.Status == "failed" || job.Status == "cancelled" || ctx.Err() != nil {
			t.Fatalf("job %+v\nfirst worker:\n%s\nsecond worker:\n%s", job, firstLogs, secondLogs)
		}
		time.Sleep(100 * time.Millisecond)
		sellerA.must("GET", "/api/v1/redesigns/"+job.ID, nil, http.StatusOK, &job)
	}
	completions := strings.Count(firstLogs.String(), `"msg":"job succeeded"`) + strings.Count(secondLogs.String(), `"msg":"job succeeded"`)
	if completions != 1 || strings.Count(firstLogs.String(), `"msg":"job attempt started"`) != 1 {
		t.Fatalf("want one start in the killed worker and one completion in all; first:\n%s\nsecond:\n%s", firstLogs, secondLogs)
	}
	var jobs struct {
		Jobs []struct {
			ID      string `json:"id"`
			Attempt int    `json:"attempt"`
		} `json:"jobs"`
	}
	adminAPI.must("GET", "/api/v1/jobs?kind=redesign", nil, http.StatusOK, &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].ID != job.ID || jobs.Jobs[0].Attempt != 2 {
		t.Fatalf("redesign jobs %+v: want the one job, completed by its second attempt", jobs.Jobs)
	}

	// The variants are there, ranked, scored and marked, served from MinIO.
	if len(job.Variants) != 3 || job.Base == nil || job.Models.GAN == "" || job.Models.Recommender == "" {
		t.Fatalf("finished job %+v", job)
	}
	for i, v := range job.Variants {
		if v.Rank != i+1 || !v.AIGenerated || len(v.Scores) == 0 {
			t.Errorf("variant %d: %+v", i, v)
		}
		fetchMarkedImage(t, ctx, v.ImageURL)
		// The seller's photo changed, at its resolution.
		if b := fetchMarkedImage(t, ctx, v.FullImageURL); b.Dx() != 1024 || b.Dy() != 768 {
			t.Errorf("variant %d at full resolution is %dx%d, want the photo's 1024x768", i, b.Dx(), b.Dy())
		}
	}
	fetchImage(t, ctx, job.Base.ImageURL)
	fetchMarkedImage(t, ctx, job.Base.ReconstructionURL)

	// A consumer goes through three rounds and gets recommendations.
	consumer := e2eClient{t: t, ctx: ctx, base: base}
	var round struct {
		ID      string `json:"id"`
		Round   int    `json:"round"`
		Rounds  int    `json:"rounds"`
		Done    bool   `json:"done"`
		Options []struct {
			ItemID   string `json:"item_id"`
			ImageURL string `json:"image_url"`
		} `json:"options"`
	}
	consumer.must("POST", "/api/v1/choice-sessions", map[string]any{"consumer_id": "e2e-shopper"}, http.StatusCreated, &round)
	for r := 1; r <= 3; r++ {
		if round.Round != r || round.Rounds != 3 || len(round.Options) != 3 || round.Done {
			t.Fatalf("round %d: %+v", r, round)
		}
		fetchImage(t, ctx, round.Options[0].ImageURL)
		consumer.must("POST", "/api/v1/choice-sessions/"+round.ID+"/choices",
			map[string]any{"round": r, "item_id": round.Options[r%3].ItemID}, http.StatusOK, &round)
	}
	if !round.Done {
		t.Fatalf("after three picks: %+v", round)
	}
	var recs struct {
		Items []struct {
			ItemID string  `json:"item_id"`
			Score  float64 `json:"score"`
		} `json:"items"`
	}
	consumer.must("GET", "/api/v1/choice-sessions/"+round.ID+"/recommendations?n=5", nil, http.StatusOK, &recs)
	if len(recs.Items) != 5 || recs.Items[0].Score < recs.Items[4].Score {
		t.Fatalf("recommendations %+v", recs)
	}

	// Bob sees none of it.
	for _, path := range []string{"/api/v1/items/" + item.ID, "/api/v1/redesigns/" + job.ID} {
		sellerB.must("GET", path, nil, http.StatusNotFound, nil)
	}
	sellerB.must("DELETE", "/api/v1/redesigns/"+job.ID, nil, http.StatusNotFound, nil)
	sellerB.must("POST", "/api/v1/items/"+item.ID+"/redesigns", map[string]any{"segment_id": segs.Segments[0].ID}, http.StatusNotFound, nil)
	var bobItems struct {
		Items []any `json:"items"`
	}
	sellerB.must("GET", "/api/v1/items", nil, http.StatusOK, &bobItems)
	if len(bobItems.Items) != 0 {
		t.Fatalf("bob lists %d items", len(bobItems.Items))
	}
	if strings.Contains(serveLogs.String(), `"level":"ERROR"`) {
		t.Errorf("serve logged errors:\n%s", serveLogs)
	}
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startWorker runs `atelier worker` with one worker on env's backends.
func startWorker(t *testing.T, env map[string]string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(atelierBinary(t), "worker")
	cmd.Env = append(append(os.Environ(), envList(env)...), "ATELIER_DATA_DIR="+t.TempDir(), "ATELIER_WORKERS=1")
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logs
}

// redesignStatus is the part of GET /redesigns/{id} the test reads.
type redesignStatus struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress struct {
		Stage string `json:"stage"`
		Step  int    `json:"step"`
	} `json:"progress"`
	Models struct {
		GAN         string `json:"gan"`
		Recommender string `json:"recommender"`
	} `json:"models"`
	Base *struct {
		ImageURL          string `json:"image_url"`
		ReconstructionURL string `json:"reconstruction_url"`
	} `json:"base"`
	Variants []struct {
		Rank         int                `json:"rank"`
		ImageURL     string             `json:"image_url"`
		FullImageURL string             `json:"full_image_url"`
		Scores       map[string]float64 `json:"scores"`
		AIGenerated  bool               `json:"ai_generated"`
	} `json:"variants"`
}

// e2eClient calls the service's API with an optional bearer key.
type e2eClient struct {
	t    *testing.T
	ctx  context.Context
	base string
	key  string
}

// must sends a JSON request and decodes the answer into out (when not
// nil), failing the test unless the status is want.
func (c e2eClient) must(method, path string, body any, want int, out any) {
	c.t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	c.do(method, path, r, "application/json", want, out)
}

// upload posts a photo as a new item of category.
func (c e2eClient) upload(path, category string, out any) {
	c.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("image", filepath.Base(path))
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = mw.WriteField("category", category)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		c.t.Fatal(err)
	}
	c.do("POST", "/api/v1/items", &buf, mw.FormDataContentType(), http.StatusCreated, out)
}

func (c e2eClient) do(method, path string, body io.Reader, contentType string, want int, out any) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// fetchImage downloads an image URL (a presigned MinIO URL here) and
// checks that it decodes.
func fetchImage(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	if !strings.HasPrefix(url, "http") {
		t.Fatalf("image URL %q is not absolute", url)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d (%v): %.200s", url, resp.StatusCode, err, data)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("GET %s: %v", url, fmt.Errorf("not an image: %w", err))
	}
	return data
}

// fetchMarkedImage downloads a generated image (a PNG) and checks its
// invisible watermark and its AI-generated label; it returns its bounds.
func fetchMarkedImage(t *testing.T, ctx context.Context, url string) image.Rectangle {
	t.Helper()
	data := fetchImage(t, ctx, url)
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ok, score := watermark.Verify(img, watermark.DemoKey); !ok {
		t.Errorf("%s: no watermark (score %.2f)", url, score)
	}
	if rep, err := watermark.Inspect(data, watermark.DemoKey); err != nil || !rep.Labelled {
		t.Errorf("%s: provenance %+v (%v)", url, rep, err)
	}
	return img.Bounds()
}

// writeProductJPEG writes a w×h JPEG (quality 90) of a product of the
// synthetic catalog (seed 5), rendered at three fifths of the height, off
// centre on a white backdrop.
func writeProductJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	side := h * 3 / 5
	img := productPhoto(t, w, h, 2, image.Rect(w/5, h/6, w/5+side, h/6+side))
	writeImage(t, path, img, func(out io.Writer, img image.Image) error {
		return jpeg.Encode(out, img, &jpeg.Options{Quality: 90})
	})
}
