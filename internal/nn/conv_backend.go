package nn

import (
	"fmt"
	"math"
	"os"
	"sort"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convOps computes one convolution of fixed geometry and batch size: the
// forward pass and the two gradients. A backend (im2col + BLAS, oneDNN)
// implements it; convKernel turns it into a graph op. Buffers are flat NCHW
// (x, y, dx, dy) and OIHW (w, dw); b is nil without bias. With a leaky
// ReLU fused in (slope > 0 at creation), forward writes the activated
// output, and the gradients take dy with respect to the convolution's own
// output (convKernel applies the activation's derivative). Implementations
// keep scratch space and are not safe for concurrent use.
type convOps interface {
	forward(y, x, w, b []float32)
	backwardData(dx, w, dy []float32)
	// backwardWeights writes the weight gradient into dw and, unless db
	// is nil, the bias gradient into db.
	backwardWeights(dw, db, x, dy []float32)
	// shareWeights makes this part of a batch read the weights that
	// owner, another part of the same layer, prepares; prepareWeights
	// (called on the owner before the parts run) brings them into the
	// forward or backward-data pass's layout. A backend that reads the
	// weights as they are does nothing.
	shareWeights(owner convOps)
	prepareWeights(w []float32, backward bool)
}

// convBackends are the compiled-in convolution backends by name: "im2col"
// (Go loops and BLAS: gonum's, or OpenBLAS with -tags openblas) always,
// "onednn" with -tags onednn (conv_onednn.go).
var convBackends = map[string]func(geo convGeom, batch, nOut int, bias bool, slope float32) (convOps, error){"im2col": newIm2colConv}

// upConvBackends are the backends that compute upsampling convolutions
// (upconv.go) as transposed convolutions, by name. geo is the
// convolution's on the upsampled map; a nil result without error means
// the backend does not take this one, and it is upsampled and convolved.
var upConvBackends = map[string]func(geo convGeom, batch, nOut int, bias bool, slope float32) (convOps, error){}

// defaultBackend is the fastest backend compiled in.
var defaultBackend = "im2col"

// Backends lists the backends compiled into this binary.
func Backends() []string {
	names := make([]string, 0, len(convBackends))
	for n := range convBackends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Backend returns the backend that layers added to a graph now use: the
// fastest compiled in, or the one ATELIER_NN_BACKEND names (the
// benchmarks compare backends in one binary this way).
func Backend() string {
	if b := os.Getenv("ATELIER_NN_BACKEND"); b != "" {
		return b
	}
	return defaultBackend
}

// newConvOps returns the backend's convolution of geo, or with up its
// upsampling convolution whose convolution on the upsampled map is geo.
func newConvOps(backend string, geo convGeom, batch, nOut int, bias bool, slope float32, up bool) (convOps, error) {
	mk, ok := convBackends[backend]
	if !ok {
		return nil, fmt.Errorf("backend %q is not compiled in (have %v)", backend, Backends())
	}
	if !up {
		return mk(geo, batch, nOut, bias, slope)
	}
	if mkUp, ok := upConvBackends[backend]; ok {
		ops, err := mkUp(geo, batch, nOut, bias, slope)
		if ops != nil || err != nil {
			return ops, err
		}
	}
	inner, err := mk(geo, batch, nOut, bias, slope)
	if err != nil {
		return nil, err
	}
	return newUpsampledConv(inner, batch, geo.c, geo.h/2, geo.w/2), nil
}

// convKernel is a whole convolution as one op on (x, W[, bias]), or with
// up an upsampling convolution (upconv.go), followed by a leaky ReLU of
// that slope unless slope is 0, computed by the backend's convOps, one per
// part of the batch split into nParts (threads.go): parts run in
// parallel, and the weight gradient adds the parts' in order. The bias
// gradient is a sum over the output gradient, the same for every backend.
func convKernel(inputs []*G.Node, stride, pad int, slope float32, nParts int, up bool) (*Kernel, error) {
	xs, ws := inputs[0].Shape(), inputs[1].Shape()
	batch, nOut := xs[0], ws[0]
	f := 1
	if up {
		f = 2
	}
	geo := newConvGeom(xs[1], f*xs[2], f*xs[3], ws[2], stride, pad)
	bias := len(inputs) == 3
	parts, bounds, err := perPart(batch, nParts, func(n int) (convOps, error) {
		return newConvOps(Backend(), geo, n, nOut, bias, slope, up)
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		p.shareWeights(parts[0])
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, n := range inputs {
		shapes[i] = n.Shape().Clone()
	}
	inSize, outSize := xs[1]*xs[2]*xs[3], nOut*geo.patches
	// part returns samples [bounds[i], bounds[i+1]) of a batch buffer.
	part := func(buf []float32, size, i int) []float32 { return buf[bounds[i]*size : bounds[i+1]*size] }
	var partialDW [][]float32 // the weight gradients of parts 1..n−1
	// The bias gradient comes out of the weight gradient's pass (oneDNN
	// computes it there, reading the output gradient once for both):
	// partialDB holds each part's, biasSum their sum as of run biasRun.
	var (
		partialDB [][]float32
		biasSum   []float32
		biasRun   uint64
	)
	name := fmt.Sprintf("Conv(k%d,s%d,p%d)", geo.k, stride, pad)
	if up {
		name = "Upsample(2)+" + name
	}
	if slope != 0 {
		name += fmt.Sprintf("+LeakyReLU(%g)", slope)
	}
	act, err := newActGrad(slope, bounds, outSize)
	if err != nil {
		return nil, err
	}
	return &Kernel{
		Name: name,
		In:   shapes,
		Out:  tensor.Shape{batch, nOut, geo.oh, geo.ow},
		Forward: func(out []float32, in [][]float32) {
			var b []float32
			if bias {
				b = in[2]
			}
			act.run++
			parts[0].prepareWeights(in[1], false)
			parallel(len(parts), func(i int) {
				parts[i].forward(part(out, outSize, i), part(in[0], inSize, i), in[1], b)
			})
		},
		Backward: []func(dst []float32, in [][]float32, out, gout []float32){
			func(dst []float32, in [][]float32, out, gout []float32) {
				gout = act.grad(out, gout)
				parts[0].prepareWeights(in[1], true)
				parallel(len(parts), func(i int) {
					parts[i].backwardData(part(dst, inSize, i), in[1], part(gout, outSize, i))
				})
			},
			func(dst []float32, in [][]float32, out, gout []float32) {
				gout = act.grad(out, gout)
				if partialDW == nil {
					partialDW = make([][]float32, len(parts))
					for i := 1; i < len(parts); i++ {
						partialDW[i] = make([]float32, len(dst))
					}
					if bias {
						partialDB = make([][]float32, len(parts))
						for i := range partialDB {
							partialDB[i] = make([]float32, nOut)
						}
					}
				}
				partialDW[0] = dst
				parallel(len(parts), func(i int) {
					var db []float32
					if bias {
						db = partialDB[i]
					}
					parts[i].backwardWeights(partialDW[i], db, part(in[0], inSize, i), part(gout, outSize, i))
				})
				for _, p := range partialDW[1:] {
					addTo(dst, p)
				}
				if bias {
					biasSum = append(biasSum[:0], partialDB[0]...)
					for _, p := range partialDB[1:] {
						addTo(biasSum, p)
					}
					biasRun = act.run
				}
			},
			func(dst []float32, _ [][]float32, out, gout []float32) {
				if biasRun == act.run && len(biasSum) == len(dst) {
					copy(dst, biasSum) // the weight gradient's pass of this run made it
					return
				}
				biasGrad(dst, act.grad(out, gout), batch, nOut)
			},
		},
	}, nil
}

// actGrad is the leaky ReLU fused into a convolution, seen from the
// backward pass: the gradient with respect to the convolution's own output,
// dy·f'(y), which all three of its gradients read. It is computed once per
// run of the graph, by whichever gradient runs first, with the backend's
// elementwise ops (the slope is positive, so the output has the sign of
// the convolution's: the derivative is read off the output), over the
// same parts as the convolution.
type actGrad struct {
	parts    []eltwiseOps // nil without activation
	bounds   []int        // of the parts, in floats
	run      uint64       // forward passes so far
	computed uint64       // the run whose dy·f'(y) pre holds
	pre      []float32
}

// newActGrad returns the derivative of a leaky ReLU of that slope (none
// for 0) over the output of a convolution whose parts end at bounds
// (samples) with per floats each.
func newActGrad(slope float32, bounds []int, per int) (*actGrad, error) {
	a := &actGrad{}
	if slope == 0 {
		return a, nil
	}
	mk, ok := eltwiseBackends[Backend()]
	if !ok {
		return nil, fmt.Errorf("backend %q is not compiled in (have %v)", Backend(), Backends())
	}
	f := eltwiseFunc{slope: slope, fromOutput: true}
	for i := range len(bounds) - 1 {
		ops, err := mk(f, (bounds[i+1]-bounds[i])*per)
		if err != nil {
			return nil, err
		}
		a.parts = append(a.parts, ops)
	}
	for _, b := range bounds {
		a.bounds = append(a.bounds, b*per)
	}
	return a, nil
}

// grad returns dy·f'(y) of this run for the activated output y and its
// gradient dy (dy itself without activation).
func (a *actGrad) grad(y, dy []float32) []float32 {
	if a.parts == nil {
		return dy
	}
	if a.computed != a.run || len(a.pre) != len(dy) {
		a.pre = grow(a.pre, len(dy))
		parallel(len(a.parts), func(i int) {
			lo, hi := a.bounds[i], a.bounds[i+1]
			a.parts[i].backward(a.pre[lo:hi], nil, y[lo:hi], dy[lo:hi])
		})
		a.computed = a.run
	}
	return a.pre
}

// biasGrad writes dst[o] = Σ over samples and positions of dy[b, o, ·],
// each plane summed in four lanes (sum).
func biasGrad(dst, dy []float32, batch, nOut int) {
	clear(dst)
	sp := len(dy) / (batch * nOut)
	for p := 0; p < batch*nOut; p++ {
		dst[p%nOut] += float32(sum(dy[p*sp : (p+1)*sp]))
	}
}

// im2colConv is the BLAS backend: the column matrix of a group of samples
// side by side, then one sgemm per group,
//
//	Y (O × n·OH·OW) = W (O × C·K·K) · col (C·K·K × n·OH·OW)
//
// scattered into NCHW; backward uses dcol = Wᵀ·dY (then col2im) and
// dW = dY·colᵀ. One sgemm over many samples keeps the small maps of the
// first layers (16 or 64 positions per sample) from running BLAS on slivers.
// Groups are bounded by colBudget floats of column matrix, so memory stays
// flat as the batch grows.
type im2colConv struct {
	geo         convGeom
	batch, nOut int
	group       int        // samples per sgemm
	leaky       [2]float32 // factors of a fused leaky ReLU by sign bit: 1, slope
	act         bool       // whether one is fused
	col, tmp    []float32
	sgemm       func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// colBudget bounds the column matrix of one group (16 MiB of float32); a
// variable so that tests can cut batches into several groups.
var colBudget = 1 << 22

func newIm2colConv(geo convGeom, batch, nOut int, _ bool, slope float32) (convOps, error) {
	group := max(1, min(batch, colBudget/max(1, geo.ckk*geo.patches)))
	return &im2colConv{geo: geo, batch: batch, nOut: nOut, group: group, sgemm: G.WhichBLAS().Sgemm,
		leaky: [2]float32{1, slope}, act: slope != 0}, nil
}

func (c *im2colConv) shareWeights(convOps)                  {}
func (c *im2colConv) prepareWeights(w []float32, back bool) {}

// columns fills c.col with the column matrix of samples [b0, b0+n) of x,
// sample j in columns [j·P, (j+1)·P), and returns it with its row stride.
func (c *im2colConv) columns(x []float32, b0, n int) []float32 {
	g := c.geo
	if n == 1 && g.direct() {
		return x[b0*g.c*g.h*g.w:][:g.ckk*g.patches]
	}
	c.col = grow(c.col, g.ckk*g.patches*n)
	for j := 0; j < n; j++ {
		g.im2col(c.col[j*g.patches:], n*g.patches, x[(b0+j)*g.c*g.h*g.w:])
	}
	return c.col
}

func (c *im2colConv) forward(y, x, w, b []float32) {
	g := c.geo
	outSize := c.nOut * g.patches
	for b0 := 0; b0 < c.batch; b0 += c.group {
		n := min(c.group, c.batch-b0)
		col := c.columns(x, b0, n)
		ld := n * g.patches
		dst := y[b0*outSize:]
		if n > 1 {
			c.tmp = grow(c.tmp, c.nOut*ld)
			dst = c.tmp
		}
		c.sgemm(blas.NoTrans, blas.NoTrans, c.nOut, ld, g.ckk, 1, w, g.ckk, col, ld, 0, dst, ld)
		for j := 0; j < n; j++ {
			yb := y[(b0+j)*outSize:][:outSize]
			for o := 0; o < c.nOut; o++ {
				row := yb[o*g.patches : (o+1)*g.patches]
				if n > 1 {
					copy(row, dst[o*ld+j*g.patches:][:g.patches])
				}
				if b != nil {
					for i := range row {
						row[i] += b[o]
					}
				}
				if c.act {
					for i, v := range row {
						row[i] = v * c.leaky[math.Float32bits(v)>>31]
					}
				}
			}
		}
	}
}

// gatherDY returns dy of samples [b0, b0+n) as an O × n·P matrix (dy itself
// for one sample).
func (c *im2colConv) gatherDY(dy []float32, b0, n int) []float32 {
	p, outSize := c.geo.patches, c.nOut*c.geo.patches
	if n == 1 {
		return dy[b0*outSize:][:outSize]
	}
	c.tmp = grow(c.tmp, c.nOut*n*p)
	for j := 0; j < n; j++ {
		for o := 0; o < c.nOut; o++ {
			copy(c.tmp[o*n*p+j*p:][:p], dy[(b0+j)*outSize+o*p:][:p])
		}
	}
	return c.tmp
}

func (c *im2colConv) backwardData(dx, w, dy []float32) {
	g := c.geo
	inSize := g.c * g.h * g.w
	for b0 := 0; b0 < c.batch; b0 += c.group {
		n := min(c.group, c.batch-b0)
		ld := n * g.patches
		gt := c.gatherDY(dy, b0, n)
		if n == 1 && g.direct() {
			c.sgemm(blas.Trans, blas.NoTrans, g.ckk, ld, c.nOut, 1, w, g.ckk, gt, ld, 0, dx[b0*inSize:][:inSize], ld)
			continue
		}
		c.col = grow(c.col, g.ckk*ld)
		c.sgemm(blas.Trans, blas.NoTrans, g.ckk, ld, c.nOut, 1, w, g.ckk, gt, ld, 0, c.col, ld)
		for j := 0; j < n; j++ {
			db := dx[(b0+j)*inSize:][:inSize]
			clear(db)
			g.col2im(db, c.col[j*g.patches:], ld)
		}
	}
}

func (c *im2colConv) backwardWeights(dw, db, x, dy []float32) {
	g := c.geo
	if db != nil {
		biasGrad(db, dy, c.batch, c.nOut)
	}
	clear(dw)
	for b0 := 0; b0 < c.batch; b0 += c.group {
		n := min(c.group, c.batch-b0)
		ld := n * g.patches
		col := c.columns(x, b0, n)
		// The column matrix is built before dy is gathered: both may use
		// scratch, but not the same buffer.
		gt := c.gatherDY(dy, b0, n)
		c.sgemm(blas.NoTrans, blas.Trans, c.nOut, g.ckk, ld, 1, gt, ld, col, ld, 1, dw, g.ckk)
	}
}

// grow returns buf with length n, reallocating only when it is too short.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}
