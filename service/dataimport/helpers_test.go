package dataimport_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// writeWorld writes a small synthetic world (images of size px) and
// returns its directory.
func writeWorld(t *testing.T, items, consumers, picks, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "world")
	cfg := synth.Config{Items: items, Consumers: consumers, Interactions: picks, Seed: 7, Size: size, Workers: 2}
	if _, err := synth.Write(context.Background(), dir, cfg, false, nil); err != nil {
		t.Fatalf("write world: %v", err)
	}
	return dir
}

// readCSV returns the rows of a dataset CSV file as maps by column name.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// sqliteLocal opens a fresh SQLite store and local blob store.
func sqliteLocal(t *testing.T) (*storage.Store, blob.Store) {
	t.Helper()
	return storagetest.OpenStore(t, storagetest.SQLiteURL(t)), storagetest.OpenBlob(t, storagetest.LocalBlobURL(t))
}

// snapshot is everything an import can change, to compare two states.
type snapshot struct {
	items        []string // external id, category and image keys of each item
	consumers    []string // external id and segment
	interactions int64
	segments     []string // name and member count
	blobs        []blob.Info
}

func takeSnapshot(t *testing.T, s *storage.Store, b blob.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var snap snapshot
	err := s.EachItem(ctx, storage.ItemFilter{}, func(it atelier.Item) error {
		line := it.ExternalID + " " + it.Category
		for _, im := range it.Images {
			line += " " + im.OriginalKey + " " + im.ModelKey
		}
		snap.items = append(snap.items, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.EachConsumer(ctx, storage.ConsumerFilter{}, func(c atelier.Consumer) error {
		snap.consumers = append(snap.consumers, c.ExternalID+" "+c.Segment)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	snap.interactions = testkit.Must(s.CountInteractions(ctx))(t)
	for _, sg := range testkit.Must(s.ListSegments(ctx, storage.SegmentFilter{Kind: atelier.SegmentImported}))(t) {
		n := len(testkit.Must(s.ListMemberships(ctx, sg.ID))(t))
		snap.segments = append(snap.segments, sg.Name+" "+strings.Repeat("#", n))
	}
	snap.blobs = testkit.Must(b.List(ctx, ""))(t)
	slices.Sort(snap.items)
	slices.Sort(snap.consumers)
	slices.Sort(snap.segments)
	return snap
}

func (a snapshot) equal(b snapshot) bool {
	return slices.Equal(a.items, b.items) && slices.Equal(a.consumers, b.consumers) &&
		a.interactions == b.interactions && slices.Equal(a.segments, b.segments) &&
		slices.EqualFunc(a.blobs, b.blobs, func(x, y blob.Info) bool {
			return x.Key == y.Key && x.Size == y.Size && x.ModTime.Equal(y.ModTime)
		})
}

// fileStats returns the stats of file's table, failing when absent.
func fileStats(t *testing.T, s dataimport.Summary, file, table string) dataimport.FileStats {
	t.Helper()
	for _, f := range s.Files {
		if f.File == file && f.Table == table {
			return f
		}
	}
	t.Fatalf("summary has no %s (%s): %+v", file, table, s.Files)
	return dataimport.FileStats{}
}

// issueStrings returns the summary's issues as file:line: message.
func issueStrings(s dataimport.Summary) []string {
	out := make([]string, len(s.Issues))
	for i, is := range s.Issues {
		out[i] = is.String()
	}
	return out
}

// hasIssue reports whether an issue starts with prefix and contains want.
func hasIssue(s dataimport.Summary, prefix, want string) bool {
	for _, is := range issueStrings(s) {
		if strings.HasPrefix(is, prefix) && strings.Contains(is, want) {
			return true
		}
	}
	return false
}

// corruptPNG keeps a PNG's signature and header chunk (so its size can be
// read) and replaces the rest with bytes that are no PNG chunk.
func corruptPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const sigAndIHDR = 8 + 25
	bad := append(data[:sigAndIHDR:sigAndIHDR], []byte(strings.Repeat("not a png chunk ", 8))...)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendLine appends a line to a file and returns its 1-based number.
func appendLine(t *testing.T, path, line string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte(line+"\n")...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}
