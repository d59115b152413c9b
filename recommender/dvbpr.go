package recommender

import (
	"context"
	"math/rand"
	"slices"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
)

// Model is DVBPR, Visually-aware Bayesian Personalised Ranking with a CNN
// learnt end to end from pixels (Kang et al. 2017). Consumer u's
// preference for an image X is
//
//	x(u, X) = θ_u · φ(X)
//
// with θ_u ∈ ℝᴷ one free vector per consumer and φ: [0,1]^(3×S×S) → ℝᴷ a
// small CNN: four stride-2 3×3 convolutions (widths Arch.Channels), each
// but the first followed by group normalisation, each by a leaky ReLU
// (slope 0.2), then the last feature map flattened and mapped linearly to
// K. Because the item side is computed from pixels, the model scores items
// nobody has taken, and images that never existed (the GAN differentiates
// x(u, X) with respect to X through Features).
//
// Training maximises, over triplets (u, i, j) with i an item u took in
// training and j one u never took,
//
//	Σ_(u,i,j) ln σ(θ_u·(φ(X_i) − φ(X_j))) − λ_θ Σ ‖θ_u‖² − λ_φ ‖W_φ‖²
//	  − α Σ_X CE(softmax(W_c φ(X) + b_c), category(X))
//
// by Adam on mini-batches: λ_θ is an L2 penalty on the θ rows of each
// triplet, λ_φ decoupled weight decay on φ's weights, and the last term
// (weight α) trains the category head W_c on the batch's images
// alongside φ (see TrainConfig.CategoryWeight).
//
// A Model is safe for concurrent use once trained: scoring reads θ and
// computing features borrows one of a pool of inference graphs.
type Model struct {
	arch      Arch
	net       *cnn
	theta     nn.Param // (consumers, K), row u is θ_u
	consumers []string // consumer ids, in row order of theta
	consIndex map[string]int

	// Info records how the model was trained: the split it must be
	// evaluated on, and its quality at the end of training.
	Info TrainInfo

	mu     sync.Mutex
	graphs map[int][]*featureGraph // idle inference graphs by batch size
}

// TrainInfo is a model's provenance. A model is only comparable with
// baselines on the split it was trained with: any other split would put
// some of its training interactions among the test items.
type TrainInfo struct {
	Split        SplitConfig
	Dataset      string // fingerprint of the interactions and items (DatasetFingerprint)
	Epochs       int    // epochs trained
	BestEpoch    int    // epoch whose weights were kept
	ValAUC       float64
	CategoryAcc  float64 // category head accuracy on the held-out (cold) items
	TrainSeconds float64
	History      []EpochLog
}

// NewModel returns an untrained model for the given consumers (θ rows in
// this order), with weights and θ drawn from seed.
func NewModel(arch Arch, consumers []string, seed int64) (*Model, error) {
	rng := rand.New(rand.NewSource(seed))
	net, err := newCNN(arch, rng)
	if err != nil {
		return nil, err
	}
	m := &Model{arch: arch, net: net, consumers: slices.Clone(consumers), consIndex: make(map[string]int, len(consumers))}
	m.arch.Categories = slices.Clone(arch.Categories)
	m.arch.Channels = slices.Clone(arch.Channels)
	for u, id := range consumers {
		if _, dup := m.consIndex[id]; dup || id == "" {
			return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: empty or repeated consumer id %q", id)
		}
		m.consIndex[id] = u
	}
	if len(consumers) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: no consumers")
	}
	m.theta = nn.NewParam("theta", len(consumers), arch.Dim)
	for i, d := 0, m.theta.Data(); i < len(d); i++ {
		d[i] = float32(rng.NormFloat64() * thetaInitStd)
	}
	return m, nil
}

// thetaInitStd is the spread of the initial θ: small, so that early
// gradients are driven by φ rather than by random preferences.
const thetaInitStd = 0.01

// Arch returns the model's architecture.
func (m *Model) Arch() Arch {
	a := m.arch
	a.Channels = slices.Clone(a.Channels)
	a.Categories = slices.Clone(a.Categories)
	return a
}

// params lists every trained tensor: φ, the category head and θ.
func (m *Model) params() []nn.Param { return append(m.net.params(), m.theta) }

// Dim is the feature dimension K (gan.Scorer).
func (m *Model) Dim() int { return m.arch.Dim }

// Categories names the category head's classes in logit order (gan.Scorer).
func (m *Model) Categories() []string { return slices.Clone(m.arch.Categories) }

// ImageSize is the side of the square images φ takes (gan.Scorer).
func (m *Model) ImageSize() int { return m.arch.ImageSize }

// Features adds φ to g for x of shape (N, 3, S, S) with values in [0,1] and
// returns the (N, K) feature node (gan.Scorer). The model's parameters are
// bound by storage, so gradients flow to x as well as to the weights.
func (m *Model) Features(g *nn.Graph, x *G.Node) *G.Node { return m.net.features(g, x) }

// CategoryLogits adds the category head to g for features f of shape
// (N, K) and returns (N, len(Categories())) logits (gan.Scorer).
func (m *Model) CategoryLogits(g *nn.Graph, f *G.Node) *G.Node { return m.net.categoryLogits(g, f) }

// Consumers returns the consumer ids in θ row order.
func (m *Model) Consumers() []string { return slices.Clone(m.consumers) }

// Theta returns a copy of consumer id's θ, or false when the model was not
// trained with that consumer (fold them in with FoldIn).
func (m *Model) Theta(id string) ([]float32, bool) {
	u, ok := m.consIndex[id]
	if !ok {
		return nil, false
	}
	return slices.Clone(m.row(u)), true
}

