//go:build onednn

// Stacks of conv blocks on oneDNN (chain_onednn.h).

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "onednn.h"
#include "chain_onednn.h"

// atl_block is one block of a chain.
typedef struct {
	dnnl_primitive_t conv;
	dnnl_memory_t sp;                 // the scratchpad, lent per call; NULL when none
	dnnl_memory_t wei_user, wei;      // OIHW over the caller's weights; the primitive's copy
	dnnl_primitive_t wei_reorder;     // wei_user -> wei; NULL when the layouts agree (then wei == wei_user)
	dnnl_memory_t bias;               // over the caller's bias; NULL without
	dnnl_memory_t src;                // what the convolution reads
	dnnl_primitive_t src_reorder;     // the previous output (or the input) -> src; NULL when src is that
	dnnl_memory_t dst;                // what it writes
	// The normalisation, over dst in place: groups (0: none) of the
	// channels, blocked blk to a vector (8 or 16).
	long groups, ch, pixels, blk;
	double eps;
	float slope;               // the leaky ReLU's slope after the normalisation; 0: none
	const float *gamma, *beta; // the caller's, for the call
	double *sums;              // 2·ch: per-channel sums, then of squared deviations
	float *scale;              // 3·ch: per-channel group mean, then a and b of y = x·a + b
} atl_block;

// atl_chain is a stack of blocks for one batch size. lent holds the
// memories whose buffers come from atl_pool for the length of a call.
struct atl_chain {
	int n;
	atl_block *b;
	long batch;
	dnnl_stream_t stream;
	dnnl_memory_t x, y;           // the caller's input and output, NCHW
	dnnl_primitive_t y_reorder;   // last dst -> y (a copy where the layouts agree: the smallest map)
	dnnl_memory_t lent[64];
	int nlent;
};

static const char *atl_chain_lend(atl_chain *c, dnnl_memory_t m) {
	if (c->nlent == (int)(sizeof c->lent / sizeof c->lent[0])) return atl_unsupported; // over 20 blocks
	c->lent[c->nlent++] = m;
	return NULL;
}

// atl_new_lent creates memory of md whose buffer is lent per call.
static const char *atl_new_lent(atl_chain *c, const dnnl_memory_desc_t *md, dnnl_memory_t *m) {
	ATL_TRY(dnnl_memory_create(m, md, atl_engine, DNNL_MEMORY_NONE));
	return atl_chain_lend(c, *m);
}

// atl_norm_block returns the channel block size of md when the
// normalisation pass takes it: channels in unpadded blocks of 8 or 16; 0
// otherwise.
static long atl_norm_block(const dnnl_memory_desc_t *md) {
	long b = atl_channel_block(md);
	return b > 1 && md->dims[1] % b == 0 ? b : 0;
}

