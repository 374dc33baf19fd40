/*
 * gemm_int.h — private to gemm*.c: the table a GEMM kernel fills in, and the buffer sizes the
 * driver (gemm.c) and the micro-kernels (gemm_scalar.c, gemm_avx2.c, gemm_avx512.c) agree on.
 *
 * The driver owns packing, blocking, threading and the activation pass; a kernel owns one
 * micro-tile product and the small unpacked products (gemm_nt / gemm_nn). The layouts a
 * micro-kernel reads (see gemm.c for the full essay):
 *
 *   packed W ("B"), built once:   [n_panels][k][nr]   panel j holds W rows j·nr … j·nr+nr-1,
 *                                                      column-interleaved, zero-padded past n
 *   packed X block ("A"), per task, on the stack:
 *                                 [mr_rows][lda]      row r = x[i0+r][pc … pc+kc-1]; lda > kc is a
 *                                                      compile-time constant of the kernel so the
 *                                                      micro-kernel addresses row r at a fixed
 *                                                      displacement r·lda·4 from one pointer
 */
#ifndef VT_TENSOR_GEMM_INT_H
#define VT_TENSOR_GEMM_INT_H

#include <stddef.h>

/* gemm_micro_fn: c[r][j] = (load_c ? c[r][j] : 0) + (bias ? bias[j] : 0) + Σ_{p<kc} a[r·lda+p]·b[p·nr+j]
 * for r < mr (≤ the kernel's mr), j < nr (≤ the kernel's nr; columns past nr are neither read
 * nor written in c or bias). a is a packed A block (row stride lda of the kernel), b a packed W
 * panel advanced to the k-block, 64-byte aligned. pf: memory the kernel may prefetch into cache
 * while it computes (kc/4 cache lines from pf on; the driver points it at the part of the next W
 * panel this call should bring in), or NULL. Cannot fail. */
typedef void (*gemm_micro_fn)(int kc, const float *a, const float *b, float *c, long ldc, int mr,
                              int nr, const float *bias, int load_c, const float *pf);

typedef void (*gemm_nt_fn)(int m, int n, int k, float alpha, const float *a, int lda,
                           const float *b, int ldb, float *c, int ldc);
typedef void (*gemm_nn_fn)(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                           float *c, int ldc);
typedef void (*gemm_act_fn)(float *x, size_t n);

typedef struct gemm_kernel {
    const char *name;        /* "scalar", "avx2", "avx512" */
    int level;               /* enum cpu_level the kernel needs */
    int mr;                  /* rows of a micro-tile */
    int nr;                  /* columns of a micro-tile = width of a packed W panel */
    int kc;                  /* k-block: a packed A row holds at most kc values */
    int lda;                 /* row stride (floats) of the packed A block, > kc */
    int mc;                  /* most rows of X packed at once (a multiple of mr) */
    int nc;                  /* most columns of Y per task (a multiple of nr): the task's Y block,
                                revisited once per k-block, stays in L2 */
    gemm_micro_fn micro;
    gemm_nt_fn nt;
    gemm_nn_fn nn;
    gemm_act_fn quick_gelu;  /* activations applied to finished tiles (the same ISA's) */
    gemm_act_fn gelu;
} gemm_kernel;

/* The stack scratch of one gemm_linear task: mc·lda floats of every kernel must fit. 30,464
 * floats = 119 KiB (the AVX-512 kernel's 112 × 272); pool threads have 8 MiB stacks. */
#define GEMM_A_SCRATCH_FLOATS 30464

extern const gemm_kernel gemm_kernel_scalar;
extern const gemm_kernel gemm_kernel_avx2;
extern const gemm_kernel gemm_kernel_avx512;

#endif
