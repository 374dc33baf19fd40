/*
 * test_planner.c — the filtered-search planner: threshold arithmetic, the three-way choice, and
 * the sampled decision (it must converge to the right side for clearly low and clearly high
 * selectivity, and decide within PLAN_MAX_SAMPLES otherwise).
 */
#include <stdio.h>

#include "query/planner.h"
#include "test.h"

static void test_threshold(void) {
    ASSERT_EQ(plan_threshold_points(10000, 512, 4), 5000);  /* BENCHMARKS.md: ~5,000 at 512-d */
    ASSERT_EQ(plan_threshold_points(0, 512, 4), 5000);      /* 0: the default */
    ASSERT_EQ(plan_threshold_points(10000, 512, 1), 20000); /* int8 vectors: 4x more points */
    ASSERT_EQ(plan_threshold_points(10000, 128, 4), 20000);
    ASSERT_EQ(plan_threshold_points(1, 65536, 4), 1);       /* never 0 */
    ASSERT_EQ(plan_threshold_points(10, 0, 0), 10240);
    plan_input in = plan_input_default();
    ASSERT_EQ(in.full_scan_threshold_kb, PLAN_DEFAULT_FULL_SCAN_THRESHOLD_KB);
    ASSERT_EQ(in.elem_bytes, 4);
    ASSERT_EQ(in.has_graph, 1);
    ASSERT_STR_EQ(plan_kind_name(PLAN_SAMPLE), "sample");
}

static plan_input mk(uint64_t n_live, uint64_t mn, uint64_t ex, uint64_t mx) {
    plan_input in = plan_input_default();
    in.n_live = n_live;
    in.dim = 512;
    in.card.min = mn;
    in.card.exp = ex;
    in.card.max = mx;
    return in;
}

static void test_choose(void) {
    /* threshold 5000 points at 512-d float32 */
    plan_input in = mk(200000, 0, 1000, 4999);
    ASSERT_EQ(plan_choose(&in), PLAN_EXACT);
    in = mk(200000, 5001, 9000, 20000);
    ASSERT_EQ(plan_choose(&in), PLAN_HNSW);
    in = mk(200000, 0, 50000, 200000); /* unindexed condition: don't know */
    ASSERT_EQ(plan_choose(&in), PLAN_SAMPLE);
    in = mk(200000, 4000, 5000, 6000);
    ASSERT_EQ(plan_choose(&in), PLAN_SAMPLE);
    in = mk(4000, 0, 2000, 4000); /* the whole collection is under the threshold */
    ASSERT_EQ(plan_choose(&in), PLAN_EXACT);
    in = mk(200000, 100000, 100000, 100000);
    in.exact = 1; /* params.exact */
    ASSERT_EQ(plan_choose(&in), PLAN_EXACT);
    in = mk(200000, 100000, 100000, 100000);
    in.has_graph = 0;
    ASSERT_EQ(plan_choose(&in), PLAN_EXACT);
    in = mk(200000, 100000, 100000, 100000);
    in.full_scan_threshold_kb = 1000000; /* 500,000 points: everything exact */
    ASSERT_EQ(plan_choose(&in), PLAN_EXACT);
}

/* sample: feeds a deterministic stream with matching fraction p; returns the decision and the
 * number of samples it took. */
static plan_kind sample(uint64_t n_live, double p, uint32_t *used) {
    plan_input in = mk(n_live, 0, n_live / 2, n_live);
    plan_sampler s;
    plan_sampler_init(&s, &in);
    uint64_t st = 12345;
    plan_kind k = PLAN_SAMPLE;
    uint32_t i = 0;
    while (k == PLAN_SAMPLE && i < 5000) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        int m = (double)(st >> 11) / 9007199254740992.0 < p;
        k = plan_sampler_add(&s, m);
        i++;
    }
    *used = i;
    return k;
}

static void test_sampler(void) {
    uint32_t used;
    /* 200k points, threshold 5000 = 2.5 % */
    ASSERT_EQ(sample(200000, 0.001, &used), PLAN_EXACT);
    ASSERT_TRUE(used < 300);
    ASSERT_EQ(sample(200000, 0.30, &used), PLAN_HNSW);
    ASSERT_TRUE(used < 100);
    ASSERT_EQ(sample(200000, 0.10, &used), PLAN_HNSW);
    ASSERT_EQ(sample(200000, 0.005, &used), PLAN_EXACT);
    /* right at the threshold: it still decides, within the cap */
    plan_kind k = sample(200000, 0.025, &used);
    ASSERT_TRUE(k == PLAN_EXACT || k == PLAN_HNSW);
    ASSERT_TRUE(used <= PLAN_MAX_SAMPLES);
    /* no samples */
    plan_input in = mk(200000, 0, 0, 200000);
    plan_sampler s;
    plan_sampler_init(&s, &in);
    ASSERT_EQ(plan_sampler_finish(&s), PLAN_EXACT);
}

int main(void) {
    RUN(test_threshold);
    RUN(test_choose);
    RUN(test_sampler);
    TEST_END();
}
