package synth

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	atelier "github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

func smallConfig() Config {
	return Config{Items: 36, Consumers: 10, Interactions: 4, Seed: 7, Size: 32}
}

// writeWorld writes a world into a fresh directory and returns its path.
func writeWorld(t *testing.T, cfg Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "world")
	if _, err := Write(context.Background(), dir, cfg, false, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestWriteDatasetFormat(t *testing.T) {
	var updates []progress.Update
	dir := filepath.Join(t.TempDir(), "world")
	s, err := Write(context.Background(), dir, smallConfig(), false, func(u progress.Update) { updates = append(updates, u) })
	if err != nil {
		t.Fatal(err)
	}
	if s.Items != 36 || s.Consumers != 10 || s.Interactions != 40 || len(updates) == 0 {
		t.Fatalf("summary %+v after %d updates", s, len(updates))
	}

	items := readCSV(t, filepath.Join(dir, "items.csv"))
	if want := append([]string{"item_id"}, Columns()...); !slices.Equal(items[0], want) {
		t.Fatalf("items header %v", items[0])
	}
	if len(items) != 37 {
		t.Fatalf("%d item rows", len(items)-1)
	}
	ids := map[string]bool{}
	for _, row := range items[1:] {
		ids[row[0]] = true
		if !Category(row[1]).Valid() {
			t.Fatalf("row %v: bad category", row)
		}
		if _, err := os.Stat(filepath.Join(dir, "images", row[0]+".png")); err != nil {
			t.Fatal(err)
		}
	}
	cons := readCSV(t, filepath.Join(dir, "consumers.csv"))
	if !slices.Equal(cons[0], []string{"consumer_id", "segment"}) || len(cons) != 11 {
		t.Fatalf("consumers.csv: %v", cons)
	}
	segs := map[string]bool{}
	for _, p := range DefaultPersonas() {
		segs[p.Name] = true
	}
	cids := map[string]bool{}
	for _, row := range cons[1:] {
		cids[row[0]] = true
		if !segs[row[1]] {
			t.Fatalf("unknown segment in %v", row)
		}
	}
	inter := readCSV(t, filepath.Join(dir, "interactions.csv"))
	if !slices.Equal(inter[0], []string{"consumer_id", "item_id", "timestamp"}) || len(inter) != 41 {
		t.Fatalf("interactions.csv: %d rows, header %v", len(inter), inter[0])
	}
	for _, row := range inter[1:] {
		if !cids[row[0]] || !ids[row[1]] {
			t.Fatalf("interaction %v names unknown ids", row)
		}
	}

	ps, err := LoadPersonas(filepath.Join(dir, "personas.json"))
	if err != nil || len(ps) != len(DefaultPersonas()) {
		t.Fatalf("personas.json: %v", err)
	}
	cs, err := LoadConsumers(filepath.Join(dir, "oracle", "consumers.json"))
	if err != nil || len(cs) != 10 || cs[0].ID != cons[1][0] || cs[0].Persona != cons[1][1] {
		t.Fatalf("oracle/consumers.json: %v %+v", err, cs)
	}
	// Nothing but the world itself is left in the parent directory.
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Fatalf("parent holds %d entries, want only the world", len(ents))
	}
}

// TestOracleOnWrittenImages checks that the features used for the
// simulation are exactly those of the PNG files, so the oracle re-run on a
// dataset agrees with it.
func TestOracleOnWrittenImages(t *testing.T) {
	cfg := smallConfig()
	dir := writeWorld(t, cfg)
	items := DrawCatalog(cfg.Seed, cfg.Items)
	feats, err := RenderCatalog(context.Background(), items, cfg.Size, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		img, err := imaging.ReadFile(filepath.Join(dir, "images", it.ID+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if got := FeaturesOf(imaging.FromImage(img)); got != feats[i] {
			t.Fatalf("%s: features of the PNG %+v differ from %+v", it.ID, got, feats[i])
		}
	}
}

func TestWriteIsDeterministicAcrossWorkers(t *testing.T) {
	a, b := smallConfig(), smallConfig()
	a.Workers, b.Workers = 1, 3
	da, db := writeWorld(t, a), writeWorld(t, b)
	n := 0
	err := filepath.WalkDir(da, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(da, path)
		x, _ := os.ReadFile(path)
		y, err := os.ReadFile(filepath.Join(db, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between 1 and 3 workers", rel)
		}
		n++
		return nil
	})
	if err != nil || n != 36+6 {
		t.Fatalf("compared %d files: %v", n, err)
	}
	c := smallConfig()
	c.Seed = 8
	dc := writeWorld(t, c)
	x, _ := os.ReadFile(filepath.Join(da, "interactions.csv"))
	y, _ := os.ReadFile(filepath.Join(dc, "interactions.csv"))
	if bytes.Equal(x, y) {
		t.Fatal("seeds 7 and 8 give the same interactions")
	}
}

func TestWriteRefusesAndReplaces(t *testing.T) {
	dir := writeWorld(t, smallConfig())
	_, err := Write(context.Background(), dir, smallConfig(), false, nil)
	if atelier.ErrorKind(err) != atelier.KindConflict || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second write: %v, want a conflict mentioning --force", err)
	}
	cfg := smallConfig()
	cfg.Items = 12
	if _, err := Write(context.Background(), dir, cfg, true, nil); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, filepath.Join(dir, "items.csv")); len(rows) != 13 {
		t.Fatalf("forced write left %d items", len(rows)-1)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 1 {
		t.Fatalf("parent holds %d entries after replacing", len(ents))
	}
	// An empty directory is fine without --force.
	empty := filepath.Join(t.TempDir(), "empty")
	os.Mkdir(empty, 0o755)
	if _, err := Write(context.Background(), empty, smallConfig(), false, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, filepath.Join(parent, "world"), smallConfig(), false, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// Cancel midway through rendering, from the progress callback.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cfg := smallConfig()
	cfg.Items = 200
	_, err = Write(ctx, filepath.Join(parent, "world"), cfg, false, func(u progress.Update) {
		if u.Stage == "render" && u.Step >= 64 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("cancelled writes left %d entries", len(ents))
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []struct {
		name, field string
		mod         func(*Config)
	}{
		{"no items", "items", func(c *Config) { c.Items = 0 }},
		{"no consumers", "consumers", func(c *Config) { c.Consumers = -1 }},
		{"negative picks", "interactions", func(c *Config) { c.Interactions = -2 }},
		{"tiny images", "size", func(c *Config) { c.Size = 8 }},
		{"huge images", "size", func(c *Config) { c.Size = 5000 }},
		{"negative temperature", "temperature", func(c *Config) { c.Temperature = -1 }},
		{"bad personas", "personas[0].share", func(c *Config) {
			c.Personas = []Persona{{Name: "a", Share: 0}}
		}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			tc.mod(&c)
			err := c.Validate()
			if atelier.ErrorField(err) != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
			dir := filepath.Join(t.TempDir(), "w")
			if _, err := Write(context.Background(), dir, c, false, nil); err == nil {
				t.Fatal("Write accepted it")
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("Write left a directory")
			}
		})
	}
}
