/*
 * gemm_avx512.c — the AVX-512 GEMM kernel: a 14 × 32 micro-tile and the small products.
 *
 * Micro-tile MR × NR = 14 × 32: 28 zmm accumulators (14 rows × 2 vectors of 16 columns), 2 zmm
 * for the W panel row, 1 for the broadcast X value = 31 of the 32 zmm registers. Per k step:
 * 2 aligned loads of W, 14 broadcasts of X, 28 FMAs. Zen 4/5 and Intel server cores retire 2
 * zmm FMAs per cycle with a 4-cycle latency, so ≥ 8 independent accumulators hide the latency and
 * 28 leave room; 16 loads per 28 FMAs stay under the 2-loads-per-cycle port limit. Measured on
 * the Zen 5 VM (2 cores): the micro-kernel alone, operands in L1/L2, runs at 233 GFLOP/s on one
 * core — the machine's peak within the timing noise — and gemm_linear at 195–210 GFLOP/s on the
 * ViT-B/32 shapes (bench/gemm_bench.c).
 *
 * Layouts (gemm.c): packed W panel [k][32] (one 128-byte row per k step, 64-byte aligned);
 * packed A rows at stride LDA = KC + 16 floats, addressed as a[r·LDA + p] with r a compile-time
 * constant, so all 14 broadcasts use one pointer and fixed displacements.
 *
 *   | constant | value | reason |
 *   |----------|-------|--------|
 *   | KC       | 256   | a W panel block is 256 × 32 × 4 = 32 KiB: stays in the 48 KiB L1 while |
 *   |          |       | it is reused by every row panel of the task. 192 measured 4 % slower   |
 *   |          |       | (more passes over C); 320 and 384 within the ±2 % noise (and a bigger  |
 *   |          |       | stack block)                                                           |
 *   | LDA      | 272   | KC + 16: row stride 1088 B spreads the 14 rows over L1 sets (1024 B     |
 *   |          |       | would put them in 4 sets of the 12-way L1)                             |
 *   | MC       | 112   | 8 row panels: the A block (112 × 272 × 4 = 119 KiB) stays in L2 and a    |
 *   |          |       | W panel block is reused 8 times per load. 56 measured 4–7 % slower on  |
 *   |          |       | the ViT shapes, 168 and 224 no faster                                  |
 *   | NC       | 512   | a task's Y block (112 × 512 × 4 = 229 KiB), revisited once per k-block, |
 *   |          |       | stays in the 1 MiB L2 beside the A block: 1 task over n = 3072 (Y block |
 *   |          |       | 1.4 MiB) measured 5–7 % slower on the n = 3072 and k = 3072 shapes     |
 *
 * Prefetching: at entry the kernel prefetches its C tile (read or written only after the k loop),
 * and during the loop one line per 4 k steps of memory the driver names — the part of the next W
 * panel block this call is responsible for, so the 8 calls on one panel bring in the whole next
 * one. Together +5 % on the ViT shapes (191.7 → 203.7 GFLOP/s, one core, same run); prefetching
 * the A rows ahead as well changed nothing.
 *
 * Tiles with fewer than 14 rows use the same code instantiated for 1…13 rows (the template
 * micro_rows is forced inline with a constant row count), tiles of ≤ 16 columns one with a single
 * vector per row (n = 48, m = 512: 142 → 172 GFLOP/s); columns past nr are masked in the epilogue, so
 * partial tiles cost no copy.
 *
 * gemm_nn (C = A·B): 6 rows × 64 columns of C in 24 zmm, broadcasting A and loading rows of B
 * (column tails masked). gemm_nt (C = α·A·Bᵀ) first transposes B, 64 rows at a time, into a
 * stack block with gathers and then runs the gemm_nn code: on 50 × 50 × 64 that measured ~100
 * GFLOP/s against 25 for 4 × 4 tiles of dot products, whose horizontal sums cost as much as the
 * FMAs when k is 64.
 */
#include <immintrin.h>

#include "cpu.h"
#include "gemm_int.h"
#include "kernels_int.h"

#define MR 14
#define NR 32
#define KC 256
#define LDA (KC + 16)
#define MC 112
#define NC 512

_Static_assert(MC % MR == 0 && MC * LDA <= GEMM_A_SCRATCH_FLOATS, "the A block must fit the stack scratch");

