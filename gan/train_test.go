package gan

import (
	"context"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/atelier-app/atelier/internal/nn"
)

func TestDiscriminatorSeparatesEasySet(t *testing.T) {
	// With the generator frozen (learning rate ~0), the discriminator
	// alone must learn to tell squares from the generator's initial
	// output.
	data := newSquares(64, 16, 1)
	cfg := tinyTrainConfig(60)
	cfg.LRG, cfg.LRD = 1e-12, 2e-3
	tr := newTrainer(t, tinyGAN(t, 1), data, cfg)
	var first, last StepStats
	for i := 0; i < cfg.Steps; i++ {
		st, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = st
		}
		last = st
	}
	t.Logf("loss_d %.3f → %.3f, logits real %.2f fake %.2f", first.LossD, last.LossD, last.RealLogit, last.FakeLogit)
	if last.LossD > 0.7*first.LossD {
		t.Errorf("discriminator loss %v did not fall below 70%% of %v", last.LossD, first.LossD)
	}
	if last.RealLogit-last.FakeLogit < 1 {
		t.Errorf("real logit %v not above fake logit %v by 1", last.RealLogit, last.FakeLogit)
	}
}

func TestGeneratorLearnsSquares(t *testing.T) {
	data := newSquares(256, 16, 2)
	m := tinyGAN(t, 2)
	before := distributionGap(data, generate(t, m.GEMA, 256, 9))
	cfg := tinyTrainConfig(800)
	tr := newTrainer(t, m, data, cfg)
	var lossG []float64
	if err := tr.Run(context.Background(), nil, func(st StepStats) error {
		lossG = append(lossG, st.LossG)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fake := generate(t, m.GEMA, 256, 9)
	after := distributionGap(data, fake)
	t.Logf("moment gap %.4f → %.4f; loss_g first %.3f last %.3f", before, after, lossG[0], lossG[len(lossG)-1])
	if after > before/3 {
		t.Errorf("generated squares moved from gap %v to %v; want a 3x reduction", before, after)
	}
	if slices.ContainsFunc(lossG, func(v float64) bool { return v > 20 }) {
		t.Errorf("generator loss exploded: %v", lossG)
	}
}

func TestTrainerValidatesConfig(t *testing.T) {
	data := newSquares(8, 16, 1)
	tests := []struct {
		name   string
		change func(*TrainConfig)
	}{
		{"zero steps", func(c *TrainConfig) { c.Steps = 0 }},
		{"batch not split by shards", func(c *TrainConfig) { c.Batch, c.Shards = 9, 2 }},
		{"shard not split by mbstd group", func(c *TrainConfig) { c.Batch, c.Shards = 6, 2 }},
		{"negative rate", func(c *TrainConfig) { c.LRD = -1 }},
		{"beta one", func(c *TrainConfig) { c.Beta2 = 1 }},
		{"ema one", func(c *TrainConfig) { c.EMA = 1 }},
		{"cutout above one", func(c *TrainConfig) { c.Augment.Cutout = 2 }},
		{"negative perceptual weight", func(c *TrainConfig) { c.PerceptualWeight = -1 }},
		{"perceptual weight without reconstructions", func(c *TrainConfig) { c.PerceptualWeight, c.Recon = 1, 0 }},
		{"negative feature matching weight", func(c *TrainConfig) { c.FeatureMatchWeight = -1 }},
		{"feature matching without reconstructions", func(c *TrainConfig) { c.FeatureMatchWeight, c.Recon = 1, 0 }},
		{"prior latents without a prior", func(c *TrainConfig) { c.PriorLatents = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyTrainConfig(1)
			tc.change(&cfg)
			if tr, err := NewTrainer(tinyGAN(t, 1), data, cfg); err == nil {
				tr.Close()
				t.Fatal("no error")
			}
		})
	}
	t.Run("image size", func(t *testing.T) {
		if tr, err := NewTrainer(tinyGAN(t, 1), newSquares(4, 32, 1), tinyTrainConfig(1)); err == nil {
			tr.Close()
			t.Fatal("no error for 32 px images and a 16 px generator")
		}
	})
}

func TestGANFromModelsContinuesTraining(t *testing.T) {
	tr, data := trainedTiny(t, 3)
	models := tr.GAN.Models()
	models.Prior = pointPrior(t, models.ZDim())
	before := append([]float32(nil), models.G.Params()[0].Data()...)
	m, err := GANFromModels(models)
	if err != nil {
		t.Fatal(err)
	}
	if m.Prior != models.Prior || m.Models().Prior != models.Prior {
		t.Fatal("the latent prior does not stay the models'")
	}
	g0 := m.G.Params()[0].Data()
	if !slices.Equal(g0, before) {
		t.Fatal("G does not start as the models' generator")
	}
	if &g0[0] == &models.G.Params()[0].Data()[0] {
		t.Fatal("G shares its weights with the moving average")
	}
	next := newTrainer(t, m, data, tinyTrainConfig(3))
	if err := next.Run(t.Context(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(m.G.Params()[0].Data(), before) || slices.Equal(models.G.Params()[0].Data(), before) {
		t.Error("three more steps changed neither G nor its moving average")
	}
	if _, err := GANFromModels(&Models{G: models.G}); err == nil {
		t.Error("models without a discriminator: no error")
	}
}

// oneStep trains one step of a fresh tiny GAN (always the same start) on
// data with the tiny recipe as changed by edit.
func oneStep(t *testing.T, data ImageSet, edit func(*TrainConfig)) (*Trainer, StepStats) {
	t.Helper()
	cfg := tinyTrainConfig(1)
	edit(&cfg)
	tr := newTrainer(t, tinyGAN(t, 3), data, cfg)
	st, err := tr.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	return tr, st
}

// sameParams reports whether two parameter lists hold equal values.
func sameParams(a, b []nn.Param) bool {
	for i := range a {
		if !slices.Equal(a[i].Data(), b[i].Data()) {
			return false
		}
	}
	return true
}

// The perceptual term trains G and E through D's features but never D:
// after one step from the same start, only G and E differ from a run
// without it.
func TestTrainerPerceptualTermTrainsGAndENotD(t *testing.T) {
	data := newSquares(32, 16, 3)
	plain, st0 := oneStep(t, data, func(*TrainConfig) {})
	withP, st1 := oneStep(t, data, func(c *TrainConfig) { c.PerceptualWeight = 5 })
	if st0.Perceptual != 0 || !(st1.Perceptual > 0) || math.IsInf(st1.Perceptual, 0) {
		t.Fatalf("perceptual distance reported %v without the term, %v with it", st0.Perceptual, st1.Perceptual)
	}
	if st0.Recon != st1.Recon {
		t.Errorf("the first step's reconstruction MSE differs (%v, %v) though the weights started equal", st0.Recon, st1.Recon)
	}
	if sameParams(plain.GAN.G.Params(), withP.GAN.G.Params()) || sameParams(plain.GAN.E.Params(), withP.GAN.E.Params()) {
		t.Error("the perceptual term changed neither G's nor E's update")
	}
	if !sameParams(plain.GAN.D.Params(), withP.GAN.D.Params()) {
		t.Error("the perceptual term changed D's update")
	}
}

// Feature matching trains G alone: the generated images' features depend
// on G only, the real ones' are targets, and D's own step is computed
// from the same batch. After one step from the same start only G differs
// from a run without it.
func TestTrainerFeatureMatchingTrainsGOnly(t *testing.T) {
	data := newSquares(32, 16, 3)
	plain, st0 := oneStep(t, data, func(*TrainConfig) {})
	withFM, st1 := oneStep(t, data, func(c *TrainConfig) { c.FeatureMatchWeight = 5 })
	if st0.FeatureMatch != 0 || !(st1.FeatureMatch > 0) || math.IsInf(st1.FeatureMatch, 0) {
		t.Fatalf("feature matching reported %v without the term, %v with it", st0.FeatureMatch, st1.FeatureMatch)
	}
	if sameParams(plain.GAN.G.Params(), withFM.GAN.G.Params()) {
		t.Error("feature matching did not change G's update")
	}
	if !sameParams(plain.GAN.E.Params(), withFM.GAN.E.Params()) {
		t.Error("feature matching changed E's update")
	}
	if !sameParams(plain.GAN.D.Params(), withFM.GAN.D.Params()) {
		t.Error("feature matching changed D's update")
	}
}

// pointPrior returns a one-component prior concentrated at one latent.
func pointPrior(t *testing.T, zdim int) *Prior {
	t.Helper()
	rng := rand.New(rand.NewSource(5))
	centre := SampleZ(rng, 1, zdim)
	var codes []float32
	for range 2 * MinCodesPerComponent {
		for _, v := range centre {
			codes = append(codes, v+1e-3*float32(rng.NormFloat64()))
		}
	}
	p, err := FitPrior(t.Context(), codes, zdim, PriorConfig{Components: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Under PriorLatents the generated batch is drawn at the prior's latents:
// with a prior concentrated at one latent the step's images are nearly one
// image, where standard normal latents make distinct ones.
func TestTrainerDrawsLatentsFromThePrior(t *testing.T) {
	data := newSquares(32, 16, 3)
	spread := func(fromPrior bool) float64 {
		m := tinyGAN(t, 3)
		m.Prior = pointPrior(t, m.G.Config.ZDim)
		cfg := tinyTrainConfig(1)
		cfg.PriorLatents = fromPrior
		tr := newTrainer(t, m, data, cfg)
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
		var first []float32
		var most float64
		for _, sh := range tr.shards {
			fake := sh.fake.Data().([]float32)
			per := len(fake) / sh.n
			if first == nil {
				first = slices.Clone(fake[:per])
			}
			for i, v := range fake {
				most = max(most, math.Abs(float64(v-first[i%per])))
			}
		}
		return most
	}
	normal, prior := spread(false), spread(true)
	t.Logf("largest pixel difference within the generated batch: %.4f from normal latents, %.4f from the prior", normal, prior)
	if !(prior < normal/10) {
		t.Errorf("the prior's batch spreads %v, not a tenth of the normal batch's %v", prior, normal)
	}
}
