/*
 * gemm_avx2.c — the AVX2 + FMA GEMM kernel: a 6 × 16 micro-tile and the small products.
 *
 * Micro-tile MR × NR = 6 × 16: 12 ymm accumulators (6 rows × 2 vectors of 8 columns), 2 ymm for
 * the W panel row, 1 for the broadcast = 15 of the 16 ymm registers — the classic Haswell shape
 * (BLIS haswell sgemm is 6 × 16 too). Per k step: 2 loads of W, 6 broadcasts, 12 FMAs: two FMA
 * ports with a 5-cycle latency need ≥ 10 independent accumulators. Measured (forced on the Zen 5
 * VM, one core): 95–100 GFLOP/s on the ViT-B/32 shapes, the same as OpenBLAS's Haswell sgemm.
 * Prefetching as in gemm_avx512.c (C tile at entry, the next W panel one line per 4 k steps).
 *
 * Layouts (gemm.c): packed W panel [k][16]; packed A rows at stride LDA = KC + 8 floats,
 * addressed at compile-time displacements r·LDA·4 from one pointer.
 *
 *   | constant | value | reason |
 *   |----------|-------|--------|
 *   | KC       | 256   | a W panel block is 256 × 16 × 4 = 16 KiB: half of a 32 KiB L1 |
 *   | LDA      | 264   | KC + 8: a 1056-byte row stride spreads the 6 rows over L1 sets |
 *   | MC       | 72    | 12 row panels: the A block (76 KiB) fits a 256 KiB L2 beside W |
 *   | NC       | 256   | a task's Y block (72 × 256 × 4 = 72 KiB) stays in that L2 too  |
 *
 * Partial tiles: fewer rows use the same code instantiated for 1…5 rows; columns past nr are
 * masked (vmaskmovps) in the epilogue.
 *
 * gemm_nn: 4 rows × 16 columns of C in 8 ymm. gemm_nt: B is first transposed into a stack
 * block with gathers, then multiplied by the gemm_nn code (as in gemm_avx512.c).
 */
#include <immintrin.h>

#include "cpu.h"
#include "gemm_int.h"
#include "kernels_int.h"

#define MR 6
#define NR 16
#define KC 256
#define LDA (KC + 8)
#define MC 72
#define NC 256

_Static_assert(MC % MR == 0 && MC * LDA <= GEMM_A_SCRATCH_FLOATS, "the A block must fit the stack scratch");

#define INLINE static inline __attribute__((always_inline))

static const int32_t g_mask_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* mask8: the first n (clamped to 0…8) lanes set. */
static inline __m256i mask8(int n) {
    n = n < 0 ? 0 : n > 8 ? 8 : n;
    return _mm256_loadu_si256((const __m256i *)(g_mask_src + 8 - n));
}

/* micro_rows: the gemm_micro_fn contract (gemm_int.h) for a compile-time row count rows ≤ MR. */
INLINE void micro_rows(const int rows, int kc, const float *a, const float *b, float *c, long ldc,
                       int nr, const float *bias, int load_c, const float *pf) {
    __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
        __builtin_prefetch(c + r * ldc, 1, 3);
        __builtin_prefetch(c + r * ldc + nr - 1, 1, 3);
    }
    if (!pf) pf = b;
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
        c0[r] = _mm256_setzero_ps();
        c1[r] = _mm256_setzero_ps();
    }
    for (int p = 0; p < kc; p++) {
        if ((p & 3) == 0) __builtin_prefetch(pf + 4 * p, 0, 3); /* one line per 4 k steps */
        const __m256 b0 = _mm256_load_ps(b);
        const __m256 b1 = _mm256_load_ps(b + 8);
        b += NR;
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            const __m256 av = _mm256_broadcast_ss(a + r * LDA);
            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
        }
        a++;
    }
    const __m256i m0 = mask8(nr), m1 = mask8(nr - 8);
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (bias) {
        bias0 = _mm256_maskload_ps(bias, m0);
        bias1 = _mm256_maskload_ps(bias + 8, m1);
    }
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        __m256 v0 = _mm256_add_ps(c0[r], bias0), v1 = _mm256_add_ps(c1[r], bias1);
        if (load_c) {
            v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));
            v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));
        }
        _mm256_maskstore_ps(cr, m0, v0);
        _mm256_maskstore_ps(cr + 8, m1, v1);
    }
}

#define MICRO_CASE(R)                                                                             \
    case R: micro_rows(R, kc, a, b, c, ldc, nr, bias, load_c, pf); break;

/* micro_avx2: gemm_micro_fn; runs the instantiation for mr rows. */
static void micro_avx2(int kc, const float *a, const float *b, float *c, long ldc, int mr, int nr,
                       const float *bias, int load_c, const float *pf) {
    switch (mr) {
        MICRO_CASE(6) MICRO_CASE(5) MICRO_CASE(4) MICRO_CASE(3) MICRO_CASE(2) MICRO_CASE(1)
    default: break;
    }
}

/* SMALL_KB = 256: gemm_nt's transposed block of B is SMALL_KB × 16 floats = 16 KiB of stack. */
#define SMALL_KB 256

