//go:build onednn

// Stacks of conv blocks on oneDNN (chain_onednn.c), as chain_onednn.go
// calls them; each returns NULL or a message saying what failed.

#ifndef ATL_CHAIN_ONEDNN_H
#define ATL_CHAIN_ONEDNN_H

// atl_chain is a stack of conv → group norm → leaky ReLU blocks for one
// batch size, forward only.
typedef struct atl_chain atl_chain;

// atl_chain_new creates a chain of n blocks for batch samples of ch ×
// h × w; block i has o[i] output channels, kernel k[i], stride s[i],
// padding p[i], a bias when bias[i], groups[i] normalisation groups of ε
// eps[i] (0: none) and a leaky ReLU of slope slope[i] (0: none). It
// returns atl_unsupported for a stack it does not take (a normalised
// block whose output layout is not channels in blocks of 8 or 16, or more
// than 20 blocks); *out is then for atl_chain_free.
const char *atl_chain_new(atl_chain **out, int n, int batch, int ch, int h, int w, const int *o, const int *k,
	const int *s, const int *p, const int *bias, const int *groups, const float *eps, const float *slope);

// atl_chain_forward writes y (NCHW) from x (NCHW) with the blocks'
// parameters in order (chainOps.forward).
const char *atl_chain_forward(atl_chain *c, const float *x, float *y, const float **params);

void atl_chain_free(atl_chain *c);

#endif
