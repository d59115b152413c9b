package recommender_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/recommender"
)

// TestFoldInFollowsTheOracle folds in consumers the demo model never saw,
// each from 6 picks among 3 catalog images made by the synthetic world's
// ground-truth taste, and checks that the folded-in θ ranks items by that
// taste: pairs of items ordered by θ·φ agree with the consumer's true
// utility well above chance, and the consumer's top-ranked items have a
// higher true utility than random ones.
func TestFoldInFollowsTheOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a catalog and runs the demo model")
	}
	data, err := models.Demo("recommender.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	m, err := recommender.ReadModel(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// A fresh catalog (another seed than the training world's) so no item
	// was seen in training either.
	const nItems = 400
	items := synth.DrawCatalog(77, nItems)
	r := synth.NewRenderer()
	im := &recommender.Images{Size: 64, Pix: make([]float32, 0, nItems*3*64*64)}
	truth := make([]synth.Features, nItems)
	for i, it := range items {
		tn := r.RenderTensor(it.Attributes, 64)
		im.Pix = append(im.Pix, tn.Pix...)
		truth[i] = synth.FeaturesOf(tn)
	}
	feats, err := m.ImageFeatures(context.Background(), im, 2)
	if err != nil {
		t.Fatal(err)
	}

	consumers := synth.DrawConsumers(synth.DefaultPersonas(), 40, 99)
	rng := rand.New(rand.NewPCG(5, 6))
	var agree, pairs, topUtil, randUtil float64
	for _, c := range consumers {
		picks := make([]recommender.Pick, 6)
		for p := range picks {
			shown := rng.Perm(nItems)[:3]
			fs := []synth.Features{truth[shown[0]], truth[shown[1]], truth[shown[2]]}
			k := synth.Choose(rng, c, fs, 0.1)
			for j, it := range shown {
				if j == k {
					picks[p].Chosen = feats[it]
				} else {
					picks[p].Others = append(picks[p].Others, feats[it])
				}
			}
		}
		theta, err := m.FoldIn(picks, recommender.FoldInConfig{})
		if err != nil {
			t.Fatal(err)
		}
		score := make([]float64, nItems)
		for i, f := range feats {
			for d := range f {
				score[i] += float64(theta[d] * f[d])
			}
		}
		for n := 0; n < 400; n++ {
			i, j := rng.IntN(nItems), rng.IntN(nItems)
			ui, uj := c.Utility(truth[i]), c.Utility(truth[j])
			if i == j || ui == uj {
				continue
			}
			pairs++
			if (score[i] > score[j]) == (ui > uj) {
				agree++
			}
		}
		top := topK(score, 20)
		for _, i := range top {
			topUtil += c.Utility(truth[i])
			randUtil += c.Utility(truth[rng.IntN(nItems)])
		}
	}
	acc := agree / pairs
	t.Logf("pairwise agreement with the oracle %.3f over %d pairs; mean true utility of top-20 %.3f vs random %.3f",
		acc, int(pairs), topUtil/float64(20*len(consumers)), randUtil/float64(20*len(consumers)))
	if acc < 0.65 {
		t.Errorf("folded-in θ orders items like the oracle in %.3f of pairs, want ≥ 0.65", acc)
	}
	if topUtil <= randUtil {
		t.Errorf("top-ranked items are no better than random by the oracle: %.3f vs %.3f", topUtil, randUtil)
	}
}

// topK returns the indices of the k largest scores.
func topK(score []float64, k int) []int {
	idx := make([]int, 0, k)
	for i := range score {
		idx = append(idx, i)
		for j := len(idx) - 1; j > 0 && score[idx[j]] > score[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}
