package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/service/redesign"
)

// redesignDoc is result.json.
type redesignDoc struct {
	Segment        string               `json:"segment,omitempty"`
	Consumers      []string             `json:"consumers"`
	Creator        bool                 `json:"creator"`
	Category       string               `json:"category"`
	BaseFile       string               `json:"base_file"`
	BasePreference float64              `json:"base_preference"`
	Inversion      *gan.InversionScores `json:"inversion,omitempty"`
	Diversity      float64              `json:"diversity"`
	Realism        gan.RealismInfo      `json:"realism"`
	RealismRefs    string               `json:"realism_reference"`
	Frame          *transfer.Frame      `json:"frame,omitempty"` // the model's view of the photo
	Notes          []string             `json:"notes,omitempty"`
	Variants       []variantDoc         `json:"variants"`
	Curve          []gan.ShiftStep      `json:"curve"`
}

type variantDoc struct {
	Rank          int               `json:"rank"`
	File          string            `json:"file"`
	FullFile      string            `json:"full_file,omitempty"` // the photo changed, at its resolution
	Shift         int               `json:"shift"`
	Category      string            `json:"category"`
	Scores        gan.VariantScores `json:"scores"`
	Flags         []string          `json:"flags"`
	Passed        bool              `json:"passed"`
	WatermarkPSNR float64           `json:"watermark_psnr"`
}

func newRedesignDoc(res *redesign.Result, photo *transfer.Photo, segment string, ids []string, refs string) redesignDoc {
	doc := redesignDoc{Segment: segment, Consumers: ids, Creator: res.Creator, Category: res.Category,
		BaseFile: "base.png", BasePreference: res.BasePreference, Inversion: res.Inversion,
		Diversity: res.Diversity, Realism: res.Realism, RealismRefs: refs, Curve: res.Curve, Notes: res.Notes}
	if photo != nil {
		doc.Frame = &photo.Frame
	}
	for _, v := range res.Variants {
		flags := v.Flags
		if flags == nil {
			flags = []string{}
		}
		var full string
		if res.FullPNG != nil {
			full = fmt.Sprintf("variant-%d-full.png", v.Rank)
		}
		doc.Variants = append(doc.Variants, variantDoc{Rank: v.Rank, File: fmt.Sprintf("variant-%d.png", v.Rank), FullFile: full,
			Shift: v.Index, Category: v.Category, Scores: v.Scores, Flags: flags, Passed: v.Passed,
			WatermarkPSNR: v.Image.WatermarkPSNR})
	}
	return doc
}

// result.json, each atomically.
func writeRedesign(dir string, res *redesign.Result, doc redesignDoc) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{"base.png": res.Base.PNG}
	for i, v := range res.Variants {
		files[doc.Variants[i].File] = v.Image.PNG
		if res.FullPNG != nil {
			files[doc.Variants[i].FullFile] = res.FullPNG[i]
		}
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	files["result.json"] = append(js, '\n')
	for name, data := range files {
		err := nn.WriteFileAtomic(filepath.Join(dir, name), func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(data))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func writeRedesignSummary(w io.Writer, doc redesignDoc, dir string) error {
	fmt.Fprintf(w, "category %s, base preference %.4f", doc.Category, doc.BasePreference)
	if doc.Inversion != nil {
		fmt.Fprintf(w, ", reconstruction mse %.4f ssim %.3f perceptual %.3f", doc.Inversion.MSE, doc.Inversion.SSIM, doc.Inversion.Perceptual)
	}
	fmt.Fprintf(w, "\ndiversity %.4f\n", doc.Diversity)
	for _, n := range doc.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, v := range doc.Variants {
		status := "passed"
		if !v.Passed {
			status = "flagged: " + strings.Join(v.Flags, ", ")
		}
		file := v.File
		if v.FullFile != "" {
			file = v.FullFile
		}
		fmt.Fprintf(w, "%2d %-19s uplift %+.4f realism p%.0f category %.2f ssim %.3f perceptual %.3f  %s\n", v.Rank, file,
			v.Scores.Uplift, v.Scores.RealismPercentile, v.Scores.CategoryProb, v.Scores.SSIM, v.Scores.Perceptual, status)
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", filepath.Join(dir, "result.json"))
	return err
}
