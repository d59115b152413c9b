package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atelier-app/atelier/storage/blob"
)

// minioServer is a throw-away MinIO on a free loopback port; stop and
// start keep its port and data.
type minioServer struct {
	bin, dir string
	port     int
	p        *proc
	starts   int
}

const minioUser, minioSecret = "atelier", "atelier-chaos-secret"

func minioBinary() string {
	cache := os.Getenv("ATELIER_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "atelier")
	}
	return filepath.Join(cache, "bin", "minio")
}

func newMinIO(dir string) (*minioServer, error) {
	m := &minioServer{bin: minioBinary(), dir: dir, port: freePort()}
	return m, m.start()
}

func (m *minioServer) start() error {
	m.starts++
	env := []string{"MINIO_ROOT_USER=" + minioUser, "MINIO_ROOT_PASSWORD=" + minioSecret, "MINIO_BROWSER=off"}
	p, err := start("minio", m.dir, filepath.Join(m.dir, fmt.Sprintf("minio-%d.log", m.starts)), env,
		m.bin, "server", filepath.Join(m.dir, "minio-data"),
		"--address", fmt.Sprintf("127.0.0.1:%d", m.port), "--console-address", fmt.Sprintf("127.0.0.1:%d", freePort()))
	if err != nil {
		return err
	}
	m.p = p
	return waitHTTP(p, fmt.Sprintf("http://127.0.0.1:%d/minio/health/live", m.port), 30*time.Second)
}

func (m *minioServer) url(bucket string) string {
	return fmt.Sprintf("minio://%s:%s@127.0.0.1:%d/%s?tls=false", minioUser, minioSecret, m.port, bucket)
}

// runMinIOStop: MinIO is stopped under a steady load of uploads
// (POST /api/v1/items), stays down 3 s and is started again. Each upload
// must either complete (its row and its blobs present) or answer 503 with
// Retry-After; afterwards no row may name a missing blob and no blob may
// lack its row, and uploads must succeed again within 5 s of MinIO being
// back. Then MinIO is stopped again in the middle of a redesign job
// (redesignOutage).
func runMinIOStop(ctx context.Context, c config) (r result) {
	dir, pg, stopPG, err := scenarioPostgres(ctx, c, "atelier-chaos-minio.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer stopPG()
	mio, err := newMinIO(dir)
	if err != nil {
		r.failf("minio: %v", err)
		return r
	}
	defer func() { mio.p.stop() }()
	// The demo world, for the models and segments a redesign needs.
	w, err := prepare(ctx, c, dir, "ATELIER_DATABASE_URL="+pg.url("atelier"), "ATELIER_BLOB_URL="+mio.url("atelier"),
		"ATELIER_WORKERS=0", "ATELIER_ADMIN_KEY="+chaosAdminKey, "ATELIER_RATE_SELLER=0",
		"ATELIER_JOB_RETRY_BACKOFF=100ms")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	srv, sellerKey, err := w.serveSeller()
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer srv.stop()

	const requestTimeout = 5 * time.Second
	load := &uploadLoad{api: newAPIClient(w.base, sellerKey)}
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { load.run(loadCtx, 4, 400*time.Millisecond); close(done) }()

	sleep(ctx, 4*time.Second)
	down := time.Now()
	mio.p.stop()
	r.faults = 1
	sleep(ctx, 3*time.Second)
	if err := mio.start(); err != nil {
		r.failf("minio restart: %v", err)
	}
	up := time.Now()
	sleep(ctx, 10*time.Second)
	stopLoad()
	<-done

	var saw503 bool
	var first2xx time.Time
	for _, q := range load.reqs {
		at := q.start.Sub(down).Round(time.Millisecond)
		r.requests++
		if q.status >= 500 {
			r.fivexx++
		}
		switch {
		case q.status == 0:
			r.failf("upload at %s: no answer (%v)", at, q.err)
		case q.status == 503 && !q.retryAfter:
			r.failf("upload at %s: 503 without Retry-After", at)
		case q.status == 503:
			saw503 = true
		case q.status/100 != 2:
			r.failf("upload at %s: %d %s", at, q.status, q.body)
		}
		if d := q.end.Sub(q.start); d > requestTimeout+time.Second {
			r.failf("upload at %s took %s", at, d.Round(time.Millisecond))
		}
		if q.status/100 == 2 && q.start.After(up) && (first2xx.IsZero() || q.end.Before(first2xx)) {
			first2xx = q.end
		}
		if q.status/100 != 2 && q.start.After(up.Add(5*time.Second)) {
			r.failf("upload at %s: %d after recovery", at, q.status)
		}
	}
	if !saw503 {
		r.failf("no upload met the outage (no 503)")
	}
	if first2xx.IsZero() {
		r.failf("no upload succeeded after MinIO was back")
	} else if r.recovery = first2xx.Sub(up); r.recovery > 5*time.Second {
		r.failf("uploads succeeded again only %s after MinIO was back", r.recovery.Round(time.Millisecond))
	}

	lost, orphans, err := checkUploads(ctx, pg.url("atelier"), mio.url("atelier"), load.items, &r)
	if err != nil {
		r.failf("checking uploads: %v", err)
	}
	r.lost, r.orphans = lost, orphans
	if len(load.items) == 0 {
		return r
	}
	if err := redesignOutage(ctx, w, mio, pg.url("atelier"), load.api, load.items[0], &r); err != nil {
		r.failf("redesign during an outage: %v", err)
	}
	return r
}

// uploadLoad uploads product photos from several clients at a fixed pace;
// items answered 2xx are acknowledged.
type uploadLoad struct {
	api   *apiClient
	mu    sync.Mutex
	reqs  []request
	items []string
}

func (l *uploadLoad) run(ctx context.Context, clients int, interval time.Duration) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleep(ctx, interval*time.Duration(i)/time.Duration(clients))
			for n := 0; ctx.Err() == nil; n++ {
				next := time.Now().Add(interval)
				var item struct {
					ID string `json:"id"`
				}
				q := request{what: "upload", start: time.Now()}
				status, retryAfter, err := l.api.uploadStatus(productPNG(320, 240, i*1000+n), "tshirt", &item)
				q.end, q.status, q.retryAfter, q.err = time.Now(), status, retryAfter, err
				if err != nil && status >= 500 {
					q.body = err.Error()
				}
				l.mu.Lock()
				l.reqs = append(l.reqs, q)
				if status/100 == 2 {
					l.items = append(l.items, item.ID)
				}
				l.mu.Unlock()
				sleep(ctx, time.Until(next))
			}
		}()
	}
	wg.Wait()
}

