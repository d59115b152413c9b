//go:build onednn

// Convolutions and transposed convolutions on oneDNN (conv_onednn.h).

#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "onednn.h"
#include "conv_onednn.h"

// atl_tensor is one operand: user memory in the plain layout over the
// caller's buffer, and the primitive's memory with the reorder between the
// two when the layouts differ (prim == user otherwise). The primitive's
// memory has a buffer of its own, or, when lent is set, one lent from
// atl_pool for the length of a call (see atl_lend).
typedef struct {
	dnnl_memory_t user, prim;
	dnnl_primitive_t reorder; // user->prim for inputs, prim->user for outputs; NULL when equal
	int lent;
} atl_tensor;

// atl_conv is one convolution (or transposed convolution) for one batch
// size: its three primitives, created as the passes are first needed.
struct atl_conv {
	dnnl_stream_t stream;
	dnnl_memory_desc_t src, wei, bia, dst; // plain layouts
	dnnl_dims_t strides, pad;
	int bias;
	// deconv marks a transposed convolution (see atl_conv_new), whose
	// passes are oneDNN's deconvolution primitives.
	int deconv;
	dnnl_alg_kind_t alg; // direct, or Winograd where oneDNN has it for the geometry
	dnnl_alg_kind_t alg_wei; // the weight gradient's: alg, or direct where Winograd's is slower
	dnnl_primitive_desc_t fwd_pd;
	dnnl_primitive_t fwd, bwd_data, bwd_wei;
	// post is the leaky ReLU applied in place to the primitive's output
	// when the convolution cannot fuse it (Winograd takes no post-ops);
	// NULL otherwise.
	dnnl_primitive_t post;
	// affine marks a transposed convolution with a bias or an activation,
	// which atl_affine_act applies in place to its output (act_blk,
	// act_chp and act_px describe that output): oneDNN 2.6 runs the bias
	// and post-ops of its transposed convolutions in reference loops, and
	// a binary add of the bias in one too where the output is blocked by
	// 8 (AVX2), 15 to 30 times slower than the convolution itself. act_b
	// holds the bias padded to act_chp (act_a ones), act_neg the slope (1:
	// none).
	int affine;
	long act_blk, act_chp, act_px;
	float *act_a, *act_b, act_neg;
	// The three primitives' scratchpads (NULL where one needs none), over
	// a buffer from atl_pool for the length of each call. oneDNN's own
	// scratchpad (the library mode) is thread-local and set up on the
	// thread that creates a primitive; the Winograd kernels read it from
	// the thread that runs them, and goroutines move between threads.
	dnnl_memory_t sp_fwd, sp_data, sp_wei;
	// Generations, to reuse a reordered operand within one run of the
	// graph: run counts forward calls; ddst_data and ddst_wei record the
	// run in which the backward-data and backward-weights passes last
	// brought the output gradient into their layouts.
	unsigned long run, ddst_data, ddst_wei;
	atl_tensor f_src, f_wei, f_bia, f_dst;
	atl_tensor d_wei, d_ddst, d_dsrc;
	atl_tensor w_src, w_ddst, w_dwei, w_dbia; // w_dbia with bias only
};

