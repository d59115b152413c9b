package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atelier-app/atelier/internal/backdrop"
)

// runHostileClients: slow and hostile clients while a steady load of
// choice picks runs. A slow-body upload, 1,000 idle connections, a 25 MB
// JSON body, JSON nested 100,000 levels deep and a multipart body of
// 20,000 parts must each be cut off by its limit (docs/limits.md), none
// may create an item or a blob, and the load must stay whole (every
// request 2xx, every acknowledged pick stored) with a p99 under 50 ms.
func runHostileClients(ctx context.Context, c config) (r result) {
	dir, pg, stopPG, err := scenarioPostgres(ctx, c, "atelier-chaos-hostile.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer stopPG()
	blobs := filepath.Join(dir, "blobs")
	w, err := prepare(ctx, c, dir, "ATELIER_DATABASE_URL="+pg.url("atelier"),
		"ATELIER_BLOB_URL=file://"+blobs, "ATELIER_WORKERS=0")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	if w.key == "" {
		r.failf("demo --prepare-only printed no seller key")
		return r
	}
	const (
		readHeaderTimeout = 2 * time.Second
		readTimeout       = 5 * time.Second
		idleTimeout       = 5 * time.Second
		uploadTimeout     = 10 * time.Second
		p99Limit          = 50 * time.Millisecond
	)
	srv, err := w.serve(
		"ATELIER_READ_HEADER_TIMEOUT="+readHeaderTimeout.String(),
		"ATELIER_READ_TIMEOUT="+readTimeout.String(),
		"ATELIER_IDLE_TIMEOUT="+idleTimeout.String(),
		"ATELIER_UPLOAD_TIMEOUT="+uploadTimeout.String(),
	)
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer srv.stop()
	// `atelier serve` renders and stores the built-in background library
	// in the background at its first start (about 13 s of one CPU here,
	// at a lowered priority): the load is measured after that.
	if err := waitLibrary(ctx, pg.url("atelier"), 90*time.Second); err != nil {
		r.failf("%v", err)
		return r
	}
	sleep(ctx, time.Second) // the library's index
	itemsBefore, err := countItems(ctx, pg.url("atelier"))
	if err != nil {
		r.failf("counting items: %v", err)
		return r
	}
	blobsBefore := countFiles(filepath.Join(blobs, "items"))
	addr := strings.TrimPrefix(w.base, "http://")

	load := newChoiceLoad(w.base, 8, 100)
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { load.run(loadCtx); close(done) }()
	sleep(ctx, 3*time.Second)

	// The hostile clients; each reports its failed checks.
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		hostile  int // their HTTP requests
		hostile5 int // answered 5xx
	)
	check := func(name string, after int, f func() (status int, err error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleep(ctx, time.Duration(after)*time.Second)
			begin := time.Now()
			status, err := f()
			mu.Lock()
			defer mu.Unlock()
			r.faults++
			if status != 0 || name != "1000 idle connections" {
				hostile++
			}
			if status >= 500 {
				hostile5++
			}
			outcome := fmt.Sprint(status)
			if status == 0 {
				outcome = "connection closed"
			}
			if err != nil {
				r.failf("%s: %v", name, err)
				outcome += fmt.Sprintf(" (%v)", err)
			}
			fmt.Fprintf(os.Stderr, "chaos: hostile-clients: %s: %s after %s\n", name, outcome, time.Since(begin).Round(time.Millisecond))
		}()
	}
	// The bodies are built first, so that building them does not count
	// against the load; the clients start 1 s apart.
	deep := `{"consumer_id":` + strings.Repeat("[", 100_000) + `}`
	var bomb strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&bomb, "--B\r\nContent-Disposition: form-data; name=\"attr.a%d\"\r\n\r\nx\r\n", i)
	}
	bomb.WriteString("--B--\r\n")
	hostileStart := time.Now()
	check("slow-body upload", 0, func() (int, error) { return slowUpload(ctx, addr, w.key, uploadTimeout) })
	check("1000 idle connections", 1, func() (int, error) { return idleConns(ctx, addr, 1000, readHeaderTimeout) })
	check("25 MB JSON body", 2, func() (int, error) { return bigJSON(addr, 25_000_000) })
	check("JSON nested 100,000 deep", 3, func() (int, error) {
		status, msg, err := postRaw(w.base, "/api/v1/choice-sessions", "", "application/json", deep)
		if err == nil && (status != 400 && status != 413) {
			err = fmt.Errorf("answered %d %s, want 400 or 413", status, msg)
		}
		return status, err
	})
	check("multipart bomb (20,000 parts)", 4, func() (int, error) {
		status, msg, err := postRaw(w.base, "/api/v1/items", w.key, "multipart/form-data; boundary=B", bomb.String())
		if err == nil && (status != 400 && status != 413) {
			err = fmt.Errorf("answered %d %s, want 400 or 413", status, msg)
		}
		return status, err
	})
	wg.Wait()
	hostileEnd := time.Now()
	sleep(ctx, 2*time.Second)
	stopLoad()
	<-done

	reqs := load.snapshot()
	r.requests = len(reqs) + hostile
	r.fivexx = hostile5
	var (
		during []time.Duration
		over   int           // load requests that took p99Limit or more
		maxD   time.Duration // the slowest
		slowAt time.Duration // when it started (from the hostile clients' start)
	)
	for _, q := range reqs {
		at := q.start.Sub(hostileStart).Round(time.Millisecond)
		if q.status >= 500 {
			r.fivexx++
		}
		if q.status/100 != 2 {
			r.failf("load %s at %s: %d %s %v", q.what, at, q.status, q.body, q.err)
		}
		if q.end.After(hostileStart) && q.start.Before(hostileEnd) {
			during = append(during, q.end.Sub(q.start))
			d := q.end.Sub(q.start)
			if d >= p99Limit {
				over++
			}
			if d > maxD {
				maxD, slowAt = d, at
			}
		}
	}
	if len(during) == 0 {
		r.failf("no load request while the hostile clients ran")
	} else {
		slices.Sort(during)
		p99 := during[(len(during)*99+99)/100-1]
		r.recovery = p99
		fmt.Fprintf(os.Stderr, "chaos: hostile-clients: load while hostile (%s): %d requests, p50 %s, p99 %s, max %s (started %s in), %d of %s or more\n",
			hostileEnd.Sub(hostileStart).Round(time.Millisecond), len(during),
			during[len(during)/2].Round(100*time.Microsecond), p99.Round(100*time.Microsecond), maxD.Round(100*time.Microsecond),
			slowAt, over, p99Limit)
		if p99 >= p99Limit {
			r.failf("the load's p99 was %s while the hostile clients ran (limit %s)", p99.Round(100*time.Microsecond), p99Limit)
		}
	}
	checkChoiceLoad(ctx, srv, pg.url("atelier"), load, &r)
	itemsAfter, err := countItems(ctx, pg.url("atelier"))
	if err != nil {
		r.failf("counting items: %v", err)
	}
	blobsAfter := countFiles(filepath.Join(blobs, "items"))
	orphans := max(0, itemsAfter-itemsBefore) + max(0, blobsAfter-blobsBefore)
	r.orphans = orphans
	if orphans > 0 {
		r.failf("the hostile uploads left %d item rows and %d blobs", itemsAfter-itemsBefore, blobsAfter-blobsBefore)
	}
	return r
}

