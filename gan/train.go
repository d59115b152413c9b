package gan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// TrainConfig holds the GAN training recipe; it is stored in checkpoints so
// that training resumes with the same one.
type TrainConfig struct {
	Steps int `json:"steps"` // total steps (a resumed run continues to it)
	Batch int `json:"batch"`
	// Shards splits every batch into this many equal parts, each with its
	// own graphs, run on concurrent goroutines; gradients are summed in
	// shard order. Results depend on the sharding, never on how many
	// goroutines run the shards.
	Shards  int           `json:"shards"`
	Seed    int64         `json:"seed"`
	LRG     float32       `json:"lr_g"`
	LRD     float32       `json:"lr_d"`
	Beta1   float32       `json:"beta1"`
	Beta2   float32       `json:"beta2"`
	EMA     float64       `json:"ema"` // decay of the generator's moving average
	Augment AugmentConfig `json:"augment"`
	// Recon is the number of real images per step that an encoder trained
	// along with G reconstructs through G (0: a plain GAN, no encoder);
	// ReconWeight weighs their pixel MSE in G's and E's loss and
	// LatentWeight the moment loss that keeps E's codes distributed like
	// the latent prior (see Trainer).
	Recon        int     `json:"recon,omitempty"`
	ReconWeight  float32 `json:"recon_weight,omitempty"`
	LatentWeight float32 `json:"latent_weight,omitempty"`
	// PerceptualWeight weighs the perceptual distance of the
	// reconstructions to the real images, in D's feature maps (see
	// perceptual.go), in G's and E's loss.
	PerceptualWeight float32 `json:"perceptual_weight,omitempty"`
	// FeatureMatchWeight weighs feature matching (see featureMatch): the
	// distance between the batch means of D's feature maps of the step's
	// generated and reconstructed real images, in G's loss.
	FeatureMatchWeight float32 `json:"feature_match_weight,omitempty"`
	// PriorLatents draws the generated batch's latents from the GAN's
	// latent prior (GAN.Prior) instead of the standard normal, so that the
	// adversarial and feature matching terms act where sampling draws.
	PriorLatents bool `json:"prior_latents,omitempty"`
}

// DefaultTrainConfig is the recipe of the demo models.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Steps: 10000, Batch: 32, Shards: 2, Seed: 1,
		LRG: 5e-4, LRD: 5e-4, Beta1: 0.5, Beta2: 0.99, EMA: 0.999,
		Augment: AugmentConfig{Translate: 0.125},
		Recon:   16, ReconWeight: 300, LatentWeight: 1,
	}
}

// RefineTrainConfig is the recipe of the refinement that follows the
// encoder and the prior's fit (see "Random latents" in the package doc):
// steps more steps at two fifths of the learning rates, with the
// generated batch drawn from the prior and feature matching at weight 100.
func RefineTrainConfig(steps int, seed int64) TrainConfig {
	c := DefaultTrainConfig()
	c.Steps, c.Seed = steps, seed
	c.LRG, c.LRD = 2e-4, 2e-4
	c.PriorLatents, c.FeatureMatchWeight = true, 100
	return c
}

