/*
 * test_gemm.c — every GEMM kernel this CPU has (scalar, avx2, avx512) against a double-precision
 * naive reference: odd shapes, each epilogue flag, row strides wider than the rows, no pool and a
 * 2-thread pool, the real transformer shapes at small m, k spanning several k-blocks; the small
 * products gemm_nt / gemm_nn; packing errors and allocation failures.
 *
 * Tolerance: float32 accumulation of k products errs by about √k·ε·Σ|terms| (random rounding),
 * so an element passes when |got - ref| ≤ 1e-6·(√k + 4)·S + 2e-6·|ref|, S = Σ_p |x·w| + |b| +
 * |y_old| (the activations' slopes are ≤ 1.13 and their own error ≤ a few ulp). A single missing
 * or doubled product term (≥ S/k on average) exceeds it for every k tested.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/pool.h"
#include "tensor/gemm.h"
#include "test.h"

static const char *const g_names[] = {"scalar", "avx2", "avx512"};
static vt_pool *g_pool2;

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static float frand(void) { /* uniform in [-1, 1) */
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((double)(g_rng >> 11) / 4503599627370496.0 - 1.0);
}

static float *rand_buf(size_t n) {
    float *p = vt_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static double act_ref(double v, int flags) {
    if (flags & GEMM_QUICK_GELU) return v / (1.0 + exp(-1.702 * v));
    if (flags & GEMM_GELU) return 0.5 * v * erfc(-v / sqrt(2.0));
    return v;
}

/* check_linear: one gemm_linear against the reference; returns 0 or prints and returns 1. */
static int check_linear(const char *kern, vt_pool *pool, int m, int n, int k, int ldx, int ldy,
                        int flags, int with_bias) {
    float *x = rand_buf((size_t)m * ldx), *w = rand_buf((size_t)n * k);
    float *bias = with_bias ? rand_buf((size_t)n) : NULL;
    float *y = rand_buf((size_t)m * ldy), *y0 = vt_malloc((size_t)m * ldy * sizeof(float));
    for (size_t i = 0; i < (size_t)m * ldy; i++) y0[i] = y[i];
    int bad = 0;
    gemm_weights *gw = NULL;
    if (gemm_weights_pack(w, n, k, &gw) != 0) {
        fprintf(stderr, "pack failed\n");
        bad = 1;
        goto out;
    }
    gemm_linear(pool, m, x, ldx, gw, bias, y, ldy, flags);
    for (int i = 0; i < m && !bad; i++) {
        for (int j = 0; j < ldy; j++) {
            float got = y[(size_t)i * ldy + j];
            if (j >= n) { /* past the row: untouched */
                if (got != y0[(size_t)i * ldy + j]) {
                    fprintf(stderr, "%s m=%d n=%d k=%d: wrote past the row at [%d][%d]\n", kern, m, n, k, i, j);
                    bad = 1;
                    break;
                }
                continue;
            }
            double s = 0.0, sa = 0.0;
            for (int p = 0; p < k; p++) {
                double t = (double)x[(size_t)i * ldx + p] * w[(size_t)j * k + p];
                s += t;
                sa += fabs(t);
            }
            if (bias) s += bias[j], sa += fabs(bias[j]);
            if (flags & GEMM_ACCUMULATE) s += y0[(size_t)i * ldy + j], sa += fabs(y0[(size_t)i * ldy + j]);
            double ref = act_ref(s, flags);
            double tol = 1e-6 * (sqrt((double)k) + 4.0) * sa + 2e-6 * fabs(ref) + 1e-30;
            if (!(fabs(got - ref) <= tol)) {
                fprintf(stderr, "%s %s m=%d n=%d k=%d ldx=%d ldy=%d flags=%d bias=%d: y[%d][%d] = %.9g, ref %.9g (tol %.3g)\n",
                        kern, pool ? "pool2" : "nopool", m, n, k, ldx, ldy, flags, with_bias, i, j, got, ref, tol);
                bad = 1;
                break;
            }
        }
    }
out:
    gemm_weights_free(gw);
    vt_free(x), vt_free(w), vt_free(bias), vt_free(y), vt_free(y0);
    return bad;
}

static const int g_sizes[] = {1, 2, 3, 7, 15, 16, 17, 31, 33, 50, 64, 97, 128, 200};
#define N_SIZES ((int)(sizeof g_sizes / sizeof g_sizes[0]))

/* All m × n × k combinations, plain product with bias, one thread, every kernel. */
static void test_linear_all_shapes(void) {
    int n_kern = 0;
    for (int kk = 0; kk < 3; kk++) {
        if (gemm_force_kernel(g_names[kk]) != 0) continue;
        n_kern++;
        for (int a = 0; a < N_SIZES; a++)
            for (int b = 0; b < N_SIZES; b++)
                for (int c = 0; c < N_SIZES; c++) {
                    int m = g_sizes[a], n = g_sizes[b], k = g_sizes[c];
                    ASSERT_EQ(check_linear(g_names[kk], NULL, m, n, k, k, n, 0, 1), 0);
                }
    }
    ASSERT_TRUE(n_kern >= 1);
}

/* Every flag combination, strides, no bias, 1 and 2 threads, on a deterministic sample of the
 * shape combinations (every 5th, so each size appears in each position). */
static void test_linear_flags_strides_threads(void) {
    static const int flag_sets[] = {0, GEMM_ACCUMULATE, GEMM_QUICK_GELU, GEMM_GELU,
                                    GEMM_ACCUMULATE | GEMM_GELU, GEMM_ACCUMULATE | GEMM_QUICK_GELU};
    for (int kk = 0; kk < 3; kk++) {
        if (gemm_force_kernel(g_names[kk]) != 0) continue;
        int idx = 0;
        for (int a = 0; a < N_SIZES; a++)
            for (int b = 0; b < N_SIZES; b++)
                for (int c = 0; c < N_SIZES; c++, idx++) {
                    if (idx % 5 != 0) continue;
                    int m = g_sizes[a], n = g_sizes[b], k = g_sizes[c];
                    int flags = flag_sets[(idx / 5) % 6];
                    vt_pool *pool = (idx / 5) % 2 ? g_pool2 : NULL;
                    int strided = (idx / 10) % 2;
                    ASSERT_EQ(check_linear(g_names[kk], pool, m, n, k, strided ? k + 5 : k,
                                           strided ? n + 3 : n, flags, (idx / 30) % 2), 0);
                }
    }
}

/* The transformer shapes at small m, several k-blocks (k > 256), both pools, every flag. */
static void test_linear_model_shapes(void) {
    static const int nk[][2] = {{2304, 768}, {768, 768}, {3072, 768}, {768, 3072},
                                {1536, 512}, {512, 512}, {2048, 512}, {512, 2048}};
    static const int ms[] = {1, 15, 50};
    for (int kk = 0; kk < 3; kk++) {
        if (gemm_force_kernel(g_names[kk]) != 0) continue;
        for (int s = 0; s < 8; s++)
            for (int q = 0; q < 3; q++) {
                int flags = (s + q) % 4 == 3 ? GEMM_ACCUMULATE : (s + q) % 4 == 1 ? GEMM_QUICK_GELU
                          : (s + q) % 4 == 2 ? GEMM_GELU : 0;
                ASSERT_EQ(check_linear(g_names[kk], q % 2 ? g_pool2 : NULL, ms[q], nk[s][0],
                                       nk[s][1], nk[s][1] + 3, nk[s][0] + 1, flags, 1), 0);
            }
        /* several row blocks and k-blocks, odd everything, with the epilogues */
        ASSERT_EQ(check_linear(g_names[kk], g_pool2, 257, 70, 600, 601, 75, GEMM_ACCUMULATE | GEMM_GELU, 1), 0);
        ASSERT_EQ(check_linear(g_names[kk], g_pool2, 130, 333, 513, 513, 333, GEMM_QUICK_GELU, 1), 0);
        ASSERT_EQ(check_linear(g_names[kk], NULL, 800, 24, 48, 48, 24, GEMM_ACCUMULATE, 1), 0);
        ASSERT_EQ(check_linear(g_names[kk], g_pool2, 1000, 50, 24, 24, 50, 0, 1), 0);
    }
}

/* Weights packed under one kernel keep working after the selection changes. */
static void test_weights_keep_their_kernel(void) {
    const char *first = NULL;
    for (int kk = 2; kk >= 0 && !first; kk--)
        if (gemm_force_kernel(g_names[kk]) == 0) first = g_names[kk];
    ASSERT_TRUE(first != NULL);
    ASSERT_STR_EQ(gemm_kernel_name(), first);
    int m = 37, n = 45, k = 300;
    float *x = rand_buf((size_t)m * k), *w = rand_buf((size_t)n * k), *y = rand_buf((size_t)m * n);
    gemm_weights *gw = NULL;
    ASSERT_EQ(gemm_weights_pack(w, n, k, &gw), 0);
    ASSERT_EQ(gemm_weights_n(gw), n);
    ASSERT_EQ(gemm_weights_k(gw), k);
    ASSERT_EQ(gemm_force_kernel("scalar"), 0);
    gemm_linear(NULL, m, x, k, gw, NULL, y, n, 0);
    double worst = 0.0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int p = 0; p < k; p++) s += (double)x[i * k + p] * w[j * k + p];
            worst = fmax(worst, fabs(s - y[i * n + j]));
        }
    gemm_weights_free(gw);
    vt_free(x), vt_free(w), vt_free(y);
    ASSERT_TRUE(worst < 1e-4);
    ASSERT_EQ(gemm_force_kernel("no-such-kernel"), -1);
}

