package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"

	"gorgonia.org/tensor"
)

// Param is a named float32 tensor: a trainable weight, or any tensor that a
// graph reads and an optimiser updates (a latent vector being inverted).
// Names follow the dotted convention of PyTorch ("conv1.weight"), so
// checkpoints read naturally in Python tooling.
//
// The storage of Value is what graphs bind to; update it in place (copy
// into Value.Data()) and never swap the tensor for another.
type Param struct {
	Name  string
	Value *tensor.Dense
}

// NewParam returns a zero-filled parameter of the given shape.
func NewParam(name string, shape ...int) Param {
	return Param{Name: name, Value: tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))}
}

// Data returns the parameter's backing slice.
func (p Param) Data() []float32 { return p.Value.Data().([]float32) }

// Shape returns a copy of the parameter's shape.
func (p Param) Shape() []int { return []int(p.Value.Shape().Clone()) }

func (p Param) check() error {
	if p.Name == "" {
		return errors.New("parameter has no name")
	}
	if p.Value == nil {
		return fmt.Errorf("parameter %s has no value", p.Name)
	}
	if p.Value.Dtype() != tensor.Float32 {
		return fmt.Errorf("parameter %s is %v, want float32", p.Name, p.Value.Dtype())
	}
	if p.Value.Size() == 0 || p.Value.Dims() == 0 {
		return fmt.Errorf("parameter %s has shape %v; need at least one dimension and one element", p.Name, p.Value.Shape())
	}
	return nil
}

func checkShape(shape []int) error {
	if len(shape) == 0 {
		return errors.New("empty shape")
	}
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("shape %v has a non-positive dimension", shape)
		}
	}
	return nil
}

// HeNormal fills p with N(0, (gain² / fanIn)): He initialisation, which keeps
// the activation variance steady through layers followed by a (leaky) ReLU
// when gain = √(2 / (1 + slope²)).
func HeNormal(p Param, fanIn int, gain float64, rng *rand.Rand) {
	std := gain / math.Sqrt(float64(fanIn))
	d := p.Data()
	for i := range d {
		d[i] = float32(rng.NormFloat64() * std)
	}
}

// LeakyGain returns the He gain √(2 / (1 + slope²)) for a leaky ReLU of the
// given negative slope (slope 0 is a plain ReLU: √2).
func LeakyGain(slope float64) float64 { return math.Sqrt(2 / (1 + slope*slope)) }

// Fill sets every element of p to v.
func Fill(p Param, v float32) {
	d := p.Data()
	for i := range d {
		d[i] = v
	}
}

// Layer is anything that owns parameters.
type Layer interface {
	Params() []Param
}

// Collect concatenates the parameters of layers in order and checks that
// names are unique. Models call it once to get the list that checkpoints and
// Adam share.
func Collect(layers ...Layer) ([]Param, error) {
	var ps []Param
	for _, l := range layers {
		ps = append(ps, l.Params()...)
	}
	if err := CheckParams(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// CheckParams reports invalid parameters and duplicate names.
func CheckParams(ps []Param) error {
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if err := p.check(); err != nil {
			return fmt.Errorf("nn: %w", err)
		}
		if seen[p.Name] {
			return fmt.Errorf("nn: parameter name %q used twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// Prefixed returns ps with each name prefixed by prefix + ".", for nesting a
// sub-network's parameters under its own name.
func Prefixed(prefix string, ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: prefix + "." + p.Name, Value: p.Value}
	}
	return out
}

// CountParams returns the total number of scalars in ps.
func CountParams(ps []Param) int {
	n := 0
	for _, p := range ps {
		n += p.Value.Size()
	}
	return n
}

// LoadInto copies the values of src (typically read from a checkpoint) into
// dst (the parameters of a freshly built model) by name. The sets must match
// exactly: a missing name, an extra name or a shape that differs from the
// architecture is an error, and dst is left untouched when any is found.
func LoadInto(dst, src []Param) error {
	if err := CheckParams(dst); err != nil {
		return err
	}
	byName := make(map[string]Param, len(src))
	for _, p := range src {
		if _, dup := byName[p.Name]; dup {
			return fmt.Errorf("nn: load: tensor %q appears twice", p.Name)
		}
		byName[p.Name] = p
	}
	var missing, mismatched []string
	for _, p := range dst {
		s, ok := byName[p.Name]
		switch {
		case !ok:
			missing = append(missing, p.Name)
		case !s.Value.Shape().Eq(p.Value.Shape()) || s.Value.Dtype() != tensor.Float32:
			mismatched = append(mismatched, fmt.Sprintf("%s: file has %v %v, model wants %v", p.Name, s.Value.Dtype(), s.Value.Shape(), p.Value.Shape()))
		}
		delete(byName, p.Name)
	}
	var extra []string
	for name := range byName {
		extra = append(extra, name)
	}
	sort.Strings(extra)
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		problems = append(problems, "unexpected "+strings.Join(extra, ", "))
	}
	problems = append(problems, mismatched...)
	if len(problems) > 0 {
		return fmt.Errorf("nn: load: checkpoint does not match the architecture: %s", strings.Join(problems, "; "))
	}
	srcByName := make(map[string]Param, len(src))
	for _, p := range src {
		srcByName[p.Name] = p
	}
	for _, p := range dst {
		copy(p.Data(), srcByName[p.Name].Data())
	}
	return nil
}

// Clone returns deep copies of ps (for snapshots, e.g. an exponential moving
// average of generator weights).
func Clone(ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, Value: p.Value.Clone().(*tensor.Dense)}
	}
	return out
}
