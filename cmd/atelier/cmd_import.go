package main

import (
	"context"
	"encoding/json"
	"fmt"
	_ "image/jpeg" // imported catalogs are often JPEG
	"io"
	"log/slog"

	_ "golang.org/x/image/webp"

	"github.com/atelier-app/atelier/internal/config"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/dataimport"
)

// maxPrintedIssues bounds the bad rows printed as they are found; the
// summary counts them all.
const maxPrintedIssues = 50

// runImport loads a dataset directory into the configured database and
// blob store (`atelier import [flags] DIR`).
func runImport(ctx context.Context, e env, args []string) error {
	fs := newFlags("import", e)
	strict := fs.Bool("strict", false, "stop at the first bad row (nothing of its batch is written)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	format := fs.String("format", "", "dataset format: csv or amazon (default: detected from the files)")
	category := fs.String("category", "", "category of items that name none (Amazon data without a meta file)")
	kind := fs.String("kind", "", "interaction kind where the data names none (default: take for CSV, review for Amazon)")
	workers := fs.Int("workers", dataimport.DefaultWorkers, "image conversion goroutines")
	batch := fs.Int("batch", dataimport.DefaultBatchSize, "rows per transaction")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("import: want one dataset directory (atelier import [flags] DIR)")
	}
	if *workers < 1 || *workers > 64 || *batch < 1 || *batch > 10_000 {
		return usagef("import: --workers must be in [1, 64] and --batch in [1, 10000]")
	}
	dir := fs.Arg(0)
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := openBackends(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer b.Close()
	db, blobs := b.store, b.blobs

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	printed := 0
	opts := dataimport.Options{
		Format: *format, Strict: *strict, Category: *category, Kind: *kind,
		MaxImageBytes: cfg.MaxUploadBytes, MaxImagePixels: cfg.MaxUploadPixels,
		Workers: *workers, BatchSize: *batch,
		OnIssue: func(is dataimport.Issue) {
			if printed++; printed <= maxPrintedIssues {
				bar.Done() // end a bar's line before printing under it
				fmt.Fprintln(e.stderr, is)
			}
		},
	}
	sum, err := dataimport.Import(ctx, bar.Func(), db, blobs, dir, opts)
	bar.Done()
	if printed > maxPrintedIssues {
		fmt.Fprintf(e.stderr, "... and %d more bad rows\n", printed-maxPrintedIssues)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	printImportSummary(e.stdout, sum)
	return nil
}

func printImportSummary(w io.Writer, s dataimport.Summary) {
	fmt.Fprintf(w, "imported %s (%s) in %.1fs: %d new, %d bad rows skipped\n", s.Dir, s.Format, s.Seconds, s.New(), s.Skipped())
	for _, f := range s.Files {
		fmt.Fprintf(w, "  %-*s %-12s %d new, %d existing, %d skipped\n", width(s.Files), f.File, f.Table, f.New, f.Existing, f.Skipped)
	}
	fmt.Fprintf(w, "  images: %d blobs written, %d reused; imported segments: %d new memberships\n", s.Blobs.Written, s.Blobs.Reused, s.NewMemberships)
}

func width(fs []dataimport.FileStats) int {
	n := 0
	for _, f := range fs {
		n = max(n, len(f.File))
	}
	return n
}
