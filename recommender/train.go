package recommender

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// TrainData is what DVBPR learns from besides the split: every item's
// image and category, and the consumers' ids (θ rows follow their order).
// Images may go on past the split's items: images no one took, such as
// the choice flow's generated probes, which explicit triplets
// (TrainConfig.Explicit) compare with the items.
type TrainData struct {
	Images         *Images
	Categories     []string
	ItemCategories []int // per item, index into Categories
	ConsumerIDs    []string
	Fingerprint    string // identifies the dataset in the model (DatasetFingerprint)
}

// NewTrainData gathers a dataset's training inputs with its images.
func NewTrainData(d *Dataset, im *Images) TrainData {
	td := TrainData{Images: im, Categories: d.Categories, ItemCategories: make([]int, len(d.Items)),
		ConsumerIDs: make([]string, len(d.Consumers)), Fingerprint: DatasetFingerprint(d)}
	for i, it := range d.Items {
		td.ItemCategories[i] = it.Category
	}
	for u, c := range d.Consumers {
		td.ConsumerIDs[u] = c.ID
	}
	return td
}

// TrainConfig configures Train; zero fields take the defaults shown.
type TrainConfig struct {
	// Arch: zero Dim and Channels take DefaultArch's; the categories and
	// image size always come from the data.
	Arch           Arch
	Epochs         int     // passes of EpochSize triplets (12)
	Batch          int     // triplets per Adam step (64)
	LR             float32 // Adam step size of the first epoch (2e-3)
	LRDecay        float32 // factor applied to the step size after each epoch (0.75); 1 keeps it constant
	WeightDecay    float32 // λ_φ, decoupled weight decay on φ's and the head's weights (1e-4)
	ThetaReg       float32 // λ_θ, L2 penalty on the θ of each triplet (1e-4)
	CategoryWeight float32 // α, weight of the category cross-entropy (0.1); negative: no category term
	Patience       int     // stop after this many epochs without a better validation AUC (3)
	Workers        int     // goroutines, each with its own graph over a share of the batch (2)
	Seed           uint64  // initial weights, triplets

	// Explicit are preferences given outright (choice-flow picks), drawn
	// beside the training pairs; those the split holds out are dropped
	// (TripletSampler). Their images index TrainData.Images, so they may
	// name images past the items.
	Explicit []Triplet

	// Checkpoint is where training state is saved (after every epoch,
	// every CheckpointEvery, and when ctx is cancelled); "" saves none.
	Checkpoint      string
	CheckpointEvery time.Duration // 5 minutes
	// Resume continues from Checkpoint when it exists; the checkpoint must
	// come from the same data, split and configuration (Epochs may grow),
	// or Train fails with an error that matches ErrStaleCheckpoint.
	Resume bool
	// Saved, when set, is called after every checkpoint save (to copy the
	// file somewhere durable); its error stops training.
	Saved func() error
	Now   func() time.Time // clock for checkpoint intervals and rates (time.Now)
}

