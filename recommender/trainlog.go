package recommender

import (
	"encoding/json"
	"math"
)

// EpochLog is one epoch of training.
type EpochLog struct {
	Epoch       int     `json:"epoch"`
	Loss        float64 `json:"loss"`         // mean BPR loss −ln σ(x) over the epoch's triplets
	CategoryCE  float64 `json:"category_ce"`  // mean category cross-entropy over the epoch's images
	ValAUC      float64 `json:"val_auc"`      // validation AUC after the epoch
	CategoryAcc float64 `json:"category_acc"` // category head accuracy on cold items after the epoch
	Seconds     float64 `json:"seconds"`      // training time of the epoch (validation excluded)
}

// NaN metrics (no validation consumers, no items to classify) are written
// as JSON null, which encoding/json cannot do for a float64 by itself.

func nullable(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

type epochLogJSON struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	CategoryCE  float64  `json:"category_ce"`
	ValAUC      *float64 `json:"val_auc"`
	CategoryAcc *float64 `json:"category_acc"`
	Seconds     float64  `json:"seconds"`
}

// MarshalJSON writes NaN metrics as null.
func (l EpochLog) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochLogJSON{l.Epoch, l.Loss, l.CategoryCE, nullable(l.ValAUC), nullable(l.CategoryAcc), l.Seconds})
}

// UnmarshalJSON reads null metrics as NaN.
func (l *EpochLog) UnmarshalJSON(b []byte) error {
	var j epochLogJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = EpochLog{j.Epoch, j.Loss, j.CategoryCE, fromNullable(j.ValAUC), fromNullable(j.CategoryAcc), j.Seconds}
	return nil
}

type trainInfoJSON struct {
	Split        SplitConfig `json:"split"`
	Dataset      string      `json:"dataset"`
	Epochs       int         `json:"epochs"`
	BestEpoch    int         `json:"best_epoch"`
	ValAUC       *float64    `json:"val_auc"`
	CategoryAcc  *float64    `json:"category_acc"`
	TrainSeconds float64     `json:"train_seconds"`
	History      []EpochLog  `json:"history"`
}

// MarshalJSON writes NaN metrics as null.
func (i TrainInfo) MarshalJSON() ([]byte, error) {
	return json.Marshal(trainInfoJSON{i.Split, i.Dataset, i.Epochs, i.BestEpoch, nullable(i.ValAUC),
		nullable(i.CategoryAcc), i.TrainSeconds, i.History})
}

// UnmarshalJSON reads null metrics as NaN.
func (i *TrainInfo) UnmarshalJSON(b []byte) error {
	var j trainInfoJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*i = TrainInfo{j.Split, j.Dataset, j.Epochs, j.BestEpoch, fromNullable(j.ValAUC),
		fromNullable(j.CategoryAcc), j.TrainSeconds, j.History}
	return nil
}