// Validate checks the recipe against the discriminator's minibatch group.
func (c TrainConfig) Validate(d DiscriminatorConfig) error {
	switch {
	case c.Steps < 1:
		return atelier.FieldErrorf("steps", "must be positive, got %d", c.Steps)
	case c.Shards < 1:
		return atelier.FieldErrorf("shards", "must be positive, got %d", c.Shards)
	case c.Batch < 1 || c.Batch%c.Shards != 0:
		return atelier.FieldErrorf("batch", "%d does not split into %d equal shards", c.Batch, c.Shards)
	case (c.Batch/c.Shards)%d.Group != 0:
		return atelier.FieldErrorf("batch", "shards of %d samples do not split into minibatch-stddev groups of %d", c.Batch/c.Shards, d.Group)
	case !(c.LRG > 0) || !(c.LRD > 0):
		return atelier.FieldErrorf("lr", "learning rates must be positive, got %v and %v", c.LRG, c.LRD)
	case c.Beta1 <= 0 || c.Beta1 >= 1 || c.Beta2 <= 0 || c.Beta2 >= 1:
		return atelier.FieldErrorf("beta", "Adam betas %v, %v not in (0, 1)", c.Beta1, c.Beta2)
	case c.EMA < 0 || c.EMA >= 1:
		return atelier.FieldErrorf("ema", "decay %v not in [0, 1)", c.EMA)
	case c.Recon < 0 || c.Recon%c.Shards != 0:
		return atelier.FieldErrorf("recon", "%d reconstructed images do not split into %d equal shards", c.Recon, c.Shards)
	case c.ReconWeight < 0 || c.LatentWeight < 0:
		return atelier.FieldErrorf("recon", "loss weights must not be negative")
	case !(c.PerceptualWeight >= 0):
		return atelier.FieldErrorf("perceptual-weight", "must not be negative, got %v", c.PerceptualWeight)
	case c.PerceptualWeight > 0 && c.Recon == 0:
		return atelier.FieldErrorf("perceptual-weight", "weighs reconstructions, and there are none (recon is 0)")
	case !(c.FeatureMatchWeight >= 0):
		return atelier.FieldErrorf("feature-match-weight", "must not be negative, got %v", c.FeatureMatchWeight)
	case c.FeatureMatchWeight > 0 && c.Recon == 0:
		return atelier.FieldErrorf("feature-match-weight", "matches the step's reconstructed real images, and there are none (recon is 0)")
	}
	if err := c.Augment.Validate(); err != nil {
		return atelier.FieldErrorf("augment", "%v", err)
	}
	return nil
}

// GAN is the generator, its moving average and the discriminator, as
// trained together, and the encoder when it is trained along.
type GAN struct {
	G    *Generator
	GEMA *Generator
	D    *Discriminator
	E    *Encoder // nil unless trained along (TrainConfig.Recon)
	// Prior is the distribution of random latents (nil: the standard
	// normal), which training draws from under TrainConfig.PriorLatents;
	// training never changes it, and checkpoints carry it.
	Prior *Prior
}

// NewGAN builds a freshly initialised GAN; the moving average starts as a
// copy of G.
func NewGAN(gc GeneratorConfig, dc DiscriminatorConfig, seed int64) (*GAN, error) {
	if gc.Size() != dc.Size {
		return nil, atelier.Errorf(atelier.KindInvalid, "generator makes %d px images, discriminator takes %d px", gc.Size(), dc.Size)
	}
	rng := rand.New(rand.NewSource(seed))
	g, err := NewGenerator(gc, rng)
	if err != nil {
		return nil, err
	}
	ema, err := NewGenerator(gc, rng)
	if err != nil {
		return nil, err
	}
	if err := copyParams(ema.Params(), g.Params()); err != nil {
		return nil, err
	}
	d, err := NewDiscriminator(dc, rng)
	if err != nil {
		return nil, err
	}
	return &GAN{G: g, GEMA: ema, D: d}, nil
}

// GANFromModels returns a GAN that continues training from inference
// models (a models file has no training state): G starts as a copy of the
// models' generator (their moving average), which stays the moving
// average; D, E and the latent prior are the models' own (the prior is
// kept fixed: refit it with FitPriorTo after training if wanted). The
// optimisers start afresh.
func GANFromModels(m *Models) (*GAN, error) {
	if m.G == nil || m.D == nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "continuing training needs a generator and a discriminator")
	}
	g, err := NewGenerator(m.G.Config, rand.New(rand.NewSource(1)))
	if err != nil {
		return nil, err
	}
	if err := copyParams(g.Params(), m.G.Params()); err != nil {
		return nil, err
	}
	return &GAN{G: g, GEMA: m.G, D: m.D, E: m.E, Prior: m.Prior}, nil
}

// addEncoder gives the GAN an encoder to train along with G.
func (m *GAN) addEncoder(seed int64) error {
	size := m.G.Config.Size()
	cfg := EncoderConfig{Size: size, Widths: encoderWidthsFor(size), ZDim: m.G.Config.ZDim}
	if size == DefaultEncoderConfig().Size {
		cfg.Widths = DefaultEncoderConfig().Widths
	}
	e, err := NewEncoder(cfg, rand.New(rand.NewSource(seed^0x5eed)))
	if err != nil {
		return err
	}
	m.E = e
	return nil
}

