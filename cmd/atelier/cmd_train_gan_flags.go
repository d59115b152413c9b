package main

import "github.com/atelier-app/atelier/gan"

// trainGANFlags holds the parsed flags of `atelier train gan`.
type trainGANFlags struct {
	dataset, out       string
	steps, batch       int
	seed               int64
	zdim               int
	gWidths            string
	lrG, lrD           float64
	translate, cutout  float64
	recon              int
	reconWeight        float64
	perceptualWeight   float64
	featureMatchWeight float64
	priorLatents       bool
	resume, initFrom   string
	every, sampleEvery int
	samples            string
	set                map[string]bool // the flags given explicitly
}

// parseTrainGANFlags defines and parses the flags of `atelier train gan`.
func parseTrainGANFlags(e env, args []string) (*trainGANFlags, error) {
	def := gan.DefaultTrainConfig()
	f := &trainGANFlags{}
	fs := newFlags("train gan", e)
	fs.StringVar(&f.dataset, "dataset", "", "dataset `directory` whose images/ to learn (required)")
	fs.StringVar(&f.out, "out", "", "training checkpoint `file` to write (required); rewritten every --checkpoint-every steps")
	fs.IntVar(&f.steps, "steps", def.Steps, "total training steps (a resumed run continues to this count)")
	fs.IntVar(&f.batch, "batch", def.Batch, "images per step (split over two goroutines)")
	fs.Int64Var(&f.seed, "seed", def.Seed, "seed of the initial weights and of every step's random draws")
	fs.IntVar(&f.zdim, "zdim", gan.DefaultGeneratorConfig().ZDim, "latent dimension")
	fs.StringVar(&f.gWidths, "g-widths", joinInts(gan.DefaultGeneratorConfig().Widths), "generator channels at 4, 8, 16 and 32 px, comma-separated (one width per doubling: four make 64 px images)")
	fs.Float64Var(&f.lrG, "lr-g", float64(def.LRG), "generator learning rate")
	fs.Float64Var(&f.lrD, "lr-d", float64(def.LRD), "discriminator learning rate")
	fs.Float64Var(&f.translate, "translate", def.Augment.Translate, "discriminator augmentation: largest shift as a `fraction` of the image side")
	fs.Float64Var(&f.cutout, "cutout", def.Augment.Cutout, "discriminator augmentation: `probability` of cutting out a half-side square")
	fs.IntVar(&f.recon, "recon", def.Recon, "real images per step that an encoder trained along reconstructs through G (0: plain GAN)")
	fs.Float64Var(&f.reconWeight, "recon-weight", float64(def.ReconWeight), "weight of the reconstruction's pixel MSE in G's and E's loss (with --resume: changes the resumed recipe)")
	fs.Float64Var(&f.perceptualWeight, "perceptual-weight", float64(def.PerceptualWeight), "weight of the reconstruction's perceptual distance (D's features) in G's and E's loss (with --resume: changes the resumed recipe)")
	fs.Float64Var(&f.featureMatchWeight, "feature-match-weight", float64(def.FeatureMatchWeight), "weight of feature matching (batch means of D's features, generated vs real) in G's loss (with --resume: changes the resumed recipe)")
	fs.BoolVar(&f.priorLatents, "prior-latents", false, "draw the generated images' latents from the --init models' latent prior (fitted to their encoder's codes, at its spread, as sampling draws them; the demo recipe refines on spread 1) instead of the standard normal (with --resume: changes the resumed recipe)")
	fs.StringVar(&f.resume, "resume", "", "training checkpoint `file` to resume from (its recipe and architecture are kept)")
	fs.StringVar(&f.initFrom, "init", "", "models `file` to continue training from, with fresh optimisers and the recipe of the flags (its architecture and latent prior are kept)")
	fs.IntVar(&f.every, "checkpoint-every", 500, "write the checkpoint every `N` steps")
	fs.IntVar(&f.sampleEvery, "sample-every", 500, "write a sample grid every `N` steps when --samples is set")
	fs.StringVar(&f.samples, "samples", "", "`directory` for sample grids (gan-step-NNNNNN.png, 64 fixed latents)")
	if err := parseFlags(fs, args, false); err != nil {
		return nil, err
	}
	f.set = givenFlags(fs)
	return f, nil
}

// check rejects missing flags and combinations that do not go together.
func (f *trainGANFlags) check() error {
	switch {
	case f.dataset == "":
		return usagef("train gan: --dataset is required")
	case f.out == "":
		return usagef("train gan: --out is required")
	case f.every < 1:
		return usagef("train gan: --checkpoint-every must be positive")
	case f.sampleEvery < 1:
		return usagef("train gan: --sample-every must be positive")
	case f.resume != "" && f.initFrom != "":
		return usagef("train gan: --resume and --init exclude each other")
	case f.priorLatents && f.resume == "" && f.initFrom == "":
		return usagef("train gan: --prior-latents draws from the latent prior of --init models (or of a --resume checkpoint); a new GAN has none")
	case (f.resume != "" || f.initFrom != "") && (f.set["zdim"] || f.set["g-widths"]):
		return usagef("train gan: --zdim and --g-widths shape a new generator; --resume and --init keep theirs")
	}
	return nil
}

// architecture returns the configurations of a new GAN's generator (shaped
// by --zdim and --g-widths) and discriminator. --resume and --init runs
// keep their own, but the generator's size still decides the size the
// catalog images load at.
func (f *trainGANFlags) architecture() (gan.GeneratorConfig, gan.DiscriminatorConfig, error) {
	gcfg := gan.DefaultGeneratorConfig()
	gcfg.ZDim = f.zdim
	dcfg := gan.DefaultDiscriminatorConfig()
	if err := gcfg.Validate(); err != nil {
		return gcfg, dcfg, usagef("train gan: --zdim: %v", err)
	}
	var err error
	if gcfg.Widths, err = positiveInts(f.gWidths); err != nil {
		return gcfg, dcfg, usagef("train gan: --g-widths: %v", err)
	}
	if err := gcfg.Validate(); err != nil {
		return gcfg, dcfg, usagef("train gan: --g-widths: %v", err)
	}
	if gcfg.Size() != dcfg.Size {
		return gcfg, dcfg, usagef("train gan: --g-widths: %d widths make %d px images; the catalog is trained at %d px (give %d)",
			len(gcfg.Widths), gcfg.Size(), dcfg.Size, len(gan.DefaultGeneratorConfig().Widths))
	}
	return gcfg, dcfg, nil
}

// recipe returns the training recipe of the flags, validated against the
// discriminator dcfg.
func (f *trainGANFlags) recipe(dcfg gan.DiscriminatorConfig) (gan.TrainConfig, error) {
	cfg := gan.DefaultTrainConfig()
	cfg.Steps, cfg.Batch, cfg.Seed, cfg.LRG, cfg.LRD = f.steps, f.batch, f.seed, float32(f.lrG), float32(f.lrD)
	cfg.Augment = gan.AugmentConfig{Translate: f.translate, Cutout: f.cutout}
	cfg.Recon, cfg.ReconWeight, cfg.PerceptualWeight = f.recon, float32(f.reconWeight), float32(f.perceptualWeight)
	cfg.FeatureMatchWeight, cfg.PriorLatents = float32(f.featureMatchWeight), f.priorLatents
	if err := cfg.Validate(dcfg); err != nil {
		return cfg, flagError("train gan", err, "steps", "batch", "lr", "augment", "recon", "perceptual-weight", "feature-match-weight")
	}
	return cfg, nil
}
