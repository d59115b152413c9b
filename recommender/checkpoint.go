package recommender

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
)

// A DVBPR model file is a safetensors file (see nn.SaveSafetensors) with
// tensors phi.* (φ), category.head.* and theta (consumers × K), and
// metadata:
//
//	format         "atelier.dvbpr.model/1"
//	dim            K
//	channels       convolution widths, "16,32,64,64"
//	image_size     input side
//	categories     JSON array, in logit order
//	consumers      JSON array of consumer ids, in θ row order
//	split_seed     the split the model was trained on (SplitConfig) ...
//	cold_fraction  ... which evaluation must use too
//	dataset        DatasetFingerprint of the training data
//	info           JSON of TrainInfo
//
// A training checkpoint ("atelier.dvbpr.train/1") adds the weights of the
// best epoch so far (best.*), Adam's moments (adam.m.*, adam.v.*) and
// metadata adam_steps, sampler (the triplet sampler's random state,
// base64), config (the settings a resumed run must share) and state.
const (
	modelFormat = "atelier.dvbpr.model/1"
	trainFormat = "atelier.dvbpr.train/1"
)

// metadata returns the model's architecture and provenance.
func (m *Model) metadata(format string) (map[string]string, error) {
	cats, err := json.Marshal(m.arch.Categories)
	if err != nil {
		return nil, err
	}
	cons, err := json.Marshal(m.consumers)
	if err != nil {
		return nil, err
	}
	info, err := json.Marshal(m.Info)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"format":        format,
		"dim":           strconv.Itoa(m.arch.Dim),
		"channels":      formatInts(m.arch.Channels),
		"image_size":    strconv.Itoa(m.arch.ImageSize),
		"categories":    string(cats),
		"consumers":     string(cons),
		"split_seed":    strconv.FormatUint(m.Info.Split.Seed, 10),
		"cold_fraction": strconv.FormatFloat(m.Info.Split.ColdFraction, 'g', -1, 64),
		"dataset":       m.Info.Dataset,
		"info":          string(info),
	}, nil
}

// Write writes the model in the safetensors format described above.
func (m *Model) Write(w io.Writer) error {
	meta, err := m.metadata(modelFormat)
	if err != nil {
		return fmt.Errorf("write dvbpr model: %w", err)
	}
	return nn.SaveSafetensors(w, m.params(), meta)
}

// Save writes the model to path atomically.
func (m *Model) Save(path string) error {
	return nn.WriteFileAtomic(path, m.Write)
}

// ReadModel reads a model written by Write, checking that every tensor
// matches the architecture in its metadata.
func ReadModel(r io.Reader) (*Model, error) {
	tensors, meta, err := nn.LoadSafetensors(bufio.NewReader(r))
	if err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr model: %v", err)
	}
	if f := meta["format"]; f != modelFormat {
		if f == trainFormat {
			return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr model: this is a training checkpoint (resume training from it); want the trained model")
		}
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr model: format %q, want %q", f, modelFormat)
	}
	m, err := modelFromMetadata(meta)
	if err != nil {
		return nil, err
	}
	if err := nn.LoadInto(m.params(), tensors); err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr model: %v", err)
	}
	return m, nil
}

// LoadModel reads the model file at path.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, atelier.Errorf(atelier.KindNotFound, "dvbpr model %s: no such file", path)
		}
		return nil, fmt.Errorf("dvbpr model %s: %w", path, err)
	}
	defer f.Close()
	m, err := ReadModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// modelFromMetadata builds an untrained model with the architecture,