#define INLINE static inline __attribute__((always_inline))

static inline __mmask16 mask_first(int n) {
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* micro_rows: the gemm_micro_fn contract (gemm_int.h) for a compile-time row count rows ≤ MR and
 * vector count nv: 2, or 1 when nr ≤ 16 (the last panel of n = 48 or 24 then costs half). */
INLINE void micro_rows(const int rows, const int nv, int kc, const float *a, const float *b, float *c,
                       long ldc, int nr, const float *bias, int load_c, const float *pf) {
    __m512 c0[MR], c1[MR];
    /* the C tile is read or written only after the k loop: fetch it now, behind the FMAs */
#pragma GCC unroll 14
    for (int r = 0; r < rows; r++) {
        __builtin_prefetch(c + r * ldc, 1, 3);
        __builtin_prefetch(c + r * ldc + nr - 1, 1, 3);
    }
#pragma GCC unroll 14
    for (int r = 0; r < rows; r++) {
        c0[r] = _mm512_setzero_ps();
        c1[r] = _mm512_setzero_ps();
    }
    if (!pf) pf = b;
    for (int p = 0; p < kc; p++) {
        if ((p & 3) == 0) __builtin_prefetch(pf + 4 * p, 0, 3); /* one line per 4 k steps */
        const __m512 b0 = _mm512_load_ps(b);
        const __m512 b1 = nv == 2 ? _mm512_load_ps(b + 16) : _mm512_setzero_ps();
        b += NR;
#pragma GCC unroll 14
        for (int r = 0; r < rows; r++) {
            const __m512 av = _mm512_set1_ps(a[r * LDA]);
            c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
            if (nv == 2) c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
        }
        a++;
    }
    const __mmask16 m0 = mask_first(nr), m1 = mask_first(nr - 16);
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, bias);
        if (nv == 2) bias1 = _mm512_maskz_loadu_ps(m1, bias + 16);
    }
#pragma GCC unroll 14
    for (int r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        __m512 v0 = _mm512_add_ps(c0[r], bias0);
        if (load_c) v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
        _mm512_mask_storeu_ps(cr, m0, v0);
        if (nv == 2) {
            __m512 v1 = _mm512_add_ps(c1[r], bias1);
            if (load_c) v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
            _mm512_mask_storeu_ps(cr + 16, m1, v1);
        }
    }
}

#define MICRO_CASE(R)                                                                             \
    case R:                                                                                       \
        if (nr > 16) micro_rows(R, 2, kc, a, b, c, ldc, nr, bias, load_c, pf);                    \
        else micro_rows(R, 1, kc, a, b, c, ldc, nr, bias, load_c, pf);                            \
        break;

/* micro_avx512: gemm_micro_fn; runs the instantiation for mr rows and ⌈nr/16⌉ vectors. */
static void micro_avx512(int kc, const float *a, const float *b, float *c, long ldc, int mr, int nr,
                         const float *bias, int load_c, const float *pf) {
    switch (mr) {
        MICRO_CASE(14) MICRO_CASE(13) MICRO_CASE(12) MICRO_CASE(11) MICRO_CASE(10) MICRO_CASE(9)
        MICRO_CASE(8) MICRO_CASE(7) MICRO_CASE(6) MICRO_CASE(5) MICRO_CASE(4) MICRO_CASE(3)
        MICRO_CASE(2) MICRO_CASE(1)
    default: break;
    }
}

/* ---- gemm_nt / gemm_nn ------------------------------------------------------------------------ */

/* SMALL_KB = 256: the transposed block of B in gemm_nt is SMALL_KB × 64 floats = 64 KiB of stack,
 * beyond any attention head's k (64) yet bounded for arbitrary k (done in k-blocks). */
#define SMALL_KB 256

/* nn_core: c[r][j] (= | +=) alpha · Σ_{p<k} a[r·lda + p] · b[p·ldb + j] for r < rows, j < nc ≤ 64:
 * 6 rows × 4 zmm of columns = 24 accumulators, masked for nc < 64. */