// slowUpload sends an item upload (a seller's, with a correct
// Content-Length) one byte every 100 ms. The server must cut it off
// within the upload timeout (plus 3 s): the connection closed, or a 4xx.
func slowUpload(ctx context.Context, addr, key string, uploadTimeout time.Duration) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	body := "--B\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\ndress\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n" +
		strings.Repeat("x", 2000) + "\r\n--B--\r\n"
	begin := time.Now()
	fmt.Fprintf(conn, "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: %d\r\n\r\n", key, len(body))
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			resp = nil
		}
		answered <- resp
	}()
	limit := uploadTimeout + 3*time.Second
	for i := 0; i < len(body); i++ {
		select {
		case resp := <-answered:
			return cutOff(resp, time.Since(begin), limit)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			break // closed: wait for the reader
		}
		if time.Since(begin) > limit {
			return 0, fmt.Errorf("still sending after %s (upload timeout %s)", time.Since(begin).Round(time.Millisecond), uploadTimeout)
		}
	}
	select {
	case resp := <-answered:
		return cutOff(resp, time.Since(begin), limit)
	case <-time.After(limit):
		return 0, fmt.Errorf("the whole body was sent slowly and no answer came")
	}
}

func cutOff(resp *http.Response, took, limit time.Duration) (int, error) {
	status := 0
	if resp != nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	switch {
	case took > limit:
		return status, fmt.Errorf("cut off only after %s", took.Round(time.Millisecond))
	case status != 0 && status/100 != 4:
		return status, fmt.Errorf("answered %d, want the connection closed or a 4xx", status)
	}
	return status, nil
}

