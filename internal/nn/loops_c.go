//go:build onednn

package nn

// The hot loops of loops.go in C, for the oneDNN build. gcc vectorises
// them, for each kind of x86-64 CPU (ATL_CLONES, onednn.h).

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
// Without errno to set, sqrtf is one vector instruction.
#pragma GCC optimize("no-math-errno")
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onednn.h"

ATL_CLONES
static void atl_adam(float *restrict theta, const float *restrict g, float *restrict m, float *restrict v, long n,
	float b1, float b2, float lrt, float eps, float shrink) {
	for (long j = 0; j < n; j++) {
		float mj = b1 * m[j] + (1 - b1) * g[j];
		float vj = b2 * v[j] + (1 - b2) * g[j] * g[j];
		m[j] = mj;
		v[j] = vj;
		theta[j] = theta[j] * shrink - lrt * mj / (sqrtf(vj) + eps);
	}
}

// atl_pn_scales fills r[s] = 1/√(mean_c x² + ε) for one sample.
ATL_CLONES
static void atl_pn_scales(float *restrict r, const float *restrict x, long ch, long sp, float eps) {
	float inv = 1.0f / (float)ch;
	memset(r, 0, sp * sizeof *r);
	for (long c = 0; c < ch; c++) {
		const float *xc = x + c * sp;
		for (long i = 0; i < sp; i++) r[i] += xc[i] * xc[i];
	}
	for (long i = 0; i < sp; i++) r[i] = 1.0f / sqrtf(r[i] * inv + eps);
}

ATL_CLONES
static int atl_pn(float *restrict y, const float *restrict x, long n, long ch, long sp, float eps) {
	float *r = malloc(sp * sizeof *r);
	if (!r) return -1;
	for (long b = 0; b < n; b++) {
		const float *xb = x + b * ch * sp;
		float *yb = y + b * ch * sp;
		atl_pn_scales(r, xb, ch, sp, eps);
		for (long c = 0; c < ch; c++) {
			const float *xc = xb + c * sp;
			float *yc = yb + c * sp;
			for (long i = 0; i < sp; i++) yc[i] = xc[i] * r[i];
		}
	}
	free(r);
	return 0;
}

ATL_CLONES
static int atl_pn_grad(float *restrict dx, const float *restrict x, const float *restrict g, long n, long ch, long sp, float eps) {
	float inv = 1.0f / (float)ch;
	float *r = malloc(2 * sp * sizeof *r);
	if (!r) return -1;
	float *dot = r + sp;
	for (long b = 0; b < n; b++) {
		const float *xb = x + b * ch * sp, *gb = g + b * ch * sp;
		float *db = dx + b * ch * sp;
		atl_pn_scales(r, xb, ch, sp, eps);
		memset(dot, 0, sp * sizeof *dot);
		for (long c = 0; c < ch; c++) {
			const float *xc = xb + c * sp, *gc = gb + c * sp;
			for (long i = 0; i < sp; i++) dot[i] += xc[i] * gc[i];
		}
		for (long i = 0; i < sp; i++) dot[i] *= r[i] * r[i] * r[i] * inv;
		for (long c = 0; c < ch; c++) {
			const float *xc = xb + c * sp, *gc = gb + c * sp;
			float *dc = db + c * sp;
			for (long i = 0; i < sp; i++) dc[i] = r[i] * gc[i] - xc[i] * dot[i];
		}
	}
	free(r);
	return 0;
}

// ATL_GN_SUM defines a function returning the sum of term over m floats
// v = x[i] (the term may use mu): 16 float lanes per block of 64, blocks
// added in double, as the Go sums do with 4 lanes (reduce.go). atl_gn_sum
// sums x[i], atl_gn_sumsq (x[i] − mu)². Two functions rather than one
// with a flag: gcc left the one with the flag scalar (three times slower).
#define ATL_GN_SUM(name, term) \
	ATL_CLONES \
	static double name(const float *restrict x, long m, float mu) { \
		double total = 0; \
		for (long b = 0; b < m; b += 64) { \
			long n = m - b < 64 ? m - b : 64; \
			float lane[16] = {0}, acc = 0; \
			long i = 0; \
			for (; i + 16 <= n; i += 16) \
				for (int l = 0; l < 16; l++) { \
					float v = x[b + i + l]; \
					lane[l] += (term); \
				} \
			for (; i < n; i++) { \
				float v = x[b + i]; \
				acc += (term); \
			} \
			for (int l = 0; l < 16; l++) acc += lane[l]; \
			total += acc; \
		} \
		return total; \
	}