INLINE void nn_core(const int rows, int k, const float *a, long lda, const float *b, long ldb,
                    float *c, long ldc, int nc, float alpha, int acc) {
    const __mmask16 m0 = mask_first(nc), m1 = mask_first(nc - 16), m2 = mask_first(nc - 32),
                    m3 = mask_first(nc - 48);
    __m512 s0[6], s1[6], s2[6], s3[6];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) s0[r] = s1[r] = s2[r] = s3[r] = _mm512_setzero_ps();
    for (int p = 0; p < k; p++) {
        const float *bp = b + (long)p * ldb;
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
        const __m512 b2 = _mm512_maskz_loadu_ps(m2, bp + 32), b3 = _mm512_maskz_loadu_ps(m3, bp + 48);
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            const __m512 av = _mm512_set1_ps(a[(long)r * lda + p]);
            s0[r] = _mm512_fmadd_ps(av, b0, s0[r]);
            s1[r] = _mm512_fmadd_ps(av, b1, s1[r]);
            s2[r] = _mm512_fmadd_ps(av, b2, s2[r]);
            s3[r] = _mm512_fmadd_ps(av, b3, s3[r]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
        float *cr = c + (long)r * ldc;
        __m512 v0 = _mm512_mul_ps(va, s0[r]), v1 = _mm512_mul_ps(va, s1[r]);
        __m512 v2 = _mm512_mul_ps(va, s2[r]), v3 = _mm512_mul_ps(va, s3[r]);
        if (acc) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
            v2 = _mm512_add_ps(v2, _mm512_maskz_loadu_ps(m2, cr + 32));
            v3 = _mm512_add_ps(v3, _mm512_maskz_loadu_ps(m3, cr + 48));
        }
        _mm512_mask_storeu_ps(cr, m0, v0);
        _mm512_mask_storeu_ps(cr + 16, m1, v1);
        _mm512_mask_storeu_ps(cr + 32, m2, v2);
        _mm512_mask_storeu_ps(cr + 48, m3, v3);
    }
}

/* nn_cols: nn_core over all m rows, 6 at a time, for one block of nc ≤ 64 columns. */
static void nn_cols(int m, int k, const float *a, long lda, const float *b, long ldb, float *c,
                    long ldc, int nc, float alpha, int acc) {
    int i = 0;
    for (; i + 6 <= m; i += 6) nn_core(6, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, nc, alpha, acc);
    a += i * lda, c += i * ldc;
    switch (m - i) {
    case 5: nn_core(5, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;
    case 4: nn_core(4, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;
    case 3: nn_core(3, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;
    case 2: nn_core(2, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;
    case 1: nn_core(1, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;
    default: break;
    }
}

static void nn_avx512(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                      int ldc) {
    for (int j = 0; j < n; j += 64)
        nn_cols(m, k, a, lda, b + j, ldb, c + j, ldc, n - j < 64 ? n - j : 64, 1.0f, 0);
}

/* gemm_nt: B (rows along k) is transposed, 64 rows × SMALL_KB columns at a time, into a stack
 * block by gathers (16 rows' elements p per gather), then multiplied as in gemm_nn. The
 * transposition costs n·k moves against m·n·k FMAs. */
static void nt_avx512(int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                      int ldb, float *c, int ldc) {
    _Alignas(64) float bt[SMALL_KB * 64];
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                                             12, 13, 14, 15), _mm512_set1_epi32(ldb));
    if (k <= 0) { /* an empty sum */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0.0f;
        return;
    }
    for (int j = 0; j < n; j += 64) {
        int nc = n - j < 64 ? n - j : 64;
        for (int p0 = 0; p0 < k; p0 += SMALL_KB) {
            int kb = k - p0 < SMALL_KB ? k - p0 : SMALL_KB;
            for (int q = 0; q < nc; q += 16) {
                __mmask16 mq = mask_first(nc - q);
                const float *base = b + (long)(j + q) * ldb + p0;
                for (int p = 0; p < kb; p++)
                    _mm512_store_ps(bt + p * 64 + q,
                                    _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mq, idx, base + p, 4));
            }
            nn_cols(m, kb, a + p0, lda, bt, 64, c + j, ldc, nc, alpha, p0 > 0);
        }
    }
}

const gemm_kernel gemm_kernel_avx512 = {
    .name = "avx512", .level = CPU_AVX512, .mr = MR, .nr = NR, .kc = KC, .lda = LDA, .mc = MC, .nc = NC,
    .micro = micro_avx512, .nt = nt_avx512, .nn = nn_avx512,
    .quick_gelu = k_quick_gelu_avx512, .gelu = k_gelu_avx512,
};
