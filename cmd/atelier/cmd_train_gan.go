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
	f, err := parseTrainGANFlags(e, args)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	gcfg, dcfg, err := f.architecture()
	if err != nil {
		return err
	}
	cfg, err := f.recipe(dcfg)
	if err != nil {
		return err
	}
	if f.samples != "" {
		if err := os.MkdirAll(f.samples, 0o755); err != nil {
			return fmt.Errorf("train gan: %w", err)
		}
	}

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	images, err := loadCatalogImages(ctx, f.dataset, gcfg.Size(), bar.Func())
	if err != nil {
		return fmt.Errorf("train gan: %w", err)
	}
	tr, err := f.trainer(images, cfg, gcfg, dcfg)
	if err != nil {
		return err
	}
	defer tr.Close()
	return f.run(ctx, e, tr, images, bar)
}

// trainer prepares the run: it resumes the --resume checkpoint, continues
// the --init models with fresh optimisers and the flags' recipe cfg, or
// starts a new GAN of gcfg and dcfg. Its errors are the command's.
func (f *trainGANFlags) trainer(images gan.ImageSet, cfg gan.TrainConfig, gcfg gan.GeneratorConfig, dcfg gan.DiscriminatorConfig) (*gan.Trainer, error) {
	var tr *gan.Trainer
	var err error
	switch {
	case f.resume != "":
		tr, err = f.resumeTrainer(images)
	case f.initFrom != "":
		var models *gan.Models
		var m *gan.GAN
		if models, err = gan.LoadModels(f.initFrom); err == nil {
			if cfg.PriorLatents && models.Prior == nil {
				return nil, usagef("train gan: --prior-latents: %s has no latent prior; fit one with `atelier train prior`", f.initFrom)
			}
			if m, err = gan.GANFromModels(models); err == nil {
				tr, err = gan.NewTrainer(m, images, cfg)
			}
		}
	default:
		var m *gan.GAN
		if m, err = gan.NewGAN(gcfg, dcfg, cfg.Seed); err == nil {
			tr, err = gan.NewTrainer(m, images, cfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("train gan: %w", err)
	}
	return tr, nil
}

// resumeTrainer resumes the --resume checkpoint. Flags given explicitly
// change the resumed recipe; the others keep the checkpoint's.
func (f *trainGANFlags) resumeTrainer(images gan.ImageSet) (*gan.Trainer, error) {
	return gan.ResumeTrainer(f.resume, images, func(c *gan.TrainConfig) {
		c.Steps = f.steps
		if f.set["recon-weight"] {
			c.ReconWeight = float32(f.reconWeight)
		}
		if f.set["perceptual-weight"] {
			c.PerceptualWeight = float32(f.perceptualWeight)
		}
		if f.set["feature-match-weight"] {
			c.FeatureMatchWeight = float32(f.featureMatchWeight)
		}
		if f.set["prior-latents"] {
			c.PriorLatents = f.priorLatents
		}
	})
}

// run trains tr to its step count, writing the checkpoint and sample grids
// along the way, and reports the run; an interrupted run still saves what
// it learned.
func (f *trainGANFlags) run(ctx context.Context, e env, tr *gan.Trainer, images gan.ImageSet, bar *progress.Bar) error {
	start, first := time.Now(), tr.Steps()
	fmt.Fprintf(e.stderr, "train gan: %d images, generator %v (%d parameters), discriminator %v, from step %d to %d, batch %d\n",
		images.Len(), tr.GAN.G.Config.Widths, nn.CountParams(tr.GAN.G.Params()), tr.GAN.D.Config.Widths, first, tr.Config.Steps, tr.Config.Batch)
	err := tr.Run(ctx, bar.Func(), func(st gan.StepStats) error {
		return f.afterStep(ctx, tr, st.Step)
	})
	if err != nil {
		// Keep what was learned: an interrupted run can be resumed.
		if tr.Steps() > first {
			if serr := tr.Save(f.out); serr == nil {
				fmt.Fprintf(e.stderr, "train gan: saved step %d to %s\n", tr.Steps(), f.out)
			}
		}
		return fmt.Errorf("train gan: %w", err)
	}
	bar.Done()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(e.stdout, "trained gan to step %d in %.0fs (%.1f images/s); checkpoint %s\n",
		tr.Steps(), secs, float64((tr.Steps()-first)*tr.Config.Batch)/secs, f.out)
	return nil
}

// afterStep writes the checkpoint and the sample grid when they are due
// after step (always after the last one).
func (f *trainGANFlags) afterStep(ctx context.Context, tr *gan.Trainer, step int) error {
	last := step == tr.Config.Steps
	if step%f.every == 0 || last {
		if err := tr.Save(f.out); err != nil {
			return err
		}
	}
	if f.samples != "" && (step%f.sampleEvery == 0 || last) {
		img, err := tr.GAN.Models().SampleGrid(ctx, 64, gridSeed)
		if err != nil {
			return err
		}
		return writePNGFile(filepath.Join(f.samples, fmt.Sprintf("gan-step-%06d.png", step)), img)
	}
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
