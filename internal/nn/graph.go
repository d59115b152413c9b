package nn

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode says whether a graph trains (dropout active, gradients usually
// wanted) or infers. Every layer of the package computes the same function
// in both modes except Dropout.
type Mode int

const (
	Train Mode = iota + 1
	Infer
)

func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Infer:
		return "infer"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Graph is one fixed-shape gorgonia expression graph together with its tape
// machine: build it once per (batch size, mode), then feed, Run and read as
// often as needed. It binds parameters by sharing their storage, so several
// graphs (a training graph and a batch-1 inference graph, say) see the same
// weights and every optimiser step at once.
//
// Building is sticky on errors: once a layer fails, later layers return nil
// and Err (and Run) report the first error. A Graph is not safe for
// concurrent use; use one per goroutine. Graphs sharing parameters may run
// concurrently as long as nothing writes the parameters meanwhile.
type Graph struct {
	eg   *G.ExprGraph
	mode Mode
	rng  *rand.Rand
	err  error

	names   map[string]bool
	params  map[*float32]*G.Node // first element of a parameter's storage -> its node
	used    []Param
	inputs  map[*G.Node]*tensor.Dense
	reads   []readback
	grads   map[*float32]*tensor.Dense
	hasLoss bool
	parts   int // how many parts convolutions and activations split their batch into

	vm G.VM
}

type readback struct {
	scalar *G.F32        // target of G.Read for a scalar node
	dst    *tensor.Dense // what the caller reads
}

// NewGraph returns an empty graph in the given mode. The seed drives the
// graph's random draws (dropout masks).
func NewGraph(mode Mode, seed int64) *Graph {
	g := &Graph{
		eg:     G.NewGraph(),
		mode:   mode,
		rng:    rand.New(rand.NewSource(seed)),
		names:  map[string]bool{},
		params: map[*float32]*G.Node{},
		inputs: map[*G.Node]*tensor.Dense{},
		grads:  map[*float32]*tensor.Dense{},
		parts:  batchParts,
	}
	if mode != Train && mode != Infer {
		g.err = fmt.Errorf("nn: unknown graph mode %d", int(mode))
	}
	return g
}

// RunsAlongside tells g, before layers are added, that it is one of n
// graphs that run at once (a trainer's batch shards, see Concurrent). With
// n ≥ 2 its convolutions and activations do not split their batch into
// parts (threads.go): the graphs themselves keep the cores busy, and
// fewer, larger parts cost less per sample, since each is a backend call
// of its own with its own reorders and weight gradient (a GAN training
// step of two shards on two cores ran 5% faster with one part per shard
// than with two, and two had beaten four). The split depends on n alone,
// so results still do not depend on the thread count.
func (g *Graph) RunsAlongside(n int) {
	if n >= 2 {
		g.WholeBatches()
	}
}

// WholeBatches tells g, before layers are added, to keep every layer's
// batch in one part, as RunsAlongside does: for graphs that get their
// parallelism from running several at once, however many a call happens
// to run (a model's pooled inference graphs), so that results depend
// neither on the thread count nor on how many run. One core runs one such
// graph.
func (g *Graph) WholeBatches() { g.parts = 1 }

// Expr returns the underlying gorgonia graph, for operations this package
// does not wrap.
func (g *Graph) Expr() *G.ExprGraph { return g.eg }

// Mode returns the graph's mode.
func (g *Graph) Mode() Mode { return g.mode }

// Training reports whether the graph is in Train mode.
func (g *Graph) Training() bool { return g.mode == Train }

// Err returns the first error met while building or running the graph.
func (g *Graph) Err() error { return g.err }

// Fail records err (wrapped with context) as the graph's error unless one
// is already recorded, and returns nil so a layer can `return g.Fail(...)`.
func (g *Graph) Fail(err error, format string, args ...any) *G.Node {
	if g.err == nil && err != nil {
		g.err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
	}
	return nil
}

// ok reports whether building may go on with the given nodes.
func (g *Graph) ok(nodes ...*G.Node) bool {
	if g.err != nil {
		return false
	}
	for _, n := range nodes {
		if n == nil {
			g.err = errors.New("nn: nil node passed to a layer")
			return false
		}
	}
	return true
}

func (g *Graph) claim(name string) bool {
	if g.names[name] {
		g.Fail(errors.New("name used twice"), "nn: graph node %q", name)
		return false
	}
	g.names[name] = true
	return true
}

func (g *Graph) checkBuilding(what string) bool {
	if g.vm != nil {
		g.Fail(errors.New("graph already compiled"), "nn: %s", what)
		return false
	}
	return g.err == nil
}

// Param returns the node bound to p in this graph, creating it on first
// use. The node reads p's storage directly: updating p.Value in place (as
// Adam and LoadInto do) changes what every graph sees on its next Run.
func (g *Graph) Param(p Param) *G.Node {
	if g.err != nil {
		return nil
	}
	if err := p.check(); err != nil {
		return g.Fail(err, "nn: bind parameter")
	}
	key := &p.Value.Data().([]float32)[0]
	if n, ok := g.params[key]; ok {
		return n
	}
	if !g.checkBuilding("bind parameter "+p.Name) || !g.claim(p.Name) {
		return nil
	}
	n := g.leaf(p.Name, view(p.Value))
	g.params[key] = n
	g.used = append(g.used, p)
	return n
}

// view returns a tensor header over t's storage, so that gorgonia may set
// the header's engine without touching t itself (which other graphs share).
func view(t *tensor.Dense) *tensor.Dense {
	return tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.WithBacking(t.Data()))
}

