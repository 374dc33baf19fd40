/*
 * test_fusion.c — late fusion (src/query/fusion.c) against hand-computed values of Qdrant's
 * formulas, and score calibration (src/query/calibrate.c) on a collection whose null
 * distribution is known.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "query/calibrate.h"
#include "query/fusion.h"
#include "test.h"

static fusion_hit H(uint64_t id, float score) {
    fusion_hit h;
    memset(&h, 0, sizeof h);
    h.id.num = id;
    h.score = score;
    return h;
}

static void test_rrf(void) {
    fusion_hit a[3] = {H(1, .9f), H(2, .8f), H(3, .1f)}, b[2] = {H(3, 5), H(4, 4)};
    fusion_list l[2] = {{a, 3}, {b, 2}};
    fusion_hit *out = NULL;
    size_t n = 0;
    vt_error err = {0};
    ASSERT_EQ(fusion_run(FUSION_RRF, l, 2, NULL, 0, &out, &n, &err), VT_OK);
    /* k = 2: 1/(rank0 + 2): id3 = 1/4 + 1/2, id1 = 1/2, id4 = 1/3, id2 = 1/3 (tie: 2 came first) */
    ASSERT_EQ(n, 4);
    ASSERT_EQ(out[0].id.num, 3);
    ASSERT_NEAR(out[0].score, 0.75, 1e-6);
    ASSERT_EQ(out[0].list, 0); /* first appearance: list 0, rank 2 */
    ASSERT_EQ(out[0].rank, 2);
    ASSERT_EQ(out[1].id.num, 1);
    ASSERT_NEAR(out[1].score, 0.5, 1e-6);
    ASSERT_EQ(out[2].id.num, 2);
    ASSERT_EQ(out[3].id.num, 4);
    ASSERT_NEAR(out[3].score, 1.0 / 3, 1e-6);
    vt_free(out);
    /* weights: (rank0 + 1)/w + k − 1; a weight ≤ 0 contributes nothing */
    double w[2] = {2.0, 0.0};
    ASSERT_EQ(fusion_run(FUSION_RRF, l, 2, w, 60, &out, &n, &err), VT_OK);
    ASSERT_EQ(out[0].id.num, 1);
    ASSERT_NEAR(out[0].score, 1.0 / (0.5 + 59), 1e-6);
    ASSERT_EQ(n, 4);
    ASSERT_NEAR(out[3].score, 0.0, 0);
    vt_free(out);
}

static void test_dbsf_and_weighted(void) {
    fusion_hit a[3] = {H(1, 3), H(2, 2), H(3, 1)}, b[1] = {H(2, 10)};
    fusion_list l[2] = {{a, 3}, {b, 1}};
    fusion_hit *out = NULL;
    size_t n = 0;
    vt_error err = {0};
    ASSERT_EQ(fusion_run(FUSION_DBSF, l, 2, NULL, 0, &out, &n, &err), VT_OK);
    /* list a: μ = 2, σ = 1 (sample variance, n − 1, as Qdrant's distr_norm); (s − (μ − 3σ)) / 6σ;
     * list b: one result → 0.5 */
    double sd = sqrt(2.0 / 2), lo = 2 - 3 * sd;
    ASSERT_EQ(out[0].id.num, 2);
    ASSERT_NEAR(out[0].score, (2 - lo) / (6 * sd) + 0.5, 1e-6);
    ASSERT_EQ(out[1].id.num, 1);
    ASSERT_NEAR(out[1].score, (3 - lo) / (6 * sd), 1e-6);
    vt_free(out);
    double w[2] = {1.0, 0.25};
    ASSERT_EQ(fusion_run(FUSION_WEIGHTED, l, 2, w, 0, &out, &n, &err), VT_OK);
    ASSERT_EQ(out[0].id.num, 2);
    ASSERT_NEAR(out[0].score, 2 + 2.5, 1e-6);
    vt_free(out);
    ASSERT_EQ(fusion_parse("rrf"), FUSION_RRF);
    ASSERT_EQ(fusion_parse("dbsf"), FUSION_DBSF);
    ASSERT_EQ(fusion_parse("weighted"), FUSION_WEIGHTED);
    ASSERT_EQ(fusion_parse("max"), 0);
    ASSERT_EQ(fusion_run(FUSION_RRF, NULL, 0, NULL, 0, &out, &n, &err), VT_OK);
    ASSERT_EQ(n, 0);
    vt_free(out);
}

/* A collection whose "a" vectors are random unit vectors in 64-d: the null cosine has mean ≈ 0
 * and sd ≈ 1/8; "b" holds the same vectors negated. */
static void test_calibration(void) {
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/vt-test-fusion-XXXXXX");
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    vt_db *db = NULL;
    vt_error err = {0};
    vt_db_opts o = vt_db_opts_default();
    ASSERT_EQ(vt_db_open(dir, &o, &db, &err), VT_OK);
    vt_vector_params v[2] = {vt_vector_params_default("a", 64, VT_DISTANCE_COSINE),
                             vt_vector_params_default("b", 64, VT_DISTANCE_COSINE)};
    vt_collection_config cc = {2, v};
    ASSERT_EQ(vt_collection_create(db, "c", &cc, &err), VT_OK);
    uint64_t s = 7;
    for (int i = 0; i < 2000; i++) {
        float x[64], y[64];
        for (int d = 0; d < 64; d++) {
            /* a sum of uniforms: close enough to Gaussian for random directions */
            double g = 0;
            for (int k = 0; k < 4; k++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                g += (double)(s >> 11) / 9007199254740992.0 - 0.5;
            }
            x[d] = (float)g;
            y[d] = -x[d];
        }
        vt_named_vector nv[2] = {{"a", x, 64}, {"b", y, 64}};
        vt_point_in p = {{0, (uint64_t)i, {0}}, 2, nv, NULL};
        ASSERT_EQ(vt_points_upsert(db, "c", &p, 1, NULL, &err), VT_OK);
    }
    cal_stats st;
    ASSERT_EQ(cal_get(db, dir, "c", &st, &err), VT_OK);
    const cal_pair *aa = cal_find(&st, "a", "a"), *ab = cal_find(&st, "a", "b");
    ASSERT_TRUE(aa && ab);
    ASSERT_EQ(aa->n, (uint64_t)CAL_SAMPLE * (CAL_SAMPLE - 1));
    ASSERT_NEAR(aa->mean, 0.0, 0.01);
    ASSERT_NEAR(aa->sd, 0.125, 0.01);
    ASSERT_NEAR(ab->mean, 0.0, 0.01); /* other points' negations: still unrelated */
    ASSERT_NEAR(cal_score(aa, 0.5), 0.5 / aa->sd - aa->mean / aa->sd, 1e-9);
    ASSERT_TRUE(cal_find(&st, "a", "zzz") == NULL);
    ASSERT_NEAR(cal_score(NULL, 0.3), 0.3, 0);
    /* saved beside the data and loaded back; stale after the collection grows by > 20 % */
    cal_stats st2;
    ASSERT_EQ(cal_load(dir, "c", &st2, &err), VT_OK);
    ASSERT_EQ(st2.points_count, 2000);
    ASSERT_NEAR(cal_find(&st2, "a", "a")->sd, aa->sd, 1e-12);
    vt_db_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

int main(void) {
    RUN(test_rrf);
    RUN(test_dbsf_and_weighted);
    RUN(test_calibration);
    TEST_END();
}
