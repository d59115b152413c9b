package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/service/dataimport"
	"github.com/atelier-app/atelier/service/demo"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/storage"
)

// TestReportCommand writes one report in each format from the command
// line, and refuses bad flags with one line naming what is wrong.
func TestReportCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a world and runs the demo recommender")
	}
	dir := t.TempDir()
	vars := map[string]string{"ATELIER_DATA_DIR": filepath.Join(dir, "data")}
	seller := reportWorld(t, vars, filepath.Join(dir, "world"))

	var doc report.Doc
	for _, name := range []string{"r.json", "r.csv", "r.html"} {
		out := filepath.Join(dir, name)
		stdout, stderr, code := runCmd(t, vars, "report", "--seller", seller, "--out", out)
		if code != 0 || !strings.Contains(stdout, "wrote "+out+": 3 items × ") {
			t.Fatalf("report --out %s = %d: %s %s", name, code, stdout, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".json":
			if err := json.Unmarshal(data, &doc); err != nil || len(doc.Items) != 3 || len(doc.Segments) == 0 || doc.SellerID != seller {
				t.Fatalf("JSON report (%v): %d items, %d segments", err, len(doc.Items), len(doc.Segments))
			}
		case ".csv":
			rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
			if err != nil || len(rows) != 1+3*len(doc.Segments) {
				t.Fatalf("CSV report (%v): %d rows, want %d", err, len(rows), 1+3*len(doc.Segments))
			}
		case ".html":
			if !strings.HasPrefix(string(data), "<!DOCTYPE html>") || !strings.Contains(string(data), doc.Segments[0].Taste.Summary) {
				t.Fatalf("HTML report starts %.60q", data)
			}
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--out", "x.html"}, "--seller is required"},
		{[]string{"report", "--seller", seller}, "--out is required"},
		{[]string{"report", "--seller", seller, "--out", filepath.Join(dir, "x.pdf")}, "want a .html, .csv or .json file"},
		{[]string{"report", "--seller", "nobody", "--out", filepath.Join(dir, "x.csv")}, `seller "nobody"`},
		{[]string{"report", "--seller", seller, "--segment", "nope", "--out", filepath.Join(dir, "x.csv")}, "nope"},
	} {
		_, stderr, code := runCmd(t, vars, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v = %d, stderr %q; want one line with %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
			t.Errorf("%v left a file behind", c.args)
		}
	}
}

// reportWorld imports a small synthetic world with its segments and the
// demo models into the data directory of vars and gives a new seller
// three items; it returns the seller's id.
func reportWorld(t *testing.T, vars map[string]string, world string) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := loadConfig(env{getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := openBackends(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	wc := synth.DefaultConfig(demo.Seed)
	wc.Items, wc.Consumers, wc.Interactions = 30, 10, 3
	if _, err := synth.Write(ctx, world, wc, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := dataimport.Import(ctx, nil, b.store, b.blobs, world, dataimport.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := demo.RegisterModels(ctx, b.store, b.blobs, io.Discard); err != nil {
		t.Fatal(err)
	}
	seller, _, err := b.store.CreateSeller(ctx, atelier.Seller{Name: "cli seller"}, "")
	if err != nil {
		t.Fatal(err)
	}
	catalogItems, err := b.store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range catalogItems[:3] { // the seller sells three catalog look-alikes
		mine := atelier.Item{OwnerID: seller.ID, ExternalID: "mine-" + it.ExternalID, Category: it.Category, Images: it.Images}
		if _, err := b.store.CreateItem(ctx, mine); err != nil {
			t.Fatal(err)
		}
	}
	return seller.ID
}
