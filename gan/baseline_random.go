package gan

import (
	"context"

	"github.com/atelier-app/atelier/internal/progress"
)

// RandomShift is the ablation baseline of Shift: the same cfg.N shifts
// drawn N(0, 1) and clipped to [−ε, ε] from the same seed, applied as
// z_k = standardize(z + k) without any optimisation (cfg.Steps is
// ignored). It tells how much of the uplift comes from learning the
// shifts rather than from moving around z at all.
func RandomShift(ctx context.Context, m *Models, s Scorer, z, theta []float32, cfg ShiftConfig, prog progress.Func) (*Shifts, error) {
	cfg = cfg.withDefaults()
	cfg.Steps = 0 // step 0 is the initial draw, evaluated once
	return shift(ctx, m, s, z, theta, cfg, prog)
}