ATL_GN_SUM(atl_gn_sum, v)
ATL_GN_SUM(atl_gn_sumsq, (v - mu) * (v - mu))

// atl_gn_dotdev returns Σ g[i]·(x[i] − mu) over m floats, summed as
// ATL_GN_SUM's.
ATL_CLONES
static double atl_gn_dotdev(const float *restrict g, const float *restrict x, long m, float mu) {
	double total = 0;
	for (long b = 0; b < m; b += 64) {
		long n = m - b < 64 ? m - b : 64;
		float lane[16] = {0}, acc = 0;
		long i = 0;
		for (; i + 16 <= n; i += 16)
			for (int l = 0; l < 16; l++) lane[l] += g[b + i + l] * (x[b + i + l] - mu);
		for (; i < n; i++) acc += g[b + i] * (x[b + i] - mu);
		for (int l = 0; l < 16; l++) acc += lane[l];
		total += acc;
	}
	return total;
}

// atl_gn_stats sets *mu and *r to the mean and 1/√(σ²+ε) of m floats.
static void atl_gn_stats(const float *x, long m, double eps, double *mu, double *r) {
	*mu = atl_gn_sum(x, m, 0) / m;
	*r = 1 / sqrt(atl_gn_sumsq(x, m, (float)*mu) / m + eps);
}

// atl_gn_grad writes dx from g = dL/dy (groupNormSamplesGrad).
ATL_CLONES
static void atl_gn_grad(float *restrict dx, const float *restrict x, const float *restrict g, const float *gamma,
	long n, long groups, long cpg, long sp, double eps) {
	long m = cpg * sp;
	for (long q = 0; q < n * groups; q++) {
		const float *xq = x + q * m, *gq = g + q * m;
		double mu, r;
		atl_gn_stats(xq, m, eps, &mu, &r);
		long c0 = (q % groups) * cpg;
		double sh = 0, shx = 0;
		for (long c = 0; c < cpg; c++) {
			double gm = gamma[c0 + c];
			sh += gm * atl_gn_sum(gq + c * sp, sp, 0);
			shx += gm * atl_gn_dotdev(gq + c * sp, xq + c * sp, sp, (float)mu) * r;
		}
		float off = (float)(r * sh / m), slope = (float)(r * r * shx / m), fmu = (float)mu;
		for (long c = 0; c < cpg; c++) {
			float gm = (float)r * gamma[c0 + c];
			const float *gc = gq + c * sp, *xc = xq + c * sp;
			float *dc = dx + q * m + c * sp;
			for (long i = 0; i < sp; i++) dc[i] = gm * gc[i] - off - (xc[i] - fmu) * slope;
		}
	}
}

// atl_gn_dgamma writes dγ (groupNormGammaGrad).
static void atl_gn_dgamma(float *dgamma, const float *x, const float *g, long n, long groups, long cpg, long sp, double eps) {
	long m = cpg * sp;
	memset(dgamma, 0, groups * cpg * sizeof *dgamma);
	for (long q = 0; q < n * groups; q++) {
		const float *xq = x + q * m, *gq = g + q * m;
		double mu, r;
		atl_gn_stats(xq, m, eps, &mu, &r);
		long c0 = (q % groups) * cpg;
		for (long c = 0; c < cpg; c++) dgamma[c0 + c] += (float)(atl_gn_dotdev(gq + c * sp, xq + c * sp, sp, (float)mu) * r);
	}
}

// atl_gn_dbeta writes dβ (groupNormBetaGrad).
static void atl_gn_dbeta(float *dbeta, const float *g, long n, long ch, long sp) {
	memset(dbeta, 0, ch * sizeof *dbeta);
	for (long p = 0; p < n * ch; p++) dbeta[p % ch] += (float)atl_gn_sum(g + p * sp, sp, 0);
}