// Models returns the networks for inference: the moving-average generator,
// the discriminator and the encoder when one was trained along.
func (m *GAN) Models() *Models { return &Models{G: m.GEMA, D: m.D, E: m.E, Prior: m.Prior} }

func copyParams(dst, src []nn.Param) error {
	return nn.LoadInto(dst, src)
}

// StepStats describes one training step.
type StepStats struct {
	Step  int
	LossD float64 // softplus(−D(real)) + softplus(D(fake)), batch means
	LossG float64 // softplus(−D(fake))
	// RealLogit and FakeLogit are the mean discriminator logits on the
	// augmented real and generated images of the step.
	RealLogit, FakeLogit float64
	// Recon is the pixel MSE of G(E(x)) on the step's reconstructed real
	// images, Latent the moment loss of their codes (0 without encoder).
	Recon, Latent float64
	// Perceptual is their perceptual distance in D's features (0 without
	// the term).
	Perceptual float64
	// FeatureMatch is the feature matching distance between the generated
	// and those real images (0 without the term).
	FeatureMatch float64
}

// Trainer trains a GAN with the non-saturating logistic loss (see the
// package documentation for the recipe). Every step draws its randomness
// (latents, real images, augmentations) from a source seeded by (Seed,
// step), so a run resumed from a checkpoint continues exactly as the
// uninterrupted run would have.
type Trainer struct {
	Config TrainConfig
	GAN    *GAN

	data       ImageSet
	optG, optD *nn.Adam
	optE       *nn.Adam // nil without encoder
	gradE      []*tensor.Dense
	step       int
	shards     []*shard
	gradG      []*tensor.Dense // summed per G parameter
	gradD      []*tensor.Dense // per trainable D parameter
	dBound     []nn.Param
	boundGrads map[string][]float32 // D's summed gradients by bound parameter name
}

// shard is one part of the batch with its two graphs.
type shard struct {
	n int // samples

	gg     *nn.Graph // z → G → augment → D → generator loss
	z      *G.Node
	augG   *G.Node
	fake   *tensor.Dense
	lossG  *tensor.Dense
	fakeLg *tensor.Dense
	nr     int     // reconstructed real images
	xr     *G.Node // their input
	rec    *tensor.Dense
	lat    *tensor.Dense
	per    *tensor.Dense // nil without a perceptual term
	fm     *tensor.Dense // nil without feature matching

	dg    *nn.Graph // [real; fake] → augment → D → discriminator loss
	x     *G.Node
	augD  *G.Node
	lossD *tensor.Dense
	logit *tensor.Dense
}

// NewTrainer prepares training of m on data.
func NewTrainer(m *GAN, data ImageSet, cfg TrainConfig) (*Trainer, error) {
	if err := cfg.Validate(m.D.Config); err != nil {
		return nil, err
	}
	size := m.G.Config.Size()
	if data == nil || data.Len() == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "no training images")
	}
	if im := data.Item(0); im.H != size || im.W != size {
		return nil, atelier.Errorf(atelier.KindInvalid, "training images are %dx%d, the generator makes %dx%d", im.W, im.H, size, size)
	}
	if cfg.PriorLatents && m.Prior == nil {
		return nil, atelier.FieldErrorf("prior-latents", "training on the latent prior needs one: fit it to the models first (train prior)")
	}
	if m.Prior != nil && m.Prior.ZDim != m.G.Config.ZDim {
		return nil, atelier.Errorf(atelier.KindInvalid, "latent prior of dimension %d for a %d-dim generator", m.Prior.ZDim, m.G.Config.ZDim)
	}
	if cfg.Recon > 0 && m.E == nil {
		if err := m.addEncoder(cfg.Seed); err != nil {
			return nil, err
		}
	}
	t := &Trainer{Config: cfg, GAN: m, data: data, dBound: m.D.bound()}
	var err error
	if m.E != nil && cfg.Recon > 0 {
		if t.optE, err = nn.NewAdam(m.E.Params(), nn.AdamConfig{LR: cfg.LRG, Beta1: cfg.Beta1, Beta2: cfg.Beta2}); err != nil {
			return nil, err
		}
		for _, p := range m.E.Params() {
			t.gradE = append(t.gradE, tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(tensor.Float32)))
		}
	}
	if t.optG, err = nn.NewAdam(m.G.Params(), nn.AdamConfig{LR: cfg.LRG, Beta1: cfg.Beta1, Beta2: cfg.Beta2}); err != nil {
		return nil, err
	}
	if t.optD, err = nn.NewAdam(m.D.trainable(), nn.AdamConfig{LR: cfg.LRD, Beta1: cfg.Beta1, Beta2: cfg.Beta2}); err != nil {
		return nil, err
	}
	for _, p := range m.G.Params() {
		t.gradG = append(t.gradG, tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(tensor.Float32)))
	}
	for _, p := range m.D.trainable() {
		t.gradD = append(t.gradD, tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(tensor.Float32)))
	}
	n := cfg.Batch / cfg.Shards
	for s := 0; s < cfg.Shards; s++ {
		sh, err := t.newShard(n, int64(s))
		if err != nil {
			t.Close()
			return nil, err
		}
		t.shards = append(t.shards, sh)
	}
	return t, nil
}

