package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/watermark"
)

// runWatermark dispatches `atelier watermark verify|embed`: checking images
// for the AI-generated marks, and marking images (for tools and tests; the
// redesign flow marks its variants itself).
func runWatermark(ctx context.Context, e env, args []string) error {
	return subcommands(ctx, e, "watermark", args, map[string]command{
		"verify": {"report the invisible mark and the PNG AI-generated label of images", runWatermarkVerify},
		"embed":  {"mark an image as AI-generated (invisible mark and PNG label)", runWatermarkEmbed},
	})
}

// keyFlag adds --key, whose default is ATELIER_WATERMARK_KEY or the demo
// key, as for the service.
func keyFlag(fs *flag.FlagSet, e env) *string {
	def := strings.TrimSpace(e.getenv("ATELIER_WATERMARK_KEY"))
	if def == "" {
		def = watermark.DemoKey
	}
	return fs.String("key", def, "watermark `key` (default: ATELIER_WATERMARK_KEY, else the demo key)")
}

// verifyResult is one line of `watermark verify`.
type verifyResult struct {
	File string `json:"file"`
	watermark.Report
	Error string `json:"error,omitempty"`
}

// runWatermarkVerify prints, per image, whether the invisible mark of the
// key is present (with its score) and whether the PNG carries the
// AI-Generated text label. Unmarked images are a result, not an error;
// unreadable files are reported and make the exit status 1.
func runWatermarkVerify(_ context.Context, e env, args []string) error {
	fs := newFlags("watermark verify", e)
	key := keyFlag(fs, e)
	asJSON := fs.Bool("json", false, "print the results as JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("watermark verify: give one or more image files")
	}
	if *key == "" {
		return usagef("watermark verify: --key is empty")
	}
	results := make([]verifyResult, len(files))
	failed := 0
	for i, f := range files {
		results[i].File = f
		data, err := os.ReadFile(f)
		if err == nil {
			results[i].Report, err = watermark.Inspect(data, *key)
		}
		if err != nil {
			results[i].Error = err.Error()
			failed++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else if err := writeVerifyTable(e, results); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("watermark verify: %d of %d files could not be read", failed, len(files))
	}
	return nil
}

func writeVerifyTable(e env, results []verifyResult) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "file\tinvisible mark\tscore\ttext label")
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\terror: %s\n", r.File, r.Error)
			continue
		}
		mark := "absent"
		if r.Marked {
			mark = "present"
		}
		label := "absent"
		switch {
		case r.Format != "png":
			label = "n/a (" + r.Format + ")"
		case r.Labelled:
			label = "present (" + watermark.KeyAIGenerated + ": true)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\n", r.File, mark, r.Score, label)
	}
	return tw.Flush()
}

// runWatermarkEmbed writes a marked, labelled PNG copy of an image.
func runWatermarkEmbed(_ context.Context, e env, args []string) error {
	fs := newFlags("watermark embed", e)
	in := fs.String("in", "", "input image `file` (PNG or JPEG, at least 64×64)")
	out := fs.String("out", "", "output PNG `file`")
	key := keyFlag(fs, e)
	desc := fs.String("description", "AI-generated product image variant", "text of the PNG Description label")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *in == "" || *out == "":
		return usagef("watermark embed: --in and --out are required")
	case *key == "":
		return usagef("watermark embed: --key is empty")
	}
	img, err := imaging.ReadFile(*in)
	if err != nil {
		return err
	}
	m, err := watermark.Embed(img, *key)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := writeFileAtomic(*out, func(f *os.File) error {
		return watermark.EncodePNG(f, m.Image, watermark.Provenance(*desc)...)
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: invisible mark score %.2f (threshold %.0f), PSNR %.2f dB, AI-Generated text label\n",
		*out, m.Score, watermark.Threshold, m.PSNR)
	return nil
}

// writeFileAtomic writes path through a temporary file in the same folder
// and renames it into place, so that a failure leaves no half-written file.
func writeFileAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".atelier-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o644) // CreateTemp's 0600 is for secrets, not images
	if err == nil {
		err = write(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments (`verify a.png b.png --json`) and returns the
// positional ones; everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, true); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
