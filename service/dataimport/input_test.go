package dataimport_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
)

// TestInputErrors: a directory or file the importer cannot use at all is
// a KindInvalid error naming what is wrong; nothing is imported.
func TestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		opts  dataimport.Options
		want  string
	}{
		{"no dataset", map[string]string{"notes.txt": "hi", "personas.json": "{}"}, dataimport.Options{}, "holds no dataset"},
		{"unknown format", map[string]string{"items.csv": "item_id,category\n"}, dataimport.Options{Format: "xml"}, `unknown dataset format "xml"`},
		{"no id column", map[string]string{"items.csv": "sku,category\nx,tshirt\n"}, dataimport.Options{}, "items.csv has no item_id column (header: sku,category)"},
		{"empty file", map[string]string{"consumers.csv": ""}, dataimport.Options{}, "consumers.csv is empty"},
		{"no category column", map[string]string{"items.csv": "item_id\nx\n"}, dataimport.Options{}, "items.csv has no category column"},
		{"interactions without timestamp", map[string]string{"interactions.csv": "consumer_id,item_id\n"}, dataimport.Options{}, "interactions.csv has no timestamp column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, b := sqliteLocal(t)
			_, err := dataimport.Import(context.Background(), nil, s, b, dir, tc.opts)
			if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want an invalid-input error containing %q", err, tc.want)
			}
		})
	}
	s, b := sqliteLocal(t)
	_, err := dataimport.Import(context.Background(), nil, s, b, filepath.Join(t.TempDir(), "missing"), dataimport.Options{})
	if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing directory: %v", err)
	}
}

// TestMalformedRows: rows that cannot be read are bad rows with their
// line; the rows around them are imported.
func TestMalformedRows(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"consumers.csv": "consumer_id,segment\nc1,students\nc2\n,empty-id\nc4,\"multi\nline\"\nc5,students\n\"c3,x\n",
		"items.csv":     "\ufeffitem_id,category,colour\nx,,red\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, b := sqliteLocal(t)
	sum := testkit.Must(dataimport.Import(context.Background(), nil, s, b, dir, dataimport.Options{Category: "tshirt"}))(t)
	want := []string{
		`items.csv:2: item "x": no image images/x{.png,.jpg,.jpeg,.webp}`,
		"consumers.csv:3: 1 fields, the header has 2",
		`consumers.csv:4: consumer "": external_id: must not be empty`,
		`consumers.csv:5: consumer "c4": segment: must not contain control characters`,
		`consumers.csv:8: extraneous or missing " in quoted-field`,
	}
	if got := issueStrings(sum); !slices.Equal(got, want) {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := fileStats(t, sum, "consumers.csv", "consumers"); f.New != 2 || f.Skipped != 4 {
		t.Errorf("consumers %+v", f)
	}
	if c := testkit.Must(s.ConsumerByExternalID(context.Background(), "c5"))(t); c.Segment != "students" {
		t.Errorf("c5 %+v", c)
	}
}

// TestRepeatedRows: an item listed twice, within a batch or across two,
// is imported once and counted as existing the second time.
func TestRepeatedRows(t *testing.T) {
	for _, batch := range []int{2, 10} {
		dir := oneItem(t, "x.png", encodedPNG(t, 16))
		if err := os.WriteFile(filepath.Join(dir, "images", "y.png"), encodedPNG(t, 20), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "items.csv"), []byte("item_id,category\nx,tshirt\ny,dress\nx,tshirt\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s, b := sqliteLocal(t)
		sum := testkit.Must(dataimport.Import(context.Background(), nil, s, b, dir, dataimport.Options{BatchSize: batch}))(t)
		if f := fileStats(t, sum, "items.csv", "items"); f.New != 2 || f.Existing != 1 || sum.Blobs.Written != 4 {
			t.Errorf("batch %d: %+v, %+v", batch, f, sum.Blobs)
		}
	}
}
