package main

import (
	"encoding/json"
	"fmt"
	"image"
	"io"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/service/evaluation"
)

// printReport prints rep as indented JSON, or with write.
func printReport[R any](e env, asJSON bool, rep R, write func(io.Writer, R) error) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return write(e.stdout, rep)
}

// writePhotoEval prints the photo evaluation: the model-size result, then
// each transfer method's measures at the photos' resolution.
func writePhotoEval(w io.Writer, rep *evaluation.PhotoReport) error {
	g := rep.Methods["gis"]
	fmt.Fprintf(w, "%d pairs over %d photos; gis at model size: pred uplift %+.4f, oracle uplift %+.4f (>0 %.2f), passed %.2f\n",
		rep.Pairs, rep.Photos, g.PredUplift, g.OracleUplift, g.OraclePositiveFrac, g.PassedFrac)
	fmt.Fprintf(w, "%-8s %13s %16s %9s %10s %11s %11s\n", "transfer", "oracle uplift", "oracle uplift 64", "oracle>0", "sharpness", "background", "consistency")
	for _, m := range transfer.Methods {
		f := rep.Transfers[string(m)]
		fmt.Fprintf(w, "%-8s %+13.4f %+16.4f %9.2f %10.3f %11.4f %11.3f\n", m, f.OracleUplift, f.OracleUplift64, f.OraclePositiveFrac,
			f.SharpnessRatio, f.BackgroundChangedFrac, f.EditConsistency)
	}
	fmt.Fprintf(w, "%s after the mark: background changed %.4f\n", rep.Transfer, rep.Methods["gis"].Full.BackgroundChangedMarkedFrac)
	for _, side := range []string{"256", "1024", "4096"} {
		fmt.Fprintf(w, "transfer of one variant at %s px: %.3f s\n", side, rep.TransferSeconds[side])
	}
	return nil
}

func writeRedesignEval(w io.Writer, rep *gan.RedesignEvalReport) error {
	fmt.Fprintf(w, "%d pairs\n%-13s %11s %7s %13s %9s %9s %8s %8s %7s %8s\n", rep.Pairs,
		"method", "pred uplift", "pred>0", "oracle uplift", "oracle>0", "diversity", "realism", "category", "passed", "s/job")
	for _, name := range gan.Methods {
		r, ok := rep.Methods[name]
		if !ok {
			continue // not run
		}
		fmt.Fprintf(w, "%-13s %+11.4f %7.2f %+13.4f %9.2f %9.4f %8.2f %8.2f %7.2f %8.2f\n", name, r.PredUplift, r.PredPositiveFrac, r.OracleUplift,
			r.OraclePositiveFrac, r.Diversity, r.RealismPass, r.CategoryConsistency, r.PassedFrac, r.SecondsPerJob)
	}
	if len(rep.BySegmentSize) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\ngis by segment size\n%6s %6s %11s %13s\n", "size", "pairs", "pred uplift", "oracle uplift")
	for _, u := range rep.BySegmentSize {
		fmt.Fprintf(w, "%6d %6d %+11.4f %+13.4f\n", u.Size, u.Pairs, u.PredUplift, u.OracleUplift)
	}
	return nil
}

// figurePairs is how many pairs a figure at path shows.
func figurePairs(path string) int {
	if path == "" {
		return 0
	}
	return 5
}

// writeFigure writes the rows of images as one PNG grid.
func writeFigure(path string, rows [][]image.Image) error {
	if len(rows) == 0 {
		return fmt.Errorf("no pair to show")
	}
	var tiles []image.Image
	for _, r := range rows {
		tiles = append(tiles, r...)
	}
	return writePNGFile(path, imaging.Grid(tiles, len(rows[0]), 4))
}