func (g *Graph) leaf(name string, t *tensor.Dense) *G.Node {
	return G.NewTensor(g.eg, tensor.Float32, t.Dims(), G.WithShape(t.Shape().Clone()...), G.WithName(name), G.WithValue(t))
}

// Input adds an input node of the given shape, backed by a tensor the graph
// owns. Fill it with Feed (or write InputData) before each Run.
func (g *Graph) Input(name string, shape ...int) *G.Node {
	if !g.checkBuilding("add input "+name) || !g.claim(name) {
		return nil
	}
	if err := checkShape(shape); err != nil {
		return g.Fail(err, "nn: input %q", name)
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	n := g.leaf(name, t)
	g.inputs[n] = t
	return n
}

// Const adds a constant float32 tensor node (a copy of data).
func (g *Graph) Const(name string, data []float32, shape ...int) *G.Node {
	n := g.Input(name, shape...)
	if n != nil && g.Feed(n, data) != nil {
		return nil
	}
	return n
}

// Feed copies data into the input node n's tensor.
func (g *Graph) Feed(n *G.Node, data []float32) error {
	dst := g.InputData(n)
	if dst == nil {
		return g.inputErr(n)
	}
	if len(data) != len(dst) {
		return fmt.Errorf("nn: feed %s: %d values, want %d for shape %v", n.Name(), len(data), len(dst), n.Shape())
	}
	copy(dst, data)
	return nil
}

func (g *Graph) inputErr(n *G.Node) error {
	if n == nil {
		return errors.New("nn: feed: nil node")
	}
	return fmt.Errorf("nn: feed %s: not an input of this graph", n.Name())
}

// InputData returns the backing slice of input node n (nil when n is not an
// input of this graph), for writing inputs without an extra copy.
func (g *Graph) InputData(n *G.Node) []float32 {
	t, ok := g.inputs[n]
	if !ok {
		return nil
	}
	return t.Data().([]float32)
}

// Output returns a tensor that holds n's value after each Run. A scalar node
// reads into a tensor of shape (1). Call it before the first Run.
func (g *Graph) Output(n *G.Node) *tensor.Dense {
	if !g.ok(n) || !g.checkBuilding("add output "+n.Name()) {
		return nil
	}
	if n.Dtype() != tensor.Float32 {
		g.Fail(fmt.Errorf("dtype %v", n.Dtype()), "nn: output %s must be float32", n.Name())
		return nil
	}
	if n.IsScalar() {
		rb := readback{scalar: new(G.F32), dst: tensor.New(tensor.WithShape(1), tensor.Of(tensor.Float32))}
		var v G.Value = rb.scalar
		g.readInto(n, &v)
		g.reads = append(g.reads, rb)
		return rb.dst
	}
	dst := tensor.New(tensor.WithShape(n.Shape().Clone()...), tensor.Of(tensor.Float32))
	var v G.Value = dst
	g.readInto(n, &v)
	g.reads = append(g.reads, readback{dst: dst})
	return dst
}

// readInto asks the machine to copy n's value into *v after computing it.
// Copying matters: the machine recycles the memory of intermediate nodes,
// so n.Value() can be overwritten by later instructions of the same run.
func (g *Graph) readInto(n *G.Node, v *G.Value) {
	G.Read(n, v)
}

// Backward adds the gradient of the scalar loss with respect to wrt (every
// parameter bound so far when wrt is empty). After each Run, Grad(p) holds
// dloss/dp. Parameters may be inputs too: bind a latent vector with Param
// and differentiate with respect to it.
func (g *Graph) Backward(loss *G.Node, wrt ...Param) error {
	if !g.ok(loss) || !g.checkBuilding("backward") {
		return g.err
	}
	if g.hasLoss {
		g.Fail(errors.New("Backward called twice"), "nn: backward")
		return g.err
	}
	if !loss.IsScalar() {
		g.Fail(fmt.Errorf("loss has shape %v", loss.Shape()), "nn: backward needs a scalar loss")
		return g.err
	}
	if len(wrt) == 0 {
		wrt = g.used
	}
	nodes := make(G.Nodes, len(wrt))
	for i, p := range wrt {
		if err := p.check(); err != nil {
			g.Fail(err, "nn: backward")
			return g.err
		}
		n, ok := g.params[&p.Value.Data().([]float32)[0]]
		if !ok {
			g.Fail(errors.New("not used in this graph"), "nn: backward wrt %s", p.Name)
			return g.err
		}
		nodes[i] = n
	}
	g.freezeUnreached(nodes)
	if err := g.forwardOnlyReached(loss); err != nil {
		g.Fail(err, "nn: backward")
		return g.err
	}
	grads, err := G.Grad(loss, nodes...)
	if err != nil {
		// The usual cause: a bound parameter that the loss does not depend
		// on (a head used by another output); name the wanted ones in wrt.
		g.Fail(err, "nn: backward (every wrt parameter must affect the loss)")
		return g.err
	}
	for i, p := range wrt {
		dst := tensor.New(tensor.WithShape(p.Value.Shape().Clone()...), tensor.Of(tensor.Float32))
		var v G.Value = dst
		g.readInto(grads[i], &v)
		g.grads[&p.Value.Data().([]float32)[0]] = dst
	}
	g.hasLoss = true
	return nil
}

// freezeUnreached marks, in every kernel op, the inputs that no node of wrt
// reaches. gorgonia builds a gradient op for every differentiable input of
// every node on the path to the loss, including weights that are not being
// trained (inversion, shifting and fold-in differentiate with respect to a
// latent or a user vector only) and the images fed in; for a generator
// differentiated with respect to z alone, those weight gradients were half
// of the backward pass.
func (g *Graph) freezeUnreached(wrt G.Nodes) {
	reached := map[*G.Node]bool{}
	for _, n := range wrt {
		reached[n] = true
	}
	seen := map[*G.Node]bool{}
	var visit func(n *G.Node) bool
	visit = func(n *G.Node) bool {
		if seen[n] {
			return reached[n]
		}
		seen[n] = true
		children := g.children(n)
		for _, c := range children {
			if visit(c) {
				reached[n] = true
			}
		}
		if op, ok := n.Op().(*kernelOp); ok {
			op.frozen = make([]bool, len(children))
			for i, c := range children {
				op.frozen[i] = !reached[c]
			}
		}
		return reached[n]
	}
	for _, n := range g.eg.AllNodes() {
		visit(n)
	}
}

// forwardOnlyReached returns an error naming the first forward-only
// kernel (Kernel.ForwardOnly) on the loss's side of the graph with an
// input that freezeUnreached left unfrozen: one that a wanted parameter
// reaches, so that part of its gradient would have to flow through the
// kernel.
func (g *Graph) forwardOnlyReached(loss *G.Node) error {
	seen := map[*G.Node]bool{}
	stack := []*G.Node{loss}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		if op, ok := n.Op().(*kernelOp); ok && op.k.ForwardOnly && slices.Contains(op.frozen, false) {
			return fmt.Errorf("%s computes no gradients, and a parameter asked for reaches the loss through it", op.k.Name)
		}
		stack = append(stack, g.children(n)...)
	}
	return nil
}

