package nn

// Hot loops of the layers and the optimiser that are not convolutions,
// as replaceable functions: the Go versions here always, and versions in C
// (loops_c.go) in the oneDNN build, where a C compiler is at hand anyway
// and vectorises them (Go's compiler does not: the square roots and
// divisions of an Adam step, one at a time, bound it). Results agree with
// the Go versions within float32 rounding; a seed still gives the same
// numbers at any thread count, since each loop's split does not depend
// on it.
var (
	// adamLoop is adamUpdate.
	adamLoop = adamUpdate
	// pixelNormLoop and pixelNormGradLoop are pixelNormSamples and
	// pixelNormSamplesGrad.
	pixelNormLoop     = pixelNormSamples
	pixelNormGradLoop = pixelNormSamplesGrad
	// groupNormLoop is groupNormSamples, and the others its gradients.
	groupNormLoop      = groupNormSamples
	groupNormGradLoop  = groupNormSamplesGrad
	groupNormGammaLoop = groupNormGammaGrad
	groupNormBetaLoop  = groupNormBetaGrad
)
