package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage/jobs"
)

// ganCheckpointEvery is how often (in steps) a train-gan job saves its
// training state to the blob store: at the default recipe about every 3
// minutes on two cores, the most a dead worker's successor repeats.
const ganCheckpointEvery = 500

// TrainGAN trains the generator, discriminator and encoder on the
// catalog's model-size images (`atelier train gan`), fine-tunes the
// encoder and fits the latent prior (`atelier train encoder --spread 1`),
// refines the GAN on the prior's latents and fine-tunes the encoder again
// (`train gan --init --prior-latents`, `train encoder --keep-prior`; not
// when the catalog is too small for a prior), calibrates the prior's
// spread (gan.CalibrateSpread), and stores the models file as a new,
// inactive model version. Training can take an hour, so its state is
// saved to the blob store under a key named by the job: an attempt that
// follows a dead one resumes from the last save, and since every step's
// randomness derives from (seed, step), it continues as the dead attempt
// would have.
func (e *Engine) TrainGAN(ctx context.Context, job atelier.Job, report progress.Func) (atelier.ModelVersion, error) {
	p, err := DecodeArgs(atelier.JobTrainGAN, job.Args, atelier.DefaultTrainGANParams())
	if err != nil {
		return atelier.ModelVersion{}, jobs.Permanent(err)
	}
	cat, err := e.exportCatalog(ctx, report)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	state, err := openState(e.blobs, atelier.ModelGAN, job.ID)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	defer state.close()

	m, metrics, err := adversarialStage(ctx, state, cat, p, report)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	if m, err = finishGAN(ctx, m, cat, p, metrics, report); err != nil {
		return atelier.ModelVersion{}, err
	}
	modelsPath := filepath.Join(state.dir, "models.safetensors")
	if err := m.Save(modelsPath); err != nil {
		return atelier.ModelVersion{}, err
	}
	key := ModelKey(atelier.ModelGAN, job.ID)
	if err := catalog.PutFile(ctx, e.blobs, key, modelsPath); err != nil {
		return atelier.ModelVersion{}, fmt.Errorf("store gan models: %w", err)
	}
	state.drop(ctx)
	cfg, err := json.Marshal(map[string]any{"source": atelier.JobTrainGAN, "job_id": job.ID, "params": p, "images": cat.images.Len()})
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	return atelier.ModelVersion{Kind: atelier.ModelGAN, BlobKey: key, Config: cfg, Metrics: metrics}, nil
}