// consumers and provenance that meta records.
func modelFromMetadata(meta map[string]string) (*Model, error) {
	bad := func(key string, err error) error {
		return atelier.Errorf(atelier.KindInvalid, "dvbpr model: metadata %s: %v", key, err)
	}
	var a Arch
	var err error
	if a.Dim, err = strconv.Atoi(meta["dim"]); err != nil {
		return nil, bad("dim", err)
	}
	if a.ImageSize, err = strconv.Atoi(meta["image_size"]); err != nil {
		return nil, bad("image_size", err)
	}
	if a.Channels, err = parseInts(meta["channels"]); err != nil {
		return nil, bad("channels", err)
	}
	if err := json.Unmarshal([]byte(meta["categories"]), &a.Categories); err != nil {
		return nil, bad("categories", err)
	}
	var consumers []string
	if err := json.Unmarshal([]byte(meta["consumers"]), &consumers); err != nil {
		return nil, bad("consumers", err)
	}
	var info TrainInfo
	if err := json.Unmarshal([]byte(meta["info"]), &info); err != nil {
		return nil, bad("info", err)
	}
	// The split is also stored as plain keys, for tools that read
	// metadata without parsing info; they must agree.
	if s := meta["split_seed"]; s != strconv.FormatUint(info.Split.Seed, 10) {
		return nil, bad("split_seed", fmt.Errorf("%q disagrees with info (%d)", s, info.Split.Seed))
	}
	if c := meta["cold_fraction"]; c != strconv.FormatFloat(info.Split.ColdFraction, 'g', -1, 64) {
		return nil, bad("cold_fraction", fmt.Errorf("%q disagrees with info (%v)", c, info.Split.ColdFraction))
	}
	m, err := NewModel(a, consumers, 0)
	if err != nil {
		return nil, fmt.Errorf("dvbpr model: %w", err)
	}
	m.Info = info
	return m, nil
}

// CheckSplit reports whether the model may be evaluated on a split made
// with cfg from the dataset with the given fingerprint: only the split it
// was trained on keeps its test and cold items out of its training.
func (m *Model) CheckSplit(cfg SplitConfig, fingerprint string) error {
	tr := m.Info.Split
	if tr != cfg {
		return atelier.Errorf(atelier.KindInvalid,
			"the model was trained on the split with seed %d and cold fraction %v, not seed %d and cold fraction %v: its training data would include test items",
			tr.Seed, tr.ColdFraction, cfg.Seed, cfg.ColdFraction)
	}
	if m.Info.Dataset != fingerprint {
		return atelier.Errorf(atelier.KindInvalid, "the model was trained on another dataset (fingerprint %.12s, this one %.12s)", m.Info.Dataset, fingerprint)
	}
	return nil
}

// DatasetFingerprint hashes a dataset's item ids, consumer ids and
// interactions (SHA-256, hex): two datasets with the same fingerprint
// split the same way.
func DatasetFingerprint(d *Dataset) string {
	h := sha256.New()
	w := bufio.NewWriter(h)
	var buf [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		w.Write(buf[:])
		w.WriteString(s)
	}
	num := func(x int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(x))
		w.Write(buf[:])
	}
	num(int64(len(d.Items)))
	for _, it := range d.Items {
		str(it.ID)
	}
	num(int64(len(d.Consumers)))
	for _, c := range d.Consumers {
		str(c.ID)
	}
	num(int64(len(d.Interactions)))
	for _, in := range d.Interactions {
		num(int64(in.Consumer))
		num(int64(in.Item))
		num(in.Time)
	}
	w.Flush()
	return hex.EncodeToString(h.Sum(nil))
}

// checkpointConfig is what a resumed run must share with the run that
// saved the checkpoint; epochs, patience, workers and checkpointing may
// change.
type checkpointConfig struct {
	Batch          int     `json:"batch"`
	LR             float32 `json:"lr"`
	LRDecay        float32 `json:"lr_decay"`
	WeightDecay    float32 `json:"weight_decay"`
	ThetaReg       float32 `json:"theta_reg"`
	CategoryWeight float32 `json:"category_weight"`
	Seed           uint64  `json:"seed"`
	// Explicit hashes the explicit triplets ("" for none, as checkpoints
	// from before them read).
	Explicit string `json:"explicit,omitempty"`
}

func (t *trainer) checkpointConfig() checkpointConfig {
	c := t.cfg
	return checkpointConfig{Batch: c.Batch, LR: c.LR, LRDecay: c.LRDecay, WeightDecay: c.WeightDecay, ThetaReg: c.ThetaReg,
		CategoryWeight: c.CategoryWeight, Seed: c.Seed, Explicit: explicitHash(c.Explicit)}
}

