//go:build openblas

package nn

// The netlib binding declares the CBLAS prototypes but links no library; the
// directive below links OpenBLAS (Debian: libopenblas-dev) so that
// `go test -tags openblas ./...` needs no CGO_LDFLAGS. Set
// OPENBLAS_NUM_THREADS=1 on small machines: on two shared cores its threads
// only contend.

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

func init() {
	G.Use(netlib.Implementation{})
}
