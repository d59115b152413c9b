//go:build onednn

// Elementwise functions on oneDNN (eltwise_onednn.c), as
// eltwise_onednn.go calls them; each returns NULL or oneDNN's error.

#ifndef ATL_ELTWISE_ONEDNN_H
#define ATL_ELTWISE_ONEDNN_H

// atl_eltwise is an elementwise function over n contiguous floats, forward
// and backward: oneDNN's relu with a negative slope (the leaky ReLU; its
// backward reads x, or y with use_dst: the sign is the same) or its
// logistic (the sigmoid; its backward reads y).
typedef struct atl_eltwise atl_eltwise;

const char *atl_eltwise_new(atl_eltwise **out, int n, int logistic, float slope, int use_dst);
const char *atl_eltwise_forward(atl_eltwise *l, const float *x, float *y);

// atl_eltwise_backward reads v = x for the leaky ReLU, v = y for the sigmoid.
const char *atl_eltwise_backward(atl_eltwise *l, int use_dst, const float *v, const float *dy, float *dx);

void atl_eltwise_free(atl_eltwise *l);

#endif
