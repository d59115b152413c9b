// Package servingtest has the one fake scoring model the tests of the
// serving runtime and of the API share.
package servingtest

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/serving"
)

// ColourModel is a stand-in recommender whose φ of an image is its mean
// colour minus ½ per channel, so a taste for a colour is a θ pointing at
// it: preferences are known by construction.
type ColourModel struct {
	Thetas map[string][]float32 // by consumer external id
	calls  atomic.Int64
}

var _ serving.Model = (*ColourModel)(nil)

// NewColourModel returns a model that knows the consumers in thetas.
func NewColourModel(thetas map[string][]float32) *ColourModel {
	return &ColourModel{Thetas: thetas}
}

// Calls is the number of images featurised so far.
func (m *ColourModel) Calls() int64 { return m.calls.Load() }

func (m *ColourModel) Dim() int       { return 3 }
func (m *ColourModel) ImageSize() int { return 16 }

func (m *ColourModel) Theta(id string) ([]float32, bool) {
	th, ok := m.Thetas[id]
	return th, ok
}

func (m *ColourModel) MeanTheta() []float32 { return []float32{0, 0, 0} }

// Consumers lists the known consumers in sorted order.
func (m *ColourModel) Consumers() []string { return slices.Sorted(maps.Keys(m.Thetas)) }

func (m *ColourModel) ImageFeatures(_ context.Context, im *recommender.Images, _ int) ([][]float32, error) {
	out := make([][]float32, im.Len())
	n := im.Size * im.Size
	for i := range out {
		pix := im.Item(i).Pix
		f := make([]float32, 3)
		for c := range 3 {
			for _, v := range pix[c*n : (c+1)*n] {
				f[c] += v
			}
			f[c] = f[c]/float32(n) - 0.5
		}
		out[i] = f
	}
	m.calls.Add(int64(len(out)))
	return out, nil
}