// atl_tensor_init makes t's memories; an output whose primitive layout
// differs from the plain one and that nothing reads after the call (lent)
// gets its buffer per call from atl_pool.
static const char *atl_tensor_init(atl_tensor *t, const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *prim, int input, int lent) {
	ATL_TRY(dnnl_memory_create(&t->user, user, atl_engine, DNNL_MEMORY_NONE));
	if (dnnl_memory_desc_equal(user, prim)) {
		t->prim = t->user;
		return NULL;
	}
	t->lent = lent && !input;
	ATL_TRY(dnnl_memory_create(&t->prim, prim, atl_engine, t->lent ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
	return input ? atl_reorder_new(user, prim, &t->reorder) : atl_reorder_new(prim, user, &t->reorder);
}

static void atl_tensor_free(atl_tensor *t) {
	if (t->reorder) dnnl_primitive_destroy(t->reorder);
	if (t->prim && t->prim != t->user) dnnl_memory_destroy(t->prim);
	if (t->user) dnnl_memory_destroy(t->user);
	memset(t, 0, sizeof *t);
}

static const char *atl_reorder(atl_conv *c, atl_tensor *t, int input) {
	if (!t->reorder) return NULL;
	dnnl_exec_arg_t args[2] = {
		{DNNL_ARG_FROM, input ? t->user : t->prim},
		{DNNL_ARG_TO, input ? t->prim : t->user},
	};
	ATL_TRY(dnnl_primitive_execute(t->reorder, c->stream, 2, args));
	return NULL;
}

// atl_in points t at buf and brings it into the primitive's layout.
static const char *atl_in(atl_conv *c, atl_tensor *t, const float *buf) {
	ATL_TRY(dnnl_memory_set_data_handle(t->user, (void *)buf));
	return atl_reorder(c, t, 1);
}

// atl_lend gives t's primitive memory a buffer from the pool for one call
// when t is lent (*b is NULL otherwise); atl_give returns it.
static const char *atl_lend(atl_tensor *t, atl_buf **b) {
	*b = NULL;
	return t->lent ? atl_lend_memory(t->prim, b) : NULL;
}

// atl_run executes p on args (at most 4) and its scratchpad sp, if any.
static const char *atl_run(atl_conv *c, dnnl_primitive_t p, dnnl_memory_t sp, int n, const dnnl_exec_arg_t *args) {
	dnnl_exec_arg_t all[5];
	memcpy(all, args, n * sizeof *args);
	atl_buf *b = NULL;
	if (sp) {
		const char *e = atl_lend_memory(sp, &b);
		if (e) return e;
		all[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, sp};
	}
	dnnl_status_t s = dnnl_primitive_execute(p, c->stream, n, all);
	if (b) atl_give(b);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

// atl_scratch sets *m to a memory for pd's scratchpad, without a buffer
// (atl_run lends one), or to NULL when it needs none.
static const char *atl_scratch(atl_conv *c, const_dnnl_primitive_desc_t pd, dnnl_memory_t *m) {
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	*m = NULL;
	if (!md || dnnl_memory_desc_get_size(md) == 0) return NULL;
	ATL_TRY(dnnl_memory_create(m, md, atl_engine, DNNL_MEMORY_NONE));
	return NULL;
}

static const char *atl_any(atl_conv *c, dnnl_memory_desc_t *a, dnnl_memory_desc_t *w, dnnl_memory_desc_t *d);

// atl_forward_pd creates c's forward primitive descriptor with algorithm
// alg and, unless slope is 0, a leaky ReLU of that slope fused as a
// post-op. Winograd's algorithm (F(4×4, 3×3): about 2.25 times fewer
// multiply-adds than the direct 3×3 convolution) is there for stride-1 3×3
// layers on AVX-512 CPUs and takes no post-ops; elsewhere it returns
// unimplemented, and the caller falls back to direct. The backward passes
// follow the forward's algorithm.
static dnnl_status_t atl_forward_pd(atl_conv *c, dnnl_alg_kind_t alg, float slope) {
	dnnl_memory_desc_t as, aw, ad;
	if (atl_any(c, &as, &aw, &ad)) return dnnl_runtime_error;
	dnnl_convolution_desc_t cd; // oneDNN's deconvolution_desc_t is the same type
	dnnl_status_t s = (c->deconv ? dnnl_deconvolution_forward_desc_init : dnnl_convolution_forward_desc_init)(
		&cd, dnnl_forward_training, alg, &as, &aw, c->bias && !c->deconv ? &c->bia : NULL, &ad, c->strides, c->pad, c->pad);
	if (s != dnnl_success) return s;
	dnnl_primitive_attr_t attr;
	if (atl_attr(&attr, slope)) return dnnl_runtime_error;
	s = dnnl_primitive_desc_create(&c->fwd_pd, &cd, attr, atl_engine, NULL);
	dnnl_primitive_attr_destroy(attr);
	return s;
}

// atl_post_leaky creates c->post, a leaky ReLU of that slope applied in
// place to the forward primitive's output.
static const char *atl_post_leaky(atl_conv *c, float slope) {
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(c->fwd_pd, dnnl_query_dst_md, 0);
	dnnl_eltwise_desc_t ed;
	ATL_TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, dnnl_eltwise_relu, md, slope, 0));
	dnnl_primitive_desc_t pd;
	ATL_TRY(dnnl_primitive_desc_create(&pd, &ed, NULL, atl_engine, NULL));
	dnnl_status_t s = dnnl_primitive_create(&c->post, pd);
	dnnl_primitive_desc_destroy(pd);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

// atl_affine_init sets up c's bias and leaky ReLU of that slope (0: none)
// as atl_affine_act's, for a transposed convolution; it returns
// atl_unsupported for an output layout that function does not take.
static const char *atl_affine_init(atl_conv *c, float slope) {
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(c->fwd_pd, dnnl_query_dst_md, 0);
	if (!(c->act_blk = atl_channel_block(md))) return atl_unsupported;
	c->affine = 1;
	c->act_chp = md->padded_dims[1];
	c->act_px = md->dims[2] * md->dims[3];
	c->act_neg = slope != 0 ? slope : 1;
	if (!(c->act_a = malloc(c->act_chp * sizeof *c->act_a)) || !(c->act_b = calloc(c->act_chp, sizeof *c->act_b))) return "out of memory";
	for (long i = 0; i < c->act_chp; i++) c->act_a[i] = 1;
	return NULL;
}

const char *atl_conv_new(atl_conv **out, int n, int ch, int h, int w, int o, int k, int s, int p, int bias, float slope, int wino, int deconv) {
	// oneDNN sizes its work split by the thread count at creation: the
	// primitive must be made for the one thread it will run on.
	omp_set_num_threads(1);
	const char *e = atl_init();
	if (e) return e;
	atl_conv *c = calloc(1, sizeof *c);
	if (!c) return "out of memory";
	*out = c;
	c->bias = bias;
	c->deconv = deconv;
	int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
	if (deconv) {
		oh = (h - 1) * s - 2 * p + k;
		ow = (w - 1) * s - 2 * p + k;
	}
	dnnl_dims_t ds = {n, ch, h, w}, dw = {o, ch, k, k}, db = {o}, dd = {n, o, oh, ow};
	c->strides[0] = c->strides[1] = s;
	c->pad[0] = c->pad[1] = p;
	ATL_TRY(dnnl_stream_create(&c->stream, atl_engine, dnnl_stream_default_flags));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&c->src, 4, ds, dnnl_f32, dnnl_nchw));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&c->wei, 4, dw, dnnl_f32, dnnl_oihw));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&c->bia, 1, db, dnnl_f32, dnnl_a));
	ATL_TRY(dnnl_memory_desc_init_by_tag(&c->dst, 4, dd, dnnl_f32, dnnl_nchw));
	if (deconv) {
		// No fused activation (see affine).
		c->alg = dnnl_deconvolution_direct;
		ATL_TRY(atl_forward_pd(c, c->alg, 0));
	} else if ((wino & ATL_WINO) && atl_forward_pd(c, dnnl_convolution_winograd, 0) == dnnl_success) {
		c->alg = dnnl_convolution_winograd;
	} else {
		c->alg = dnnl_convolution_direct;
		ATL_TRY(atl_forward_pd(c, dnnl_convolution_direct, slope));
		slope = 0; // fused
	}
	c->alg_wei = (wino & ATL_WINO_WEIGHTS) || deconv ? c->alg : dnnl_convolution_direct;
	ATL_TRY(dnnl_primitive_create(&c->fwd, c->fwd_pd));
	const dnnl_primitive_desc_t pd = c->fwd_pd;
	if ((e = atl_scratch(c, pd, &c->sp_fwd))) return e;
	if (deconv && (bias || slope != 0)) {
		if ((e = atl_affine_init(c, slope))) return e;
		slope = 0; // applied there
	}
	if (slope != 0 && (e = atl_post_leaky(c, slope))) return e;
	if ((e = atl_tensor_init(&c->f_src, &c->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 1, 0))) return e;
	if ((e = atl_tensor_init(&c->f_wei, &c->wei, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 1, 0))) return e;
	if (bias && !deconv && (e = atl_tensor_init(&c->f_bia, &c->bia, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), 1, 0))) return e;
	return atl_tensor_init(&c->f_dst, &c->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 0, 1);
}

