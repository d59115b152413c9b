package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// runDiskFull: the local blob folder is a small tmpfs (8 MiB) and a
// seller uploads photos until it is full. Uploads must answer 201 or 507
// (nothing else), nothing half-written may stay (every item's images
// are served and decode; no blob or temporary file without its item),
// and reads must keep working while the folder is full. The database is
// SQLite outside the tmpfs. Needs root (mount); skipped otherwise.
func runDiskFull(ctx context.Context, c config) (r result) {
	if os.Geteuid() != 0 {
		r.failf("needs root to mount a tmpfs")
		return r
	}
	dir, err := os.MkdirTemp("", "atelier-chaos-disk.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer cleanupDir(c, dir)
	blobs := filepath.Join(dir, "blobs")
	if err := os.Mkdir(blobs, 0o755); err != nil {
		r.failf("%v", err)
		return r
	}
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", blobs).CombinedOutput(); err != nil {
		r.failf("mount tmpfs: %v %s", err, out)
		return r
	}
	defer func() {
		if out, err := exec.Command("umount", blobs).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "chaos: umount %s: %v %s\n", blobs, err, out)
		}
	}()

	w := newWorld(c, dir, "ATELIER_DATABASE_URL=sqlite://"+filepath.Join(dir, "atelier.db"),
		"ATELIER_BLOB_URL=file://"+blobs, "ATELIER_WORKERS=0", "ATELIER_ADMIN_KEY="+chaosAdminKey, "ATELIER_RATE_SELLER=0")
	srv, sellerKey, err := w.serveSeller()
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer srv.stop()
	api := newAPIClient(w.base, sellerKey)
	defer func() { r.requests, r.fivexx = api.requests, api.fivexx }()

	// Noisy photos (about 0.75 MiB as PNG) fill 8 MiB in about ten.
	created, full := 0, 0
	for i := 0; i < 40 && full < 3 && ctx.Err() == nil; i++ {
		status, _, err := api.uploadStatus(noisyPNG(512, 384, uint64(i)), "tshirt", nil)
		switch {
		case status == 201:
			created++
		case status == http.StatusInsufficientStorage:
			full++
			r.faults++
		default:
			r.failf("upload %d: %d %v", i+1, status, err)
		}
	}
	if created == 0 || full == 0 {
		r.failf("%d uploads created, %d answered 507: the folder never filled", created, full)
	}

	// While full: every item listed is whole, served and decodes.
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Images []struct {
				URL      string `json:"url"`
				ModelURL string `json:"model_url"`
			} `json:"images"`
		} `json:"items"`
	}
	if _, err := api.json("GET", "/api/v1/items?limit=100", nil, &list); err != nil {
		r.failf("list items while full: %v", err)
		return r
	}
	if len(list.Items) != created {
		r.lost = max(0, created-len(list.Items))
		r.failf("%d items listed, %d created", len(list.Items), created)
	}
	items := map[string]bool{}
	bad := 0
	for _, it := range list.Items {
		items[it.ID] = true
		if len(it.Images) == 0 {
			bad++
			r.failf("item %s has no image", it.ID)
		}
		for _, img := range it.Images {
			for _, u := range []string{img.URL, img.ModelURL} {
				if err := fetchImage(api, w.base, u); err != nil {
					bad++
					r.failf("item %s: %v", it.ID, err)
				}
			}
		}
	}
	// Nothing half-written under items/: every file is a listed item's
	// blob, no temporary file left. (A failed upload may leave its empty
	// folder: no data, so not counted.)
	err = filepath.WalkDir(filepath.Join(blobs, "items"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(blobs, "items"), path)
		if d.IsDir() {
			return nil
		}
		if id, _, _ := strings.Cut(filepath.ToSlash(rel), "/"); !items[id] {
			bad++
			r.failf("blob items/%s has no item", rel)
		}
		return nil
	})
	if err != nil {
		r.failf("walking the blob folder: %v", err)
	}
	// A failed write deletes its temporary file (the store's .tmp folder).
	if left, _ := os.ReadDir(filepath.Join(blobs, ".tmp")); len(left) > 0 {
		bad += len(left)
		r.failf("%d temporary files left behind, e.g. .tmp/%s", len(left), left[0].Name())
	}
	r.orphans = bad
	fmt.Fprintf(os.Stderr, "chaos: disk-full: %d uploads created, %d answered 507\n", created, full)
	return r
}

// fetchImage GETs an image URL (relative ones against base) and decodes it.
func fetchImage(api *apiClient, base, u string) error {
	if strings.HasPrefix(u, "/") {
		u = base + u
	}
	resp, err := http.Get(u)
	api.count(resp, err)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("GET %s: %d bytes that do not decode: %w", u, len(data), err)
	}
	return nil
}

// noisyPNG is a w×h photo of noise, which PNG cannot compress.
func noisyPNG(w, h int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
