package recommender

import (
	"errors"
	"fmt"
	"math"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/nn"
)

// trainWorker is one graph over a share of each batch: b triplets and up
// to 2b distinct images, in slots of a fixed-size input.
type trainWorker struct {
	g     *nn.Graph
	x     *G.Node
	users *nn.Indices
	obj   *objective
	slot  map[int]int // item -> slot, rebuilt every step
	items []int       // item in each used slot
	uids  []int
}

func newTrainWorker(m *Model, b int, seed int64) (*trainWorker, error) {
	slots := 2 * b
	w := &trainWorker{
		g:    nn.NewGraph(nn.Train, seed),
		obj:  &objective{pos: make([]int, b), neg: make([]int, b), labels: make([]int, slots)},
		slot: make(map[int]int, slots),
		uids: make([]int, b),
	}
	s := m.arch.ImageSize
	w.x = w.g.Input("images", slots, 3, s, s)
	feats := m.Features(w.g, w.x)
	logits := m.CategoryLogits(w.g, feats)
	w.users = w.g.Indices("users", b)
	theta := (&nn.Embedding{Name: "theta", Table: m.theta}).Forward(w.g, w.users)
	loss := w.obj.node(w.g, theta, feats, logits)
	if err := w.g.Backward(loss); err != nil {
		w.g.Close()
		return nil, fmt.Errorf("dvbpr: training graph: %w", err)
	}
	if err := w.g.Compile(); err != nil {
		w.g.Close()
		return nil, fmt.Errorf("dvbpr: training graph: %w", err)
	}
	return w, nil
}

// load fills the worker's inputs with triplets, gathering their distinct
// images into slots. Unused slots keep stale pixels: no triplet or label
// refers to them, so they add nothing to the loss or the gradients.
func (w *trainWorker) load(triplets [][3]int, data TrainData) error {
	clear(w.slot)
	w.items = w.items[:0]
	at := func(item int) int {
		s, ok := w.slot[item]
		if !ok {
			s = len(w.items)
			w.slot[item] = s
			w.items = append(w.items, item)
		}
		return s
	}
	for k, tr := range triplets {
		w.uids[k] = tr[0]
		w.obj.pos[k] = at(tr[1])
		w.obj.neg[k] = at(tr[2])
	}
	if err := w.users.Set(w.uids); err != nil {
		return err
	}
	px, stride := w.g.InputData(w.x), data.Images.Stride()
	for s := range w.obj.labels {
		w.obj.labels[s] = -1
	}
	for s, item := range w.items {
		copy(px[s*stride:(s+1)*stride], data.Images.Pix[item*stride:(item+1)*stride])
		w.obj.labels[s] = data.ItemCategories[item]
	}
	return nil
}

// step draws one batch, runs the workers in parallel and updates the
// parameters.
func (t *trainer) step() error {
	triplets := make([][3]int, t.cfg.Batch)
	for k := range triplets {
		u, i, j := t.sampler.Next()
		triplets[k] = [3]int{u, i, j}
	}
	labelled := 0
	lo := 0
	for _, w := range t.workers {
		n := len(w.obj.pos)
		if err := w.load(triplets[lo:lo+n], t.data); err != nil {
			return err
		}
		lo += n
		labelled += len(w.items)
	}
	for _, w := range t.workers {
		w.obj.invB = 1 / float32(t.cfg.Batch)
		w.obj.alphaN = t.cfg.CategoryWeight / float32(labelled)
		w.obj.lambda = t.cfg.ThetaReg
	}
	errs := make([]error, len(t.workers))
	var wg sync.WaitGroup
	for k, w := range t.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = w.g.Run()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	st := &t.state
	for _, w := range t.workers {
		st.SumBPR += w.obj.bpr
		st.SumCE += w.obj.ce
	}
	st.NumTriplets += t.cfg.Batch
	st.NumImages += labelled
	if math.IsNaN(st.SumBPR) || math.IsInf(st.SumBPR, 0) {
		return atelier.Errorf(atelier.KindInternal, "dvbpr: training diverged (loss %v); lower the learning rate", st.SumBPR)
	}
	if len(t.workers) == 1 {
		return t.opt.Step(t.workers[0].g.Grad)
	}
	return t.opt.Step(t.sumGrads)
}

// sumGrads adds up the workers' gradients of p, in worker order.
func (t *trainer) sumGrads(p nn.Param) *tensor.Dense {
	for k, q := range t.params {
		if q.Name != p.Name {
			continue
		}
		dst := t.grads[k].Data().([]float32)
		copy(dst, t.workers[0].g.Grad(p).Data().([]float32))
		for _, w := range t.workers[1:] {
			for i, v := range w.g.Grad(p).Data().([]float32) {
				dst[i] += v
			}
		}
		return t.grads[k]
	}
	return nil
}