// atl_block_new creates block i of c, of o output channels, kernel k,
// stride s and padding p over a ch × h × w input that the previous block
// (or the caller) holds in prev, with bias or not, groups normalisation
// groups (0: none), and a leaky ReLU of that slope (0: none).
static const char *atl_block_new(atl_chain *c, atl_block *b, dnnl_memory_t prev, int ch, int h, int w,
	int o, int k, int s, int p, int bias, int groups, float eps, float slope) {
	int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
	dnnl_dims_t ds = {c->batch, ch, h, w}, dw = {o, ch, k, k}, db = {o}, dd = {c->batch, o, oh, ow};
	dnnl_dims_t strides = {s, s}, pad = {p, p};
	dnnl_memory_desc_t as, aw, ad, bia, wei_user;
	ATL_TRY(dnnl_memory_desc_init_by_tag(&as, 4, ds, dnnl_f32, dnnl_format_tag_any));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&aw, 4, dw, dnnl_f32, dnnl_format_tag_any));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&ad, 4, dd, dnnl_f32, dnnl_format_tag_any));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&bia, 1, db, dnnl_f32, dnnl_a));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&wei_user, 4, dw, dnnl_f32, dnnl_oihw));
	dnnl_convolution_desc_t cd;
	// Training's propagation kind, though nothing here trains: on AVX-512
	// oneDNN 2.6 answers an inference convolution with its brgemm kernels
	// in NHWC, which the normalisation pass does not take and which were
	// slower for every layer of φ than the blocked kernels training gets
	// (and NHWC costs a reorder of the input). On AVX2 both get the latter.
	ATL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &as, &aw, bias ? &bia : NULL, &ad, strides, pad, pad));
	dnnl_primitive_attr_t attr;
	const char *e = atl_attr(&attr, groups == 0 ? slope : 0); // after a normalisation, the activation follows it
	if (e) return e;
	dnnl_primitive_desc_t pd;
	dnnl_status_t st = dnnl_primitive_desc_create(&pd, &cd, attr, atl_engine, NULL);
	dnnl_primitive_attr_destroy(attr);
	if (st != dnnl_success) return dnnl_status2str(st);
	const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
	const dnnl_memory_desc_t *wei = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
	const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	const dnnl_memory_desc_t *prev_md;
	b->groups = groups;
	b->ch = o;
	b->pixels = (long)oh * ow;
	b->eps = eps;
	b->slope = slope;
	if (groups > 0 && (b->blk = atl_norm_block(dst)) == 0) e = atl_unsupported;
	if (!e && groups > 0 && (!(b->sums = malloc(2 * o * sizeof *b->sums)) || !(b->scale = malloc(3 * o * sizeof *b->scale)))) e = "out of memory";
	if (!e) e = dnnl_primitive_create(&b->conv, pd) == dnnl_success ? NULL : "creating the convolution";
	if (!e && sp && dnnl_memory_desc_get_size(sp) > 0) e = atl_new_lent(c, sp, &b->sp);
	if (!e && dnnl_memory_create(&b->wei_user, &wei_user, atl_engine, DNNL_MEMORY_NONE) != dnnl_success) e = "weights memory";
	if (!e && dnnl_memory_desc_equal(&wei_user, wei)) {
		b->wei = b->wei_user;
	} else if (!e) {
		if (dnnl_memory_create(&b->wei, wei, atl_engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) e = "weights memory";
		if (!e) e = atl_reorder_new(&wei_user, wei, &b->wei_reorder);
	}
	if (!e && bias && dnnl_memory_create(&b->bias, &bia, atl_engine, DNNL_MEMORY_NONE) != dnnl_success) e = "bias memory";
	if (!e && dnnl_memory_get_memory_desc(prev, &prev_md) != dnnl_success) e = "input memory";
	if (!e && dnnl_memory_desc_equal(prev_md, src)) {
		b->src = prev;
	} else if (!e && !(e = atl_new_lent(c, src, &b->src))) {
		e = atl_reorder_new(prev_md, src, &b->src_reorder);
	}
	if (!e) e = atl_new_lent(c, dst, &b->dst);
	dnnl_primitive_desc_destroy(pd);
	return e;
}

const char *atl_chain_new(atl_chain **out, int n, int batch, int ch, int h, int w, const int *o, const int *k,
	const int *s, const int *p, const int *bias, const int *groups, const float *eps, const float *slope) {
	omp_set_num_threads(1); // see atl_conv_new
	const char *e = atl_init();
	if (e) return e;
	atl_chain *c = calloc(1, sizeof *c);
	if (!c) return "out of memory";
	*out = c;
	c->batch = batch;
	if (!(c->b = calloc(n, sizeof *c->b))) return "out of memory";
	c->n = n;
	ATL_TRY(dnnl_stream_create(&c->stream, atl_engine, dnnl_stream_default_flags));
	dnnl_dims_t dx = {batch, ch, h, w};
	dnnl_memory_desc_t md;
	ATL_TRY(dnnl_memory_desc_init_by_tag(&md, 4, dx, dnnl_f32, dnnl_nchw));
	ATL_TRY(dnnl_memory_create(&c->x, &md, atl_engine, DNNL_MEMORY_NONE));
	dnnl_memory_t prev = c->x;
	for (int i = 0; i < n; i++) {
		if ((e = atl_block_new(c, &c->b[i], prev, ch, h, w, o[i], k[i], s[i], p[i], bias[i], groups[i], eps[i], slope[i]))) return e;
		prev = c->b[i].dst;
		ch = o[i];
		h = (h + 2 * p[i] - k[i]) / s[i] + 1;
		w = (w + 2 * p[i] - k[i]) / s[i] + 1;
	}
	dnnl_dims_t dy = {batch, ch, h, w};
	ATL_TRY(dnnl_memory_desc_init_by_tag(&md, 4, dy, dnnl_f32, dnnl_nchw));
	ATL_TRY(dnnl_memory_create(&c->y, &md, atl_engine, DNNL_MEMORY_NONE));
	const dnnl_memory_desc_t *last;
	ATL_TRY(dnnl_memory_get_memory_desc(prev, &last));
	return atl_reorder_new(last, &md, &c->y_reorder); // a copy at worst, of the smallest map
}

