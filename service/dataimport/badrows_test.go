package dataimport_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// TestBadRowsAreSkipped: a corrupt PNG makes its item a bad row (and its
// interactions unknown), an interaction naming an unknown item is a bad
// row, each reported with file and line; everything else is imported.
func TestBadRowsAreSkipped(t *testing.T) {
	dir := writeWorld(t, 30, 12, 4, 64)
	corruptPNG(t, filepath.Join(dir, "images", "it00005.png"))
	unknownLine := appendLine(t, filepath.Join(dir, "interactions.csv"), "c00001,it99999,1700000000")
	badTimeLine := appendLine(t, filepath.Join(dir, "interactions.csv"), "c00002,it00001,yesterday")
	interactions := readCSV(t, filepath.Join(dir, "interactions.csv"))
	var of5 []int // lines of interactions with it00005
	for i, r := range interactions {
		if r["item_id"] == "it00005" {
			of5 = append(of5, i+2)
		}
	}
	if len(of5) == 0 {
		t.Fatal("the world has no interaction with it00005; pick another item")
	}
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := storagetest.OpenBlob(t, storagetest.LocalBlobURL(t))
		var seen []string
		sum := testkit.Must(dataimport.Import(ctx, nil, s, b, dir, dataimport.Options{
			BatchSize: 8, OnIssue: func(is dataimport.Issue) { seen = append(seen, is.String()) },
		}))(t)

		if !hasIssue(sum, "items.csv:6: ", `item "it00005": image images/it00005.png cannot be decoded`) {
			t.Errorf("corrupt image not reported on its line: %q", issueStrings(sum))
		}
		if !hasIssue(sum, fmt.Sprintf("interactions.csv:%d: ", unknownLine), `unknown item_id "it99999"`) {
			t.Errorf("unknown item not reported on its line: %q", issueStrings(sum))
		}
		if !hasIssue(sum, fmt.Sprintf("interactions.csv:%d: ", badTimeLine), `timestamp "yesterday"`) {
			t.Errorf("bad timestamp not reported on its line: %q", issueStrings(sum))
		}
		for _, line := range of5 {
			if !hasIssue(sum, fmt.Sprintf("interactions.csv:%d: ", line), `unknown item_id "it00005"`) {
				t.Errorf("interaction of the refused item not reported: %q", issueStrings(sum))
			}
		}
		if strings.Join(seen, "\n") != strings.Join(issueStrings(sum), "\n") {
			t.Errorf("OnIssue saw %q, summary has %q", seen, issueStrings(sum))
		}

		if f := fileStats(t, sum, "items.csv", "items"); f.New != 29 || f.Skipped != 1 {
			t.Errorf("items: %+v", f)
		}
		wantSkipped := len(of5) + 2
		if f := fileStats(t, sum, "interactions.csv", "interactions"); f.New != len(interactions)-wantSkipped || f.Skipped != wantSkipped {
			t.Errorf("interactions: %+v, want %d skipped", f, wantSkipped)
		}
		if _, err := s.ItemByExternalID(ctx, "", "it00005"); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("refused item stored (err %v)", err)
		}
		if n := testkit.Must(s.CountInteractions(ctx))(t); n != int64(len(interactions)-wantSkipped) {
			t.Errorf("%d interactions stored", n)
		}
	})
}

// TestStrictStopsBeforeTheBatch: with Strict the first bad row is an error
// naming it, batches before it are imported and nothing of its batch is.
func TestStrictStopsBeforeTheBatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  string // start of the error message
		check func(t *testing.T, s *storage.Store)
	}{{
		name:  "corrupt image",
		spoil: func(t *testing.T, dir string) { corruptPNG(t, filepath.Join(dir, "images", "it00015.png")) },
		want:  `items.csv:16: item "it00015": image images/it00015.png cannot be decoded`,
		check: func(t *testing.T, s *storage.Store) {
			ctx := context.Background()
			for id, want := range map[string]atelier.Kind{"it00010": "", "it00011": atelier.KindNotFound, "it00014": atelier.KindNotFound} {
				if _, err := s.ItemByExternalID(ctx, "", id); atelier.ErrorKind(err) != want {
					t.Errorf("item %s: error %v, want kind %q", id, err, want)
				}
			}
			if cs := testkit.Must(s.ListConsumers(ctx, storage.ConsumerFilter{}))(t); len(cs) != 0 {
				t.Errorf("%d consumers imported after the stop", len(cs))
			}
		},
	}, {
		name: "unknown item",
		spoil: func(t *testing.T, dir string) {
			path := filepath.Join(dir, "interactions.csv")
			lines := strings.Split(string(testkit.Must(os.ReadFile(path))(t)), "\n")
			f := strings.Split(lines[14], ",") // line 15, in the second batch of 10
			f[1] = "it99999"
			lines[14] = strings.Join(f, ",")
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		want: `interactions.csv:15: unknown item_id "it99999"`,
		check: func(t *testing.T, s *storage.Store) {
			if n := testkit.Must(s.CountInteractions(context.Background()))(t); n != 10 {
				t.Errorf("%d interactions stored, want the 10 of the first batch", n)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeWorld(t, 30, 10, 3, 64)
			tc.spoil(t, dir)
			s, b := sqliteLocal(t)
			_, err := dataimport.Import(context.Background(), nil, s, b, dir, dataimport.Options{BatchSize: 10, Strict: true})
			if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.HasPrefix(atelier.ErrorMessage(err), tc.want) {
				t.Fatalf("error %v, want one starting with %q", err, tc.want)
			}
			tc.check(t, s)
		})
	}
}
