//go:build openblas

package nn

// The netlib binding declares the CBLAS prototypes but links no library; the
// directive below links OpenBLAS (Debian: libopenblas-dev) so that
// `go test -tags openblas ./...` needs no CGO_LDFLAGS.
//
// OpenBLAS runs on one thread unless OPENBLAS_NUM_THREADS says otherwise:
// parallelism is ours (threads.go), and OpenBLAS's own threads, spinning on
// sched_yield while they wait for work, took a third of a redesign job's
// time on two cores.

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"os"

	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	G.Use(netlib.Implementation{})
}