// ATL_GN_LANES(B) defines atl_gn_lanes##B, which adds to sums[l] each
// channel's sum over the pixels of one block of B channels (B a constant,
// so that gcc turns the loop over a block's lanes into vector
// instructions), or with squares set its sum of squared deviations from
// mu[l]. The sums run in B float lanes per 64 pixels, added in double, as
// the per-layer op sums each group (atl_gn_sum); the group statistics are
// the same up to the order of those sums.
#define ATL_GN_LANES(B) \
	ATL_CLONES \
	static void atl_gn_lanes##B(double *restrict sums, const float *restrict x, long pixels, const float *restrict mu, int squares) { \
		for (long p0 = 0; p0 < pixels; p0 += 64) { \
			long p1 = p0 + 64 < pixels ? p0 + 64 : pixels; \
			float lane[B] = {0}; \
			if (squares) { \
				for (long q = p0; q < p1; q++) \
					for (int l = 0; l < B; l++) { \
						float d = x[q * B + l] - mu[l]; \
						lane[l] += d * d; \
					} \
			} else { \
				for (long q = p0; q < p1; q++) \
					for (int l = 0; l < B; l++) lane[l] += x[q * B + l]; \
			} \
			for (int l = 0; l < B; l++) sums[l] += lane[l]; \
		} \
	}
ATL_GN_LANES(8)
ATL_GN_LANES(16)

// atl_gn_pass adds to sums (one per channel) what atl_gn_lanes does for
// every block of bl's output x.
static void atl_gn_pass(const atl_block *bl, double *sums, const float *x, const float *mu, int squares) {
	long px = bl->pixels;
	for (long c = 0; c < bl->ch; c += bl->blk) {
		const float *m = mu ? mu + c : NULL;
		if (bl->blk == 8) atl_gn_lanes8(sums + c, x + c * px, px, m, squares);
		else atl_gn_lanes16(sums + c, x + c * px, px, m, squares);
	}
}

// atl_group_total is the sum of the cpg per-channel sums of the group
// starting at channel g.
static double atl_group_total(const double *sums, long g, long cpg) {
	double t = 0;
	for (long c = g; c < g + cpg; c++) t += sums[c];
	return t;
}

// atl_gn_blocked applies bl's group normalisation and leaky ReLU to one
// sample x of its output, in place, its last step by atl_affine_act.
static void atl_gn_blocked(atl_block *bl, float *x) {
	long ch = bl->ch, cpg = ch / bl->groups;
	double *sums = bl->sums, *sq = bl->sums + ch, m = (double)cpg * bl->pixels;
	float *mu = bl->scale, *a = bl->scale + ch, *b = bl->scale + 2 * ch;
	memset(sums, 0, 2 * ch * sizeof *sums);
	atl_gn_pass(bl, sums, x, NULL, 0);
	for (long g = 0; g < ch; g += cpg) {
		float mean = (float)(atl_group_total(sums, g, cpg) / m);
		for (long c = g; c < g + cpg; c++) mu[c] = mean;
	}
	atl_gn_pass(bl, sq, x, mu, 1);
	for (long g = 0; g < ch; g += cpg) {
		float mean = mu[g], r = (float)(1 / sqrt(atl_group_total(sq, g, cpg) / m + bl->eps));
		for (long c = g; c < g + cpg; c++) {
			a[c] = r * bl->gamma[c];
			b[c] = bl->beta[c] - mean * a[c];
		}
	}
	atl_affine_act(x, ch, bl->pixels, bl->blk, a, b, bl->slope != 0 ? bl->slope : 1);
}