static void test_pack_errors(void) {
    float w[6] = {1, 2, 3, 4, 5, 6};
    gemm_weights *gw = (gemm_weights *)1;
    ASSERT_EQ(gemm_weights_pack(w, 0, 3, &gw), VT_EINVAL);
    ASSERT_TRUE(gw == NULL);
    int64_t live = vt_alloc_live_bytes();
    for (int nth = 1; nth <= 2; nth++) {
        vt_alloc_fail_at(nth);
        ASSERT_EQ(gemm_weights_pack(w, 2, 3, &gw), VT_ENOMEM);
        ASSERT_TRUE(gw == NULL);
        ASSERT_EQ(vt_alloc_injected(), 1);
        ASSERT_EQ(vt_alloc_live_bytes(), live);
    }
    vt_alloc_fail_at(0);
    ASSERT_EQ(gemm_weights_pack(w, 2, 3, &gw), 0);
    gemm_weights_free(gw);
    gemm_weights_free(NULL);
    ASSERT_EQ(vt_alloc_live_bytes(), live);
}

/* gemm_nt / gemm_nn against the reference, attention shapes and odd ones, with strides. */
static void test_small_products(void) {
    static const int shapes[][3] = {{50, 50, 64}, {50, 64, 50}, {22, 22, 64}, {22, 64, 22},
                                    {1, 1, 1},    {3, 5, 7},    {17, 33, 15}, {4, 4, 16},
                                    {5, 3, 17},   {16, 17, 31}, {7, 64, 100}, {2, 97, 33},
                                    {33, 2, 128}, {50, 50, 12}, {13, 100, 1}, {5, 70, 600},
                                    {7, 130, 300}, {3, 5, 0},   {64, 64, 64}, {12, 200, 257}};
    for (int kk = 0; kk < 3; kk++) {
        if (gemm_force_kernel(g_names[kk]) != 0) continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            int lda = k + 3, ldb_t = k + 1, ldb_n = n + 2, ldc = n + 4;
            float *a = rand_buf((size_t)m * lda), *bt = rand_buf((size_t)n * ldb_t);
            float *bn = rand_buf((size_t)k * ldb_n), *c = rand_buf((size_t)m * ldc);
            float *c0 = vt_malloc((size_t)m * ldc * sizeof(float));
            for (int i = 0; i < m * ldc; i++) c0[i] = c[i];
            float alpha = 0.125f;
            int bad = 0;
            gemm_nt(m, n, k, alpha, a, lda, bt, ldb_t, c, ldc);
            for (int i = 0; i < m && !bad; i++)
                for (int j = 0; j < ldc && !bad; j++) {
                    double got = c[i * ldc + j];
                    if (j >= n) {
                        bad = got != c0[i * ldc + j];
                        continue;
                    }
                    double r = 0.0, ra = 0.0;
                    for (int p = 0; p < k; p++) {
                        r += (double)a[i * lda + p] * bt[j * ldb_t + p];
                        ra += fabs((double)a[i * lda + p] * bt[j * ldb_t + p]);
                    }
                    r *= alpha, ra *= alpha;
                    if (!(fabs(got - r) <= 1e-6 * (sqrt(k) + 4) * ra + 1e-30)) {
                        fprintf(stderr, "%s nt %dx%dx%d: [%d][%d] %.9g vs %.9g\n", g_names[kk], m, n, k, i, j, got, r);
                        bad = 1;
                    }
                }
            for (int i = 0; i < m * ldc; i++) c[i] = c0[i];
            gemm_nn(m, n, k, a, lda, bn, ldb_n, c, ldc);
            for (int i = 0; i < m && !bad; i++)
                for (int j = 0; j < ldc && !bad; j++) {
                    double got = c[i * ldc + j];
                    if (j >= n) {
                        bad = got != c0[i * ldc + j];
                        continue;
                    }
                    double r = 0.0, ra = 0.0;
                    for (int p = 0; p < k; p++) {
                        r += (double)a[i * lda + p] * bn[p * ldb_n + j];
                        ra += fabs((double)a[i * lda + p] * bn[p * ldb_n + j]);
                    }
                    if (!(fabs(got - r) <= 1e-6 * (sqrt(k) + 4) * ra + 1e-30)) {
                        fprintf(stderr, "%s nn %dx%dx%d: [%d][%d] %.9g vs %.9g\n", g_names[kk], m, n, k, i, j, got, r);
                        bad = 1;
                    }
                }
            vt_free(a), vt_free(bt), vt_free(bn), vt_free(c), vt_free(c0);
            ASSERT_EQ(bad, 0);
        }
    }
}

/* The kernel picked from CPUID is the best one that works here. */
static void test_default_kernel(void) {
    const char *picked = gemm_kernel_name(); /* before any gemm_force_kernel */
    const char *best = NULL;
    for (int kk = 0; kk < 3; kk++)
        if (gemm_force_kernel(g_names[kk]) == 0) best = g_names[kk];
    ASSERT_TRUE(best != NULL);
    ASSERT_STR_EQ(picked, best);
    ASSERT_EQ(gemm_force_kernel("scalar"), 0);
    printf("     gemm kernels available up to: %s\n", best);
}

int main(void) {
    g_pool2 = vt_pool_new(2);
    if (!g_pool2) return 1;
    RUN(test_default_kernel);
    RUN(test_linear_all_shapes);
    RUN(test_linear_flags_strides_threads);
    RUN(test_linear_model_shapes);
    RUN(test_weights_keep_their_kernel);
    RUN(test_pack_errors);
    RUN(test_small_products);
    vt_pool_free(g_pool2);
    TEST_END();
}
