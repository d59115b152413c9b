//go:build openblas

package nn

// The netlib BLAS wrapper is cgo; this directive links OpenBLAS into any
// binary built with -tags openblas, so no CGO_LDFLAGS are needed.

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

func init() {
	G.Use(netlib.Implementation{})
}