// atl_chain_run is atl_chain_forward once the lent buffers are set.
static const char *atl_chain_run(atl_chain *c, const float **params) {
	for (int i = 0; i < c->n; i++) {
		atl_block *b = &c->b[i];
		ATL_TRY(dnnl_memory_set_data_handle(b->wei_user, (void *)*params++));
		if (b->wei_reorder) {
			dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, b->wei_user}, {DNNL_ARG_TO, b->wei}};
			ATL_TRY(dnnl_primitive_execute(b->wei_reorder, c->stream, 2, ra));
		}
		if (b->bias) ATL_TRY(dnnl_memory_set_data_handle(b->bias, (void *)*params++));
		if (b->src_reorder) {
			dnnl_memory_t prev = i == 0 ? c->x : c->b[i - 1].dst;
			dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, prev}, {DNNL_ARG_TO, b->src}};
			ATL_TRY(dnnl_primitive_execute(b->src_reorder, c->stream, 2, ra));
		}
		dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, b->src}, {DNNL_ARG_WEIGHTS, b->wei}, {DNNL_ARG_DST, b->dst}};
		int n = 3;
		if (b->bias) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, b->bias};
		if (b->sp) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, b->sp};
		ATL_TRY(dnnl_primitive_execute(b->conv, c->stream, n, args));
		if (b->groups == 0) continue;
		b->gamma = *params++;
		b->beta = *params++;
		void *d;
		ATL_TRY(dnnl_memory_get_data_handle(b->dst, &d));
		for (long q = 0; q < c->batch; q++) atl_gn_blocked(b, (float *)d + q * b->ch * b->pixels);
	}
	dnnl_exec_arg_t ya[2] = {{DNNL_ARG_FROM, c->b[c->n - 1].dst}, {DNNL_ARG_TO, c->y}};
	ATL_TRY(dnnl_primitive_execute(c->y_reorder, c->stream, 2, ya));
	return NULL;
}

const char *atl_chain_forward(atl_chain *c, const float *x, float *y, const float **params) {
	omp_set_num_threads(1);
	ATL_TRY(dnnl_memory_set_data_handle(c->x, (void *)x));
	ATL_TRY(dnnl_memory_set_data_handle(c->y, y));
	atl_buf *bufs[sizeof c->lent / sizeof c->lent[0]];
	const char *e = NULL;
	int taken = 0;
	while (taken < c->nlent && !(e = atl_lend_memory(c->lent[taken], &bufs[taken]))) taken++;
	if (!e) e = atl_chain_run(c, params);
	while (taken-- > 0) atl_give(bufs[taken]);
	return e;
}

void atl_chain_free(atl_chain *c) {
	if (!c) return;
	for (int i = 0; c->b && i < c->n; i++) {
		atl_block *b = &c->b[i];
		dnnl_primitive_t ps[] = {b->conv, b->wei_reorder, b->src_reorder};
		for (int j = 0; j < 3; j++) if (ps[j]) dnnl_primitive_destroy(ps[j]);
		if (b->wei && b->wei != b->wei_user) dnnl_memory_destroy(b->wei);
		if (b->src_reorder && b->src) dnnl_memory_destroy(b->src); // else it is the previous block's
		dnnl_memory_t ms[] = {b->sp, b->wei_user, b->bias, b->dst};
		for (int j = 0; j < 4; j++) if (ms[j]) dnnl_memory_destroy(ms[j]);
		free(b->sums);
		free(b->scale);
	}
	free(c->b);
	if (c->y_reorder) dnnl_primitive_destroy(c->y_reorder);
	if (c->x) dnnl_memory_destroy(c->x);
	if (c->y) dnnl_memory_destroy(c->y);
	if (c->stream) dnnl_stream_destroy(c->stream);
	free(c);
}
