package recommender

import (
	"encoding/json"
	"math"
)

// Rank places a held-out item's score among the scores of other items:
// Above score strictly higher, Tied equal, Below strictly lower.
type Rank struct {
	Above, Tied, Below int
}

// RankOf compares score with each of others.
func RankOf(score float32, others []float32) Rank {
	var r Rank
	for _, o := range others {
		r.add(o, score)
	}
	return r
}

// add counts one other item's score o against the held-out score.
func (r *Rank) add(o, score float32) {
	switch {
	case o > score:
		r.Above++
	case o < score:
		r.Below++
	default:
		r.Tied++
	}
}

// N is the number of other items.
func (r Rank) N() int { return r.Above + r.Tied + r.Below }

// AUC is the fraction of other items scored below, ties counting one half;
// NaN when there are none.
func (r Rank) AUC() float64 {
	n := r.N()
	if n == 0 {
		return math.NaN()
	}
	return (float64(r.Below) + 0.5*float64(r.Tied)) / float64(n)
}

// Hit is HR@k (= Recall@k with one held-out item): the probability that the
// item ranks in the top k when ties are broken uniformly at random, i.e.
// the fraction of ranks in {Above, …, Above+Tied} below k.
func (r Rank) Hit(k int) float64 {
	inside := min(k-r.Above, r.Tied+1)
	if inside <= 0 {
		return 0
	}
	return float64(inside) / float64(r.Tied+1)
}

// NDCG is NDCG@k with one relevant item at 0-based rank ρ, 1/log2(ρ+2) when
// ρ < k, averaged over ρ ∈ {Above, …, Above+Tied} (ties broken at random).
func (r Rank) NDCG(k int) float64 {
	sum := 0.0
	for rho := r.Above; rho < k && rho <= r.Above+r.Tied; rho++ {
		sum += 1 / math.Log2(float64(rho)+2)
	}
	return sum / float64(r.Tied+1)
}

// Metrics is a model's evaluation: means over evaluated consumers. AUCCold
// is NaN when no consumer's held-out item is cold (JSON: null).
type Metrics struct {
	AUC        float64 // over all items the consumer never took
	AUCSampled float64 // over 100 sampled such items
	AUCCold    float64 // over consumers whose held-out item is cold, against the other cold items
	NDCG10     float64
	Recall10   float64
	Recall50   float64
	HR10       float64

	Consumers     int // consumers evaluated
	ColdConsumers int // of which with a cold held-out item
}

// metricsJSON fixes the report's key names; pointers encode NaN as null.
type metricsJSON struct {
	AUC        *float64 `json:"auc"`
	AUCSampled *float64 `json:"auc_sampled"`
	AUCCold    *float64 `json:"auc_cold"`
	NDCG10     *float64 `json:"ndcg@10"`
	Recall10   *float64 `json:"recall@10"`
	Recall50   *float64 `json:"recall@50"`
	HR10       *float64 `json:"hr@10"`

	Consumers     int `json:"consumers"`
	ColdConsumers int `json:"cold_consumers"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes the metrics under their report names
// ("auc", "auc_sampled", "auc_cold", "ndcg@10", "recall@10", ...).
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{
		AUC: finite(m.AUC), AUCSampled: finite(m.AUCSampled), AUCCold: finite(m.AUCCold),
		NDCG10: finite(m.NDCG10), Recall10: finite(m.Recall10), Recall50: finite(m.Recall50),
		HR10: finite(m.HR10), Consumers: m.Consumers, ColdConsumers: m.ColdConsumers,
	})
}

// UnmarshalJSON reads what MarshalJSON writes; null becomes NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var j metricsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metrics{
		AUC: orNaN(j.AUC), AUCSampled: orNaN(j.AUCSampled), AUCCold: orNaN(j.AUCCold),
		NDCG10: orNaN(j.NDCG10), Recall10: orNaN(j.Recall10), Recall50: orNaN(j.Recall50),
		HR10: orNaN(j.HR10), Consumers: j.Consumers, ColdConsumers: j.ColdConsumers,
	}
	return nil
}
