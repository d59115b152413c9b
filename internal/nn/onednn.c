//go:build onednn

// The engine and the scratch-buffer pool shared by the oneDNN files of
// this package (onednn.h).

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "onednn.h"

dnnl_engine_t atl_engine;

const char atl_unsupported[] = "unsupported";

static pthread_mutex_t atl_engine_mu = PTHREAD_MUTEX_INITIALIZER;

const char *atl_init(void) {
	pthread_mutex_lock(&atl_engine_mu);
	dnnl_status_t s = dnnl_success;
	if (!atl_engine) s = dnnl_engine_create(&atl_engine, dnnl_cpu, 0);
	pthread_mutex_unlock(&atl_engine_mu);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

// atl_pool holds the scratch buffers not in use, most recently returned
// first, shared by every convolution: scratchpads and the blocked copies
// of outputs, which only live for the call that writes them. A call takes
// the most recent buffer of its size (up to twice as large), which the
// previous call of that size on its core likely left warm in the cache:
// the Winograd kernels' scratchpads are 7 to 10 MB, and a buffer per
// convolution and operand, read once per pass, came cold from memory
// every time. The pool holds about as many buffers of a size as calls of
// that size run at once.

static pthread_mutex_t atl_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static atl_buf *atl_pool;

// atl_huge is the size from which pool buffers are aligned to, and ask
// for, transparent huge pages: fewer page faults and TLB misses.
#define ATL_HUGE ((size_t)2 << 20)

// atl_take returns a buffer of at least size bytes, or NULL when out of
// memory.
atl_buf *atl_take(size_t size) {
	pthread_mutex_lock(&atl_pool_mu);
	atl_buf *b = NULL;
	for (atl_buf **p = &atl_pool; *p; p = &(*p)->next) {
		if ((*p)->size >= size && (*p)->size / 2 <= size) {
			b = *p;
			*p = b->next;
			break;
		}
	}
	pthread_mutex_unlock(&atl_pool_mu);
	if (b) return b;
	size_t align = 64, total = 64 + size;
	if (total >= ATL_HUGE) {
		align = ATL_HUGE;
		total = (total + ATL_HUGE - 1) / ATL_HUGE * ATL_HUGE;
	}
	void *p;
	if (posix_memalign(&p, align, total)) return NULL;
	if (align == ATL_HUGE) madvise(p, total, MADV_HUGEPAGE); // a hint: failure changes nothing
	b = p;
	b->size = total - 64;
	return b;
}

void atl_give(atl_buf *b) {
	pthread_mutex_lock(&atl_pool_mu);
	b->next = atl_pool;
	atl_pool = b;
	pthread_mutex_unlock(&atl_pool_mu);
}


long atl_channel_block(const dnnl_memory_desc_t *md) {
	if (md->ndims != 4) return 0;
	dnnl_format_tag_t tags[] = {dnnl_nchw, dnnl_aBcd8b, dnnl_aBcd16b};
	long sizes[] = {1, 8, 16};
	for (int i = 0; i < 3; i++) {
		dnnl_memory_desc_t want;
		if (dnnl_memory_desc_init_by_tag(&want, 4, md->dims, dnnl_f32, tags[i]) == dnnl_success && dnnl_memory_desc_equal(md, &want)) return sizes[i];
	}
	return 0;
}

// ATL_AFFINE(B) defines atl_affine##B, atl_affine_act over one block of B
// channels, B a constant so that gcc turns the loop over a block's lanes
// into vector instructions. The activation is max(v, neg·v): one vector
// instruction, where v > 0 ? v : neg·v stayed scalar, with a branch per
// value.
#define ATL_AFFINE(B) \
	ATL_CLONES \
	static void atl_affine##B(float *restrict x, long px, const float *restrict a, const float *restrict b, float neg) { \
		for (long q = 0; q < px; q++) \
			for (int l = 0; l < B; l++) { \
				float v = x[q * B + l] * a[l] + b[l], w = v * neg; \
				x[q * B + l] = v > w ? v : w; \
			} \
	}
ATL_AFFINE(1)
ATL_AFFINE(8)
ATL_AFFINE(16)

void atl_affine_act(float *x, long chp, long px, long blk, const float *a, const float *b, float neg) {
	for (long c = 0; c < chp; c += blk) {
		float *xc = x + c * px;
		switch (blk) {
		case 1:
			atl_affine1(xc, px, a + c, b + c, neg);
			break;
		case 8:
			atl_affine8(xc, px, a + c, b + c, neg);
			break;
		default:
			atl_affine16(xc, px, a + c, b + c, neg);
		}
	}
}

const char *atl_attr(dnnl_primitive_attr_t *attr, float slope) {
	ATL_TRY(dnnl_primitive_attr_create(attr));
	dnnl_status_t s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
	if (s == dnnl_success && slope != 0) {
		dnnl_post_ops_t po;
		ATL_TRY(dnnl_post_ops_create(&po));
		s = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, slope, 0.0f);
		if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(*attr, po);
		dnnl_post_ops_destroy(po);
	}
	if (s != dnnl_success) {
		dnnl_primitive_attr_destroy(*attr);
		*attr = NULL;
	}
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

const char *atl_reorder_new(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *p) {
	dnnl_primitive_desc_t pd;
	ATL_TRY(dnnl_reorder_primitive_desc_create(&pd, from, atl_engine, to, atl_engine, NULL));
	dnnl_status_t s = dnnl_primitive_create(p, pd);
	dnnl_primitive_desc_destroy(pd);
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}

const char *atl_lend_memory(dnnl_memory_t m, atl_buf **b) {
	const dnnl_memory_desc_t *md;
	*b = NULL;
	ATL_TRY(dnnl_memory_get_memory_desc(m, &md));
	if (!(*b = atl_take(dnnl_memory_desc_get_size(md)))) return "out of memory";
	dnnl_status_t s = dnnl_memory_set_data_handle(m, atl_data(*b));
	if (s != dnnl_success) {
		atl_give(*b);
		*b = NULL;
	}
	return s == dnnl_success ? NULL : dnnl_status2str(s);
}
