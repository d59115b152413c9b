package redesign

import (
	"context"
	"slices"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
)

// Defaults of a redesign's knobs, shared by the command line and the API.
const (
	DefaultN           = 8
	DefaultEpsilon     = 0.4
	DefaultSteps       = 100
	DefaultInvertSteps = 100
)

// Request is one redesign: the photo (nil: creator mode, a random design
// drawn from Seed), what it is, whose taste, and the method's knobs (zero
// values take the defaults above).
type Request struct {
	Photo    *imaging.Tensor // at the generator's size
	Category string          // "" or one the recommender does not know: what it sees in the photo
	Theta    []float32       // the segment's taste (catalog.SegmentTheta)

	N           int
	Epsilon     float64
	Steps       int
	InvertSteps int
	Seed        int64
	// KeepCategory and KeepRealism weigh the terms that hold shifts to the
	// base's category and to realism (0: gan's defaults, negative: off).
	KeepCategory, KeepRealism float64

	WatermarkKey string
	Description  string // the provenance text every output carries
}

// Run redesigns req's photo with the GAN m for the taste req.Theta,
// checking variants with rec and realism (catalog.CalibrateRealism).
func Run(ctx context.Context, m *gan.Models, rec *recommender.Model, realism *gan.Realism, req Request, prog progress.Func) (*gan.RedesignResult, error) {
	category := req.Category
	if !slices.Contains(rec.Categories(), category) {
		category = "" // a category the scorer does not know: check against what it sees
	}
	cfg := gan.RedesignConfig{
		Invert:       gan.InvertConfig{Steps: or(req.InvertSteps, DefaultInvertSteps), Seed: req.Seed},
		Shift:        gan.ShiftConfig{N: or(req.N, DefaultN), Epsilon: float32(orF(req.Epsilon, DefaultEpsilon)), Steps: or(req.Steps, DefaultSteps), Seed: req.Seed},
		WatermarkKey: req.WatermarkKey,
		Description:  req.Description,
		KeepCategory: float32(req.KeepCategory),
		KeepRealism:  float32(req.KeepRealism),
	}
	return gan.Redesign(ctx, m, rec, realism, gan.RedesignRequest{Image: req.Photo, Category: category, Theta: req.Theta, CreatorSeed: req.Seed}, cfg, prog)
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orF(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
