/*
 * gemm.h — float32 matrix products for the transformer layers.
 *
 * Two shapes of work:
 *  - gemm_linear: Y = X · Wᵀ + b for a Linear layer whose weight W is [n][k] row-major (PyTorch's
 *    out × in layout). W is packed once at model load (gemm_weights_pack) into the panel layout of
 *    the micro-kernel picked for this CPU, so the hot loop streams it; the product is split over
 *    the pool's workers. Flags fuse the epilogue: add into Y (residual), quick_gelu or erf-gelu.
 *  - gemm_nt / gemm_nn: small single-threaded products on unpacked operands (attention scores
 *    Q·Kᵀ and probabilities·V), called from inside an already-parallel loop.
 * The kernel (AVX-512, AVX2 or scalar) is chosen once from CPUID (cpu.h); every kernel gives the
 * same results as the scalar reference up to float rounding.
 */
#ifndef VT_TENSOR_GEMM_H
#define VT_TENSOR_GEMM_H

#include "base/error.h"
#include "base/pool.h"

enum gemm_flags {
    GEMM_ACCUMULATE = 1, /* Y += X·Wᵀ + b instead of Y = X·Wᵀ + b (residual connection) */
    GEMM_QUICK_GELU = 2, /* then y = y · sigmoid(1.702 y) (CLIP's quick_gelu) */
    GEMM_GELU = 4        /* then y = 0.5 y (1 + erf(y / √2)) (exact GELU) */
};

typedef struct gemm_weights gemm_weights; /* a packed [n][k] weight matrix */

/* gemm_weights_pack: packs w ([n][k] row-major, borrowed: only read during the call) for the
 * current kernel. *out is owned by the caller (gemm_weights_free). VT_ENOMEM on failure. */
int gemm_weights_pack(const float *w, int n, int k, gemm_weights **out);

/* gemm_weights_free: releases packed weights. NULL is accepted. */
void gemm_weights_free(gemm_weights *w);

/* gemm_weights_n / gemm_weights_k: the shape. Cannot fail. */
int gemm_weights_n(const gemm_weights *w);
int gemm_weights_k(const gemm_weights *w);

/* gemm_linear: y[i][j] (=|+=) Σ_p x[i][p]·W[j][p] + bias[j] for i < m, j < n, then the activation
 * in flags. x is m × k with row stride ldx, y is m × n with row stride ldy (y must not overlap x);
 * bias may be NULL. Work is split over pool (NULL = the calling thread). Cannot fail: any scratch
 * it needs lives on the stack or in the packed weights (~128 KiB of stack per thread; see
 * gemm.c). With GEMM_ACCUMULATE and an activation, y = act(y_old + x·Wᵀ + b). */
void gemm_linear(vt_pool *pool, int m, const float *x, int ldx, const gemm_weights *w,
                 const float *bias, float *y, int ldy, int flags);

/* gemm_nt: c[i][j] = alpha · Σ_p a[i][p]·b[j][p] (A: m × k, B: n × k, both row-major with strides
 * lda, ldb; C: m × n with stride ldc). Single-threaded. Cannot fail. */
void gemm_nt(int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
             float *c, int ldc);

/* gemm_nn: c[i][j] = Σ_p a[i][p]·b[p][j] (A: m × k, B: k × n, C: m × n, row-major with strides).
 * Single-threaded. Cannot fail. */
void gemm_nn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
             int ldc);

/* gemm_kernel_name: "avx512", "avx2" or "scalar" — the kernel in use. */
const char *gemm_kernel_name(void);

/* gemm_force_kernel: tests only — use the named kernel ("scalar", "avx2", "avx512") for packing
 * and products from now on, if this CPU has it. Returns 0 on success, -1 if unavailable.
 * Weights packed under one kernel must be used under the same kernel. */
int gemm_force_kernel(const char *name);

#endif