func (m *Model) row(u int) []float32 {
	k := m.arch.Dim
	return m.theta.Data()[u*k : (u+1)*k : (u+1)*k]
}

// MeanTheta is the mean θ over the model's consumers: the prior of a new
// consumer's fold-in and the taste of the average consumer.
func (m *Model) MeanTheta() []float32 {
	rows := make([][]float32, len(m.consumers))
	for u := range rows {
		rows[u] = m.row(u)
	}
	return meanVector(rows, nil)
}

// FoldIn estimates the θ of a consumer the model was not trained with from
// their picks, with features φ computed by ImageFeatures (see the package
// FoldIn); without a prior in cfg it pulls towards MeanTheta.
func (m *Model) FoldIn(picks []Pick, cfg FoldInConfig) ([]float32, error) {
	if cfg.Prior == nil {
		cfg.Prior = m.MeanTheta()
	}
	if len(cfg.Prior) != m.arch.Dim {
		return nil, atelier.Errorf(atelier.KindInvalid, "fold-in: prior of length %d, model has K = %d", len(cfg.Prior), m.arch.Dim)
	}
	return FoldIn(picks, cfg)
}

// PredictCategory returns the index into Categories of the category head's
// most likely class for features f.
func (m *Model) PredictCategory(f []float32) int {
	w, b := m.net.head.W.Data(), m.net.head.B.Data()
	k := m.arch.Dim
	best, bestScore := 0, float32(0)
	for c := range b {
		s := b[c] + dot(w[c*k:(c+1)*k], f)
		if c == 0 || s > bestScore {
			best, bestScore = c, s
		}
	}
	return best
}

// NewScorer returns the model's scores for a dataset's consumers and
// items, x(u,i) = θ_u·φ(X_i), with φ computed once for every image. A
// consumer the model was not trained with gets MeanTheta.
func (m *Model) NewScorer(ctx context.Context, consumers []Consumer, im *Images, workers int) (*DotScorer, error) {
	feats, err := m.ImageFeatures(ctx, im, workers)
	if err != nil {
		return nil, err
	}
	thetas := make([][]float32, len(consumers))
	var mean []float32
	for u, c := range consumers {
		if r, ok := m.consIndex[c.ID]; ok {
			thetas[u] = m.row(r)
			continue
		}
		if mean == nil {
			mean = m.MeanTheta()
		}
		thetas[u] = mean
	}
	return NewDotScorer(thetas, feats)
}

// featureGraph is an inference graph computing φ for a fixed batch size.
type featureGraph struct {
	g *nn.Graph
	x *G.Node
	f *tensor.Dense
}

// featureBatch is the largest batch of one inference graph: big enough to
// amortise per-op overhead, small enough that a few images need no padding.
const featureBatch = 32

// borrow returns an idle inference graph of batch n, building one if none.
func (m *Model) borrow(n int) (*featureGraph, error) {
	m.mu.Lock()
	if free := m.graphs[n]; len(free) > 0 {
		fg := free[len(free)-1]
		m.graphs[n] = free[:len(free)-1]
		m.mu.Unlock()
		return fg, nil
	}
	m.mu.Unlock()
	g := nn.NewGraph(nn.Infer, 0)
	// ImageFeatures' workers are the parallelism: a batch in one part
	// runs about 13% faster on one core than in four parts, each a
	// oneDNN call with its own reorders.
	g.WholeBatches()
	s := m.arch.ImageSize
	x := g.Input("x", n, 3, s, s)
	f := g.Output(m.net.inferFeatures(g, x))
	if err := g.Compile(); err != nil {
		g.Close()
		return nil, err
	}
	return &featureGraph{g: g, x: x, f: f}, nil
}

func (m *Model) giveBack(n int, fg *featureGraph) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.graphs == nil {
		m.graphs = map[int][]*featureGraph{}
	}
	m.graphs[n] = append(m.graphs[n], fg)
}

// Close releases the model's inference graphs; the model stays usable.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, free := range m.graphs {
		for _, fg := range free {
			fg.g.Close()
		}
	}
	m.graphs = nil
}

// ImageFeatures computes φ(X) for every image of im on workers goroutines
// (2 when workers ≤ 0), in batches of up to 32, each on one goroutine: a
// single worker uses one core.
func (m *Model) ImageFeatures(ctx context.Context, im *Images, workers int) ([][]float32, error) {
	if im.Size != m.arch.ImageSize {
		return nil, atelier.Errorf(atelier.KindInvalid, "dvbpr: images are %d×%d, the model takes %d×%d", im.Size, im.Size, m.arch.ImageSize, m.arch.ImageSize)
	}
	if workers <= 0 {
		workers = 2
	}
	n, k := im.Len(), m.arch.Dim
	out := matrix(n, k)
	batches := (n + featureBatch - 1) / featureBatch
	err := forEach(ctx, batches, workers, "features", nil, func(_, b int) error {
		lo := b * featureBatch
		hi := min(lo+featureBatch, n)
		fg, err := m.borrow(hi - lo)
		if err != nil {
			return err
		}
		copy(fg.g.InputData(fg.x), im.Pix[lo*im.Stride():hi*im.Stride()])
		if err := fg.g.Run(); err != nil {
			fg.g.Close()
			return err
		}
		data := fg.f.Data().([]float32)
		for r := lo; r < hi; r++ {
			copy(out[r], data[(r-lo)*k:(r-lo+1)*k])
		}
		m.giveBack(hi-lo, fg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