// idleConns opens n TCP connections that never send a byte and waits
// until the server has closed each; every one must be closed within the
// header timeout plus 3 s of opening.
func idleConns(ctx context.Context, addr string, n int, headerTimeout time.Duration) (int, error) {
	conns := make([]net.Conn, 0, n)
	opened := make([]time.Time, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return 0, fmt.Errorf("opened %d connections, then: %w", len(conns), err)
		}
		conns = append(conns, c)
		opened = append(opened, time.Now())
	}
	limit := headerTimeout + 3*time.Second
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		open    int
		slowest time.Duration
	)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(opened[i].Add(limit))
			_, err := io.Copy(io.Discard, c)
			took := time.Since(opened[i])
			var ne net.Error
			mu.Lock()
			defer mu.Unlock()
			if errors.As(err, &ne) && ne.Timeout() {
				open++
			}
			slowest = max(slowest, took)
		}()
	}
	wg.Wait()
	fmt.Fprintf(os.Stderr, "chaos: hostile-clients: %d idle connections, the last closed %s after it opened\n", n, slowest.Round(time.Millisecond))
	if open > 0 {
		return 0, fmt.Errorf("%d of %d idle connections still open %s after they opened (header timeout %s)", open, n, limit, headerTimeout)
	}
	return 0, nil
}

// bigJSON sends a JSON body of n bytes (announced in Content-Length) to
// POST /api/v1/choice-sessions and reads the answer while it writes: it
// must be 413 within 5 s (the body refused unread; the write may then
// fail as the server closes the connection).
func bigJSON(addr string, n int) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	begin := time.Now()
	_ = conn.SetDeadline(begin.Add(30 * time.Second))
	go func() {
		fmt.Fprintf(conn, "POST /api/v1/choice-sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", n)
		head := `{"consumer_id":"`
		chunk := []byte(strings.Repeat("a", 64<<10))
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		for sent := len(head); sent < n; {
			m := min(len(chunk), n-sent)
			if _, err := conn.Write(chunk[:m]); err != nil {
				return
			}
			sent += m
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(begin)
	if err != nil {
		return 0, fmt.Errorf("no answer after %s: %w", took.Round(time.Millisecond), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		return resp.StatusCode, fmt.Errorf("answered %d, want 413", resp.StatusCode)
	}
	if took > 5*time.Second {
		return resp.StatusCode, fmt.Errorf("413 only after %s", took.Round(time.Millisecond))
	}
	return resp.StatusCode, nil
}

// postRaw posts body and returns the status and the answer's text.
func postRaw(base, path, key, contentType, body string) (int, string, error) {
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode, strings.TrimSpace(string(data)), nil
}

func countItems(ctx context.Context, url string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n)
	return n, err
}

// waitLibrary waits until the backgrounds table holds every built-in
// scene.
func waitLibrary(ctx context.Context, url string, timeout time.Duration) error {
	want := len(backdrop.Library())
	deadline := time.Now().Add(timeout)
	n := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			err = conn.QueryRow(ctx, "SELECT count(*) FROM backgrounds WHERE seller_id IS NULL").Scan(&n)
			conn.Close(ctx)
		}
		if err == nil && n >= want {
			return nil
		}
		sleep(ctx, 250*time.Millisecond)
	}
	return fmt.Errorf("the background library has %d of %d scenes after %s", n, want, timeout)
}

// countFiles counts the regular files under dir.
func countFiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}