// checkUploads counts acknowledged items whose row or blobs are missing
// (lost) and blobs without rows plus rows naming missing blobs (orphans).
func checkUploads(ctx context.Context, dbURL, blobURL string, acked []string, r *result) (lost, orphans int, err error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	// Uploads write under items/ (the catalog's images are under catalog/).
	rows, err := conn.Query(ctx, "SELECT item_id, original_key, model_key FROM item_images WHERE original_key LIKE 'items/%'")
	if err != nil {
		return 0, 0, err
	}
	named := map[string]string{} // blob key → item
	withImage := map[string]bool{}
	for rows.Next() {
		var item, orig, model string
		if err := rows.Scan(&item, &orig, &model); err != nil {
			return 0, 0, err
		}
		withImage[item] = true
		for _, k := range []string{orig, model} {
			if k != "" {
				named[k] = item
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	store, err := blob.Open(ctx, blobURL)
	if err != nil {
		return 0, 0, err
	}
	// Uploads write under items/ (the built-in backgrounds are the only
	// other blobs of this world).
	infos, err := store.List(ctx, "items/")
	if err != nil {
		return 0, 0, err
	}
	present := map[string]bool{}
	for _, in := range infos {
		present[in.Key] = true
		if _, ok := named[in.Key]; !ok {
			orphans++
			r.failf("blob %q has no item_images row", in.Key)
		}
	}
	missing := map[string]bool{}
	for k, item := range named {
		if !present[k] {
			orphans++
			missing[item] = true
			r.failf("item %s names blob %q, which is missing", item, k)
		}
	}
	for _, id := range acked {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM items WHERE id = $1", id).Scan(&n); err != nil {
			return lost, orphans, err
		}
		if n == 0 || !withImage[id] || missing[id] {
			lost++
			r.failf("acknowledged item %s: row %d, images %v, blobs missing %v", id, n, withImage[id], missing[id])
		}
	}
	return lost, orphans, nil
}
