//go:build onednn

// Elementwise functions on oneDNN (eltwise_onednn.h).

#include <stdlib.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "onednn.h"
#include "eltwise_onednn.h"

struct atl_eltwise {
	dnnl_stream_t stream;
	dnnl_memory_t src, dst, ddst, dsrc;
	dnnl_primitive_t fwd, bwd;
};

const char *atl_eltwise_new(atl_eltwise **out, int n, int logistic, float slope, int use_dst) {
	omp_set_num_threads(1);
	const char *e = atl_init();
	if (e) return e;
	atl_eltwise *l = calloc(1, sizeof *l);
	if (!l) return "out of memory";
	*out = l;
	dnnl_dims_t d = {n};
	dnnl_memory_desc_t md;
	ATL_TRY(dnnl_memory_desc_init_by_tag(&md, 1, d, dnnl_f32, dnnl_a));
	ATL_TRY(dnnl_stream_create(&l->stream, atl_engine, dnnl_stream_default_flags));
	dnnl_memory_t *ms[] = {&l->src, &l->dst, &l->ddst, &l->dsrc};
	for (int i = 0; i < 4; i++) ATL_TRY(dnnl_memory_create(ms[i], &md, atl_engine, DNNL_MEMORY_NONE));
	dnnl_eltwise_desc_t fd, bd;
	dnnl_alg_kind_t alg = logistic ? dnnl_eltwise_logistic_use_dst_for_bwd
		: use_dst ? dnnl_eltwise_relu_use_dst_for_bwd : dnnl_eltwise_relu;
	ATL_TRY(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, alg, &md, slope, 0));
	dnnl_primitive_desc_t fpd, bpd;
	ATL_TRY(dnnl_primitive_desc_create(&fpd, &fd, NULL, atl_engine, NULL));
	dnnl_status_t s = dnnl_primitive_create(&l->fwd, fpd);
	if (s == dnnl_success) {
		s = dnnl_eltwise_backward_desc_init(&bd, alg, &md, &md, slope, 0);
		if (s == dnnl_success) s = dnnl_primitive_desc_create(&bpd, &bd, NULL, atl_engine, fpd);
		if (s == dnnl_success) {
			s = dnnl_primitive_create(&l->bwd, bpd);
			dnnl_primitive_desc_destroy(bpd);
		}
	}
	dnnl_primitive_desc_destroy(fpd);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

const char *atl_eltwise_forward(atl_eltwise *l, const float *x, float *y) {
	omp_set_num_threads(1);
	ATL_TRY(dnnl_memory_set_data_handle(l->src, (void *)x));
	ATL_TRY(dnnl_memory_set_data_handle(l->dst, y));
	dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, l->src}, {DNNL_ARG_DST, l->dst}};
	ATL_TRY(dnnl_primitive_execute(l->fwd, l->stream, 2, args));
	return NULL;
}

const char *atl_eltwise_backward(atl_eltwise *l, int use_dst, const float *v, const float *dy, float *dx) {
	omp_set_num_threads(1);
	ATL_TRY(dnnl_memory_set_data_handle(l->src, (void *)v));
	ATL_TRY(dnnl_memory_set_data_handle(l->ddst, (void *)dy));
	ATL_TRY(dnnl_memory_set_data_handle(l->dsrc, dx));
	dnnl_exec_arg_t args[3] = {{use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, l->src}, {DNNL_ARG_DIFF_DST, l->ddst}, {DNNL_ARG_DIFF_SRC, l->dsrc}};
	ATL_TRY(dnnl_primitive_execute(l->bwd, l->stream, 3, args));
	return NULL;
}

void atl_eltwise_free(atl_eltwise *l) {
	if (!l) return;
	dnnl_memory_t ms[] = {l->src, l->dst, l->ddst, l->dsrc};
	for (int i = 0; i < 4; i++) if (ms[i]) dnnl_memory_destroy(ms[i]);
	if (l->fwd) dnnl_primitive_destroy(l->fwd);
	if (l->bwd) dnnl_primitive_destroy(l->bwd);
	if (l->stream) dnnl_stream_destroy(l->stream);
	free(l);
}
