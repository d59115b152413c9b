package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// world is the demo world prepared in a fresh database with
// `atelier demo --prepare-only`, and the environment its processes share.
type world struct {
	dir  string
	env  []string
	base string // http://127.0.0.1:PORT of `atelier serve`
	key  string // the demo seller's API key
	bin  string
}

// newWorld is an empty world: env (the database and blob URLs) plus the
// settings every scenario shares.
func newWorld(c config, dir string, env ...string) *world {
	w := &world{dir: dir, bin: c.bin, base: fmt.Sprintf("http://127.0.0.1:%d", freePort())}
	w.env = append([]string{
		"ATELIER_DATA_DIR=" + filepath.Join(dir, "data"),
		"ATELIER_LOG_LEVEL=warn",
		"ATELIER_ADDR=" + strings.TrimPrefix(w.base, "http://"),
		// Catalog rounds: no probe pool to build first.
		"ATELIER_PROBE_POOL=0",
		// The load comes from one address, which the default limits
		// per client address would refuse (docs/limits.md).
		"ATELIER_RATE_ANON=0",
		"ATELIER_SESSIONS_PER_CLIENT=0",
		"ATELIER_REQUEST_TIMEOUT=5s",
	}, env...)
	return w
}

// prepare runs `atelier demo --prepare-only` in a new world.
func prepare(ctx context.Context, c config, dir string, env ...string) (*world, error) {
	w := newWorld(c, dir, env...)
	p, err := start("demo --prepare-only", dir, filepath.Join(dir, "prepare.log"), w.env, c.bin, "demo", "--prepare-only")
	if err != nil {
		return nil, err
	}
	select {
	case err = <-p.done:
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	out, _ := os.ReadFile(p.log)
	if err != nil {
		return nil, fmt.Errorf("demo --prepare-only: %w\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, ok := strings.CutPrefix(line, "demo seller API key: "); ok {
			w.key = strings.TrimSpace(k)
		}
	}
	return w, nil
}

// serve starts `atelier serve` with extra settings and waits for /healthz.
func (w *world) serve(extra ...string) (*proc, error) {
	p, err := start("atelier serve", w.dir, filepath.Join(w.dir, "serve.log"), append(append([]string{}, w.env...), extra...), w.bin, "serve")
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(p, w.base+"/healthz", 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// serveSeller is serve, then a new seller (w's env must hold
// ATELIER_ADMIN_KEY=chaosAdminKey) whose API key it returns.
func (w *world) serveSeller(extra ...string) (*proc, string, error) {
	srv, err := w.serve(extra...)
	if err != nil {
		return nil, "", err
	}
	key, err := newSeller(w)
	if err != nil {
		srv.stop()
		return nil, "", fmt.Errorf("seller: %w", err)
	}
	return srv, key, nil
}
