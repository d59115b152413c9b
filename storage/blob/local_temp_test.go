package blob

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLocalSweepsTempFilesOfDeadProcesses: a write killed midway leaves a
// temporary file; the next open deletes it when its process is gone, and
// keeps the files of running processes and of other hosts unless a day
// old.
func TestLocalSweepsTempFilesOfDeadProcesses(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, tempDirName)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Skipf("no `true` to run: %v", err)
	}
	host := tempHost()
	files := map[string]time.Duration{ // name → age
		host + "_" + strconv.Itoa(done.Process.Pid) + "_1":   0, // its writer is gone
		host + "_" + strconv.Itoa(os.Getpid()) + "_2":        0, // this process: a write in flight
		"otherhost_" + strconv.Itoa(done.Process.Pid) + "_3": 0, // another host's: cannot tell
		"otherhost_1_4": 25 * time.Hour, // but not a day old
		"garbage":       0,              // not ours to judge
	}
	for name, age := range files {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte("part"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	want := []string{"garbage", host + "_" + strconv.Itoa(os.Getpid()) + "_2", "otherhost_" + strconv.Itoa(done.Process.Pid) + "_3"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after the sweep: %v, want %v", left, want)
	}
	// The folder is the store's own: never listed as keys.
	if err := l.Put(context.Background(), "a/b", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	infos, err := l.List(context.Background(), "")
	if err != nil || len(infos) != 1 || infos[0].Key != "a/b" {
		t.Fatalf("List: %+v (%v), want a/b alone", infos, err)
	}
}

// TestLocalFailedPutLeavesNothing: a write whose data runs short leaves
// no object, no temporary file and not even the object's folder.
func TestLocalFailedPutLeavesNothing(t *testing.T) {
	root := t.TempDir()
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	err = l.Put(context.Background(), "items/x/photo.png", strings.NewReader("short"), 100, "image/png")
	if err == nil {
		t.Fatal("a reader shorter than the size was accepted")
	}
	if _, err := os.Stat(filepath.Join(root, "items")); !os.IsNotExist(err) {
		t.Fatalf("the failed write left its folder: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, tempDirName)); len(left) != 0 {
		t.Fatalf("the failed write left %d temporary files", len(left))
	}
}