func (t *Trainer) newShard(n int, seed int64) (*shard, error) {
	m, cfg := t.GAN, t.Config
	size, group := m.G.Config.Size(), m.D.Config.Group
	inv := float32(1) / float32(cfg.Batch)
	sh := &shard{n: n}

	gg := nn.NewGraph(nn.Train, seed)
	gg.RunsAlongside(cfg.Shards)
	sh.gg = gg
	sh.z = gg.Input("z", n, m.G.Config.ZDim)
	var fake, codes, recImg *G.Node
	if t.optE != nil {
		// Real images encoded by E, reconstructed through G in the same
		// generator pass as the generated batch (one pass of n + nr
		// samples: larger batches, one set of weight gradients).
		sh.nr = cfg.Recon / cfg.Shards
		sh.xr = gg.Input("xr", sh.nr, 3, size, size)
		codes = m.E.Forward(gg, sh.xr)
		imgs := m.G.Forward(gg, concatBatch(gg, sh.z, codes))
		fake, recImg = batchRange(gg, imgs, 0, n), batchRange(gg, imgs, n, n+sh.nr)
	} else {
		fake = m.G.Forward(gg, sh.z)
	}
	sh.fake = gg.Output(fake)
	sh.augG = gg.Input("aug", n, augParams)
	logits := m.D.Forward(gg, augment(gg, fake, sh.augG), group)
	sh.fakeLg = gg.Output(logits)
	signs, weights := make([]float32, n), make([]float32, n)
	for i := range signs {
		signs[i], weights[i] = -1, inv
	}
	lossG := softplusLoss(gg, logits, signs, weights)
	sh.lossG = gg.Output(lossG)
	total, wrt := lossG, m.G.Params()
	if t.optE != nil {
		// The reconstruction terms; each shard's carry 1/Shards so that
		// summing shards averages them.
		rec := meanSquaredDiff(gg, recImg, sh.xr)
		lat := latentMoments(gg, codes)
		sh.rec, sh.lat = gg.Output(rec), gg.Output(lat)
		share := 1 / float32(cfg.Shards)
		total = add(gg, total, add(gg, scale(gg, rec, cfg.ReconWeight*share), scale(gg, lat, cfg.LatentWeight*share)))
		// D's features of the real images are targets only: D's weights
		// are not among this graph's gradients.
		var realFeats []*G.Node
		if cfg.PerceptualWeight > 0 || cfg.FeatureMatchWeight > 0 {
			realFeats = normalizedFeatures(gg, m.D, sh.xr)
		}
		if cfg.PerceptualWeight > 0 {
			per := perceptualTo(gg, m.D, recImg, realFeats)
			sh.per = gg.Output(per)
			total = add(gg, total, scale(gg, per, cfg.PerceptualWeight*share))
		}
		if cfg.FeatureMatchWeight > 0 {
			fm := featureMatch(gg, m.D, fake, realFeats)
			sh.fm = gg.Output(fm)
			total = add(gg, total, scale(gg, fm, cfg.FeatureMatchWeight*share))
		}
		wrt = append(append([]nn.Param(nil), wrt...), m.E.Params()...)
	}
	if err := gg.Backward(scalar(gg, total), wrt...); err != nil {
		return nil, fmt.Errorf("gan: generator step graph: %w", err)
	}
	if err := gg.Compile(); err != nil {
		return nil, fmt.Errorf("gan: generator step graph: %w", err)
	}

	dg := nn.NewGraph(nn.Train, seed)
	dg.RunsAlongside(cfg.Shards)
	sh.dg = dg
	sh.x = dg.Input("x", 2*n, 3, size, size)
	sh.augD = dg.Input("aug", 2*n, augParams)
	logits = m.D.Forward(dg, augment(dg, sh.x, sh.augD), group)
	sh.logit = dg.Output(logits)
	signs, weights = make([]float32, 2*n), make([]float32, 2*n)
	for i := range signs {
		signs[i], weights[i] = -1, inv
		if i >= n {
			signs[i] = 1
		}
	}
	lossD := softplusLoss(dg, logits, signs, weights)
	sh.lossD = dg.Output(lossD)
	if err := dg.Backward(scalar(dg, lossD), t.dBound...); err != nil {
		return nil, fmt.Errorf("gan: discriminator step graph: %w", err)
	}
	if err := dg.Compile(); err != nil {
		return nil, fmt.Errorf("gan: discriminator step graph: %w", err)
	}
	return sh, nil
}

