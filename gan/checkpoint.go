package gan

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
)

// Checkpoints are safetensors files (nn.SaveFile) holding any of these
// groups of tensors, named by prefix:
//
//	g.*       the generator as trained
//	g_ema.*   its moving average (what sampling and inversion use)
//	d.*       the discriminator: raw weights (*_orig), power-iteration
//	          vectors (*_u) and biases
//	e.*       the encoder
//	prior.*   the latent prior: weights [K], means [K, d], chol [K, d, d]
//	opt_g.*, opt_d.*, opt_e.*   Adam moments, to resume training
//
// and metadata: format, the JSON configuration of each network present
// (generator, discriminator, encoder), and for training checkpoints the
// recipe (train), the step and Adam's step counts. A training checkpoint
// holds everything; a models file (Models.Save, what `atelier train
// encoder` writes and the redesign engine loads) holds the generator to use
// under g.*, the discriminator and the encoder, about a third of the size.
const (
	checkpointFormat = "atelier-gan/1"

	metaFormat        = "format"
	metaGenerator     = "generator"
	metaDiscriminator = "discriminator"
	metaEncoder       = "encoder"
	metaPrior         = "prior"
	metaTrain         = "train"
	metaStep          = "step"
	metaAdamG         = "adam_g_steps"
	metaAdamD         = "adam_d_steps"
	metaAdamE         = "adam_e_steps"
)

type checkpoint struct {
	byPrefix map[string][]nn.Param // prefix → tensors with the prefix removed
	meta     map[string]string
}

func readCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "read GAN checkpoint")
	}
	defer f.Close()
	return decodeCheckpoint(bufio.NewReader(f), path)
}

// decodeCheckpoint reads a checkpoint from r; path names it in errors.
func decodeCheckpoint(r io.Reader, path string) (*checkpoint, error) {
	ps, meta, err := nn.LoadSafetensors(r)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "read GAN checkpoint %s", path)
	}
	if f := meta[metaFormat]; f != checkpointFormat {
		return nil, atelier.Errorf(atelier.KindInvalid, "%s is not a GAN checkpoint (format %q, want %q)", path, f, checkpointFormat)
	}
	c := &checkpoint{byPrefix: map[string][]nn.Param{}, meta: meta}
	for _, p := range ps {
		prefix, name, ok := strings.Cut(p.Name, ".")
		if !ok {
			return nil, atelier.Errorf(atelier.KindInvalid, "%s: tensor %q has no group prefix", path, p.Name)
		}
		c.byPrefix[prefix] = append(c.byPrefix[prefix], nn.Param{Name: name, Value: p.Value})
	}
	return c, nil
}

func (c *checkpoint) config(key string, dst any) (bool, error) {
	s, ok := c.meta[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return true, atelier.Errorf(atelier.KindInvalid, "checkpoint metadata %q: %v", key, err)
	}
	return true, nil
}

// load copies the tensors under prefix into dst.
func (c *checkpoint) load(prefix string, dst []nn.Param) error {
	src, ok := c.byPrefix[prefix]
	if !ok {
		return atelier.Errorf(atelier.KindInvalid, "checkpoint has no %s.* tensors", prefix)
	}
	if err := nn.LoadInto(dst, src); err != nil {
		return atelier.Wrap(atelier.KindInvalid, err, "checkpoint tensors %s.*", prefix)
	}
	return nil
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // configs are plain structs of numbers and slices
	}
	return string(b)
}

// Save writes the models (G under g.*, D, and E when present) to path.
func (m *Models) Save(path string) error {
	if m.G == nil || m.D == nil {
		return errors.New("gan: save models: generator and discriminator are required")
	}
	meta := map[string]string{
		metaFormat:        checkpointFormat,
		metaGenerator:     jsonString(m.G.Config),
		metaDiscriminator: jsonString(m.D.Config),
	}
	ts := append(nn.Prefixed("g", m.G.Params()), nn.Prefixed("d", m.D.Params())...)
	if m.E != nil {
		meta[metaEncoder] = jsonString(m.E.Config)
		ts = append(ts, nn.Prefixed("e", m.E.Params())...)
	}
	ts, err := withPrior(m.Prior, ts, meta)
	if err == nil {
		err = nn.SaveFile(path, ts, meta)
	}
	if err != nil {
		return fmt.Errorf("gan: save models: %w", err)
	}
	return nil
}

// LoadModels reads a models file or a training checkpoint. From a training
// checkpoint it takes the moving-average generator; E is nil when the file
// has no encoder.
func LoadModels(path string) (*Models, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return c.models(path)
}

