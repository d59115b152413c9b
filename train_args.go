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
