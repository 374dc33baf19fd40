/*
 * test_metrics.c — retrieval metrics (src/eval/metrics.c) against values computed by hand.
 */
#include <math.h>

#include "eval/metrics.h"
#include "test.h"

static vt_point_id I(uint64_t n) {
    vt_point_id id = {0, n, {0}};
    return id;
}

static void test_one_list(void) {
    vt_point_id ranked[5] = {I(7), I(3), I(9), I(1), I(4)}, rel[3] = {I(3), I(4), I(8)};
    ev_scores s = ev_score_list(ranked, 5, rel, 3, 3);
    /* top 3 = 7, 3, 9: one hit at rank 2 */
    ASSERT_NEAR(s.precision, 1.0 / 3, 1e-12);
    ASSERT_NEAR(s.recall, 1.0 / 3, 1e-12);
    ASSERT_NEAR(s.mrr, 0.5, 1e-12);
    /* DCG = 1/log2(3); IDCG = 1 + 1/log2(3) + 1/log2(4) */
    ASSERT_NEAR(s.ndcg, (1 / log2(3)) / (1 + 1 / log2(3) + 0.5), 1e-12);
    s = ev_score_list(ranked, 5, rel, 3, 5); /* hits at ranks 2 and 5 */
    ASSERT_NEAR(s.precision, 0.4, 1e-12);
    ASSERT_NEAR(s.recall, 2.0 / 3, 1e-12);
    ASSERT_NEAR(s.ndcg, (1 / log2(3) + 1 / log2(6)) / (1 + 1 / log2(3) + 0.5), 1e-12);
    /* a short list counts missing ranks as misses; nothing relevant → zeros */
    s = ev_score_list(ranked, 2, rel, 3, 10);
    ASSERT_NEAR(s.precision, 0.1, 1e-12);
    s = ev_score_list(ranked, 5, rel, 0, 3);
    ASSERT_NEAR(s.recall, 0, 0);
    ASSERT_NEAR(s.ndcg, 0, 0);
    ASSERT_NEAR(s.mrr, 0, 0);
    /* MRR looks past k */
    vt_point_id late[1] = {I(4)};
    s = ev_score_list(ranked, 5, late, 1, 2);
    ASSERT_NEAR(s.mrr, 0.2, 1e-12);
    ASSERT_NEAR(s.precision, 0, 0);
    /* UUIDs and integers are different ids */
    vt_point_id u = {1, 3, {0}};
    ASSERT_TRUE(vt_point_id_cmp(&u, &rel[0]) != 0);
}

static void test_direction_means(void) {
    ev_direction d = {"text->image", 0, {0, 0, 0, 0}};
    ev_scores a = {1, 0.5, 1, 1}, b = {0, 0.25, 0.5, 0};
    ev_direction_add(&d, &a);
    ev_direction_add(&d, &b);
    ev_scores m = ev_direction_mean(&d);
    ASSERT_EQ(d.queries, 2);
    ASSERT_NEAR(m.precision, 0.5, 1e-12);
    ASSERT_NEAR(m.recall, 0.375, 1e-12);
    ASSERT_NEAR(m.mrr, 0.75, 1e-12);
    ASSERT_NEAR(m.ndcg, 0.5, 1e-12);
}

int main(void) {
    RUN(test_one_list);
    RUN(test_direction_means);
    TEST_END();
}
