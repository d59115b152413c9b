// Package nn holds the neural-network building blocks shared by the
// recommender and the GAN, written on gorgonia with float32 tensors: layers,
// a fixed-shape graph runner, the Adam optimiser and safetensors
// checkpoints.
//
// # Parameters
//
// A Param is a named tensor ("conv1.weight"). Layers create their own
// (NewConv2d, NewLinear, NewGroupNorm, NewEmbedding) and list them with
// Params; a model gathers one list with Collect, and that same list is what
// Adam updates, SaveFile writes and LoadInto fills (checking names and
// shapes against the architecture). Parameters are updated in place, never
// replaced.
//
// # Graphs
//
// gorgonia graphs have static shapes and a VM is not safe to share, so the
// pattern is: build one Graph per (batch size, mode) and per goroutine, once,
// and reuse it for every step.
//
//	g := nn.NewGraph(nn.Train, seed)     // or nn.Infer
//	x := g.Input("x", batch, 3, 64, 64)  // graph-owned input tensor
//	y := model.Forward(g, x)             // layers bind parameters via g.Param
//	loss := ...                          // gorgonia ops on g.Expr() nodes
//	lossOut := g.Output(loss)            // copied out after every Run
//	g.Backward(loss)                     // gradients of every bound parameter
//	for each step {
//		g.Feed(x, pixels)                // or write g.InputData(x) directly
//		g.Run()                          // forward + backward, machine reset
//		opt.Step(g.Grad)                 // Adam reads the gradients
//	}
//
// A node binds a parameter by sharing its storage (not copying it), so a
// training graph and a batch-1 inference graph built over the same model see
// the same weights, and every optimiser step, at once. Several graphs may run
// concurrently over shared parameters as long as nothing updates them
// meanwhile. Gradients with respect to inputs work the same way: bind a
// latent vector as a Param and pass it to Backward (GAN inversion).
//
// Graph building is sticky on errors: a layer that fails records the error
// and returns nil, later layers pass nil through, and Err or Run report the
// first error with the layer's name, so model code need not check each call.
//
// # Layers
//
// Conv2d (NCHW, weights (Out, In, K, K); ForwardLeaky fuses the leaky ReLU
// that follows it; ForwardUpsampled takes its input upsampled by two, a
// 3×3 layer computed as the transposed convolution it equals: see
// upconv.go), Linear, Embedding, LeakyReLU, Sigmoid, Dropout,
// Upsample (nearest neighbour), PixelNorm, GroupNorm, AvgPool,
// GlobalAvgPool, Flatten and Reshape. Each is a Kernel: one gorgonia op
// with hand-written loops (or a backend's primitives) for the forward pass
// and each input's gradient, checked against finite differences in the
// tests. Stacks of ConvBlocks (convolution, group norm, leaky ReLU) are
// added by ForwardBlocks, layer by layer, or in graphs that only run
// forward by InferBlocks: one op without gradients where the backend can
// keep the activations in its own layout throughout (chain.go). Models can add their own kernels with
// Graph.Apply. Every layer except Dropout computes the same function in
// Train and Infer mode; there is deliberately no BatchNorm (gorgonia's
// returns wrong gradients in inference mode, and a new VM resets its
// running statistics).
//
// PixelNorm normalises each pixel's channel vector to unit root mean square:
//
//	y[b,c,s] = x[b,c,s] / √( (1/C) Σ_c' x[b,c',s]² + ε )
//
// GroupNorm normalises each sample over groups of channels, then applies a
// per-channel affine map (Groups = 1 is LayerNorm, Groups = C InstanceNorm):
//
//	μ = mean, σ² = variance of x[b, c ∈ group, ·]
//	y[b,c,s] = γ[c] · (x[b,c,s] − μ) / √(σ² + ε) + β[c]
//
// Its statistics never involve other samples, so batch size and mode do
// not change its output.
//
// # Adam
//
// With gradient g at step t, moments m, v (initially 0), step size lr and
// decoupled weight decay λ (on the parameters AdamConfig.Decay selects,
// by default those of rank ≥ 2):
//
//	m ← β₁·m + (1−β₁)·g        v ← β₂·v + (1−β₂)·g²
//	m̂ = m / (1−β₁ᵗ)            v̂ = v / (1−β₂ᵗ)
//	θ ← θ − lr·( m̂ / (√v̂ + ε) + λ·θ )
//
// BeforeStep hooks see the gradients first (ClipGradNorm); AfterStep hooks
// see the parameters after the update (projections).
//
// # Checkpoints
//
// SaveFile and LoadFile write and read safetensors files (see
// SaveSafetensors for the layout): F32 tensors plus a string metadata map
// for the architecture configuration, written atomically.
//
// # Backends
//
// Convolutions and the elementwise activations are computed by a backend
// chosen when the layer is added to a graph (Backend, Backends):
//
//   - "onednn" (build tag onednn, Debian's libdnnl-dev): oneDNN's
//     convolutions and eltwise primitives, the library PyTorch uses on CPUs.
//     Direct kernels, Winograd's algorithm for 3×3 stride-1 layers whose
//     input channels are a multiple of 16 (its weight gradient on maps
//     under 32 px only), and transposed convolutions for upsampling ones.
//     Operands are reordered to and from oneDNN's blocked layouts around
//     each call; activations stay NCHW between layers, except inside an
//     InferBlocks stack. A fused leaky ReLU is a post-op of the
//     convolution, an in-place eltwise after Winograd's (which takes no
//     post-ops), or, for transposed convolutions, part of our own pass
//     that adds the bias (oneDNN 2.6 runs their bias and post-ops, and a
//     binary add unless both operands are blocked by 16, in slow
//     reference loops).
//     Layers with fewer than eight input channels (images) take their
//     backward-data pass from im2col, which oneDNN's padding to 16
//     channels makes many times slower. This build also runs Adam's update,
//     pixel norm and group norm as C loops (loops_c.go). Its C calling
//     oneDNN lives in .c files, each with a header that is its whole
//     interface to Go (conv_onednn, eltwise_onednn, chain_onednn; the
//     engine and scratch pool they share in onednn.c).
//     oneDNN's kernels and layouts differ by CPU (channels blocked by 16
//     and Winograd's algorithm on AVX-512, by 8 on AVX2), so
//     make test-backends runs these tests as on AVX2 too.
//   - "im2col" (always): the column matrix of a group of samples side by
//     side and one sgemm per group, then Go loops.
//
// The build's fastest backend is the default; ATELIER_NN_BACKEND picks
// another. Matrix products (Linear, and im2col's sgemm) go through
// gorgonia's BLAS: pure Go (gonum) by default, OpenBLAS with -tags openblas
// (libopenblas-dev, on one thread). The Makefile builds with every backend
// installed; one test suite checks each against the im2col one, forward and
// backward, and runs the gradient checks on each (make test-backends).
//
// # Gradients
//
// Graph.Backward builds gradient ops only for inputs that a wrt node
// reaches: a frozen weight (inversion, shifting and fold-in differentiate
// with respect to a latent or a user vector) or an image fed as input gets
// none, where gorgonia alone would compute them all.
//
// # Threads
//
// A layer splits its batch into a fixed number of parts and runs them on
// the calling goroutine and free helpers from one process-wide pool of
// Threads() goroutines (ATELIER_THREADS, default all cores): results for a
// seed are the same on any number of cores, and two jobs in one process
// share the cores. oneDNN runs single-threaded inside each call, so its
// OpenMP threads never spin against ours. Work that runs several graphs at
// once (a trainer's batch shards) starts them with Concurrent, whose
// goroutines count against the same pool, and builds them with
// Graph.RunsAlongside, which keeps their layers whole: the graphs are the
// parallelism.
package nn