// children returns n's inputs in order.
func (g *Graph) children(n *G.Node) []*G.Node {
	var out []*G.Node
	for it := g.eg.From(n.ID()); it.Next(); {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

// Grad returns the gradient buffer of p filled by each Run, or nil when
// Backward did not ask for it. Its method value has the GradFunc signature
// that Adam.Step takes.
func (g *Graph) Grad(p Param) *tensor.Dense {
	if p.Value == nil || p.Value.Size() == 0 {
		return nil
	}
	d, ok := p.Value.Data().([]float32)
	if !ok {
		return nil
	}
	return g.grads[&d[0]]
}

// Params returns the parameters bound in this graph, in first-use order.
func (g *Graph) Params() []Param { return append([]Param(nil), g.used...) }

// Compile builds the tape machine. Run calls it on first use; call it
// directly to pay the cost up front.
func (g *Graph) Compile() (err error) {
	if g.err != nil || g.vm != nil {
		return g.err
	}
	defer func() {
		// NewTapeMachine panics on compile errors.
		if r := recover(); r != nil {
			g.Fail(fmt.Errorf("%v", r), "nn: compile graph")
			g.vm = nil
			err = g.err
		}
	}()
	g.vm = G.NewTapeMachine(g.eg)
	return nil
}

// Run executes the graph once: forward pass, then the backward pass when
// Backward was called. Outputs and gradients are copied out before it
// returns.
func (g *Graph) Run() error {
	if err := g.Compile(); err != nil {
		return err
	}
	err := g.vm.RunAll()
	g.vm.Reset()
	if err != nil {
		return fmt.Errorf("nn: run graph: %w", err)
	}
	for _, rb := range g.reads {
		if rb.scalar != nil {
			rb.dst.Data().([]float32)[0] = float32(*rb.scalar)
		}
	}
	return nil
}

// Close releases the machine. The graph cannot run afterwards.
func (g *Graph) Close() error {
	if g.vm == nil {
		return nil
	}
	err := g.vm.Close()
	g.vm = nil
	if g.err == nil {
		g.err = errors.New("nn: graph closed")
	}
	return err
}