func (c *TrainConfig) defaults() error {
	def := DefaultArch(nil)
	if c.Arch.Dim == 0 {
		c.Arch.Dim = def.Dim
	}
	if c.Arch.Channels == nil {
		c.Arch.Channels = def.Channels
	}
	setDefault(&c.Epochs, 12)
	setDefault(&c.Batch, 64)
	setDefault(&c.Patience, 3)
	setDefault(&c.Workers, 2)
	if c.LR == 0 {
		c.LR = 2e-3
	}
	if c.LRDecay == 0 {
		c.LRDecay = 0.75
	}
	if c.WeightDecay == 0 {
		c.WeightDecay = 1e-4
	}
	if c.ThetaReg == 0 {
		c.ThetaReg = 1e-4
	}
	if c.CategoryWeight == 0 {
		c.CategoryWeight = 0.1
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 5 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.Epochs < 0:
		return atelier.FieldErrorf("epochs", "must be positive, got %d", c.Epochs)
	case c.Batch < 1 || c.Batch > 4096:
		return atelier.FieldErrorf("batch", "must be in [1, 4096], got %d", c.Batch)
	case c.Workers < 1 || c.Workers > c.Batch:
		return atelier.FieldErrorf("workers", "must be in [1, batch], got %d", c.Workers)
	case c.Patience < 0:
		return atelier.FieldErrorf("patience", "must be positive, got %d", c.Patience)
	case !(c.LR > 0) || math.IsInf(float64(c.LR), 0):
		return atelier.FieldErrorf("lr", "must be a positive number, got %v", c.LR)
	case !(c.LRDecay > 0 && c.LRDecay <= 1):
		return atelier.FieldErrorf("lr_decay", "must be in (0, 1], got %v", c.LRDecay)
	case !(c.WeightDecay >= 0) || !(c.ThetaReg >= 0):
		return atelier.Errorf(atelier.KindInvalid, "weight decay and θ regularisation must not be negative")
	}
	if c.CategoryWeight < 0 {
		c.CategoryWeight = 0
	}
	return nil
}

func setDefault(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

// trainer holds the state of one training run; it is what a training
// checkpoint saves.
type trainer struct {
	cfg     TrainConfig
	data    TrainData
	split   *Split
	model   *Model
	params  []nn.Param
	opt     *nn.Adam
	sampler *TripletSampler
	workers []*trainWorker

	state trainState
	best  []nn.Param // weights of the best validation epoch
	grads []*tensor.Dense
}

// trainState is the progress of a run: where it is and how it went.
type trainState struct {
	Epoch     int        `json:"epoch"`    // epochs completed
	Step      int        `json:"step"`     // steps completed in the current epoch
	BestAUC   float64    `json:"best_auc"` // meaningful once BestEpoch > 0; NaN-free
	BestEpoch int        `json:"best_epoch"`
	Bad       int        `json:"bad_epochs"` // epochs since the best
	History   []EpochLog `json:"history"`
	Seconds   float64    `json:"seconds"` // training time so far
	// Running sums of the current epoch, so a resumed epoch reports the
	// same loss as an uninterrupted one.
	SumBPR      float64 `json:"sum_bpr"`
	SumCE       float64 `json:"sum_ce"`
	NumTriplets int     `json:"num_triplets"`
	NumImages   int     `json:"num_images"`
	EpochSecs   float64 `json:"epoch_seconds"`
}

// Train learns a DVBPR model on split's training pairs (see Model for the
// objective). Triplets come from a TripletSampler over all non-cold items;
// each step draws Batch triplets, splits them over Workers graphs that
// share the parameters, computes φ once per distinct image of each share,
// sums the gradients and takes one Adam step. After every epoch it
// measures the validation AUC (HeldValidation) and the category head's
// accuracy on the cold items, which training never sees; it stops after
// Patience epochs without improvement and returns the best epoch's
// weights. Same data, split and config (Seed included), same model.
func Train(ctx context.Context, data TrainData, split *Split, cfg TrainConfig, prog progress.Func) (*Model, error) {
	t, err := newTrainer(data, split, cfg)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if err := t.run(ctx, prog); err != nil {
		return nil, err
	}
	return t.model, nil
}

func newTrainer(data TrainData, split *Split, cfg TrainConfig) (*trainer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	im := data.Images
	switch {
	case im == nil || im.Len() < split.NumItems:
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: need one image per item (%d items)", split.NumItems)
	case len(data.ItemCategories) != im.Len():
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: %d image categories for %d images", len(data.ItemCategories), im.Len())
	case len(data.ConsumerIDs) != split.NumConsumers():
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: %d consumer ids for %d consumers", len(data.ConsumerIDs), split.NumConsumers())
	}
	for i, c := range data.ItemCategories {
		if c < 0 || c >= len(data.Categories) {
			return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: item %d has category %d of %d", i, c, len(data.Categories))
		}
	}
	arch := cfg.Arch
	arch.Categories, arch.ImageSize = data.Categories, im.Size
	model, err := NewModel(arch, data.ConsumerIDs, int64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	model.Info = TrainInfo{Split: split.Config, Dataset: data.Fingerprint}
	t := &trainer{cfg: cfg, data: data, split: split, model: model, params: model.params()}
	t.opt, err = nn.NewAdam(t.params, nn.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay,
		// θ has its own L2 term in the objective; biases and norm gains
		// are not decayed.
		Decay: func(p nn.Param) bool { return p.Value.Dims() >= 2 && p.Name != model.theta.Name }})
	if err != nil {
		return nil, err
	}
	if t.sampler, err = NewTripletSampler(split, nil, cfg.Seed); err != nil {
		return nil, fmt.Errorf("dvbpr: %w", err)
	}
	if _, err := t.sampler.addExplicit(cfg.Explicit, im.Len()); err != nil {
		return nil, fmt.Errorf("dvbpr: %w", err)
	}
	for w := 0; w < cfg.Workers; w++ {
		b := (w+1)*cfg.Batch/cfg.Workers - w*cfg.Batch/cfg.Workers
		tw, err := newTrainWorker(model, b, int64(cfg.Seed)+int64(w))
		if err != nil {
			t.close()
			return nil, err
		}
		t.workers = append(t.workers, tw)
	}
	if cfg.Workers > 1 {
		for _, p := range t.params {
			t.grads = append(t.grads, tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(tensor.Float32)))
		}
	}
	t.best = nn.Clone(t.params)
	return t, nil
}

