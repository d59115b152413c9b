package atelier

import "math"

// TrainRecommenderParams configure the training of a recommender model
// version (DVBPR) from the service's data. They are the "params" of POST
// /api/v1/models/train with kind recommender; the API fills in the
// defaults of the fields a request leaves out and checks them, so a job's
// arguments always state the whole configuration it was trained with.
type TrainRecommenderParams struct {
	Epochs    int     `json:"epochs"`     // training epochs at most
	Patience  int     `json:"patience"`   // stop after this many epochs without a better validation AUC
	Dim       int     `json:"dim"`        // feature dimension K of θ and φ
	LR        float64 `json:"lr"`         // Adam learning rate of the first epoch
	LRDecay   float64 `json:"lr_decay"`   // factor applied to the learning rate after each epoch, in (0, 1]
	Batch     int     `json:"batch"`      // triplets per step
	Seed      uint64  `json:"seed"`       // cold items of the split, initial weights, triplets
	ColdItems float64 `json:"cold_items"` // share of the catalog held out of training, in [0, 1)
}

// TrainRecommenderArgs are the arguments of a train-recommender job, in the
// same envelope as every training job's: {"params": {...}}.
type TrainRecommenderArgs struct {
	Params TrainRecommenderParams `json:"params"`
}

// DefaultTrainRecommenderParams are the parameters a request leaves out;
// `atelier train recommender` uses the same defaults for its flags.
func DefaultTrainRecommenderParams() TrainRecommenderParams {
	return TrainRecommenderParams{
		Epochs: 12, Patience: 3, Dim: 64, LR: 2e-3, LRDecay: 0.75, Batch: 64, Seed: 1, ColdItems: 0.1,
	}
}

// Limits of TrainRecommenderParams: beyond them a job would run for days
// or exhaust a worker's memory rather than train a better model.
const (
	MaxTrainEpochs = 1000
	MaxTrainDim    = 1024
	MaxTrainBatch  = 4096
)

// Check reports the first parameter out of its range, naming it.
func (p TrainRecommenderParams) Check() error {
	switch {
	case p.Epochs < 1 || p.Epochs > MaxTrainEpochs:
		return FieldErrorf("epochs", "must be in [1, %d], got %d", MaxTrainEpochs, p.Epochs)
	case p.Patience < 1:
		return FieldErrorf("patience", "must be positive, got %d", p.Patience)
	case p.Dim < 1 || p.Dim > MaxTrainDim:
		return FieldErrorf("dim", "must be in [1, %d], got %d", MaxTrainDim, p.Dim)
	case !(float32(p.LR) > 0) || math.IsInf(float64(float32(p.LR)), 0): // training runs in float32
		return FieldErrorf("lr", "must be a positive number, got %v", p.LR)
	case !(p.LRDecay > 0 && p.LRDecay <= 1):
		return FieldErrorf("lr_decay", "must be in (0, 1], got %v", p.LRDecay)
	case p.Batch < 1 || p.Batch > MaxTrainBatch:
		return FieldErrorf("batch", "must be in [1, %d], got %d", MaxTrainBatch, p.Batch)
	case !(p.ColdItems >= 0 && p.ColdItems < 1):
		return FieldErrorf("cold_items", "must be at least 0 and below 1, got %v", p.ColdItems)
	}
	return nil
}

// TrainGANParams configure the training of a GAN model version (generator,
// discriminator and inversion encoder) on the service's catalog images.
// They are the "params" of POST /api/v1/models/train with kind gan; as for
// a recommender, the API fills in the defaults and checks them.
type TrainGANParams struct {
	Steps        int   `json:"steps"`         // GAN training steps (batches)
	Batch        int   `json:"batch"`         // images per step, a multiple of GANBatchMultiple
	EncoderSteps int   `json:"encoder_steps"` // steps of the encoder's fine-tuning after the GAN
	RefineSteps  int   `json:"refine_steps"`  // steps on the fitted prior's latents, then the encoder again (0: none)
	ZDim         int   `json:"zdim"`          // latent dimension
	Seed         int64 `json:"seed"`          // initial weights and every step's random draws
}

// TrainGANArgs are the arguments of a train-gan job.
type TrainGANArgs struct {
	Params TrainGANParams `json:"params"`
}

// DefaultTrainGANParams are the parameters a request leaves out: the
// recipe of the committed demo models (`atelier train gan`, `atelier train
// encoder` and gan.RefineTrainConfig use the same defaults).
func DefaultTrainGANParams() TrainGANParams {
	return TrainGANParams{Steps: 10000, Batch: 32, EncoderSteps: 1000, RefineSteps: 600, ZDim: 128, Seed: 1}
}

// Limits of TrainGANParams.
const (
	MaxTrainGANSteps = 1_000_000
	MaxTrainGANBatch = 1024
	MaxTrainGANZDim  = 1024
	// GANBatchMultiple: a batch splits into two shards, each into groups of
	// four for the discriminator's minibatch standard deviation.
	GANBatchMultiple = 8
)

// Check reports the first parameter out of its range, naming it.
func (p TrainGANParams) Check() error {
	switch {
	case p.Steps < 1 || p.Steps > MaxTrainGANSteps:
		return FieldErrorf("steps", "must be in [1, %d], got %d", MaxTrainGANSteps, p.Steps)
	case p.Batch < GANBatchMultiple || p.Batch > MaxTrainGANBatch || p.Batch%GANBatchMultiple != 0:
		return FieldErrorf("batch", "must be a multiple of %d in [%d, %d], got %d", GANBatchMultiple, GANBatchMultiple, MaxTrainGANBatch, p.Batch)
	case p.EncoderSteps < 1 || p.EncoderSteps > MaxTrainGANSteps:
		return FieldErrorf("encoder_steps", "must be in [1, %d], got %d", MaxTrainGANSteps, p.EncoderSteps)
	case p.RefineSteps < 0 || p.RefineSteps > MaxTrainGANSteps:
		return FieldErrorf("refine_steps", "must be in [0, %d], got %d", MaxTrainGANSteps, p.RefineSteps)
	case p.ZDim < 1 || p.ZDim > MaxTrainGANZDim:
		return FieldErrorf("zdim", "must be in [1, %d], got %d", MaxTrainGANZDim, p.ZDim)
	}
	return nil
}
