package nn

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Indices is a graph input of n integer ids (users, items, categories),
// set before each Run like a float input is fed.
type Indices struct {
	name  string
	ids   []int
	limit int // ids must be < limit; the smallest table size it indexes
}

// Indices adds an integer input of n ids, all 0 until Set.
func (g *Graph) Indices(name string, n int) *Indices {
	if !g.checkBuilding("add indices "+name) || !g.claim(name) {
		return nil
	}
	if n <= 0 {
		g.Fail(fmt.Errorf("length %d", n), "nn: indices %q", name)
		return nil
	}
	return &Indices{name: name, ids: make([]int, n)}
}

// Len returns the number of ids.
func (ix *Indices) Len() int { return len(ix.ids) }

// Set copies ids in; it rejects a wrong length or an id outside the tables
// the indices look up.
func (ix *Indices) Set(ids []int) error {
	if len(ids) != len(ix.ids) {
		return fmt.Errorf("nn: indices %s: %d ids, want %d", ix.name, len(ids), len(ix.ids))
	}
	for i, id := range ids {
		if id < 0 || (ix.limit > 0 && id >= ix.limit) {
			return fmt.Errorf("nn: indices %s: id %d at position %d outside [0, %d)", ix.name, id, i, ix.limit)
		}
	}
	copy(ix.ids, ids)
	return nil
}

// Embedding is a lookup table: row i of Table (N, D) is the vector of id i.
// Its gradient is dense (N, D), zero outside the rows looked up, which Adam
// handles directly for the table sizes here (thousands of rows).
type Embedding struct {
	Name  string
	Table Param // (N, D)
}

// NewEmbedding returns an N×D table (parameter name.weight) with N(0, std²)
// entries.
func NewEmbedding(name string, n, d int, std float64, rng *rand.Rand) (*Embedding, error) {
	if n <= 0 || d <= 0 || std < 0 {
		return nil, fmt.Errorf("nn: embedding %s: invalid size %dx%d or std %v", name, n, d, std)
	}
	e := &Embedding{Name: name, Table: NewParam(name+".weight", n, d)}
	data := e.Table.Data()
	for i := range data {
		data[i] = float32(rng.NormFloat64() * std)
	}
	return e, nil
}

// Params returns the table.
func (e *Embedding) Params() []Param { return []Param{e.Table} }

// Forward returns the rows of ids as a (len(ids), D) node.
func (e *Embedding) Forward(g *Graph, ids *Indices) *G.Node {
	if g.err != nil {
		return nil
	}
	if ids == nil {
		return g.Fail(fmt.Errorf("nil indices"), "nn: embedding %s", e.Name)
	}
	table := g.Param(e.Table)
	if table == nil {
		return nil
	}
	s := e.Table.Value.Shape()
	n, d := s[0], s[1]
	if ids.limit == 0 || n < ids.limit {
		ids.limit = n
	}
	for _, id := range ids.ids {
		if id >= n {
			return g.Fail(fmt.Errorf("id %d already set, table has %d rows", id, n), "nn: embedding %s", e.Name)
		}
	}
	k := &Kernel{
		Name:     fmt.Sprintf("Embedding(%s)", ids.name),
		In:       []tensor.Shape{s.Clone()},
		Out:      tensor.Shape{len(ids.ids), d},
		Stateful: true, // the ids live outside the graph
		Forward: func(out []float32, in [][]float32) {
			for r, id := range ids.ids {
				copy(out[r*d:(r+1)*d], in[0][id*d:(id+1)*d])
			}
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, _ [][]float32, _, gout []float32) {
				clear(dst)
				for r, id := range ids.ids {
					row, gr := dst[id*d:(id+1)*d], gout[r*d:(r+1)*d]
					for j, v := range gr {
						row[j] += v
					}
				}
			},
		},
	}
	return g.Apply(k, table)
}