// save writes the training checkpoint atomically.
func (t *trainer) save() error {
	meta, err := t.model.metadata(trainFormat)
	if err != nil {
		return err
	}
	steps, moments := t.opt.State()
	sampler, err := t.sampler.State()
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(t.checkpointConfig())
	if err != nil {
		return err
	}
	state, err := json.Marshal(t.state)
	if err != nil {
		return err
	}
	meta["adam_steps"] = strconv.Itoa(steps)
	meta["sampler"] = base64.StdEncoding.EncodeToString(sampler)
	meta["config"] = string(cfg)
	meta["state"] = string(state)
	tensors := append(append(t.model.params(), nn.Prefixed("best", t.best)...), moments...)
	if err := nn.SaveFile(t.cfg.Checkpoint, tensors, meta); err != nil {
		return fmt.Errorf("dvbpr: save checkpoint: %w", err)
	}
	if t.cfg.Saved != nil {
		if err := t.cfg.Saved(); err != nil {
			return fmt.Errorf("dvbpr: after saving the checkpoint: %w", err)
		}
	}
	return nil
}

// ErrStaleCheckpoint is what a resume from a checkpoint of another run
// (other data, split or settings, or an unreadable file) wraps.
var ErrStaleCheckpoint = errors.New("the training checkpoint does not belong to this run")

// resume loads the checkpoint when there is one, after checking that it
// belongs to this run's data, split and settings.
func (t *trainer) resume() error {
	path := t.cfg.Checkpoint
	tensors, meta, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	fail := func(format string, args ...any) error {
		return atelier.Wrap(atelier.KindInvalid, ErrStaleCheckpoint, "resume from %s: %s", path, fmt.Sprintf(format, args...))
	}
	if err != nil {
		return fail("%v", err)
	}
	if meta["format"] != trainFormat {
		return fail("format %q, want a training checkpoint (%q)", meta["format"], trainFormat)
	}
	saved, err := modelFromMetadata(meta)
	if err != nil {
		return fail("%v", err)
	}
	a, b := saved.arch, t.model.arch
	if a.Dim != b.Dim || a.ImageSize != b.ImageSize || formatInts(a.Channels) != formatInts(b.Channels) ||
		strings.Join(a.Categories, "\x00") != strings.Join(b.Categories, "\x00") {
		return fail("architecture %+v differs from this run's %+v", a, b)
	}
	if strings.Join(saved.consumers, "\x00") != strings.Join(t.model.consumers, "\x00") {
		return fail("the consumers differ from this dataset's")
	}
	if err := saved.CheckSplit(t.split.Config, t.data.Fingerprint); err != nil {
		return fail("%v", err)
	}
	var cfg checkpointConfig
	if err := json.Unmarshal([]byte(meta["config"]), &cfg); err != nil {
		return fail("config: %v", err)
	}
	if want := t.checkpointConfig(); cfg != want {
		return fail("saved with settings %+v, this run has %+v", cfg, want)
	}
	var state trainState
	if err := json.Unmarshal([]byte(meta["state"]), &state); err != nil {
		return fail("state: %v", err)
	}
	steps, err := strconv.Atoi(meta["adam_steps"])
	if err != nil {
		return fail("adam_steps: %v", err)
	}
	sampler, err := base64.StdEncoding.DecodeString(meta["sampler"])
	if err != nil {
		return fail("sampler: %v", err)
	}
	// Split the file's tensors into model, best and Adam groups; each
	// group must match exactly.
	var model, best, moments []nn.Param
	for _, p := range tensors {
		switch {
		case strings.HasPrefix(p.Name, "best."):
			best = append(best, nn.Param{Name: strings.TrimPrefix(p.Name, "best."), Value: p.Value})
		case strings.HasPrefix(p.Name, "adam."):
			moments = append(moments, p)
		default:
			model = append(model, p)
		}
	}
	if err := nn.LoadInto(t.params, model); err != nil {
		return fail("%v", err)
	}
	if err := nn.LoadInto(t.best, best); err != nil {
		return fail("best weights: %v", err)
	}
	if err := t.opt.Restore(steps, moments); err != nil {
		return fail("%v", err)
	}
	if err := t.sampler.Restore(sampler); err != nil {
		return fail("%v", err)
	}
	t.state = state
	return nil
}
