//go:build onednn

package nn

// Elementwise functions (the leaky ReLU and the sigmoid) on oneDNN, over
// contiguous floats; eltwise_onednn.c holds the C.

/*
#include "eltwise_onednn.h"
*/
import "C"

import "runtime"

// oneDNNEltwise is an elementwise function over a fixed number of
// elements.
type oneDNNEltwise struct {
	l        *C.atl_eltwise
	logistic C.int
	useY     C.int // the backward pass reads y (the sigmoid, and a leaky ReLU told so)
}

func newOneDNNEltwise(f eltwiseFunc, n int) (eltwiseOps, error) {
	var l *C.atl_eltwise
	d := &oneDNNEltwise{}
	if f.sigmoid {
		d.logistic = 1
	}
	if f.sigmoid || f.fromOutput {
		d.useY = 1
	}
	msg := C.atl_eltwise_new(&l, C.int(n), d.logistic, C.float(f.slope), d.useY)
	d.l = l
	runtime.SetFinalizer(d, func(d *oneDNNEltwise) { C.atl_eltwise_free(d.l) })
	if err := oneDNNError(f.String(), msg); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *oneDNNEltwise) check(msg *C.char) {
	runtime.KeepAlive(d)
	if msg != nil {
		panic("nn: onednn elementwise: " + C.GoString(msg))
	}
}

func (d *oneDNNEltwise) forward(y, x []float32) { d.check(C.atl_eltwise_forward(d.l, ptr(x), ptr(y))) }

func (d *oneDNNEltwise) backward(dx, x, y, dy []float32) {
	v := x
	if d.useY != 0 {
		v = y
	}
	d.check(C.atl_eltwise_backward(d.l, d.useY, ptr(v), ptr(dy), ptr(dx)))
}