func (t *trainer) close() {
	for _, w := range t.workers {
		w.g.Close()
	}
	t.model.Close()
}

// stepsPerEpoch is the number of batches that make one epoch.
func (t *trainer) stepsPerEpoch() int {
	return (t.sampler.EpochSize() + t.cfg.Batch - 1) / t.cfg.Batch
}

func (t *trainer) run(ctx context.Context, prog progress.Func) error {
	cfg := t.cfg
	if cfg.Resume && cfg.Checkpoint != "" {
		if err := t.resume(); err != nil {
			return err
		}
	}
	steps := t.stepsPerEpoch()
	st := &t.state
	lastSave := cfg.Now()
	for st.Bad < max(cfg.Patience, 1) && st.Epoch < cfg.Epochs {
		epoch := st.Epoch + 1
		start, startStep, startSecs := cfg.Now(), st.Step, st.EpochSecs
		stage := fmt.Sprintf("train epoch %d/%d", epoch, cfg.Epochs)
		// A step size that depends on the epoch alone, so a resumed run
		// follows the same schedule whatever its Epochs.
		t.opt.Config.LR = cfg.LR * float32(math.Pow(float64(cfg.LRDecay), float64(epoch-1)))
		for st.Step < steps {
			if err := ctx.Err(); err != nil {
				return t.interrupted(err)
			}
			if err := t.step(); err != nil {
				return fmt.Errorf("dvbpr: epoch %d step %d: %w", epoch, st.Step+1, err)
			}
			st.Step++
			now := cfg.Now()
			st.EpochSecs = startSecs + now.Sub(start).Seconds()
			rate := float64((st.Step-startStep)*cfg.Batch) / max(now.Sub(start).Seconds(), 1e-9)
			prog.Report(progress.Update{Stage: stage, Step: st.Step, Total: steps, Metrics: map[string]float64{
				"loss": st.SumBPR / float64(st.NumTriplets), "triplets/s": rate}})
			if cfg.Checkpoint != "" && now.Sub(lastSave) >= cfg.CheckpointEvery && st.Step < steps {
				if err := t.save(); err != nil {
					return err
				}
				lastSave = now
			}
		}
		log := EpochLog{Epoch: epoch, Loss: st.SumBPR / float64(max(st.NumTriplets, 1)),
			CategoryCE: st.SumCE / float64(max(st.NumImages, 1)), Seconds: st.EpochSecs}
		var err error
		if log.ValAUC, log.CategoryAcc, err = t.validate(ctx, prog); err != nil {
			if ctx.Err() != nil {
				return t.interrupted(ctx.Err())
			}
			return fmt.Errorf("dvbpr: validate epoch %d: %w", epoch, err)
		}
		st.Seconds += st.EpochSecs
		st.History = append(st.History, log)
		st.Epoch, st.Step = epoch, 0
		st.SumBPR, st.SumCE, st.NumTriplets, st.NumImages, st.EpochSecs = 0, 0, 0, 0, 0
		// Without validation consumers (tiny data) every epoch is the best.
		if st.BestEpoch == 0 || log.ValAUC > st.BestAUC || math.IsNaN(log.ValAUC) {
			st.BestEpoch, st.Bad = epoch, 0
			if !math.IsNaN(log.ValAUC) {
				st.BestAUC = log.ValAUC
			}
			for k, p := range t.params {
				copy(t.best[k].Data(), p.Data())
			}
		} else {
			st.Bad++
		}
		prog.Report(progress.Update{Stage: "validate", Step: epoch, Total: cfg.Epochs, Metrics: map[string]float64{
			"loss": log.Loss, "val_auc": log.ValAUC, "category_acc": log.CategoryAcc, "best_auc": st.BestAUC}})
		if cfg.Checkpoint != "" {
			if err := t.save(); err != nil {
				return err
			}
			lastSave = cfg.Now()
		}
	}
	return t.finish()
}

