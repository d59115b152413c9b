package training

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// TestTrainGANJob runs the train-gan handler on a tiny imported catalog: a
// fresh run records an inactive GAN version whose file holds G, D and E; a
// run that finds a dead attempt's saved state resumes from it (shown by
// the seed the saved state carries); arguments it refuses fail at once.
func TestTrainGANJob(t *testing.T) {
	world := servicetest.World(t, 24, 4, 2)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		testTrainGANJob(t, NewEngine(store, blobs))
	})
}

func testTrainGANJob(t *testing.T, e *Engine) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	handler := e.TrainGAN
	args := json.RawMessage(`{"params":{"steps":3,"batch":8,"encoder_steps":2,"refine_steps":0,"zdim":8,"seed":1}}`)

	fresh, err := handler(ctx, atelier.Job{ID: "fresh", Kind: atelier.JobTrainGAN, Args: args}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Kind != atelier.ModelGAN || fresh.Active || !strings.Contains(fresh.BlobKey, "fresh") {
		t.Fatalf("version %+v: want an inactive GAN named by its job", fresh)
	}
	if fresh.Metrics["steps"] != 3 || fresh.Metrics["encoder_steps"] != 2 || fresh.Metrics["images"] != 24 {
		t.Errorf("metrics %v", fresh.Metrics)
	}
	if _, err := e.blobs.Stat(ctx, "models/gan/job-fresh.training.safetensors"); atelier.ErrorKind(err) != atelier.KindNotFound {
		t.Errorf("the training state outlived the job: %v", err)
	}
	freshModels := loadGANBlob(ctx, t, e.blobs, fresh.BlobKey)
	if freshModels.E == nil || freshModels.ZDim() != 8 {
		t.Fatalf("models file: encoder %v, zdim %d", freshModels.E != nil, freshModels.ZDim())
	}
	// 24 images, two held out: room for two components of 8 codes (k-means
	// may leave one empty on a barely trained encoder's codes).
	if freshModels.Prior == nil || freshModels.Prior.Components() > 2 {
		t.Fatalf("models file: latent prior %+v, want 1 or 2 components", freshModels.Prior)
	}
	// Its spread is calibrated, and recorded.
	if sp := freshModels.Prior.Spread; !(sp >= 0.5 && sp <= 2) || fresh.Metrics["prior_spread"] != sp {
		t.Errorf("prior spread %v, metric %v: want one calibrated in [0.5, 2], recorded", sp, fresh.Metrics["prior_spread"])
	}

	// Refinement continues the same run on the fitted prior's latents and
	// keeps that prior.
	refined, err := handler(ctx, atelier.Job{ID: "refined", Kind: atelier.JobTrainGAN,
		Args: json.RawMessage(`{"params":{"steps":3,"batch":8,"encoder_steps":2,"refine_steps":2,"zdim":8,"seed":1}}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if refined.Metrics["refine_steps"] != 2 || fresh.Metrics["refine_steps"] != 0 {
		t.Errorf("refine_steps metrics %v and %v, want 2 and 0", refined.Metrics["refine_steps"], fresh.Metrics["refine_steps"])
	}
	refinedModels := loadGANBlob(ctx, t, e.blobs, refined.BlobKey)
	if refinedModels.Prior == nil || !slices.Equal(refinedModels.Prior.Means, freshModels.Prior.Means) {
		t.Error("refinement did not keep the prior fitted before it")
	}
	if slices.Equal(refinedModels.G.Params()[0].Data(), freshModels.G.Params()[0].Data()) {
		t.Error("refinement left the generator as it was")
	}

	// A dead attempt of job "resumed" saved its state at step 2 of a run
	// seeded 7; the next attempt continues that run.
	cat, err := e.exportCatalog(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	reference := func(steps int) *gan.Trainer {
		gcfg := gan.DefaultGeneratorConfig()
		gcfg.ZDim = 8
		m, err := gan.NewGAN(gcfg, gan.DefaultDiscriminatorConfig(), 7)
		if err != nil {
			t.Fatal(err)
		}
		cfg := gan.DefaultTrainConfig()
		cfg.Steps, cfg.Batch, cfg.Seed = steps, 8, 7
		tr, err := gan.NewTrainer(m, cat.images, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		if err := tr.Run(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	saved := filepath.Join(t.TempDir(), "state.safetensors")
	if err := reference(2).Save(saved); err != nil {
		t.Fatal(err)
	}
	if err := catalog.PutFile(ctx, e.blobs, "models/gan/job-resumed.training.safetensors", saved); err != nil {
		t.Fatal(err)
	}
	resumed, err := handler(ctx, atelier.Job{ID: "resumed", Kind: atelier.JobTrainGAN, Args: args}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := loadGANBlob(ctx, t, e.blobs, resumed.BlobKey).G.Params()
	want := reference(3).GAN.GEMA.Params()
	for i := range want {
		if !slices.Equal(got[i].Data(), want[i].Data()) {
			t.Fatalf("generator parameter %s differs from the run the saved state belongs to", want[i].Name)
		}
	}
	if slices.Equal(got[0].Data(), freshModels.G.Params()[0].Data()) {
		t.Fatal("the resumed job trained the fresh run's generator")
	}

	for _, bad := range []struct{ args, want string }{
		{`{"params":{"batch":12}}`, "batch"},
		{`{"params":{"lr":0.1}}`, "lr"},
		{`{"params":{"refine_steps":-1}}`, "refine_steps"},
		{`{"steps":3}`, "steps"},
	} {
		_, err := handler(ctx, atelier.Job{ID: "bad", Kind: atelier.JobTrainGAN, Args: json.RawMessage(bad.args)}, nil)
		if atelier.ErrorKind(err) != atelier.KindInvalid || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("args %s: %v, want an invalid-input error naming %s", bad.args, err, bad.want)
		}
	}
}

// loadGANBlob reads a GAN models file from the blob store.
func loadGANBlob(ctx context.Context, t *testing.T, blobs blob.Store, key string) *gan.Models {
	t.Helper()
	path := filepath.Join(t.TempDir(), "models.safetensors")
	if err := catalog.FetchToFile(ctx, blobs, key, path); err != nil {
		t.Fatal(err)
	}
	m, err := gan.LoadModels(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A train-gan job's defaults are the recipe of `atelier train gan` and
// `atelier train encoder`, which made the demo models.
func TestTrainGANDefaultsMatchCommands(t *testing.T) {
	p := atelier.DefaultTrainGANParams()
	g, e := gan.DefaultTrainConfig(), gan.DefaultEncoderTrainConfig()
	if p.Steps != g.Steps || p.Batch != g.Batch || p.Seed != g.Seed || p.ZDim != gan.DefaultGeneratorConfig().ZDim || p.EncoderSteps != e.Steps {
		t.Fatalf("job defaults %+v; commands: gan %d steps of %d (seed %d, zdim %d), encoder %d steps",
			p, g.Steps, g.Batch, g.Seed, gan.DefaultGeneratorConfig().ZDim, e.Steps)
	}
	if err := g.Validate(gan.DefaultDiscriminatorConfig()); err != nil {
		t.Fatal(err)
	}
	for b := atelier.GANBatchMultiple; b <= 64; b += atelier.GANBatchMultiple {
		g.Batch = b
		if err := g.Validate(gan.DefaultDiscriminatorConfig()); err != nil {
			t.Errorf("batch %d passes the job's check but not the trainer's: %v", b, err)
		}
	}
}
