//go:build onednn

package nn

// The oneDNN backend: convolutions through Intel's oneDNN (Debian:
// libdnnl-dev, the library PyTorch uses on CPUs), linked with cgo. oneDNN
// computes direct convolutions in blocked layouts (channels in groups of 8
// or 16, as the CPU's vector width wants), which beats im2col + sgemm by
// several times on the narrow layers and small maps of our networks. Our
// tensors stay NCHW: each call reorders its operands into the primitive's
// layout and the result back, as PyTorch does for plain tensors.
//
// A leaky ReLU that follows a convolution (Conv2d.ForwardLeaky) is fused
// into it as a post-op: applied to the output in registers, it costs no
// pass over memory of its own.
//
// Each call runs on the calling thread only (one OpenMP thread): the
// parallelism of a job is ours (see threads.go), so oneDNN's OpenMP team
// never spin-waits against another job's goroutines, and the result for a
// seed does not depend on how many cores there are.

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include "onednn.h"
#include "conv_onednn.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// errUnsupported is a backend's answer for a layer it does not compute
// (C.atl_unsupported); the caller computes it another way.
var errUnsupported = errors.New("unsupported")

// oneDNNError is the error of a constructor's message msg (nil: none):
// errUnsupported for C.atl_unsupported, else msg under what.
func oneDNNError(what string, msg *C.char) error {
	switch {
	case msg == nil:
		return nil
	case C.atl_is_unsupported(msg) != 0:
		return errUnsupported
	}
	return fmt.Errorf("onednn %s: %s", what, C.GoString(msg))
}

func init() {
	convBackends["onednn"] = newOneDNNConv
	upConvBackends["onednn"] = newOneDNNUpConv
	eltwiseBackends["onednn"] = newOneDNNEltwise
	defaultBackend = "onednn"
}

// oneDNNConv is one convolution geometry and batch size as oneDNN
// primitives. The backward primitives are created on first use, so graphs
// that never differentiate through a layer never pay for them. The parts
// of one layer's batch share the weights in oneDNN's layout: owner (part
// 0) reorders them once per call (prepareWeights), the others read them.
type oneDNNConv struct {
	c     *C.atl_conv
	owner *oneDNNConv
	// data computes the backward-data pass instead of oneDNN for layers
	// with few input channels (an image's three): oneDNN pads them to a
	// vector of 16 and ran 8 to 15 times slower than im2col + sgemm
	// there. nil elsewhere.
	data convOps
}

// fewChannels is the input channel count below which the backward-data
// pass goes to im2col (see oneDNNConv.data).
const fewChannels = 8

