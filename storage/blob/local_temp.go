package blob

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tempDirName is the folder of the local store's writes in flight.
const tempDirName = ".tmp"

// tempMaxAge is the age past which a temporary file is deleted whoever
// wrote it: no write takes a day.
const tempMaxAge = 24 * time.Hour

func (l *Local) tmpDir() string { return filepath.Join(l.root, tempDirName) }

// tempPrefix names this process's temporary files: HOST_PID_, so that a
// sweep can tell whose they are.
func tempPrefix() string {
	return tempHost() + "_" + strconv.Itoa(os.Getpid()) + "_"
}

// tempHost is the host name made safe for a file name ('_' is the
// separator).
func tempHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "host"
	}
	return strings.NewReplacer("_", "-", "/", "-").Replace(h)
}

// sweepTemp deletes the temporary files in dir left by processes of this
// host that no longer run, and every file older than tempMaxAge. Files of
// running processes and of other hosts (a folder shared over the network)
// stay. Errors are ignored: a file that cannot be deleted now is tried at
// the next open.
func sweepTemp(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	host := tempHost()
	for _, e := range entries {
		if stale(e, host, now) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func stale(e os.DirEntry, host string, now time.Time) bool {
	if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > tempMaxAge {
		return true
	}
	h, rest, ok := strings.Cut(e.Name(), "_")
	if !ok || h != host {
		return false
	}
	pidText, _, _ := strings.Cut(rest, "_")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	return !running(pid)
}

// running reports whether a process with pid exists on this host (signal
// 0 checks without sending anything; EPERM means it exists but is not
// ours).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