// atl_shared_input sets *m to buf in mine's primitive layout: other's
// memory when other holds this same buffer already reordered in this run
// (other_run == c->run) in the same layout, else mine, reordered now.
static const char *atl_shared_input(atl_conv *c, atl_tensor *mine, atl_tensor *other, unsigned long other_run, const float *buf, dnnl_memory_t *m) {
	*m = mine->prim;
	if (other_run == c->run && other->prim && mine->reorder) {
		const dnnl_memory_desc_t *a, *b;
		ATL_TRY(dnnl_memory_get_memory_desc(mine->prim, &a));
		ATL_TRY(dnnl_memory_get_memory_desc(other->prim, &b));
		if (dnnl_memory_desc_equal(a, b)) {
			*m = other->prim;
			return NULL;
		}
	}
	return atl_in(c, mine, buf);
}

// atl_pick_weights sets *m to the weights in c's primitive layout: the
// owner's (reordered once by atl_conv_prepare before the parts of a batch
// ran, so valid in every part's run) when c is another part with the same
// layout, else c's own. Reordering the weights once per call rather than
// once per part saves most of what the weights cost.
static const char *atl_pick_weights(atl_conv *c, atl_conv *owner, atl_tensor *mine, atl_tensor *theirs, const float *w, dnnl_memory_t *m) {
	if (c == owner) {
		*m = mine->prim;
		return NULL;
	}
	return atl_shared_input(c, mine, theirs, c->run, w, m);
}

