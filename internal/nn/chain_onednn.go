//go:build onednn

package nn

// Stacks of blocks (chain.go) on oneDNN: each convolution a forward
// primitive that reads the previous block's output in the layout that
// primitive wrote it, channels in blocks of 8 (AVX2) or 16 (AVX-512);
// each group normalisation and leaky ReLU one pass of our own over that
// layout, in place. Only the stack's input and output are in NCHW. A
// block without normalisation gets its activation as the convolution's
// post-op. As the per-layer ops, a chain runs on the calling thread only.

/*
#include "onednn.h"
#include "chain_onednn.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
)

func init() { chainBackends["onednn"] = newOneDNNChain }

// oneDNNChain is a stack of blocks for one batch size.
type oneDNNChain struct {
	c      *C.atl_chain
	params []*C.float // the parameters' addresses for a call
	pin    runtime.Pinner
}

// newOneDNNChain returns nil for stacks it does not take: a normalised
// block whose output layout is not channels in blocks of 8 or 16.
func newOneDNNChain(layers []chainLayer, batch int) (chainOps, error) {
	n := len(layers)
	o, k, s, p, bias, groups := make([]C.int, n), make([]C.int, n), make([]C.int, n), make([]C.int, n), make([]C.int, n), make([]C.int, n)
	eps, slope := make([]C.float, n), make([]C.float, n)
	nParams := 0
	for i, l := range layers {
		o[i], k[i], s[i], p[i], groups[i] = C.int(l.out), C.int(l.geo.k), C.int(l.geo.s), C.int(l.geo.p), C.int(l.groups)
		eps[i], slope[i] = C.float(l.eps), C.float(l.slope)
		nParams++
		if l.bias {
			bias[i] = 1
			nParams++
		}
		if l.groups > 0 {
			nParams += 2
		}
	}
	g := layers[0].geo
	var c *C.atl_chain
	msg := C.atl_chain_new(&c, C.int(n), C.int(batch), C.int(g.c), C.int(g.h), C.int(g.w),
		&o[0], &k[0], &s[0], &p[0], &bias[0], &groups[0], &eps[0], &slope[0])
	d := &oneDNNChain{c: c, params: make([]*C.float, nParams)}
	runtime.SetFinalizer(d, func(d *oneDNNChain) { C.atl_chain_free(d.c) })
	switch err := oneDNNError("conv blocks", msg); {
	case errors.Is(err, errUnsupported):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return d, nil
}

func (d *oneDNNChain) forward(y, x []float32, params [][]float32) {
	if len(params) != len(d.params) {
		panic(fmt.Sprintf("nn: onednn conv blocks: %d parameters, want %d", len(params), len(d.params)))
	}
	// cgo lets C read Go pointers held in Go memory only when they are
	// pinned.
	for i, p := range params {
		d.params[i] = ptr(p)
		d.pin.Pin(d.params[i])
	}
	msg := C.atl_chain_forward(d.c, ptr(x), ptr(y), &d.params[0])
	d.pin.Unpin()
	runtime.KeepAlive(d)
	if msg != nil {
		panic("nn: onednn conv blocks: " + C.GoString(msg))
	}
}