// Close releases the graphs.
func (t *Trainer) Close() {
	for _, s := range t.shards {
		s.gg.Close()
		s.dg.Close()
	}
	t.shards = nil
}

// Steps returns the number of steps taken so far.
func (t *Trainer) Steps() int { return t.step }

// stepRand returns the random source of step (counted from 0).
func stepRand(seed int64, step int) *rand.Rand {
	return rand.New(rand.NewSource(int64(uint64(seed)*0x9E3779B97F4A7C15 + uint64(step)*0xBF58476D1CE4E5B9 + 1)))
}

// TrainStep runs one step: a generator update and a discriminator update
// computed from the same generated batch, then the moving average and the
// spectral normalisation's power iteration.
func (t *Trainer) TrainStep() (StepStats, error) {
	// One source per step, seeded by (Seed, step): a resumed run draws
	// exactly what the uninterrupted run would have.
	rng := stepRand(t.Config.Seed, t.step)
	if err := t.fillInputs(rng); err != nil {
		return StepStats{}, err
	}
	if err := t.runShards(); err != nil {
		return StepStats{}, fmt.Errorf("gan: train step %d: %w", t.step, err)
	}
	stats := t.stepStats()
	if math.IsNaN(stats.LossD) || math.IsNaN(stats.LossG) || math.IsInf(stats.LossD, 0) || math.IsInf(stats.LossG, 0) {
		return stats, atelier.Errorf(atelier.KindInternal, "training diverged at step %d (losses %v, %v)", stats.Step, stats.LossD, stats.LossG)
	}
	if err := t.update(); err != nil {
		return stats, err
	}
	t.step++
	return stats, nil
}

// update applies the step's gradients: G's (then its moving average), E's
// when trained along, and D's (then its power iteration). The three touch
// disjoint state, so they run in parallel on the cores the shards leave
// idle between steps.
func (t *Trainer) update() error {
	m := t.GAN
	decay := emaDecay(t.Config.EMA, t.step+1)
	updates := []func() error{
		func() error {
			if err := t.updateGenerator(); err != nil {
				return err
			}
			updateEMA(m.GEMA.Params(), m.G.Params(), decay)
			return nil
		},
		func() error {
			if err := t.updateDiscriminator(); err != nil {
				return err
			}
			m.D.powerStep()
			return nil
		},
	}
	if t.optE != nil {
		updates = append(updates, t.updateEncoder)
	}
	errs := make([]error, len(updates))
	nn.Parallel(len(updates), func(i int) { errs[i] = updates[i]() })
	return errors.Join(errs...)
}