// adversarialStage trains G, D and E together (`atelier train gan`),
// saving the state every ganCheckpointEvery steps, and returns the models
// with the stage's metrics.
func adversarialStage(ctx context.Context, state *trainingState, cat catalogExport, p atelier.TrainGANParams, report progress.Func) (*gan.Models, map[string]float64, error) {
	tr, err := openGANTrainer(ctx, state, cat, p)
	if err != nil {
		return nil, nil, err
	}
	defer tr.Close()
	var last gan.StepStats
	err = tr.Run(ctx, report, func(st gan.StepStats) error {
		last = st
		if st.Step%ganCheckpointEvery != 0 || st.Step == p.Steps {
			return nil
		}
		if err := tr.Save(state.path); err != nil {
			return err
		}
		return state.store(ctx)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("train gan: %w", err)
	}
	return tr.GAN.Models(), map[string]float64{
		"steps":     float64(tr.Steps()),
		"loss_d":    last.LossD,
		"loss_g":    last.LossG,
		"recon_mse": last.Recon,
		"images":    float64(cat.images.Len()),
	}, nil
}

// finishGAN runs the recipe's stages after the adversarial one on m, and
// adds their metrics: the encoder fine-tuned and the prior fitted to its
// codes (`atelier train encoder --spread 1`); unless the catalog is too
// small for a prior, the GAN refined on the prior's latents and the
// encoder fine-tuned again (`train gan --init --prior-latents`, `train
// encoder --keep-prior`); and last the prior's spread calibrated, for the
// final G and E: the refinement trains on the prior as fitted, which did
// better than training on a calibrated one (docs/gan.md). These stages
// are not saved along the way: a retry repeats them (minutes, beside the
// adversarial stage's hour).
func finishGAN(ctx context.Context, m *gan.Models, cat catalogExport, p atelier.TrainGANParams, metrics map[string]float64, report progress.Func) (*gan.Models, error) {
	ecfg := gan.DefaultEncoderTrainConfig()
	ecfg.Steps, ecfg.Batch, ecfg.Seed = p.EncoderSteps, p.Batch, p.Seed
	stage := EncoderStage{Encoder: ecfg, Components: gan.DefaultPriorComponents}
	enc, err := stage.Run(ctx, m, cat.images, report)
	if err != nil {
		return nil, err
	}
	refined := 0
	if p.RefineSteps > 0 && m.Prior != nil {
		refined = p.RefineSteps
		if m, err = refineGAN(ctx, m, cat, p, report); err != nil {
			return nil, err
		}
		stage.KeepPrior = true
		if enc, err = stage.Run(ctx, m, cat.images, report); err != nil {
			return nil, fmt.Errorf("after refinement: %w", err)
		}
	}
	train, _ := gan.EncoderSplit(cat.images.Len())
	if err := SetSpread(ctx, m, gan.Subset{Set: cat.images, Indices: train}, AutoSpread, p.Seed, nil, report); err != nil {
		return nil, err
	}
	metrics["encoder_steps"] = float64(p.EncoderSteps)
	metrics["refine_steps"] = float64(refined)
	metrics["encoder_mse"] = enc.MSE
	if m.Prior != nil {
		metrics["prior_spread"] = m.Prior.Spread
	}
	return m, nil
}

// refineGAN continues m on its prior's latents (gan.RefineTrainConfig)
// and returns the refined models, with m's prior.
func refineGAN(ctx context.Context, m *gan.Models, cat catalogExport, p atelier.TrainGANParams, report progress.Func) (*gan.Models, error) {
	g, err := gan.GANFromModels(m)
	if err != nil {
		return nil, err
	}
	cfg := gan.RefineTrainConfig(p.RefineSteps, p.Seed)
	cfg.Batch = p.Batch
	tr, err := gan.NewTrainer(g, cat.images, cfg)
	if err != nil {
		return nil, fmt.Errorf("refine gan: %w", err)
	}
	defer tr.Close()
	if err := tr.Run(ctx, report, nil); err != nil {
		return nil, fmt.Errorf("refine gan: %w", err)
	}
	return g.Models(), nil
}

// openGANTrainer resumes the job's training from its saved state in the
// blob store, or starts it afresh when there is none.
func openGANTrainer(ctx context.Context, state *trainingState, cat catalogExport, p atelier.TrainGANParams) (*gan.Trainer, error) {
	saved, err := state.fetch(ctx)
	if err != nil {
		return nil, err
	}
	if saved {
		tr, err := gan.ResumeTrainer(state.path, cat.images, func(c *gan.TrainConfig) { c.Steps = p.Steps })
		if err != nil {
			return nil, fmt.Errorf("resume from %s: %w", state.key, err)
		}
		return tr, nil
	}
	gcfg := gan.DefaultGeneratorConfig()
	gcfg.ZDim = p.ZDim
	dcfg := gan.DefaultDiscriminatorConfig()
	cfg := gan.DefaultTrainConfig()
	cfg.Steps, cfg.Batch, cfg.Seed = p.Steps, p.Batch, p.Seed
	if err := errors.Join(gcfg.Validate(), cfg.Validate(dcfg)); err != nil {
		return nil, jobs.Permanent(atelier.Wrap(atelier.KindInvalid, err, "train-gan arguments"))
	}
	m, err := gan.NewGAN(gcfg, dcfg, p.Seed)
	if err != nil {
		return nil, err
	}
	return gan.NewTrainer(m, cat.images, cfg)
}
