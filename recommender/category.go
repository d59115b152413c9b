package recommender

import "math"

// CategoryAccuracy is the share of items whose category the model's head
// predicts from their features feats[i] (as ImageFeatures computes them)
// correctly, labels[i] being the true category index. items selects the
// items to count (nil: all); NaN when there are none.
//
// The head is trained alongside φ on the images of each training batch,
// which never include the split's cold items, so accuracy on the cold items
// is a held-out measure. Training it with φ rather than after it costs
// nothing (the batch's features are computed anyway) and keeps φ aware of
// category, which both the GAN's category checks and taste (consumers
// favour some categories) need.
func CategoryAccuracy(m *Model, feats [][]float32, labels []int, items []int) float64 {
	correct, n := 0, 0
	count := func(i int) {
		n++
		if m.PredictCategory(feats[i]) == labels[i] {
			correct++
		}
	}
	if items == nil {
		for i := range feats {
			count(i)
		}
	} else {
		for _, i := range items {
			count(i)
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(correct) / float64(n)
}