// fillInputs writes the step's random draws into the shards' graph inputs.
// The draws are taken from rng in a fixed order (all latents, all real
// image picks, the reconstruction images shard by shard, then each shard's
// two augmentations), which checkpoint resumption relies on: do not reorder
// them.
func (t *Trainer) fillInputs(rng *rand.Rand) error {
	m, cfg := t.GAN, t.Config
	zdim, size := m.G.Config.ZDim, m.G.Config.Size()
	imageLen := 3 * size * size // floats of one RGB image
	var latents []float32
	if cfg.PriorLatents {
		latents = m.Prior.Sample(rng, cfg.Batch)
	} else {
		latents = SampleZ(rng, cfg.Batch, zdim)
	}
	realPicks := make([]int, cfg.Batch) // dataset indices of the batch's real images
	for i := range realPicks {
		realPicks[i] = rng.Intn(t.data.Len())
	}
	// The images the encoder reconstructs are drawn independently of the
	// discriminator's real images.
	for _, sh := range t.shards {
		if sh.nr == 0 {
			continue
		}
		reconInput := sh.gg.InputData(sh.xr)
		for i := 0; i < sh.nr; i++ {
			copy(reconInput[i*imageLen:(i+1)*imageLen], t.data.Item(rng.Intn(t.data.Len())).Pix)
		}
	}
	for s, sh := range t.shards {
		copy(sh.gg.InputData(sh.z), latents[s*sh.n*zdim:(s+1)*sh.n*zdim])
		cfg.Augment.draw(sh.gg.InputData(sh.augG), size, rng)
		cfg.Augment.draw(sh.dg.InputData(sh.augD), size, rng)
		// The discriminator's input is [real; fake]: the real half is
		// filled here, the fake half by runShards once G has run.
		discInput := sh.dg.InputData(sh.x)
		for i := 0; i < sh.n; i++ {
			pick := realPicks[s*sh.n+i]
			im := t.data.Item(pick)
			if len(im.Pix) != imageLen {
				return atelier.Errorf(atelier.KindInvalid, "training image %d is %dx%d, want %dx%d", pick, im.W, im.H, size, size)
			}
			copy(discInput[i*imageLen:(i+1)*imageLen], im.Pix)
		}
	}
	return nil
}