static const char *atl_conv_make_bwd_data(atl_conv *c);

const char *atl_conv_prepare(atl_conv *c, int backward, const float *w) {
	omp_set_num_threads(1);
	if (!backward) return atl_in(c, &c->f_wei, w);
	const char *e = atl_conv_make_bwd_data(c);
	return e ? e : atl_in(c, &c->d_wei, w);
}

static const char *atl_conv_forward_lent(atl_conv *c, atl_conv *owner, const float *x, const float *w, const float *b, float *y);

const char *atl_conv_forward(atl_conv *c, atl_conv *owner, const float *x, const float *w, const float *b, float *y) {
	omp_set_num_threads(1);
	c->run++;
	atl_buf *out;
	const char *e = atl_lend(&c->f_dst, &out);
	if (e) return e;
	e = atl_conv_forward_lent(c, owner, x, w, b, y);
	if (out) atl_give(out);
	return e;
}

// atl_conv_forward_lent is atl_conv_forward once the output's buffer is
// lent.
static const char *atl_conv_forward_lent(atl_conv *c, atl_conv *owner, const float *x, const float *w, const float *b, float *y) {
	const char *e;
	dnnl_memory_t wm;
	if ((e = atl_in(c, &c->f_src, x)) || (e = atl_pick_weights(c, owner, &c->f_wei, &owner->f_wei, w, &wm))) return e;
	if (c->f_bia.user && (e = atl_in(c, &c->f_bia, b))) return e;
	ATL_TRY(dnnl_memory_set_data_handle(c->f_dst.user, y));
	dnnl_exec_arg_t args[4] = {
		{DNNL_ARG_SRC, c->f_src.prim}, {DNNL_ARG_WEIGHTS, wm},
		{DNNL_ARG_DST, c->f_dst.prim}, {DNNL_ARG_BIAS, c->f_bia.prim},
	};
	if ((e = atl_run(c, c->fwd, c->sp_fwd, c->f_bia.user ? 4 : 3, args))) return e;
	if (c->affine) {
		if (c->bias) memcpy(c->act_b, b, c->bia.dims[0] * sizeof *b);
		void *d;
		ATL_TRY(dnnl_memory_get_data_handle(c->f_dst.prim, &d));
		long per = c->act_chp * c->act_px;
		for (long q = 0; q < c->dst.dims[0]; q++) atl_affine_act((float *)d + q * per, c->act_chp, c->act_px, c->act_blk, c->act_a, c->act_b, c->act_neg);
	}
	if (c->post) {
		dnnl_exec_arg_t pa[2] = {{DNNL_ARG_SRC, c->f_dst.prim}, {DNNL_ARG_DST, c->f_dst.prim}};
		if ((e = atl_run(c, c->post, NULL, 2, pa))) return e;
	}
	return atl_reorder(c, &c->f_dst, 0);
}

