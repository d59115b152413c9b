package recommender

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
)

// BPRMFConfig configures TrainBPRMF; zero fields take the defaults shown.
type BPRMFConfig struct {
	Factors   int     // K (32)
	Epochs    int     // passes of EpochSize triplets each (30)
	LearnRate float32 // SGD step (0.05)
	Reg       float32 // λ, L2 penalty on the factors touched by a step (0.01)
	InitStd   float32 // standard deviation of the Gaussian initial factors (0.1)
	Seed      uint64
}

func (c *BPRMFConfig) defaults() error {
	if c.Factors == 0 {
		c.Factors = 32
	}
	if c.Epochs == 0 {
		c.Epochs = 30
	}
	if c.LearnRate == 0 {
		c.LearnRate = 0.05
	}
	if c.Reg == 0 {
		c.Reg = 0.01
	}
	if c.InitStd == 0 {
		c.InitStd = 0.1
	}
	switch {
	case c.Factors < 0:
		return atelier.FieldErrorf("factors", "must be positive, got %d", c.Factors)
	case c.Epochs < 0:
		return atelier.FieldErrorf("epochs", "must be positive, got %d", c.Epochs)
	case c.LearnRate < 0 || c.Reg < 0 || c.InitStd < 0:
		return atelier.Errorf(atelier.KindInvalid, "learn rate, regularisation and init std must not be negative")
	}
	return nil
}

// BPRMF is matrix factorisation trained with BPR (Rendle et al. 2009):
// x(u,i) = p_u·q_i with free vectors p_u (the consumer's θ) and q_i. Each
// SGD step on a triplet (u, i, j), with x = x(u,i) − x(u,j) and
// g = σ(−x), moves
//
//	p_u += η(g(q_i − q_j) − λp_u),  q_i += η(g p_u − λq_i),  q_j += η(−g p_u − λq_j)
//
// Negatives j are drawn only from items someone took in training: an item
// nobody took, the split's cold items among them, keeps its random initial
// vector, so BPR-MF has no opinion on it (its scores are noise) instead of
// learning that "unseen" means "disliked". This is the gap a visual model
// closes.
type BPRMF struct {
	K      int
	P      [][]float32 // consumer factors
	Q      [][]float32 // item factors
	Losses []float64   // mean BPR loss −ln σ(x) per epoch, before each step
}

var _ Scorer = (*BPRMF)(nil)

// TrainBPRMF trains BPR-MF on split's training pairs, reporting the loss
// after each epoch. Same seed, same model.
func TrainBPRMF(ctx context.Context, split *Split, cfg BPRMFConfig, prog progress.Func) (*BPRMF, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	sampler, err := NewTripletSampler(split, split.WarmItems(), cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("bpr-mf: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6270726d66))
	m := &BPRMF{K: cfg.Factors, P: gaussian(rng, split.NumConsumers(), cfg.Factors, cfg.InitStd),
		Q: gaussian(rng, split.NumItems, cfg.Factors, cfg.InitStd)}
	eta, lambda := cfg.LearnRate, cfg.Reg
	pu := make([]float32, cfg.Factors)
	steps := sampler.EpochSize()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loss := 0.0
		for s := 0; s < steps; s++ {
			u, i, j := sampler.Next()
			p, qi, qj := m.P[u], m.Q[i], m.Q[j]
			x := dot(p, qi) - dot(p, qj)
			loss += softplus(-float64(x))
			g := float32(sigmoid(-float64(x)))
			copy(pu, p)
			for k := range p {
				d := qi[k] - qj[k]
				p[k] += eta * (g*d - lambda*p[k])
				qi[k] += eta * (g*pu[k] - lambda*qi[k])
				qj[k] += eta * (-g*pu[k] - lambda*qj[k])
			}
		}
		m.Losses = append(m.Losses, loss/float64(steps))
		prog.Report(progress.Update{Stage: "train bpr-mf", Step: epoch, Total: cfg.Epochs,
			Metrics: map[string]float64{"loss": loss / float64(steps)}})
	}
	return m, nil
}

// Score implements Scorer.
func (m *BPRMF) Score(u int, out []float32) {
	p := m.P[u]
	for i, q := range m.Q {
		out[i] = dot(p, q)
	}
}

func gaussian(rng *rand.Rand, n, k int, std float32) [][]float32 {
	m := matrix(n, k)
	for _, row := range m {
		for d := range row {
			row[d] = float32(rng.NormFloat64()) * std
		}
	}
	return m
}

// matrix returns n zero rows of length k sharing one backing array.
func matrix(n, k int) [][]float32 {
	flat := make([]float32, n*k)
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*k : (i+1)*k : (i+1)*k]
	}
	return out
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// softplus is ln(1+e^z) without overflow; −ln σ(x) = softplus(−x).
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

// bprmfMagic starts a saved BPR-MF model; the trailing digit is the format
// version.
const bprmfMagic = "ATBPRMF1"

// Save writes the model: magic, K, consumers and items as little-endian
// uint32, then P and Q row by row as little-endian float32.
func (m *BPRMF) Save(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(bprmfMagic)
	for _, v := range []uint32{uint32(m.K), uint32(len(m.P)), uint32(len(m.Q))} {
		binary.Write(bw, binary.LittleEndian, v)
	}
	for _, rows := range [][][]float32{m.P, m.Q} {
		for _, r := range rows {
			if len(r) != m.K {
				return atelier.Errorf(atelier.KindInternal, "bpr-mf: factor of length %d, want %d", len(r), m.K)
			}
			if err := binary.Write(bw, binary.LittleEndian, r); err != nil {
				return fmt.Errorf("save bpr-mf: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save bpr-mf: %w", err)
	}
	return nil
}

// LoadBPRMF reads a model written by Save. Training losses are not saved.
func LoadBPRMF(r io.Reader) (*BPRMF, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(bprmfMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != bprmfMagic {
		return nil, atelier.Errorf(atelier.KindInvalid, "not a BPR-MF model file")
	}
	var dims [3]uint32
	if err := binary.Read(br, binary.LittleEndian, &dims); err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "BPR-MF model file truncated")
	}
	k, nu, ni := int(dims[0]), int(dims[1]), int(dims[2])
	// Bound the allocation by what a plausible model needs (1 GiB).
	if k == 0 || k > 4096 || (nu+ni)*k > 1<<28 {
		return nil, atelier.Errorf(atelier.KindInvalid, "BPR-MF model file has implausible size K=%d, %d consumers, %d items", k, nu, ni)
	}
	m := &BPRMF{K: k, P: matrix(nu, k), Q: matrix(ni, k)}
	for _, rows := range [][][]float32{m.P, m.Q} {
		for _, row := range rows {
			if err := binary.Read(br, binary.LittleEndian, row); err != nil {
				return nil, atelier.Errorf(atelier.KindInvalid, "BPR-MF model file truncated")
			}
		}
	}
	return m, nil
}