// ReadModels is LoadModels from a stream (a blob), with name standing for
// the path in errors: nothing is written to disk, so a process killed
// while loading leaves nothing behind.
func ReadModels(r io.Reader, name string) (*Models, error) {
	c, err := decodeCheckpoint(r, name)
	if err != nil {
		return nil, err
	}
	return c.models(name)
}

func (c *checkpoint) models(path string) (*Models, error) {
	var err error
	gcfg, dcfg := GeneratorConfig{}, DiscriminatorConfig{}
	if ok, err := c.config(metaGenerator, &gcfg); !ok || err != nil {
		return nil, missing(path, metaGenerator, err)
	}
	if ok, err := c.config(metaDiscriminator, &dcfg); !ok || err != nil {
		return nil, missing(path, metaDiscriminator, err)
	}
	rng := rand.New(rand.NewSource(1))
	m := &Models{}
	if m.G, err = NewGenerator(gcfg, rng); err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "%s", path)
	}
	prefix := "g"
	if _, ok := c.byPrefix["g_ema"]; ok {
		prefix = "g_ema"
	}
	if err := c.load(prefix, m.G.Params()); err != nil {
		return nil, err
	}
	if m.D, err = NewDiscriminator(dcfg, rng); err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "%s", path)
	}
	if err := c.load("d", m.D.Params()); err != nil {
		return nil, err
	}
	m.D.Sync()
	ecfg := EncoderConfig{}
	if ok, err := c.config(metaEncoder, &ecfg); err != nil {
		return nil, err
	} else if ok {
		if m.E, err = NewEncoder(ecfg, rng); err != nil {
			return nil, atelier.Wrap(atelier.KindInvalid, err, "%s", path)
		}
		if err := c.load("e", m.E.Params()); err != nil {
			return nil, err
		}
	}
	if m.Prior, err = c.prior(path, m.ZDim()); err != nil {
		return nil, err
	}
	return m, nil
}

// withPrior adds p's tensors and metadata entry, when p is not nil.
func withPrior(p *Prior, ts []nn.Param, meta map[string]string) ([]nn.Param, error) {
	if p == nil {
		return ts, nil
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	meta[metaPrior] = jsonString(priorMeta{Components: p.Components(), ZDim: p.ZDim, Spread: p.Spread})
	return append(ts, nn.Prefixed("prior", p.params())...), nil
}

// prior reads the checkpoint's latent prior for a zdim-dimensional
// generator: nil when it has none.
func (c *checkpoint) prior(path string, zdim int) (*Prior, error) {
	pm := priorMeta{}
	if ok, err := c.config(metaPrior, &pm); err != nil || !ok {
		return nil, err
	}
	if pm.ZDim != zdim || pm.Components < 1 {
		return nil, atelier.Errorf(atelier.KindInvalid, "%s: prior of %d components of dimension %d does not fit a %d-dim generator", path, pm.Components, pm.ZDim, zdim)
	}
	ps := newPriorParams(pm.Components, pm.ZDim)
	if err := c.load("prior", ps); err != nil {
		return nil, err
	}
	p, err := priorFromParams(ps, pm.ZDim, pm.Spread)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "%s", path)
	}
	return p, nil
}

// priorMeta is the prior's entry in a models file's metadata.
type priorMeta struct {
	Components int     `json:"components"`
	ZDim       int     `json:"zdim"`
	Spread     float64 `json:"spread,omitempty"` // absent in files from before calibration: 1
}

func newPriorParams(k, d int) []nn.Param {
	return []nn.Param{nn.NewParam("weights", k), nn.NewParam("means", k, d), nn.NewParam("chol", k, d, d)}
}

// params returns the prior as tensors (weights as float32).
func (p *Prior) params() []nn.Param {
	k, d := p.Components(), p.ZDim
	ps := newPriorParams(k, d)
	for i, w := range p.Weights {
		ps[0].Data()[i] = float32(w)
	}
	copy(ps[1].Data(), p.Means)
	copy(ps[2].Data(), p.Chol)
	return ps
}

func priorFromParams(ps []nn.Param, d int, spread float64) (*Prior, error) {
	p := &Prior{ZDim: d, Means: ps[1].Data(), Chol: ps[2].Data(), Spread: spread}
	var sum float64
	for _, w := range ps[0].Data() {
		p.Weights = append(p.Weights, float64(w))
		sum += float64(w)
	}
	if !(sum > 0) {
		return nil, errors.New("prior weights sum to 0")
	}
	for i := range p.Weights {
		p.Weights[i] /= sum
	}
	return p, p.Validate()
}

func missing(path, key string, err error) error {
	if err != nil {
		return err
	}
	return atelier.Errorf(atelier.KindInvalid, "%s has no %s configuration", path, key)
}