/* nn_core: c[r][j] (= | +=) alpha · Σ_{p<k} a[r·lda + p] · b[p·ldb + j] for r < rows ≤ 4,
 * j < nc ≤ 16: 4 rows × 2 ymm = 8 accumulators (+ 2 for B, 1 broadcast), columns masked. */
INLINE void nn_core(const int rows, const int full, int k, const float *a, long lda, const float *b,
                    long ldb, float *c, long ldc, int nc, float alpha, int acc) {
    const __m256i m0 = mask8(nc), m1 = mask8(nc - 8);
    __m256 s0[4], s1[4];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) s0[r] = s1[r] = _mm256_setzero_ps();
    for (int p = 0; p < k; p++) {
        const float *bp = b + (long)p * ldb;
        __m256 b0, b1;
        if (full) {
            b0 = _mm256_loadu_ps(bp);
            b1 = _mm256_loadu_ps(bp + 8);
        } else {
            b0 = _mm256_maskload_ps(bp, m0);
            b1 = _mm256_maskload_ps(bp + 8, m1);
        }
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            const __m256 av = _mm256_broadcast_ss(a + (long)r * lda + p);
            s0[r] = _mm256_fmadd_ps(av, b0, s0[r]);
            s1[r] = _mm256_fmadd_ps(av, b1, s1[r]);
        }
    }
    const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) {
        float *cr = c + (long)r * ldc;
        __m256 v0 = _mm256_mul_ps(va, s0[r]), v1 = _mm256_mul_ps(va, s1[r]);
        if (acc) {
            v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));
            v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));
        }
        _mm256_maskstore_ps(cr, m0, v0);
        _mm256_maskstore_ps(cr + 8, m1, v1);
    }
}

/* nn_rows4: nn_core over all m rows, 4 at a time; FULL (nc = 16) loads B unmasked, because the
 * two masks would take 2 of the 16 ymm registers and force a spill in the k loop. */
#define NN_ROWS4(NAME, FULL)                                                                      \
    static void NAME(int m, int k, const float *a, long lda, const float *b, long ldb, float *c,    \
                     long ldc, int nc, float alpha, int acc) {                                     \
        int i = 0;                                                                                \
        for (; i + 4 <= m; i += 4)                                                                \
            nn_core(4, FULL, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, nc, alpha, acc);        \
        a += i * lda, c += i * ldc;                                                               \
        switch (m - i) {                                                                          \
        case 3: nn_core(3, FULL, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;                \
        case 2: nn_core(2, FULL, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;                \
        case 1: nn_core(1, FULL, k, a, lda, b, ldb, c, ldc, nc, alpha, acc); break;                \
        default: break;                                                                           \
        }                                                                                         \
    }
NN_ROWS4(nn_rows_full, 1)
NN_ROWS4(nn_rows_masked, 0)

/* nn_cols: c = alpha · a · b (+ c if acc) for one block of nc ≤ 16 columns. */
static void nn_cols(int m, int k, const float *a, long lda, const float *b, long ldb, float *c,
                    long ldc, int nc, float alpha, int acc) {
    if (nc == 16) nn_rows_full(m, k, a, lda, b, ldb, c, ldc, nc, alpha, acc);
    else nn_rows_masked(m, k, a, lda, b, ldb, c, ldc, nc, alpha, acc);
}

static void nn_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                    int ldc) {
    for (int j = 0; j < n; j += 16)
        nn_cols(m, k, a, lda, b + j, ldb, c + j, ldc, n - j < 16 ? n - j : 16, 1.0f, 0);
}

/* gemm_nt: B transposed 16 rows × SMALL_KB at a time into a stack block by gathers, then the
 * gemm_nn code (see gemm_avx512.c for why). */
static void nt_avx2(int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                    int ldb, float *c, int ldc) {
    _Alignas(32) float bt[SMALL_KB * 16];
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(ldb));
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(long)i * ldc + j] = 0.0f;
        return;
    }
    for (int j = 0; j < n; j += 16) {
        int nc = n - j < 16 ? n - j : 16;
        for (int p0 = 0; p0 < k; p0 += SMALL_KB) {
            int kb = k - p0 < SMALL_KB ? k - p0 : SMALL_KB;
            for (int q = 0; q < 16; q += 8) {
                __m256 mq = _mm256_castsi256_ps(mask8(nc - q));
                const float *base = b + (long)(j + q) * ldb + p0;
                for (int p = 0; p < kb; p++)
                    _mm256_store_ps(bt + p * 16 + q,
                                    _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base + p, idx, mq, 4));
            }
            nn_cols(m, kb, a + p0, lda, bt, 16, c + j, ldc, nc, alpha, p0 > 0);
        }
    }
}

const gemm_kernel gemm_kernel_avx2 = {
    .name = "avx2", .level = CPU_AVX2, .mr = MR, .nr = NR, .kc = KC, .lda = LDA, .mc = MC, .nc = NC,
    .micro = micro_avx2, .nt = nt_avx2, .nn = nn_avx2,
    .quick_gelu = k_quick_gelu_avx2, .gelu = k_gelu_avx2,
};
