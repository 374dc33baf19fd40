/*
 * test_quant.c — int8 scalar quantisation: the quantile ranges, encoding and clipping, and the
 * asymmetric distances against exact float32 ones for every metric.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "index/quant.h"
#include "test.h"

static uint64_t rng = 77;
static double unif(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

static void test_train_quantile(void) {
    /* dimension 0: a shuffled 0..999; dimension 1: constant 7; dimension 2: 0..999 with NaNs */
    enum { N = 1000 };
    quant_i8 q;
    ASSERT_EQ(quant_init(&q, 3), 0);
    float *rows = vt_malloc(sizeof(float) * 3 * N), *scratch = vt_malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        rows[3 * i] = (float)((i * 389) % N);
        rows[3 * i + 1] = 7.0f;
        rows[3 * i + 2] = (i % 10 == 0) ? NAN : (float)i;
    }
    quant_train(&q, rows, N, 0.99f, scratch);
    ASSERT_TRUE(q.is_trained);
    /* 0.5 % of 999 ranks = 5 at each end: the range is [5, 994] */
    ASSERT_NEAR(q.offset[0] - 127 * q.scale[0], 5.0, 1e-3);
    ASSERT_NEAR(q.offset[0] + 127 * q.scale[0], 994.0, 1e-3);
    ASSERT_NEAR(q.offset[1], 7.0, 1e-6); /* degenerate: centred, a small positive step */
    ASSERT_TRUE(q.scale[1] > 0 && q.scale[1] < 1e-3);
    ASSERT_TRUE(isfinite(q.offset[2]) && q.scale[2] > 0);
    quant_train(&q, rows, N, 1.0f, scratch);
    ASSERT_NEAR(q.offset[0] - 127 * q.scale[0], 0.0, 1e-3);
    ASSERT_NEAR(q.offset[0] + 127 * q.scale[0], 999.0, 1e-3);
    quant_fini(&q);
    vt_free(rows);
    vt_free(scratch);
}

static void test_encode_clip(void) {
    quant_i8 q;
    ASSERT_EQ(quant_init(&q, 4), 0);
    float rows[8] = {-1, -2, 0, 10, 1, 2, 0.5f, 20};
    float scratch[2];
    quant_train(&q, rows, 2, 1.0f, scratch);
    float x[4] = {0.0f, 2.0f, 5.0f, 15.0f}, back[4];
    int8_t c[4];
    uint64_t clipped = 0;
    float cx = quant_encode(&q, x, c, &clipped);
    ASSERT_EQ(clipped, 1); /* 5.0 is outside [0, 0.5] */
    ASSERT_EQ(c[2], 127);
    ASSERT_EQ(c[1], 127);
    ASSERT_EQ(c[0], 0);
    quant_decode(&q, c, back);
    for (int i = 0; i < 4; i++)
        if (i != 2) ASSERT_NEAR(back[i], x[i], q.scale[i] / 2 + 1e-6);
    double want = 0;
    for (int i = 0; i < 4; i++) want += (double)q.scale[i] * c[i] * q.scale[i] * c[i];
    ASSERT_NEAR(cx, want, 1e-4 * want);
    quant_fini(&q);
}

/* the asymmetric distance against the exact one on decoded vectors and on the originals */
static void test_query_distances(void) {
    enum { DIM = 200, N = 400 };
    quant_i8 q;
    ASSERT_EQ(quant_init(&q, DIM), 0);
    float *rows = vt_malloc(sizeof(float) * DIM * N), *scratch = vt_malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < DIM; j++) rows[i * DIM + j] = (float)(gauss() / sqrt(j + 1.0) + 0.1);
    /* the full range: with 0.99 the clipped Gaussian tails dominate the error, by design */
    quant_train(&q, rows, N, 1.0f, scratch);
    const dist_kernels *k = dist_kernels_get();
    int8_t codes[DIM];
    int16_t wq[DIM];
    float t[DIM], dec[DIM];
    for (int metric = 0; metric < DIST_N_METRICS; metric++) {
        quant_query qq = {wq, metric == DIST_MANHATTAN ? t : NULL, 0, 0};
        const float *y = rows + 7 * DIM;
        quant_prepare_query(&q, metric, y, &qq);
        double worst = 0, spread = 0;
        for (int i = 0; i < 50; i++) {
            const float *x = rows + (100 + i) * DIM;
            float cx = quant_encode(&q, x, codes, NULL);
            quant_decode(&q, codes, dec);
            float got = quant_dist_query(&q, k, metric, &qq, codes, cx);
            float on_decoded = metric == DIST_COSINE ? 1 - k->dot_f32(y, dec, DIM) : metric == DIST_DOT
                                                        ? -k->dot_f32(y, dec, DIM)
                                                        : metric == DIST_EUCLID ? k->l2sq_f32(y, dec, DIM)
                                                                                : k->l1_f32(y, dec, DIM);
            float exact = metric == DIST_COSINE ? 1 - k->dot_f32(y, x, DIM) : metric == DIST_DOT
                                                    ? -k->dot_f32(y, x, DIM)
                                                    : metric == DIST_EUCLID ? k->l2sq_f32(y, x, DIM)
                                                                            : k->l1_f32(y, x, DIM);
            /* against the decoded vector only the int16 rounding of the query remains */
            ASSERT_NEAR(got, on_decoded, 1e-3 * (fabs(on_decoded) + 1));
            worst = fmax(worst, fabs(got - exact));
            spread += fabs(exact);
        }
        /* against the original: the quantisation error, small next to the distances */
        ASSERT_TRUE(worst < 0.02 * spread / 50 + 1e-3);
    }
    quant_fini(&q);
    vt_free(rows);
    vt_free(scratch);
}

int main(void) {
    RUN(test_train_quantile);
    RUN(test_encode_clip);
    RUN(test_query_distances);
    TEST_END();
}
