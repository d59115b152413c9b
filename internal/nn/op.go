package nn

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Kernel describes a float32 operation whose input shapes are fixed when
// the graph is built (gorgonia graphs have static shapes), by a forward and
// a backward function over the flat row-major backing slices. Every custom
// op of this package is a Kernel: tight loops over []float32 with no
// per-element interface calls. Models may define their own (a loss, a
// gather) and add them with Graph.Apply.
//
// Graph.Apply turns a Kernel into a gorgonia Op that implements both SDOp
// (symbolic differentiation, used by G.Grad and the tape machine) and ADOp
// (automatic differentiation, used by the Lisp machine). Each input's
// gradient is a separate op reading (inputs..., output, dL/d output); those
// gradient ops are not themselves differentiable, so second derivatives
// (gradient penalties) are not supported.
type Kernel struct {
	// Name identifies the kernel and its configuration (e.g.
	// "LeakyReLU(0.2)"): it is part of the op's hash, and gorgonia merges
	// nodes with equal hashes and equal inputs.
	Name string
	In   []tensor.Shape
	Out  tensor.Shape
	// Forward writes every element of out from the inputs.
	Forward func(out []float32, in [][]float32)
	// Backward[i] writes every element of dst = dL/d in[i], given the
	// inputs, the forward output and gout = dL/d out. A missing or nil entry
	// means the kernel is not differentiable with respect to input i.
	Backward []func(dst []float32, in [][]float32, out, gout []float32)
	// Stateful kernels (dropout, which draws a mask per run) are never
	// merged with another application to the same inputs.
	Stateful bool
	// ForwardOnly kernels have no gradient with respect to any input, by
	// design rather than because an input is discrete: Graph.Backward
	// fails when a parameter it is asked for reaches the loss through one,
	// instead of leaving part of that parameter's gradient out.
	ForwardOnly bool
}

// Apply adds k to the graph, applied to inputs (float32 nodes whose shapes
// must equal k.In).
func (g *Graph) Apply(k *Kernel, inputs ...*G.Node) *G.Node {
	if !g.ok(inputs...) {
		return nil
	}
	if k == nil || k.Forward == nil || k.Name == "" {
		return g.Fail(errors.New("kernel needs a name and a forward function"), "nn: apply")
	}
	y, err := k.apply(inputs...)
	if err != nil {
		return g.Fail(err, "nn: apply")
	}
	return y
}

// grad returns the backward function for input i, or nil.
func (k *Kernel) grad(i int) func(dst []float32, in [][]float32, out, gout []float32) {
	if i < len(k.Backward) {
		return k.Backward[i]
	}
	return nil
}

// apply adds the kernel to the graph of its inputs.
func (k *Kernel) apply(inputs ...*G.Node) (*G.Node, error) {
	if len(inputs) != len(k.In) {
		return nil, fmt.Errorf("%s: %d inputs, want %d", k.Name, len(inputs), len(k.In))
	}
	for i, n := range inputs {
		if n.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("%s: input %d is %v, want float32", k.Name, i, n.Dtype())
		}
		if !n.Shape().Eq(k.In[i]) {
			return nil, fmt.Errorf("%s: input %d has shape %v, want %v", k.Name, i, n.Shape(), k.In[i])
		}
	}
	return G.ApplyOp(&kernelOp{k: k}, inputs...)
}

func tensorType(dims int) hm.Type {
	return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// float32s returns the backing slice of a float32 tensor value.
func float32s(v G.Value) ([]float32, error) {
	if v == nil {
		return nil, errors.New("nil value")
	}
	d, ok := v.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("value of type %T holds %T, want []float32", v, v.Data())
	}
	return d, nil
}