// atl_any fills a, w and d with c's source, weights and destination
// shapes in whatever layout the primitive prefers.
static const char *atl_any(atl_conv *c, dnnl_memory_desc_t *a, dnnl_memory_desc_t *w, dnnl_memory_desc_t *d) {
	ATL_TRY(dnnl_memory_desc_init_by_tag(a, 4, c->src.dims, dnnl_f32, dnnl_format_tag_any));
	ATL_TRY(dnnl_memory_desc_init_by_tag(w, 4, c->wei.dims, dnnl_f32, dnnl_format_tag_any));
	ATL_TRY(dnnl_memory_desc_init_by_tag(d, 4, c->dst.dims, dnnl_f32, dnnl_format_tag_any));
	return NULL;
}

// atl_operand is one operand of a backward primitive: its tensor, its plain
// layout, the query for the primitive's layout, and whether it is read.
typedef struct {
	atl_tensor *t;
	const dnnl_memory_desc_t *user;
	dnnl_query_t query;
	int index; // of the query (the bias is weights 1)
	int input;
} atl_operand;

// atl_backward_pd creates the backward-data (weights = 0) or
// backward-weights (1) primitive descriptor of c with algorithm alg, with
// the forward as its hint.
static const char *atl_backward_pd(atl_conv *c, int weights, dnnl_alg_kind_t alg, dnnl_primitive_desc_t *pd) {
	dnnl_memory_desc_t as, aw, ad;
	const char *e = atl_any(c, &as, &aw, &ad);
	if (e) return e;
	dnnl_convolution_desc_t cd;
	if (weights) {
		// The bias gradient comes with the weights' (one pass over the
		// output gradient for both).
		ATL_TRY((c->deconv ? dnnl_deconvolution_backward_weights_desc_init : dnnl_convolution_backward_weights_desc_init)(
			&cd, alg, &as, &aw, c->bias ? &c->bia : NULL, &ad, c->strides, c->pad, c->pad));
	} else {
		ATL_TRY((c->deconv ? dnnl_deconvolution_backward_data_desc_init : dnnl_convolution_backward_data_desc_init)(
			&cd, alg, &as, &aw, &ad, c->strides, c->pad, c->pad));
	}
	dnnl_primitive_attr_t attr;
	if ((e = atl_attr(&attr, 0))) return e;
	dnnl_status_t s = dnnl_primitive_desc_create(pd, &cd, attr, atl_engine, c->fwd_pd);
	dnnl_primitive_attr_destroy(attr);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

// atl_make_backward creates c's backward-data (weights = 0) or
// backward-weights (1) primitive into *p, with the pass's algorithm (else
// direct), its scratchpad's memory into *sp, and its n operands.
static const char *atl_make_backward(atl_conv *c, int weights, dnnl_primitive_t *p, dnnl_memory_t *sp, int n, const atl_operand *ops) {
	dnnl_primitive_desc_t pd;
	dnnl_alg_kind_t alg = weights ? c->alg_wei : c->alg;
	const char *e = atl_backward_pd(c, weights, alg, &pd);
	if (e && alg == dnnl_convolution_winograd) {
		e = atl_backward_pd(c, weights, dnnl_convolution_direct, &pd);
		if (weights) c->alg_wei = dnnl_convolution_direct;
	}
	if (e) return e;
	dnnl_status_t s = dnnl_primitive_create(p, pd);
	if (s == dnnl_success) e = atl_scratch(c, pd, sp);
	for (int i = 0; s == dnnl_success && !e && i < n; i++) {
		e = atl_tensor_init(ops[i].t, ops[i].user, dnnl_primitive_desc_query_md(pd, ops[i].query, ops[i].index), ops[i].input, 1);
	}
	dnnl_primitive_desc_destroy(pd);
	return s != dnnl_success ? dnnl_status2str(s) : e;
}

static const char *atl_conv_make_bwd_data(atl_conv *c) {
	if (c->bwd_data) return NULL;
	atl_operand ops[3] = {
		{&c->d_wei, &c->wei, dnnl_query_weights_md, 0, 1},
		{&c->d_ddst, &c->dst, dnnl_query_diff_dst_md, 0, 1},
		{&c->d_dsrc, &c->src, dnnl_query_diff_src_md, 0, 0},
	};
	return atl_make_backward(c, 0, &c->bwd_data, &c->sp_data, 3, ops);
}

static const char *atl_conv_make_bwd_weights(atl_conv *c) {
	if (c->bwd_wei) return NULL;
	atl_operand ops[4] = {
		{&c->w_src, &c->src, dnnl_query_src_md, 0, 1},
		{&c->w_ddst, &c->dst, dnnl_query_diff_dst_md, 0, 1},
		{&c->w_dwei, &c->wei, dnnl_query_diff_weights_md, 0, 0},
		{&c->w_dbia, &c->bia, dnnl_query_diff_weights_md, 1, 0},
	};
	return atl_make_backward(c, 1, &c->bwd_wei, &c->sp_wei, c->bias ? 4 : 3, ops);
}

static const char *atl_conv_backward_data_lent(atl_conv *c, atl_conv *owner, const float *w, const float *gy, float *gx);

const char *atl_conv_backward_data(atl_conv *c, atl_conv *owner, const float *w, const float *gy, float *gx) {
	omp_set_num_threads(1);
	const char *e;
	atl_buf *out;
	if ((e = atl_conv_make_bwd_data(c)) || (e = atl_lend(&c->d_dsrc, &out))) return e;
	e = atl_conv_backward_data_lent(c, owner, w, gy, gx);
	if (out) atl_give(out);
	return e;
}

// atl_conv_backward_data_lent is atl_conv_backward_data once its primitive
// exists and the output's buffer is lent.
static const char *atl_conv_backward_data_lent(atl_conv *c, atl_conv *owner, const float *w, const float *gy, float *gx) {
	const char *e;
	dnnl_memory_t wm;
	if ((e = atl_pick_weights(c, owner, &c->d_wei, &owner->d_wei, w, &wm))) return e;
	dnnl_memory_t gm;
	if ((e = atl_shared_input(c, &c->d_ddst, &c->w_ddst, c->ddst_wei, gy, &gm))) return e;
	c->ddst_data = c->run;
	ATL_TRY(dnnl_memory_set_data_handle(c->d_dsrc.user, gx));
	dnnl_exec_arg_t args[3] = {
		{DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_DST, gm}, {DNNL_ARG_DIFF_SRC, c->d_dsrc.prim},
	};
	if ((e = atl_run(c, c->bwd_data, c->sp_data, 3, args))) return e;
	return atl_reorder(c, &c->d_dsrc, 0);
}

static const char *atl_conv_backward_weights_lent(atl_conv *c, const float *x, const float *gy, float *gw, float *gb);

const char *atl_conv_backward_weights(atl_conv *c, const float *x, const float *gy, float *gw, float *gb) {
	omp_set_num_threads(1);
	const char *e;
	if (c->bias && !gb) return "no buffer for the bias gradient";
	if ((e = atl_conv_make_bwd_weights(c))) return e;
	atl_buf *dw = NULL, *db = NULL;
	if (!(e = atl_lend(&c->w_dwei, &dw)) && !(c->bias && (e = atl_lend(&c->w_dbia, &db)))) {
		e = atl_conv_backward_weights_lent(c, x, gy, gw, gb);
	}
	if (dw) atl_give(dw);
	if (db) atl_give(db);
	return e;
}

// atl_conv_backward_weights_lent is atl_conv_backward_weights once its
// primitive exists and the outputs' buffers are lent.
static const char *atl_conv_backward_weights_lent(atl_conv *c, const float *x, const float *gy, float *gw, float *gb) {
	const char *e;
	// The forward pass of this run left x in its layout: reuse it when
	// the layouts agree. The output gradient likewise, when the
	// backward-data pass already brought it into this layout.
	dnnl_memory_t xm, gm;
	if ((e = atl_shared_input(c, &c->w_src, &c->f_src, c->run, x, &xm)) ||
	    (e = atl_shared_input(c, &c->w_ddst, &c->d_ddst, c->ddst_data, gy, &gm))) return e;
	c->ddst_wei = c->run;
	ATL_TRY(dnnl_memory_set_data_handle(c->w_dwei.user, gw));
	dnnl_exec_arg_t args[4] = {
		{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, gm}, {DNNL_ARG_DIFF_WEIGHTS, c->w_dwei.prim},
		{DNNL_ARG_DIFF_BIAS, c->w_dbia.prim},
	};
	if (c->bias) ATL_TRY(dnnl_memory_set_data_handle(c->w_dbia.user, gb));
	if ((e = atl_run(c, c->bwd_wei, c->sp_wei, c->bias ? 4 : 3, args))) return e;
	if (c->bias && (e = atl_reorder(c, &c->w_dbia, 0))) return e;
	return atl_reorder(c, &c->w_dwei, 0);
}

int atl_conv_is_winograd(atl_conv *c) { return c->alg == dnnl_convolution_winograd; }
int atl_conv_weights_winograd(atl_conv *c) { return c->alg_wei == dnnl_convolution_winograd; }

void atl_conv_free(atl_conv *c) {
	if (!c) return;
	atl_tensor *ts[] = {&c->f_src, &c->f_wei, &c->f_bia, &c->f_dst, &c->d_wei, &c->d_ddst, &c->d_dsrc, &c->w_src, &c->w_ddst, &c->w_dwei, &c->w_dbia};
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) atl_tensor_free(ts[i]);
	if (c->fwd) dnnl_primitive_destroy(c->fwd);
	if (c->bwd_data) dnnl_primitive_destroy(c->bwd_data);
	if (c->bwd_wei) dnnl_primitive_destroy(c->bwd_wei);
	if (c->post) dnnl_primitive_destroy(c->post);
	free(c->act_a);
	free(c->act_b);
	dnnl_memory_t sps[] = {c->sp_fwd, c->sp_data, c->sp_wei};
	for (int i = 0; i < 3; i++) if (sps[i]) dnnl_memory_destroy(sps[i]);
	if (c->fwd_pd) dnnl_primitive_desc_destroy(c->fwd_pd);
	if (c->stream) dnnl_stream_destroy(c->stream);
	free(c);
}

