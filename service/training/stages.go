package training

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
)

// Spread is how a latent prior's spread τ is set: calibrated
// (gan.CalibrateSpread: the encoder's codes of samples match the
// catalog's), a fixed positive value, or left as fitted (the zero value).
type Spread struct {
	Auto  bool
	Value float64
}

// AutoSpread calibrates the spread.
var AutoSpread = Spread{Auto: true}

// ParseSpread reads "auto" or a positive number.
func ParseSpread(v string) (Spread, error) {
	if v == "auto" {
		return AutoSpread, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return Spread{}, fmt.Errorf("want auto or a positive number, got %q", v)
	}
	return Spread{Value: f}, nil
}

func (s Spread) String() string {
	switch {
	case s.Auto:
		return "auto"
	case s.Value > 0:
		return strconv.FormatFloat(s.Value, 'g', -1, 64)
	}
	return "as fitted"
}

// SetSpread sets the spread of m's prior (when it has one) as s says,
// calibrating against the codes of set; it says what calibration found
// on log.
func SetSpread(ctx context.Context, m *gan.Models, set gan.ImageSet, s Spread, seed int64, log io.Writer, prog progress.Func) error {
	switch {
	case m.Prior == nil:
		return nil
	case s.Value > 0:
		m.Prior.Spread = s.Value
		return nil
	case !s.Auto:
		return nil
	}
	rep, err := gan.CalibrateSpread(ctx, m, set, gan.SpreadConfig{Seed: seed}, prog)
	if err != nil {
		return fmt.Errorf("calibrate the latent prior's spread: %w", err)
	}
	logf(log, "prior spread %.3f: Fréchet distance of the codes %.4f (%.4f as fitted), %d tries\n", rep.Spread, rep.Distance, rep.AtOne, rep.Tries)
	return nil
}

// EncoderStage is the encoder's part of the GAN recipe, run by `atelier
// train encoder` and by train-gan jobs: fine-tune the encoder E on the
// encoder split's training images, then fit the latent prior to E's codes
// (or keep the models' prior), then set its spread.
type EncoderStage struct {
	Encoder gan.EncoderTrainConfig
	// Components is the number of Gaussians of a fitted prior (0: no
	// prior, random latents stay standard normal); a catalog too small for
	// it gets fewer (gan.PriorComponentsFor).
	Components int
	KeepPrior  bool // keep the models' prior instead of fitting one
	Spread     Spread
	// OnStep, when set, sees every encoder step's statistics (to save the
	// models along the way).
	OnStep func(gan.EncoderStats) error
	Log    io.Writer // what was adjusted, and calibration's findings
}

// Run runs the stage on m over images and returns the encoder's last
// step's statistics.
func (s EncoderStage) Run(ctx context.Context, m *gan.Models, images gan.ImageSet, prog progress.Func) (gan.EncoderStats, error) {
	train, _ := gan.EncoderSplit(images.Len())
	set := gan.Subset{Set: images, Indices: train}
	var last gan.EncoderStats
	err := gan.TrainEncoder(ctx, m, set, s.Encoder, prog, func(st gan.EncoderStats) error {
		last = st
		if s.OnStep != nil {
			return s.OnStep(st)
		}
		return nil
	})
	if err != nil {
		return last, fmt.Errorf("train encoder: %w", err)
	}
	if !s.KeepPrior {
		m.Prior = nil
		if k := gan.PriorComponentsFor(len(train), s.Components); k > 0 {
			if k < s.Components {
				logf(s.Log, "%d images allow a prior of %d components, not %d\n", len(train), k, s.Components)
			}
			if err := gan.FitPriorTo(ctx, m, set, gan.PriorConfig{Components: k, Seed: s.Encoder.Seed}, prog); err != nil {
				return last, fmt.Errorf("fit latent prior: %w", err)
			}
		}
	}
	return last, SetSpread(ctx, m, set, s.Spread, s.Encoder.Seed, s.Log, prog)
}

// logf writes a line to w, if there is one.
func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