func valuesData(name string, shapes []tensor.Shape, vals []G.Value) ([][]float32, error) {
	if len(vals) != len(shapes) {
		return nil, fmt.Errorf("%s: got %d values, want %d", name, len(vals), len(shapes))
	}
	out := make([][]float32, len(vals))
	for i, v := range vals {
		d, err := float32s(v)
		if err != nil {
			return nil, fmt.Errorf("%s: input %d: %w", name, i, err)
		}
		if len(d) != shapes[i].TotalSize() {
			return nil, fmt.Errorf("%s: input %d has %d elements, want %d", name, i, len(d), shapes[i].TotalSize())
		}
		out[i] = d
	}
	return out, nil
}

func newValue(s tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.WithShape(s.Clone()...), tensor.Of(tensor.Float32))
}

// outBuffer is an op's own output tensor, used when the machine offers no
// suitable one. The tape machine clears its registers before every run, so
// without it every op would allocate (and the runtime zero) its output on
// every run: a tenth of a generator's backward pass. Reusing one tensor per
// op is safe because a register holds this tensor only after the op has
// written it in the current run, and the op runs once per run.
type outBuffer struct{ t *tensor.Dense }

// get returns prealloc as a float32 slice when it has the right size, or
// the op's own tensor otherwise.
func (b *outBuffer) get(prealloc G.Value, s tensor.Shape) (G.Value, []float32) {
	if prealloc != nil {
		if d, err := float32s(prealloc); err == nil && len(d) == s.TotalSize() && prealloc.Shape().Eq(s) {
			return prealloc, d
		}
	}
	if b.t == nil {
		b.t = newValue(s)
	}
	return b.t, b.t.Data().([]float32)
}

// kernelOp is the forward gorgonia Op of a kernel. frozen[i] marks an input
// whose gradient nothing asks for (a frozen weight, an image fed as input):
// Graph.Backward sets it so that no gradient op is built for it.
type kernelOp struct {
	k      *Kernel
	frozen []bool
	out    outBuffer
}

var (
	_ G.SDOp            = (*kernelOp)(nil)
	_ G.ADOp            = (*kernelOp)(nil)
	_ G.UsePreallocDoer = (*kernelOp)(nil)
	_ G.Op              = (*kernelGradOp)(nil)
	_ G.UsePreallocDoer = (*kernelGradOp)(nil)
)

func (op *kernelOp) Arity() int { return len(op.k.In) }

func (op *kernelOp) Type() hm.Type {
	ts := make([]hm.Type, 0, len(op.k.In)+1)
	for _, s := range op.k.In {
		ts = append(ts, tensorType(s.Dims()))
	}
	ts = append(ts, tensorType(op.k.Out.Dims()))
	return hm.NewFnType(ts...)
}

func (op *kernelOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.k.Out.Clone(), nil }
func (op *kernelOp) ReturnsPtr() bool                               { return false }
func (op *kernelOp) CallsExtern() bool                              { return false }
func (op *kernelOp) OverwritesInput() int                           { return -1 }
func (op *kernelOp) String() string                                 { return op.k.Name }

func (op *kernelOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s%v", op.k.Name, op.k.In)
	if op.k.Stateful {
		fmt.Fprintf(h, "@%p", op.k)
	}
}

func (op *kernelOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *kernelOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op *kernelOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, err := valuesData(op.k.Name, op.k.In, vals)
	if err != nil {
		return nil, err
	}
	v, out := op.out.get(prealloc, op.k.Out)
	op.k.Forward(out, in)
	return v, nil
}

func (op *kernelOp) DiffWRT(n int) []bool {
	wrt := make([]bool, n)
	for i := range wrt {
		wrt[i] = op.differentiable(i)
	}
	return wrt
}

// differentiable reports whether a gradient op is built for input i.
func (op *kernelOp) differentiable(i int) bool {
	return op.k.grad(i) != nil && (i >= len(op.frozen) || !op.frozen[i])
}