// interrupted saves the state reached (when checkpointing) so that a
// later run can resume, and returns the cause.
func (t *trainer) interrupted(cause error) error {
	if t.cfg.Checkpoint == "" {
		return cause
	}
	if err := t.save(); err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("%w (training state saved to %s; resume to continue)", cause, t.cfg.Checkpoint)
}

// finish keeps the best epoch's weights and records how training went.
func (t *trainer) finish() error {
	st := t.state
	if st.BestEpoch == 0 {
		return atelier.Errorf(atelier.KindInvalid, "dvbpr: no epoch trained")
	}
	for k, p := range t.params {
		copy(p.Data(), t.best[k].Data())
	}
	best := st.History[st.BestEpoch-1]
	t.model.Info.Epochs = st.Epoch
	t.model.Info.BestEpoch = st.BestEpoch
	t.model.Info.ValAUC = best.ValAUC
	t.model.Info.CategoryAcc = best.CategoryAcc
	t.model.Info.TrainSeconds = st.Seconds
	t.model.Info.History = append([]EpochLog(nil), st.History...)
	return nil
}

// validate computes φ of every image once and returns the validation AUC
// and the category head's accuracy on the cold items (or on all items when
// the split has none).
func (t *trainer) validate(ctx context.Context, prog progress.Func) (auc, acc float64, err error) {
	feats, err := t.model.ImageFeatures(ctx, t.data.Images, t.cfg.Workers)
	if err != nil {
		return 0, 0, err
	}
	thetas := make([][]float32, t.split.NumConsumers())
	for u := range thetas {
		thetas[u] = t.model.row(u)
	}
	// Images past the split's items (generated probes) are in no one's
	// log: evaluation is over the items.
	feats = feats[:t.split.NumItems]
	sc, err := NewDotScorer(thetas, feats)
	if err != nil {
		return 0, 0, err
	}
	m, err := Evaluate(ctx, t.split, sc, EvalConfig{Held: HeldValidation, Workers: t.cfg.Workers, Seed: t.cfg.Seed}, nil)
	if err != nil {
		return 0, 0, err
	}
	items := t.split.ColdItems()
	if len(items) == 0 {
		items = nil
	}
	return m.AUC, CategoryAccuracy(t.model, feats, t.data.ItemCategories[:t.split.NumItems], items), nil
}