// atl_gn writes y = GroupNorm(x) for n samples of groups groups of cpg
// channels of sp pixels (groupNormSamples).
ATL_CLONES
static void atl_gn(float *restrict y, const float *restrict x, const float *gamma, const float *beta,
	long n, long groups, long cpg, long sp, double eps) {
	long m = cpg * sp;
	for (long q = 0; q < n * groups; q++) {
		const float *xq = x + q * m;
		double mu, r;
		atl_gn_stats(xq, m, eps, &mu, &r);
		long c0 = (q % groups) * cpg;
		for (long c = 0; c < cpg; c++) {
			float a = (float)r * gamma[c0 + c];
			float b = beta[c0 + c] - (float)mu * a;
			const float *xc = xq + c * sp;
			float *yc = y + q * m + c * sp;
			for (long i = 0; i < sp; i++) yc[i] = xc[i] * a + b;
		}
	}
}
*/
import "C"

func init() {
	adamLoop = adamUpdateC
	pixelNormLoop = pixelNormSamplesC
	pixelNormGradLoop = pixelNormSamplesGradC
	groupNormLoop = groupNormSamplesC
	groupNormGradLoop = groupNormSamplesGradC
	groupNormGammaLoop = groupNormGammaGradC
	groupNormBetaLoop = groupNormBetaGradC
}

func groupNormSamplesC(y, x, gamma, beta []float32, n, groups, cpg, sp int, eps float64) {
	size := n * groups * cpg * sp
	if size == 0 {
		return
	}
	_, _, _, _ = y[size-1], x[size-1], gamma[groups*cpg-1], beta[groups*cpg-1]
	C.atl_gn(ptr(y), ptr(x), ptr(gamma), ptr(beta), C.long(n), C.long(groups), C.long(cpg), C.long(sp), C.double(eps))
}

func groupNormSamplesGradC(dx, x, g, gamma []float32, n, groups, cpg, sp int, eps float64) {
	size := n * groups * cpg * sp
	if size == 0 {
		return
	}
	_, _, _, _ = dx[size-1], x[size-1], g[size-1], gamma[groups*cpg-1]
	C.atl_gn_grad(ptr(dx), ptr(x), ptr(g), ptr(gamma), C.long(n), C.long(groups), C.long(cpg), C.long(sp), C.double(eps))
}

func groupNormGammaGradC(dgamma, x, g []float32, n, groups, cpg, sp int, eps float64) {
	size := n * groups * cpg * sp
	if size == 0 {
		clear(dgamma)
		return
	}
	_, _, _ = dgamma[groups*cpg-1], x[size-1], g[size-1]
	C.atl_gn_dgamma(ptr(dgamma), ptr(x), ptr(g), C.long(n), C.long(groups), C.long(cpg), C.long(sp), C.double(eps))
}

func groupNormBetaGradC(dbeta, g []float32, n, ch, sp int) {
	if n*ch*sp == 0 {
		clear(dbeta)
		return
	}
	_, _ = dbeta[ch-1], g[n*ch*sp-1]
	C.atl_gn_dbeta(ptr(dbeta), ptr(g), C.long(n), C.long(ch), C.long(sp))
}

func adamUpdateC(theta, g, m, v []float32, b1, b2, lrt, eps, shrink float32) {
	n := len(theta)
	if n == 0 {
		return
	}
	g, m, v = g[:n], m[:n], v[:n]
	C.atl_adam(ptr(theta), ptr(g), ptr(m), ptr(v), C.long(n), C.float(b1), C.float(b2), C.float(lrt), C.float(eps), C.float(shrink))
}

func pixelNormSamplesC(y, x []float32, n, ch, sp int, eps float32) {
	if n*ch*sp == 0 {
		return
	}
	_, _ = y[n*ch*sp-1], x[n*ch*sp-1]
	if C.atl_pn(ptr(y), ptr(x), C.long(n), C.long(ch), C.long(sp), C.float(eps)) != 0 {
		panic("nn: pixel norm: out of memory")
	}
}

func pixelNormSamplesGradC(dx, x, g []float32, n, ch, sp int, eps float32) {
	if n*ch*sp == 0 {
		return
	}
	_, _, _ = dx[n*ch*sp-1], x[n*ch*sp-1], g[n*ch*sp-1]
	if C.atl_pn_grad(ptr(dx), ptr(x), ptr(g), C.long(n), C.long(ch), C.long(sp), C.float(eps)) != 0 {
		panic("nn: pixel norm: out of memory")
	}
}