// runShards runs every shard's generator graph and then its discriminator
// graph, the shards in parallel. The generated images go into the fake half
// of the discriminator's input, so both updates see the same batch. It
// returns the first shard's error in shard order.
func (t *Trainer) runShards() error {
	size := t.GAN.G.Config.Size()
	imageLen := 3 * size * size
	errs := make([]error, len(t.shards))
	nn.Concurrent(len(t.shards), func(s int) {
		sh := t.shards[s]
		if err := sh.gg.Run(); err != nil {
			errs[s] = err
			return
		}
		discInput := sh.dg.InputData(sh.x)
		copy(discInput[sh.n*imageLen:], sh.fake.Data().([]float32))
		errs[s] = sh.dg.Run()
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// stepStats reads the losses and logits of the step the shards just ran.
// The GAN losses carry 1/Batch weights in the graphs, so their shard sums
// are batch means; the reconstruction terms are per-shard means, averaged
// over shards here.
func (t *Trainer) stepStats() StepStats {
	stats := StepStats{Step: t.step + 1}
	scalarOf := func(d *tensor.Dense) float64 { return float64(d.Data().([]float32)[0]) }
	shards := float64(len(t.shards))
	for _, sh := range t.shards {
		stats.LossG += scalarOf(sh.lossG)
		stats.LossD += scalarOf(sh.lossD)
		if sh.nr > 0 {
			stats.Recon += scalarOf(sh.rec) / shards
			stats.Latent += scalarOf(sh.lat) / shards
			if sh.per != nil {
				stats.Perceptual += scalarOf(sh.per) / shards
			}
			if sh.fm != nil {
				stats.FeatureMatch += scalarOf(sh.fm) / shards
			}
		}
		// The discriminator's batch is [real; fake], n of each.
		for i, logit := range sh.logit.Data().([]float32) {
			if i < sh.n {
				stats.RealLogit += float64(logit)
			} else {
				stats.FakeLogit += float64(logit)
			}
		}
	}
	stats.RealLogit /= float64(t.Config.Batch)
	stats.FakeLogit /= float64(t.Config.Batch)
	return stats
}

// updateGenerator applies the generator graphs' gradients of G, summed
// over shards, to G.
func (t *Trainer) updateGenerator() error {
	genParams := t.GAN.G.Params()
	for i, p := range genParams {
		sumGrads(t.gradG[i].Data().([]float32), p, t.shards, generatorGraph)
	}
	return t.optG.Step(gradByName(genParams, t.gradG))
}

// updateEncoder applies the generator graphs' gradients of the encoder
// trained along, summed over shards, to it.
func (t *Trainer) updateEncoder() error {
	encParams := t.GAN.E.Params()
	for i, p := range encParams {
		sumGrads(t.gradE[i].Data().([]float32), p, t.shards, generatorGraph)
	}
	return t.optE.Step(gradByName(encParams, t.gradE))
}

// updateDiscriminator applies the discriminator graphs' gradients, summed
// over shards, to D. The graphs bind D's spectrally normalised weights, so
// their gradients are mapped onto the raw weights the optimiser updates.
func (t *Trainer) updateDiscriminator() error {
	m := t.GAN
	if t.boundGrads == nil {
		t.boundGrads = map[string][]float32{}
		for _, p := range t.dBound {
			t.boundGrads[p.Name] = make([]float32, p.Value.Size())
		}
	}
	for _, p := range t.dBound {
		sumGrads(t.boundGrads[p.Name], p, t.shards, discriminatorGraph)
	}
	m.D.gradients(func(p nn.Param) []float32 { return t.boundGrads[p.Name] }, t.gradD)
	return t.optD.Step(gradByName(m.D.trainable(), t.gradD))
}

// generatorGraph and discriminatorGraph pick a shard's graph for sumGrads.
func generatorGraph(sh *shard) *nn.Graph     { return sh.gg }
func discriminatorGraph(sh *shard) *nn.Graph { return sh.dg }

// gradByName returns the optimiser's view of grads, which holds the
// gradient of params[i] at i: parameters are matched by name, and one not
// in params gets none.
func gradByName(params []nn.Param, grads []*tensor.Dense) nn.GradFunc {
	return func(p nn.Param) *tensor.Dense {
		for i, q := range params {
			if q.Name == p.Name {
				return grads[i]
			}
		}
		return nil
	}
}

// sumGrads writes Σ over shards of the gradient of p into dst, in shard
// order.
func sumGrads(dst []float32, p nn.Param, shards []*shard, graph func(*shard) *nn.Graph) {
	for s, sh := range shards {
		g := graph(sh).Grad(p).Data().([]float32)
		if s == 0 {
			copy(dst, g)
			continue
		}
		g = g[:len(dst)]
		for i := range dst {
			dst[i] += g[i]
		}
	}
}

// emaDecay ramps the moving average's decay up over the first steps, so
// the average does not hold on to the random initialisation.
func emaDecay(decay float64, step int) float64 {
	return min(decay, float64(1+step)/float64(10+step))
}

// updateEMA sets ema ← β·ema + (1−β)·θ.
func updateEMA(ema, theta []nn.Param, beta float64) {
	b := float32(beta)
	for i, p := range ema {
		e, th := p.Data(), theta[i].Data()
		for j := range e {
			e[j] = b*e[j] + (1-b)*th[j]
		}
	}
}

// Run trains until Config.Steps, reporting progress after every step and
// calling after (when not nil) with the number of steps done, where the
// caller writes checkpoints and sample grids.
func (t *Trainer) Run(ctx context.Context, prog progress.Func, after func(st StepStats) error) error {
	start, startStep := time.Now(), t.step
	for t.step < t.Config.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := t.TrainStep()
		if err != nil {
			return err
		}
		elapsed := time.Since(start).Seconds()
		metrics := map[string]float64{
			"loss_d": st.LossD, "loss_g": st.LossG,
			"d_real": st.RealLogit, "d_fake": st.FakeLogit,
			"img_s": float64((t.step-startStep)*t.Config.Batch) / math.Max(elapsed, 1e-9),
			"recon": st.Recon, "latent": st.Latent, "perceptual": st.Perceptual,
		}
		if t.Config.FeatureMatchWeight > 0 {
			metrics["feature_match"] = st.FeatureMatch
		}
		prog.Report(progress.Update{Stage: "train gan", Step: t.step, Total: t.Config.Steps, Metrics: metrics})
		if after != nil {
			if err := after(st); err != nil {
				return err
			}
		}
	}
	return nil
}
