package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atelier-app/atelier/storage/storagetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// atelierBinary builds the command once per test run, so process-level
// behaviour (signals, exit codes) is tested on the real binary.
func atelierBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "atelier-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "atelier")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHTTP polls url until it answers or the deadline passes.
func waitHTTP(t *testing.T, url string, deadline time.Duration) *http.Response {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		resp, err := http.Get(url)
		if err == nil {
			return resp
		}
		if time.Now().After(end) {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startServe runs `atelier serve` with the given extra environment and
// returns the base URL and the process.
func startServe(t *testing.T, extraEnv ...string) (string, *exec.Cmd, *strings.Builder) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(atelierBinary(t), "serve")
	cmd.Env = append(os.Environ(), "ATELIER_DATA_DIR="+t.TempDir(), "ATELIER_ADDR="+addr)
	cmd.Env = append(cmd.Env, extraEnv...)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return "http://" + addr, cmd, &logs
}

func TestServeOnDefaultsStopsOnSIGTERM(t *testing.T) {
	base, cmd, logs := startServe(t)
	resp := waitHTTP(t, base+"/healthz", 30*time.Second)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz = %d", resp.StatusCode)
	}
	resp = waitHTTP(t, base+"/readyz", time.Second)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz = %d\n%s", resp.StatusCode, logs)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, logs)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("serve still running 5 s after SIGTERM\n%s", logs)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", logs)
	}
}

func TestServeBadConfigFailsFast(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ATELIER_DATABASE_URL": "postgres://nohost:1/x"}, "ATELIER_DATABASE_URL"},
		{map[string]string{"ATELIER_DATABASE_URL": "mysql://db/x"}, "ATELIER_DATABASE_URL"},
		{map[string]string{"ATELIER_BLOB_URL": "minio://k:s@127.0.0.1:1/bucket?tls=false"}, "ATELIER_BLOB_URL"},
		{map[string]string{"ATELIER_ADDR": "nonsense"}, "ATELIER_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			tt.env["ATELIER_DATA_DIR"] = t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errb strings.Builder
			err := run(ctx, []string{"serve"}, env{getenv: func(k string) string { return tt.env[k] }, stdout: &out, stderr: &errb})
			if err == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Fatalf("serve did not fail fast: %v", err)
			}
			var line strings.Builder
			if code := exitCode(err, &line); code == 0 {
				t.Fatal("exit code 0")
			}
			msg := line.String()
			if !strings.Contains(msg, tt.want) || strings.Count(strings.TrimSpace(msg), "\n") > 0 {
				t.Fatalf("error %q does not name %s on one line", msg, tt.want)
			}
			if strings.Contains(msg, ":s@") {
				t.Fatalf("error leaks the secret: %q", msg)
			}
		})
	}
}

func TestServeOnPostgresAndMinIO(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	blobURL := storagetest.MinIOURL(t)
	base, cmd, logs := startServe(t, "ATELIER_DATABASE_URL="+dbURL, "ATELIER_BLOB_URL="+blobURL)
	resp := waitHTTP(t, base+"/readyz", 30*time.Second)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz on postgres+minio = %d\n%s", resp.StatusCode, logs)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v\n%s", err, logs)
	}
	if strings.Contains(logs.String(), "atelier-test-secret") || strings.Contains(logs.String(), "minioadmin:minioadmin") {
		t.Fatalf("log leaks a secret:\n%s", logs)
	}
}