// Save writes a training checkpoint: G, its moving average, D, the
// encoder and the latent prior when present, the optimisers' state, the
// recipe and the step.
func (t *Trainer) Save(path string) error {
	m := t.GAN
	nG, momG := t.optG.State()
	nD, momD := t.optD.State()
	ts := append(nn.Prefixed("g", m.G.Params()), nn.Prefixed("g_ema", m.GEMA.Params())...)
	ts = append(ts, nn.Prefixed("d", m.D.Params())...)
	ts = append(ts, nn.Prefixed("opt_g", momG)...)
	ts = append(ts, nn.Prefixed("opt_d", momD)...)
	meta := map[string]string{
		metaFormat:        checkpointFormat,
		metaGenerator:     jsonString(m.G.Config),
		metaDiscriminator: jsonString(m.D.Config),
		metaTrain:         jsonString(t.Config),
		metaStep:          strconv.Itoa(t.step),
		metaAdamG:         strconv.Itoa(nG),
		metaAdamD:         strconv.Itoa(nD),
	}
	if m.E != nil {
		meta[metaEncoder] = jsonString(m.E.Config)
		ts = append(ts, nn.Prefixed("e", m.E.Params())...)
		if t.optE != nil {
			nE, momE := t.optE.State()
			ts = append(ts, nn.Prefixed("opt_e", momE)...)
			meta[metaAdamE] = strconv.Itoa(nE)
		}
	}
	ts, err := withPrior(m.Prior, ts, meta)
	if err == nil {
		err = nn.SaveFile(path, ts, meta)
	}
	if err != nil {
		return fmt.Errorf("gan: save checkpoint: %w", err)
	}
	return nil
}

// ResumeTrainer rebuilds a trainer from a training checkpoint with its
// stored recipe; adjust, when not nil, may change the recipe first: the
// total number of steps, or the weight of a loss for a later phase of
// training (the architecture and the seed are the checkpoint's).
func ResumeTrainer(path string, data ImageSet, adjust func(*TrainConfig)) (*Trainer, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	gcfg, dcfg, cfg := GeneratorConfig{}, DiscriminatorConfig{}, TrainConfig{}
	for key, dst := range map[string]any{metaGenerator: &gcfg, metaDiscriminator: &dcfg, metaTrain: &cfg} {
		if ok, err := c.config(key, dst); !ok || err != nil {
			return nil, missing(path, key, err)
		}
	}
	step, err1 := strconv.Atoi(c.meta[metaStep])
	nG, err2 := strconv.Atoi(c.meta[metaAdamG])
	nD, err3 := strconv.Atoi(c.meta[metaAdamD])
	if err := errors.Join(err1, err2, err3); err != nil || step < 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "%s: bad step counts in metadata: %v", path, err)
	}
	seed := cfg.Seed
	if adjust != nil {
		adjust(&cfg)
		cfg.Seed = seed
	}
	m, err := NewGAN(gcfg, dcfg, cfg.Seed)
	if err != nil {
		return nil, err
	}
	for prefix, ps := range map[string][]nn.Param{"g": m.G.Params(), "g_ema": m.GEMA.Params(), "d": m.D.Params()} {
		if err := c.load(prefix, ps); err != nil {
			return nil, err
		}
	}
	m.D.Sync()
	ecfg := EncoderConfig{}
	if ok, err := c.config(metaEncoder, &ecfg); err != nil {
		return nil, err
	} else if ok {
		if m.E, err = NewEncoder(ecfg, rand.New(rand.NewSource(1))); err != nil {
			return nil, atelier.Wrap(atelier.KindInvalid, err, "%s", path)
		}
		if err := c.load("e", m.E.Params()); err != nil {
			return nil, err
		}
	}
	if m.Prior, err = c.prior(path, gcfg.ZDim); err != nil {
		return nil, err
	}
	t, err := NewTrainer(m, data, cfg)
	if err != nil {
		return nil, err
	}
	if t.optE != nil {
		nE, err := strconv.Atoi(c.meta[metaAdamE])
		if err == nil {
			err = t.optE.Restore(nE, c.byPrefix["opt_e"])
		}
		if err != nil {
			t.Close()
			return nil, atelier.Wrap(atelier.KindInvalid, err, "%s: encoder optimiser state", path)
		}
	}
	if err := errors.Join(t.optG.Restore(nG, c.byPrefix["opt_g"]), t.optD.Restore(nD, c.byPrefix["opt_d"])); err != nil {
		t.Close()
		return nil, atelier.Wrap(atelier.KindInvalid, err, "%s: optimiser state", path)
	}
	t.step = step
	return t, nil
}
