/*
 * test_dist.c — the distance kernels: every instruction-set table this CPU runs (scalar, avx2,
 * avx512, avx512vnni) against the scalar reference on odd lengths and extreme values, and the
 * metric helpers. The float kernels must agree within a bound from the terms' magnitudes; the
 * integer kernels exactly.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "index/dist.h"
#include "test.h"

static uint64_t rng = 0x1234567;
static uint32_t next_u32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float next_f(void) { return (float)((int)(next_u32() % 20001) - 10000) / 1000.0f; }

static const size_t lengths[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 95, 127, 128,
                                 129, 255, 257, 511, 512, 513, 1000, 2049, 4095, 4097, 8193, 65536};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])
#define MAXN 65536

static void test_float_kernels(void) {
    const dist_kernels *ref = dist_kernels_level(DIST_LEVEL_SCALAR);
    float *a = vt_malloc(4 * (MAXN + 1)), *b = vt_malloc(4 * (MAXN + 1));
    ASSERT_TRUE(a && b);
    int tested = 0;
    for (int lv = 0; lv < DIST_N_LEVELS; lv++) {
        const dist_kernels *k = dist_kernels_level(lv);
        if (!k) continue;
        tested++;
        for (size_t li = 0; li < N_LENGTHS; li++) {
            size_t n = lengths[li];
            /* offset by one float: unaligned loads */
            for (size_t i = 0; i < n; i++) a[1 + i] = next_f(), b[1 + i] = next_f();
            double mag_dot = 0, mag_l2 = 0, mag_l1 = 0;
            for (size_t i = 0; i < n; i++) {
                double d = (double)a[1 + i] - b[1 + i];
                mag_dot += fabs((double)a[1 + i] * b[1 + i]);
                mag_l2 += d * d;
                mag_l1 += fabs(d);
            }
            double eps = 2e-6 * (1 + log2((double)n + 1));
            ASSERT_NEAR(k->dot_f32(a + 1, b + 1, n), ref->dot_f32(a + 1, b + 1, n), eps * mag_dot + 1e-6);
            ASSERT_NEAR(k->l2sq_f32(a + 1, b + 1, n), ref->l2sq_f32(a + 1, b + 1, n), eps * mag_l2 + 1e-6);
            ASSERT_NEAR(k->l1_f32(a + 1, b + 1, n), ref->l1_f32(a + 1, b + 1, n), eps * mag_l1 + 1e-6);
        }
    }
    printf("     float kernels checked on %d tables (best here: %s)\n", tested, dist_kernels_get()->name);
    ASSERT_TRUE(tested >= 1);
    vt_free(a);
    vt_free(b);
}

