package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
)

// gridSeed fixes the latents of training sample grids, so that grids from
// successive steps (and runs) show the same z.
const gridSeed = 20240601

// runTrainGAN trains the generator and discriminator on a dataset's images:
// `atelier train gan --dataset DIR --out FILE`.
func runTrainGAN(ctx context.Context, e env, args []string) error {
	def := gan.DefaultTrainConfig()
	fs := newFlags("train gan", e)
	dataset := fs.String("dataset", "", "dataset `directory` whose images/ to learn (required)")
	out := fs.String("out", "", "training checkpoint `file` to write (required); rewritten every --checkpoint-every steps")
	steps := fs.Int("steps", def.Steps, "total training steps (a resumed run continues to this count)")
	batch := fs.Int("batch", def.Batch, "images per step (split over two goroutines)")
	seed := fs.Int64("seed", def.Seed, "seed of the initial weights and of every step's random draws")
	zdim := fs.Int("zdim", gan.DefaultGeneratorConfig().ZDim, "latent dimension")
	gWidths := fs.String("g-widths", joinInts(gan.DefaultGeneratorConfig().Widths), "generator channels at 4, 8, 16 and 32 px, comma-separated (one width per doubling: four make 64 px images)")
	lrG := fs.Float64("lr-g", float64(def.LRG), "generator learning rate")
	lrD := fs.Float64("lr-d", float64(def.LRD), "discriminator learning rate")
	translate := fs.Float64("translate", def.Augment.Translate, "discriminator augmentation: largest shift as a `fraction` of the image side")
	cutout := fs.Float64("cutout", def.Augment.Cutout, "discriminator augmentation: `probability` of cutting out a half-side square")
	recon := fs.Int("recon", def.Recon, "real images per step that an encoder trained along reconstructs through G (0: plain GAN)")
	reconWeight := fs.Float64("recon-weight", float64(def.ReconWeight), "weight of the reconstruction's pixel MSE in G's and E's loss (with --resume: changes the resumed recipe)")
	perceptualWeight := fs.Float64("perceptual-weight", float64(def.PerceptualWeight), "weight of the reconstruction's perceptual distance (D's features) in G's and E's loss (with --resume: changes the resumed recipe)")
	featureMatchWeight := fs.Float64("feature-match-weight", float64(def.FeatureMatchWeight), "weight of feature matching (batch means of D's features, generated vs real) in G's loss (with --resume: changes the resumed recipe)")
	priorLatents := fs.Bool("prior-latents", false, "draw the generated images' latents from the --init models' latent prior (fitted to their encoder's codes, at its spread, as sampling draws them; the demo recipe refines on spread 1) instead of the standard normal (with --resume: changes the resumed recipe)")
	resume := fs.String("resume", "", "training checkpoint `file` to resume from (its recipe and architecture are kept)")
	initFrom := fs.String("init", "", "models `file` to continue training from, with fresh optimisers and the recipe of the flags (its architecture and latent prior are kept)")
	every := fs.Int("checkpoint-every", 500, "write the checkpoint every `N` steps")
	sampleEvery := fs.Int("sample-every", 500, "write a sample grid every `N` steps when --samples is set")
	samples := fs.String("samples", "", "`directory` for sample grids (gan-step-NNNNNN.png, 64 fixed latents)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := givenFlags(fs)
	switch {
	case *dataset == "":
		return usagef("train gan: --dataset is required")
	case *out == "":
		return usagef("train gan: --out is required")
	case *every < 1:
		return usagef("train gan: --checkpoint-every must be positive")
	case *sampleEvery < 1:
		return usagef("train gan: --sample-every must be positive")
	case *resume != "" && *initFrom != "":
		return usagef("train gan: --resume and --init exclude each other")
	case *priorLatents && *resume == "" && *initFrom == "":
		return usagef("train gan: --prior-latents draws from the latent prior of --init models (or of a --resume checkpoint); a new GAN has none")
	case (*resume != "" || *initFrom != "") && (set["zdim"] || set["g-widths"]):
		return usagef("train gan: --zdim and --g-widths shape a new generator; --resume and --init keep theirs")
	}
	cfg := def
	cfg.Steps, cfg.Batch, cfg.Seed, cfg.LRG, cfg.LRD = *steps, *batch, *seed, float32(*lrG), float32(*lrD)
	cfg.Augment = gan.AugmentConfig{Translate: *translate, Cutout: *cutout}
	cfg.Recon, cfg.ReconWeight, cfg.PerceptualWeight = *recon, float32(*reconWeight), float32(*perceptualWeight)
	cfg.FeatureMatchWeight, cfg.PriorLatents = float32(*featureMatchWeight), *priorLatents
	gcfg := gan.DefaultGeneratorConfig()
	gcfg.ZDim = *zdim
	dcfg := gan.DefaultDiscriminatorConfig()
	if err := gcfg.Validate(); err != nil {
		return usagef("train gan: --zdim: %v", err)
	}
	var err error
	if gcfg.Widths, err = positiveInts(*gWidths); err != nil {
		return usagef("train gan: --g-widths: %v", err)
	}
	if err := gcfg.Validate(); err != nil {
		return usagef("train gan: --g-widths: %v", err)
	}
	if gcfg.Size() != dcfg.Size {
		return usagef("train gan: --g-widths: %d widths make %d px images; the catalog is trained at %d px (give %d)",
			len(gcfg.Widths), gcfg.Size(), dcfg.Size, len(gan.DefaultGeneratorConfig().Widths))
	}
	if err := cfg.Validate(dcfg); err != nil {
		return flagError("train gan", err, "steps", "batch", "lr", "augment", "recon", "perceptual-weight", "feature-match-weight")
	}
	if *samples != "" {
		if err := os.MkdirAll(*samples, 0o755); err != nil {
			return fmt.Errorf("train gan: %w", err)
		}
	}

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	images, err := loadCatalogImages(ctx, *dataset, gcfg.Size(), bar.Func())
	if err != nil {
		return fmt.Errorf("train gan: %w", err)
	}
	var tr *gan.Trainer
	if *resume != "" {
		// Flags given explicitly change the resumed recipe; the others
		// keep the checkpoint's.
		tr, err = gan.ResumeTrainer(*resume, images, func(c *gan.TrainConfig) {
			c.Steps = *steps
			if set["recon-weight"] {
				c.ReconWeight = float32(*reconWeight)
			}
			if set["perceptual-weight"] {
				c.PerceptualWeight = float32(*perceptualWeight)
			}
			if set["feature-match-weight"] {
				c.FeatureMatchWeight = float32(*featureMatchWeight)
			}
			if set["prior-latents"] {
				c.PriorLatents = *priorLatents
			}
		})
	} else if *initFrom != "" {
		var models *gan.Models
		var m *gan.GAN
		if models, err = gan.LoadModels(*initFrom); err == nil {
			if cfg.PriorLatents && models.Prior == nil {
				return usagef("train gan: --prior-latents: %s has no latent prior; fit one with `atelier train prior`", *initFrom)
			}
			if m, err = gan.GANFromModels(models); err == nil {
				tr, err = gan.NewTrainer(m, images, cfg)
			}
		}
	} else {
		var m *gan.GAN
		if m, err = gan.NewGAN(gcfg, dcfg, cfg.Seed); err == nil {
			tr, err = gan.NewTrainer(m, images, cfg)
		}
	}
	if err != nil {
		return fmt.Errorf("train gan: %w", err)
	}
	defer tr.Close()

	start, first := time.Now(), tr.Steps()
	fmt.Fprintf(e.stderr, "train gan: %d images, generator %v (%d parameters), discriminator %v, from step %d to %d, batch %d\n",
		images.Len(), tr.GAN.G.Config.Widths, nn.CountParams(tr.GAN.G.Params()), tr.GAN.D.Config.Widths, first, tr.Config.Steps, tr.Config.Batch)
	writeGrid := func(step int) error {
		img, err := tr.GAN.Models().SampleGrid(ctx, 64, gridSeed)
		if err != nil {
			return err
		}
		return writePNGFile(filepath.Join(*samples, fmt.Sprintf("gan-step-%06d.png", step)), img)
	}
	err = tr.Run(ctx, bar.Func(), func(st gan.StepStats) error {
		if st.Step%*every == 0 || st.Step == tr.Config.Steps {
			if err := tr.Save(*out); err != nil {
				return err
			}
		}
		if *samples != "" && (st.Step%*sampleEvery == 0 || st.Step == tr.Config.Steps) {
			return writeGrid(st.Step)
		}
		return nil
	})
	if err != nil {
		// Keep what was learned: an interrupted run can be resumed.
		if tr.Steps() > first {
			if serr := tr.Save(*out); serr == nil {
				fmt.Fprintf(e.stderr, "train gan: saved step %d to %s\n", tr.Steps(), *out)
			}
		}
		return fmt.Errorf("train gan: %w", err)
	}
	bar.Done()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(e.stdout, "trained gan to step %d in %.0fs (%.1f images/s); checkpoint %s\n",
		tr.Steps(), secs, float64((tr.Steps()-first)*tr.Config.Batch)/secs, *out)
	return nil
}

// joinInts writes v as positiveInts reads it.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// loadCatalogImages reads a dataset's item images at size×size.
func loadCatalogImages(ctx context.Context, dir string, size int, prog progress.Func) (*recommender.Images, error) {
	d, err := recommender.LoadDataset(dir)
	if err != nil {
		return nil, err
	}
	return d.LoadImages(ctx, size, 2, prog)
}

// writePNGFile writes img to path atomically.
func writePNGFile(path string, img image.Image) error {
	return nn.WriteFileAtomic(path, func(w io.Writer) error { return imaging.WritePNG(w, img) })
}
