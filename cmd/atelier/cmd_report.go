package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/report"
)

// csvLinkTTL is how long the variant links of a CSV written by the CLI
// work: the longest a presigned URL may (a local blob store's links are
// served by `atelier serve`).
const csvLinkTTL = 7 * 24 * time.Hour

// runReport builds a segment report of a seller's items with the active
// recommender, in this process, and writes it as HTML, CSV or JSON by the
// extension of --out (`atelier report --seller ID --out report.html`).
// It is the report job without the queue: nothing is stored but the file.
func runReport(ctx context.Context, e env, args []string) error {
	fs := newFlags("report", e)
	seller := fs.String("seller", "", "id of the seller whose items are ranked (required)")
	segment := fs.String("segment", "", "report on this segment only (default: every segment)")
	out := fs.String("out", "", "file to write: .html (self-contained page), .csv (one row per item × segment) or .json (required)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	switch {
	case *seller == "":
		return usagef("report: --seller is required (the seller's id)")
	case *out == "":
		return usagef("report: --out is required (report.html, report.csv or report.json)")
	case report.Formats[format] == "":
		return usagef("report: --out %s: want a .html, .csv or .json file", *out)
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer b.Close()
	if _, err := b.store.GetSeller(ctx, *seller); err != nil {
		return fmt.Errorf("report: seller %q: %w", *seller, err)
	}

	r := atelier.Report{ID: "cli-" + randomHex(6), SellerID: *seller, SegmentID: *segment, CreatedAt: time.Now()}
	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	doc, err := report.NewEngine(b.store, b.blobs).Build(ctx, r, bar.Func())
	bar.Done()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	scope := atelier.Scope{SellerID: *seller}
	err = writeFileAtomic(*out, func(f *os.File) error {
		return report.Export(f, format, doc, r.CreatedAt, report.StorePictures(ctx, b.store, b.blobs, scope),
			func(key string) (string, error) { return b.blobs.URL(ctx, key, csvLinkTTL) })
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d items × %d segments, ranked against %d catalog items\n",
		*out, len(doc.Items), len(doc.Segments), doc.CatalogSize)
	for _, n := range doc.Notes {
		fmt.Fprintln(e.stdout, n)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
