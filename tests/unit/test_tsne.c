/*
 * test_tsne.c — Barnes-Hut t-SNE (src/eval/tsne.c) and its quadtree: the tree's repulsion at
 * theta 0 against the exact sum; the same seed gives bit-identical maps, with any number of
 * threads, and another seed a different one; well-separated Gaussian clusters stay separated
 * in 2-D (k-NN accuracy); bad input is refused. Fashion-MNIST separation is in test_report.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "eval/quadtree.h"
#include "eval/tsne.h"
#include "test.h"

static uint64_t rs = 42;
static double urand(void) {
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return ((rs >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(void) { return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand()); }

static void test_quadtree_exact(void) {
    enum { N = 200 };
    double y[2 * N];
    for (int i = 0; i < 2 * N; i++) y[i] = nrand() * 5;
    y[2 * 7] = y[2 * 8]; /* a coincident pair */
    y[2 * 7 + 1] = y[2 * 8 + 1];
    qt_tree t = {0};
    ASSERT_EQ(qt_build(&t, y, N), 0);
    ASSERT_EQ(t.nodes[0].count, N);
    for (int i = 0; i < N; i += 13) {
        double fx = 0, fy = 0, z = 0, ex = 0, ey = 0, ez = 0;
        qt_repulsion(&t, y, (size_t)i, 0.0, &fx, &fy, &z);
        for (int j = 0; j < N; j++) {
            if (j == i) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], q = 1 / (1 + dx * dx + dy * dy);
            ez += q;
            ex += q * q * dx;
            ey += q * q * dy;
        }
        ASSERT_NEAR(z, ez, 1e-9 * ez);
        ASSERT_NEAR(fx, ex, 1e-9);
        ASSERT_NEAR(fy, ey, 1e-9);
        /* theta 0.5 stays close (a cell is one body at half-width / distance < 0.5) */
        double ax = 0, ay = 0, az = 0;
        qt_repulsion(&t, y, (size_t)i, 0.5, &ax, &ay, &az);
        ASSERT_NEAR(az, ez, 0.1 * ez);
    }
    qt_free(&t);
}

enum { NC = 4, PER = 75, DIM = 16 };

static float *clusters(int *label) {
    float *x = malloc(sizeof(float) * NC * PER * DIM);
    for (int c = 0; c < NC; c++)
        for (int p = 0; p < PER; p++) {
            int i = c * PER + p;
            label[i] = c;
            for (int d = 0; d < DIM; d++) x[i * DIM + d] = (float)(nrand() + (d == c ? 8 : 0));
        }
    return x;
}

/* knn_accuracy: the fraction of points whose 5 nearest in y mostly share their label */
static double knn_accuracy(const double *y, const int *label, int n) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int best[5];
        double bd[5];
        for (int k = 0; k < 5; k++) best[k] = -1, bd[k] = 1e300;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double d = (y[2 * i] - y[2 * j]) * (y[2 * i] - y[2 * j]) + (y[2 * i + 1] - y[2 * j + 1]) * (y[2 * i + 1] - y[2 * j + 1]);
            for (int k = 0; k < 5; k++)
                if (d < bd[k]) {
                    for (int m = 4; m > k; m--) bd[m] = bd[m - 1], best[m] = best[m - 1];
                    bd[k] = d, best[k] = j;
                    break;
                }
        }
        int same = 0;
        for (int k = 0; k < 5; k++) same += label[best[k]] == label[i];
        ok += same >= 3;
    }
    return (double)ok / n;
}

static void test_deterministic_and_separating(void) {
    int label[NC * PER];
    float *x = clusters(label);
    size_t n = NC * PER;
    double *a = malloc(sizeof(double) * 2 * n), *b = malloc(sizeof(double) * 2 * n), *c = malloc(sizeof(double) * 2 * n);
    ev_tsne_opts o = ev_tsne_opts_default();
    o.iterations = 400;
    o.seed = 7;
    o.threads = 1;
    vt_error err = {0};
    ASSERT_EQ(ev_tsne(x, n, DIM, &o, a, &err), VT_OK);
    o.threads = 2;
    ASSERT_EQ(ev_tsne(x, n, DIM, &o, b, &err), VT_OK);
    ASSERT_TRUE(memcmp(a, b, sizeof(double) * 2 * n) == 0); /* bit-identical, threads or not */
    o.seed = 8;
    ASSERT_EQ(ev_tsne(x, n, DIM, &o, c, &err), VT_OK);
    ASSERT_TRUE(memcmp(a, c, sizeof(double) * 2 * n) != 0);
    for (size_t i = 0; i < 2 * n; i++) ASSERT_TRUE(isfinite(a[i]));
    double acc = knn_accuracy(a, label, (int)n);
    fprintf(stderr, "     4 Gaussian clusters: 2-D 5-NN accuracy %.3f\n", acc);
    ASSERT_TRUE(acc >= 0.95);
    free(a);
    free(b);
    free(c);
    free(x);
}

static void test_bad_input(void) {
    float x[8] = {0, 1, 2, 3, 4, 5, 6, NAN};
    double y[8];
    vt_error err = {0};
    ASSERT_EQ(ev_tsne(x, 1, 2, NULL, y, &err), VT_EINVAL);
    vt_error_clear(&err);
    ASSERT_EQ(ev_tsne(x, 4, 2, NULL, y, &err), VT_EINVAL); /* NaN */
    ASSERT_STR_CONTAINS(err.message, "not finite");
    vt_error_clear(&err);
    ASSERT_EQ(ev_tsne(x, EV_TSNE_MAX_POINTS + 1, 2, NULL, y, &err), VT_ELIMIT);
    /* tiny input: perplexity clamps, still a result */
    ev_tsne_opts o = ev_tsne_opts_default();
    o.iterations = 50;
    ASSERT_EQ(ev_tsne(x, 3, 2, &o, y, NULL), VT_OK);
    for (int i = 0; i < 6; i++) ASSERT_TRUE(isfinite(y[i]));
}

int main(void) {
    RUN(test_quadtree_exact);
    RUN(test_deterministic_and_separating);
    RUN(test_bad_input);
    TEST_END();
}
