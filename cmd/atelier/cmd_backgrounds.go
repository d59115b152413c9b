package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/backgrounds"
)

// runBackgrounds describes a product photo and writes the built-in scenes
// that suit it, with the product composited on each: `atelier backgrounds
// --image PHOTO --out DIR [--n 5] [--recommender FILE]`. DIR gets
// description.json (the description and the ranked suggestions) and one
// PNG per suggestion, 1-<scene id>.png, ...; files are written atomically.
func runBackgrounds(ctx context.Context, e env, args []string) error {
	fs := newFlags("backgrounds", e)
	photoPath := fs.String("image", "", "product photo `file` (JPEG, PNG or WebP; required)")
	out := fs.String("out", "", "output `directory` (required; created when missing)")
	n := fs.Int("n", 5, "how many scenes")
	recPath := fs.String("recommender", "", "recommender model `file` for the category (default: the embedded demo model)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *photoPath == "" || *out == "":
		return usagef("backgrounds: --image and --out are required")
	case *n < 1 || *n > backgrounds.MaxSuggestions:
		return usagef("backgrounds: --n %d not in [1, %d]", *n, backgrounds.MaxSuggestions)
	}
	img, err := imaging.ReadFile(*photoPath)
	if err != nil {
		return fmt.Errorf("backgrounds: --image %s: %w", *photoPath, err)
	}
	photo, err := backgrounds.PreparePhoto(img)
	if err != nil {
		return fmt.Errorf("backgrounds: --image %s: %w", *photoPath, err)
	}
	rec, err := loadRecommenderOrDemo(*recPath)
	if err != nil {
		return fmt.Errorf("backgrounds: %w", err)
	}
	defer rec.Close()
	desc, err := backgrounds.Describe(ctx, &backgrounds.ModelCategorizer{M: rec}, photo)
	if err != nil {
		return fmt.Errorf("backgrounds: %w", err)
	}
	specs := backdrop.Library()
	idx, err := backgrounds.LibraryIndex(specs, backgrounds.LibrarySize)
	if err != nil {
		return fmt.Errorf("backgrounds: %w", err)
	}
	defer idx.Close()
	hits, err := idx.Search(backgrounds.Query(desc, ""), *n)
	if err != nil {
		return fmt.Errorf("backgrounds: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("backgrounds: --out: %w", err)
	}
	byID := map[string]backdrop.Spec{}
	for _, s := range specs {
		byID[s.ID] = s
	}
	type suggestion struct {
		ID, Caption, File string
		Score             float64
	}
	var sugg []suggestion
	b := photo.Pix
	for i, h := range hits {
		spec := byID[h.ID]
		data, err := backgrounds.Render(photo, spec.Render(max(b.W, b.H)), spec.Caption())
		if err != nil {
			return fmt.Errorf("backgrounds: %w", err)
		}
		file := fmt.Sprintf("%d-%s.png", i+1, spec.ID)
		if err := writeBytesAtomic(filepath.Join(*out, file), data); err != nil {
			return fmt.Errorf("backgrounds: %w", err)
		}
		sugg = append(sugg, suggestion{ID: spec.ID, Caption: spec.Caption(), File: file, Score: h.Score})
		fmt.Fprintf(e.stdout, "%d. %s (%.2f): %s\n", i+1, file, h.Score, spec.Caption())
	}
	doc, err := json.MarshalIndent(map[string]any{"description": desc, "suggestions": sugg}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeBytesAtomic(filepath.Join(*out, "description.json"), append(doc, '\n')); err != nil {
		return fmt.Errorf("backgrounds: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s\n", desc.Sentence)
	return nil
}

func writeBytesAtomic(path string, data []byte) error {
	return writeFileAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// loadRecommenderOrDemo loads a recommender file, or the embedded demo
// model when path is "".
func loadRecommenderOrDemo(path string) (*recommender.Model, error) {
	if path != "" {
		m, err := recommender.LoadModel(path)
		if err != nil {
			return nil, fmt.Errorf("--recommender %s: %w", path, err)
		}
		return m, nil
	}
	data, err := models.Demo("recommender.safetensors")
	if err != nil {
		return nil, err
	}
	return recommender.ReadModel(bytes.NewReader(data))
}