func newOneDNNConv(geo convGeom, batch, nOut int, bias bool, slope float32) (convOps, error) {
	d, err := newOneDNNPrimitive(geo, batch, nOut, bias, slope, winogradFor(geo), false)
	if err != nil {
		return nil, err
	}
	if geo.c < fewChannels {
		// The im2col pass applies no activation: convKernel hands
		// backward passes the gradient before the activation.
		if d.data, err = newIm2colConv(geo, batch, nOut, bias, 0); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// newOneDNNPrimitive creates the primitives of the convolution of geo or,
// with deconv, of the transposed one (kernel geo.k, stride geo.s, padding
// geo.p, taking geo.h × geo.w maps).
func newOneDNNPrimitive(geo convGeom, batch, nOut int, bias bool, slope float32, wino int, deconv bool) (*oneDNNConv, error) {
	var c *C.atl_conv
	b, t := C.int(0), C.int(0)
	if bias {
		b = 1
	}
	if deconv {
		t = 1
	}
	msg := C.atl_conv_new(&c, C.int(batch), C.int(geo.c), C.int(geo.h), C.int(geo.w), C.int(nOut),
		C.int(geo.k), C.int(geo.s), C.int(geo.p), b, C.float(slope), C.int(wino), t)
	d := &oneDNNConv{c: c}
	d.owner = d
	runtime.SetFinalizer(d, func(d *oneDNNConv) { C.atl_conv_free(d.c) })
	if err := oneDNNError("convolution", msg); err != nil {
		return nil, err
	}
	return d, nil
}

// oneDNNUpConv is an upsampling convolution as oneDNN's transposed
// convolution of kernel 4, stride 2 and padding 1 (see upconv.go). The
// part that owns the weights (convKernel's first) turns the 3×3 kernel
// into the 4×4 one when the forward pass prepares them, and the other
// parts read its copy.
type oneDNNUpConv struct {
	t     *oneDNNConv
	owner *oneDNNUpConv
	k     []float32 // the owner's 4×4 kernel (O, C, 4, 4), as of its last forward pass
	dk    []float32 // the gradient with respect to it
}

// newOneDNNUpConv takes geo, the 3×3 convolution on the upsampled map
// (Conv2d.ForwardUpsampled checks the kernel, stride and padding); it
// leaves to the upsampled convolution (nil) layers of few input channels,
// as oneDNN is slow there (see fewChannels), and those whose output
// layout atl_affine_act does not take.
func newOneDNNUpConv(geo convGeom, batch, nOut int, bias bool, slope float32) (convOps, error) {
	if geo.c < fewChannels {
		return nil, nil
	}
	small := newConvGeom(geo.c, geo.h/2, geo.w/2, 4, 2, 1)
	t, err := newOneDNNPrimitive(small, batch, nOut, bias, slope, 0, true)
	if errors.Is(err, errUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u := &oneDNNUpConv{t: t, dk: make([]float32, nOut*geo.c*16)}
	u.owner = u
	return u, nil
}

func (u *oneDNNUpConv) shareWeights(owner convOps) {
	if o, ok := owner.(*oneDNNUpConv); ok {
		u.owner = o
		u.t.shareWeights(o.t)
	}
}

// prepareWeights transforms the kernel in the forward pass only: a run's
// backward passes follow its forward pass, with the same weights.
func (u *oneDNNUpConv) prepareWeights(w []float32, backward bool) {
	if !backward {
		if u.k == nil {
			u.k = make([]float32, len(u.dk))
		}
		upKernel(u.k, w)
	}
	u.t.prepareWeights(u.k, backward)
}

func (u *oneDNNUpConv) forward(y, x, _, b []float32) { u.t.forward(y, x, u.owner.k, b) }

func (u *oneDNNUpConv) backwardData(dx, _, dy []float32) { u.t.backwardData(dx, u.owner.k, dy) }

func (u *oneDNNUpConv) backwardWeights(dw, db, x, dy []float32) {
	u.t.backwardWeights(u.dk, db, x, dy)
	upKernelGrad(dw, u.dk)
}

// winograd says whether convolutions try Winograd's algorithm where oneDNN
// has it (3×3, stride 1, AVX-512): the forward and backward-data passes
// 1.5 to 2 times faster on the generator's layers, the weight gradient 1.3
// to 1.5 times. A variable so that tests and benchmarks can compare with
// the direct algorithm.
var winograd = true

// winogradFor returns the passes of convolutions of geo that should try
// Winograd's algorithm (C.ATL_WINO: forward and backward-data;
// C.ATL_WINO_WEIGHTS: also the weight gradient): 3×3, stride 1, input
// channels in multiples of 16 (oneDNN 2.6 also accepts an image's three,
// then runs slower than direct). Winograd's weight gradient only pays on
// maps under 32 px: on the generator's 32-px layers it ran 15–25% slower
// than the direct one inside a training step, where its larger
// transformed operands come cold from memory (per-call times, two
// training runs with ONEDNN_VERBOSE, docs/benchmarks.md).
func winogradFor(geo convGeom) int {
	if !winograd || geo.k != 3 || geo.s != 1 || geo.c%16 != 0 {
		return 0
	}
	if geo.oh*geo.ow >= winogradWeightsMaxPixels {
		return C.ATL_WINO
	}
	return C.ATL_WINO | C.ATL_WINO_WEIGHTS
}

// winogradWeightsMaxPixels is the output map size (pixels) from which a
// convolution's weight gradient is direct even where its other passes are
// Winograd's (see winogradFor).
const winogradWeightsMaxPixels = 32 * 32

// usesWinograd reports whether the forward primitive is Winograd's.
func (d *oneDNNConv) usesWinograd() bool {
	return C.atl_conv_is_winograd(d.c) != 0
}

// weightsWinograd reports whether the weight gradient's primitive is
// (or, before the first backward pass, is to be) Winograd's.
func (d *oneDNNConv) weightsWinograd() bool {
	return C.atl_conv_weights_winograd(d.c) != 0
}

func ptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// check panics on a oneDNN failure at run time: shapes were validated when
// the primitives were created, so a failure here is a broken invariant
// (out of memory at worst), like an index out of range.
func (d *oneDNNConv) check(msg *C.char) {
	runtime.KeepAlive(d)
	if msg != nil {
		panic("nn: onednn convolution: " + C.GoString(msg))
	}
}

func (d *oneDNNConv) shareWeights(owner convOps) {
	if o, ok := owner.(*oneDNNConv); ok {
		d.owner = o
	}
}

func (d *oneDNNConv) prepareWeights(w []float32, backward bool) {
	b := C.int(0)
	if backward {
		if d.data != nil {
			return // im2col reads the weights as they are
		}
		b = 1
	}
	d.check(C.atl_conv_prepare(d.c, b, ptr(w)))
}

func (d *oneDNNConv) forward(y, x, w, b []float32) {
	d.check(C.atl_conv_forward(d.c, d.owner.c, ptr(x), ptr(w), ptr(b), ptr(y)))
	runtime.KeepAlive(d.owner)
}

func (d *oneDNNConv) backwardData(dx, w, gy []float32) {
	if d.data != nil {
		d.data.backwardData(dx, w, gy)
		return
	}
	d.check(C.atl_conv_backward_data(d.c, d.owner.c, ptr(w), ptr(gy), ptr(dx)))
	runtime.KeepAlive(d.owner)
}

func (d *oneDNNConv) backwardWeights(dw, db, x, gy []float32) {
	d.check(C.atl_conv_backward_weights(d.c, ptr(x), ptr(gy), ptr(dw), ptr(db)))
}