// SymDiff adds one gradient node per differentiable input; each reads the
// inputs, the output and the output's gradient.
func (op *kernelOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != len(op.k.In) {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op.k.Name, len(inputs), len(op.k.In))
	}
	args := make(G.Nodes, 0, len(inputs)+2)
	args = append(args, inputs...)
	args = append(args, output, grad)
	grads := make(G.Nodes, len(inputs))
	for i := range inputs {
		if !op.differentiable(i) {
			continue
		}
		g, err := G.ApplyOp(&kernelGradOp{k: op.k, i: i}, args...)
		if err != nil {
			return nil, fmt.Errorf("%s: gradient wrt input %d: %w", op.k.Name, i, err)
		}
		grads[i] = g
	}
	return grads, nil
}

// DoDiff accumulates the input gradients into the inputs' dual values, as
// the Lisp machine expects.
func (op *kernelOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	vals := make([]G.Value, len(inputs))
	for i, n := range inputs {
		vals[i] = n.Value()
	}
	in, err := valuesData(op.k.Name, op.k.In, vals)
	if err != nil {
		return err
	}
	out, err := float32s(output.Value())
	if err != nil {
		return fmt.Errorf("%s: output: %w", op.k.Name, err)
	}
	gv, err := output.Grad()
	if err != nil {
		return fmt.Errorf("%s: output gradient: %w", op.k.Name, err)
	}
	gout, err := float32s(gv)
	if err != nil {
		return fmt.Errorf("%s: output gradient: %w", op.k.Name, err)
	}
	for i, n := range inputs {
		bwd := op.k.grad(i)
		if !op.differentiable(i) {
			continue
		}
		dv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("%s: gradient of input %d: %w", op.k.Name, i, err)
		}
		acc, err := float32s(dv)
		if err != nil || len(acc) != len(in[i]) {
			return fmt.Errorf("%s: gradient of input %d has the wrong type or size", op.k.Name, i)
		}
		tmp := make([]float32, len(acc))
		bwd(tmp, in, out, gout)
		for j, g := range tmp {
			acc[j] += g
		}
	}
	return nil
}

// kernelGradOp computes dL/d input i of a kernel from (inputs..., output,
// dL/d output).
type kernelGradOp struct {
	k   *Kernel
	i   int
	out outBuffer
}

func (op *kernelGradOp) Arity() int { return len(op.k.In) + 2 }

func (op *kernelGradOp) Type() hm.Type {
	ts := make([]hm.Type, 0, len(op.k.In)+3)
	for _, s := range op.k.In {
		ts = append(ts, tensorType(s.Dims()))
	}
	ts = append(ts, tensorType(op.k.Out.Dims()), tensorType(op.k.Out.Dims()), tensorType(op.k.In[op.i].Dims()))
	return hm.NewFnType(ts...)
}

func (op *kernelGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.k.In[op.i].Clone(), nil
}
func (op *kernelGradOp) ReturnsPtr() bool     { return false }
func (op *kernelGradOp) CallsExtern() bool    { return false }
func (op *kernelGradOp) OverwritesInput() int { return -1 }
func (op *kernelGradOp) String() string       { return fmt.Sprintf("d%s/d%d", op.k.Name, op.i) }

func (op *kernelGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "d%s%v/d%d", op.k.Name, op.k.In, op.i)
	if op.k.Stateful {
		fmt.Fprintf(h, "@%p", op.k)
	}
}

func (op *kernelGradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op *kernelGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

func (op *kernelGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	n := len(op.k.In)
	if len(vals) != n+2 {
		return nil, fmt.Errorf("%s: got %d values, want %d", op, len(vals), n+2)
	}
	in, err := valuesData(op.k.Name, op.k.In, vals[:n])
	if err != nil {
		return nil, err
	}
	og, err := valuesData(op.k.Name+" output", []tensor.Shape{op.k.Out, op.k.Out}, vals[n:])
	if err != nil {
		return nil, err
	}
	v, dst := op.out.get(prealloc, op.k.In[op.i])
	op.k.Backward[op.i](dst, in, og[0], og[1])
	return v, nil
}
