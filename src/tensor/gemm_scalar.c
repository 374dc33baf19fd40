/*
 * gemm_scalar.c — the portable GEMM kernel: plain C, for CPUs without AVX2 and as the reference
 * the SIMD kernels are tested against.
 *
 * Micro-tile 4 × 8 (MR × NR): 32 accumulators, which the compiler keeps in 8 SSE registers
 * when it vectorises the j loop (x86-64 baseline) and in registers as scalars elsewhere. The
 * layouts are those of gemm.c (packed W [n_panels][k][8], packed A rows at stride LDA); KC = 256
 * and MC = 64 keep a W panel (8 KiB) and the A block (66 KiB) in L1 and L2 of any recent CPU;
 * NC = 256 keeps a task's Y block (64 KiB) in L2 as well.
 * gemm_nt / gemm_nn are the straightforward loops, ordered for unit-stride inner loops.
 */
#include "cpu.h"
#include "gemm_int.h"
#include "kernels_int.h"

#define MR 4
#define NR 8
#define KC 256
#define LDA (KC + 8)
#define MC 64
#define NC 256

_Static_assert(MC % MR == 0 && MC * LDA <= GEMM_A_SCRATCH_FLOATS, "the A block must fit the stack scratch");

/* micro_scalar: gemm_micro_fn (gemm_int.h). */
static void micro_scalar(int kc, const float *a, const float *b, float *c, long ldc, int mr, int nr,
                         const float *bias, int load_c, const float *pf) {
    (void)pf;
    float acc[MR][NR] = {{0}};
    for (int p = 0; p < kc; p++) {
        const float *bp = b + (long)p * NR;
        for (int r = 0; r < MR; r++) {
            float av = r < mr ? a[(long)r * LDA + p] : 0.0f;
            for (int j = 0; j < NR; j++) acc[r][j] += av * bp[j];
        }
    }
    for (int r = 0; r < mr; r++) {
        float *cr = c + (long)r * ldc;
        for (int j = 0; j < nr; j++) {
            float v = acc[r][j];
            if (bias) v += bias[j];
            if (load_c) v += cr[j];
            cr[j] = v;
        }
    }
}

/* nt_scalar, nn_scalar: gemm_nt / gemm_nn (gemm.h). */
static void nt_scalar(int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                      int ldb, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            const float *ai = a + (long)i * lda, *bj = b + (long)j * ldb;
            float s = 0.0f;
            for (int p = 0; p < k; p++) s += ai[p] * bj[p];
            c[(long)i * ldc + j] = alpha * s;
        }
}

static void nn_scalar(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                      int ldc) {
    for (int i = 0; i < m; i++) {
        float *ci = c + (long)i * ldc;
        for (int j = 0; j < n; j++) ci[j] = 0.0f;
        for (int p = 0; p < k; p++) {
            float av = a[(long)i * lda + p];
            const float *bp = b + (long)p * ldb;
            for (int j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}

const gemm_kernel gemm_kernel_scalar = {
    .name = "scalar", .level = CPU_SCALAR, .mr = MR, .nr = NR, .kc = KC, .lda = LDA, .mc = MC, .nc = NC,
    .micro = micro_scalar, .nt = nt_scalar, .nn = nn_scalar,
    .quick_gelu = k_quick_gelu_scalar, .gelu = k_gelu_scalar,
};
