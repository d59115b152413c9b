package recommender

import "github.com/atelier-app/atelier"

// DotScorer scores with latent factors, x(u,i) = θ_u·f_i: BPR-MF with its
// learnt item factors, DVBPR with f_i = φ(X_i) computed once per item.
type DotScorer struct {
	Consumers [][]float32 // θ_u, K each
	Items     [][]float32 // f_i, K each
}

var _ Scorer = (*DotScorer)(nil)

// NewDotScorer checks that every vector has the same length.
func NewDotScorer(consumers, items [][]float32) (*DotScorer, error) {
	if err := sameDim("consumer", consumers, -1); err != nil {
		return nil, err
	}
	k := -1
	if len(consumers) > 0 {
		k = len(consumers[0])
	}
	if err := sameDim("item", items, k); err != nil {
		return nil, err
	}
	return &DotScorer{Consumers: consumers, Items: items}, nil
}

// Score implements Scorer.
func (s *DotScorer) Score(u int, out []float32) {
	theta := s.Consumers[u]
	for i, f := range s.Items {
		out[i] = dot(theta, f)
	}
}

// sameDim checks that every vector has length k (k < 0: that of the first).
func sameDim(what string, vs [][]float32, k int) error {
	for i, v := range vs {
		if k < 0 {
			k = len(v)
		}
		if len(v) != k || k == 0 {
			return atelier.Errorf(atelier.KindInvalid, "%s vector %d has length %d, want %d", what, i, len(v), k)
		}
	}
	return nil
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// meanVector returns the mean of the vectors at idx (all vectors when idx
// is nil), or nil when there are none.
func meanVector(vs [][]float32, idx []int) []float32 {
	if idx == nil {
		idx = make([]int, len(vs))
		for i := range idx {
			idx[i] = i
		}
	}
	if len(idx) == 0 {
		return nil
	}
	m := make([]float64, len(vs[idx[0]]))
	for _, i := range idx {
		for d, x := range vs[i] {
			m[d] += float64(x)
		}
	}
	out := make([]float32, len(m))
	for d := range m {
		out[d] = float32(m[d] / float64(len(idx)))
	}
	return out
}