static void test_int_kernels(void) {
    const dist_kernels *ref = dist_kernels_level(DIST_LEVEL_SCALAR);
    int8_t *a = vt_malloc(MAXN + 1), *b = vt_malloc(MAXN + 1);
    int16_t *w = vt_malloc(2 * (MAXN + 1));
    float *s = vt_malloc(4 * (MAXN + 1)), *t = vt_malloc(4 * (MAXN + 1));
    ASSERT_TRUE(a && b && w && s && t);
    for (int lv = 0; lv < DIST_N_LEVELS; lv++) {
        const dist_kernels *k = dist_kernels_level(lv);
        if (!k) continue;
        for (int mode = 0; mode < 3; mode++) /* random, all extreme (worst overflow), mixed extremes */
            for (size_t li = 0; li < N_LENGTHS; li++) {
                size_t n = lengths[li];
                for (size_t i = 0; i < n; i++) {
                    if (mode == 0) {
                        a[1 + i] = (int8_t)(next_u32() & 0xff);
                        b[1 + i] = (int8_t)(next_u32() & 0xff);
                        w[1 + i] = (int16_t)(next_u32() & 0xffff);
                    } else if (mode == 1) {
                        a[1 + i] = -128, b[1 + i] = -128, w[1 + i] = -32768;
                    } else {
                        a[1 + i] = (i & 1) ? 127 : -128, b[1 + i] = (i & 1) ? -128 : 127;
                        w[1 + i] = (i & 1) ? 32767 : -32768;
                    }
                    s[1 + i] = (float)(next_u32() % 1000) / 1000.0f + 0.001f;
                    t[1 + i] = next_f();
                }
                ASSERT_EQ(k->dot_i8(a + 1, b + 1, n), ref->dot_i8(a + 1, b + 1, n));
                ASSERT_EQ(k->l2sq_i8(a + 1, b + 1, n), ref->l2sq_i8(a + 1, b + 1, n));
                ASSERT_EQ(k->l1_i8(a + 1, b + 1, n), ref->l1_i8(a + 1, b + 1, n));
                ASSERT_EQ(k->dot_i16i8(w + 1, b + 1, n), ref->dot_i16i8(w + 1, b + 1, n));
                double mag = 0;
                for (size_t i = 0; i < n; i++) mag += fabs((double)s[1 + i] * b[1 + i]) + fabs((double)t[1 + i]);
                ASSERT_NEAR(k->l1_f32i8(s + 1, t + 1, b + 1, n), ref->l1_f32i8(s + 1, t + 1, b + 1, n),
                            4e-6 * (1 + log2((double)n + 1)) * mag + 1e-5);
            }
    }
    /* the scalar reference itself, by hand */
    int8_t x[3] = {-128, 127, 5}, y[3] = {-128, -128, -3};
    int16_t wx[3] = {-32768, 32767, 2};
    ASSERT_EQ(ref->dot_i8(x, y, 3), 16384 - 16256 - 15);
    ASSERT_EQ(ref->l2sq_i8(x, y, 3), 0 + 255 * 255 + 64);
    ASSERT_EQ(ref->l1_i8(x, y, 3), 0 + 255 + 8);
    ASSERT_EQ(ref->dot_i16i8(wx, y, 3), 4194304LL - 4194176LL - 6);
    vt_free(a);
    vt_free(b);
    vt_free(w);
    vt_free(s);
    vt_free(t);
}

static void test_metrics(void) {
    float a[3] = {3, 0, 4}, b[3] = {0, 1, 0};
    ASSERT_EQ(dist_normalize(a, 3), 1);
    ASSERT_NEAR(a[0], 0.6, 1e-7);
    ASSERT_NEAR(a[2], 0.8, 1e-7);
    float z[2] = {0, 0};
    ASSERT_EQ(dist_normalize(z, 2), 0);
    ASSERT_NEAR(dist_f32(DIST_COSINE, a, a, 3), 0.0, 1e-6);
    ASSERT_NEAR(dist_f32(DIST_COSINE, a, b, 3), 1.0, 1e-6);
    ASSERT_NEAR(dist_f32(DIST_DOT, a, a, 3), -1.0, 1e-6);
    float c[3] = {1, 2, 3}, d[3] = {2, 0, 3};
    ASSERT_NEAR(dist_f32(DIST_EUCLID, c, d, 3), 5.0, 1e-6);
    ASSERT_NEAR(dist_f32(DIST_MANHATTAN, c, d, 3), 3.0, 1e-6);
    ASSERT_NEAR(dist_score(DIST_EUCLID, 25.0f), 5.0, 1e-6);
    ASSERT_NEAR(dist_score(DIST_COSINE, 0.25f), 0.75, 1e-6);
    ASSERT_NEAR(dist_score(DIST_DOT, -3.0f), 3.0, 1e-6);
    ASSERT_TRUE(isinf(dist_f32(99, c, d, 3)));
    int m = -1;
    ASSERT_EQ(dist_metric_parse("Cosine", &m), 0);
    ASSERT_EQ(m, DIST_COSINE);
    ASSERT_EQ(dist_metric_parse("l2", &m), 0);
    ASSERT_EQ(m, DIST_EUCLID);
    ASSERT_EQ(dist_metric_parse("Manhattan", &m), 0);
    ASSERT_EQ(m, DIST_MANHATTAN);
    ASSERT_EQ(dist_metric_parse("hamming", &m), -1);
    ASSERT_STR_EQ(dist_metric_name(DIST_DOT), "dot");
    ASSERT_TRUE(dist_kernels_level(DIST_LEVEL_SCALAR) != NULL);
    ASSERT_TRUE(dist_kernels_level(-1) == NULL);
    ASSERT_TRUE(dist_kernels_level(DIST_N_LEVELS) == NULL);
}

int main(void) {
    RUN(test_float_kernels);
    RUN(test_int_kernels);
    RUN(test_metrics);
    TEST_END();
}
