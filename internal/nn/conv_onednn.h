//go:build onednn

// Convolutions and transposed convolutions on oneDNN (conv_onednn.c), as
// conv_onednn.go calls them. Every function runs on the calling thread
// only and returns NULL or a message saying what failed; a failed
// constructor leaves *out for the matching free.

#ifndef ATL_CONV_ONEDNN_H
#define ATL_CONV_ONEDNN_H

typedef struct atl_conv atl_conv;

// What atl_conv_new's wino asks for: Winograd's algorithm for forward and
// backward data, and for the weight gradient as well.
enum { ATL_WINO = 1, ATL_WINO_WEIGHTS = 2 };

// atl_conv_new creates the forward primitive of one convolution and batch
// size, with Winograd's algorithm when wino has ATL_WINO and oneDNN has it
// for the geometry; its weight gradient is Winograd's too when wino also
// has ATL_WINO_WEIGHTS. With deconv set it is a transposed convolution of
// kernel k, stride s and padding p instead: its output is (h−1)·s − 2p + k
// high (and as wide), and its weights are o×ch×k×k as well. A slope other
// than 0 adds a leaky ReLU after the convolution and its bias. For a
// transposed convolution whose output layout atl_affine_act does not take
// it returns atl_unsupported.
const char *atl_conv_new(atl_conv **out, int n, int ch, int h, int w, int o, int k, int s, int p, int bias, float slope, int wino, int deconv);

// atl_conv_prepare brings w into the layout of c's forward (backward = 0)
// or backward-data (1) primitive, for c and the parts that share it.
const char *atl_conv_prepare(atl_conv *c, int backward, const float *w);

// atl_conv_forward writes y from x, the weights w and the bias b (NULL
// without). owner is the convolution whose prepared weights c may read
// (c itself, or the first part of the batch).
const char *atl_conv_forward(atl_conv *c, atl_conv *owner, const float *x, const float *w, const float *b, float *y);

// atl_conv_backward_data writes the input gradient gx from the output
// gradient gy.
const char *atl_conv_backward_data(atl_conv *c, atl_conv *owner, const float *w, const float *gy, float *gx);

// atl_conv_backward_weights writes the weight gradient into gw and, for a
// convolution with bias, the bias gradient into gb.
const char *atl_conv_backward_weights(atl_conv *c, const float *x, const float *gy, float *gw, float *gb);

// atl_conv_is_winograd and atl_conv_weights_winograd tell whether c's
// forward and backward-data passes, and its weight gradient, use
// Winograd's algorithm.
int atl_conv_is_winograd(atl_conv *c);
int atl_conv_weights_winograd(atl_conv *c);

void atl_conv_free(atl_conv *c);

#endif
