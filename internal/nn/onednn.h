//go:build onednn

// What the C of this package's oneDNN build shares: the engine and the
// pool of scratch buffers (onednn.c), and the macros.

#ifndef ATL_ONEDNN_H
#define ATL_ONEDNN_H

#include <stddef.h>
#include <oneapi/dnnl/dnnl.h>

// atl_engine is the process's CPU engine, created by atl_init.
extern dnnl_engine_t atl_engine;

// atl_init creates atl_engine once; it returns NULL or oneDNN's error.
const char *atl_init(void);

// atl_buf is a scratch buffer from the pool: its usable bytes start 64
// bytes after the header (64-byte aligned).
typedef struct atl_buf {
	struct atl_buf *next;
	size_t size; // usable bytes, after the 64-byte header
} atl_buf;

// atl_take returns a buffer of at least size bytes, or NULL when out of
// memory; atl_give returns it to the pool.
atl_buf *atl_take(size_t size);
void atl_give(atl_buf *b);

// atl_data is b's usable memory.
static inline void *atl_data(atl_buf *b) { return (char *)b + 64; }

// ATL_CLONES builds a function for AVX-512, AVX2 and plain x86-64, picked
// at load time by the CPU, so that the binary runs on any amd64 machine
// and gcc still vectorises for the widest registers there are.
#if defined(__x86_64__)
#define ATL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ATL_CLONES
#endif

// atl_lend_memory gives m a buffer from the pool, *b, for one call; the
// caller returns it with atl_give. *b is NULL on failure.
const char *atl_lend_memory(dnnl_memory_t m, atl_buf **b);

// atl_attr creates *attr for a primitive whose scratchpad the caller
// provides (lent per call: oneDNN's own is thread-local, set up on the
// creating thread, and goroutines move between threads) and, unless slope
// is 0, with a leaky ReLU of that slope as its post-op, applied to the
// output in registers.
const char *atl_attr(dnnl_primitive_attr_t *attr, float slope);

// atl_reorder_new creates *p, the reorder from layout from to layout to.
const char *atl_reorder_new(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *p);

// atl_unsupported is the error of a constructor for a layer or stack it
// does not take, which the caller then computes another way;
// atl_is_unsupported tells it from other errors.
extern const char atl_unsupported[];
static inline int atl_is_unsupported(const char *e) { return e == atl_unsupported; }

// atl_channel_block returns the channel block size of a 4-d layout that
// atl_affine_act takes: 1 for NCHW, 8 or 16 for oneDNN's nChw8c and
// nChw16c (channels padded to whole blocks, then n, C/B, H, W, B); 0 for
// any other.
long atl_channel_block(const dnnl_memory_desc_t *md);

// atl_affine_act sets, in place, each value v of one sample of chp
// channels (padded to whole blocks) of px pixels in the layout of block
// blk (atl_channel_block) to max(u, neg·u) with u = v·a[c] + b[c]: an
// affine map per channel and a leaky ReLU of slope neg (neg = 1: none).
void atl_affine_act(float *x, long chp, long px, long blk, const float *a, const float *b, float neg);

#define ATL_TRY(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) return dnnl_status2str(s_); } while (0)

#endif
