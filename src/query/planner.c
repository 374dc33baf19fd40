/*
 * planner.c — choosing exact scoring, filtered HNSW or a sampled decision for a filtered search,
 * as Qdrant does (lib/segment/src/index/hnsw_index/hnsw.rs, search_with_graph;
 * lib/segment/src/index/sample_estimation.rs).
 *
 * The cut. Scoring the matching points exactly costs one distance per match; a filtered HNSW
 * walk costs roughly ef x M distances per visited layer and, when the filter is selective, has
 * to wander through many non-matching nodes to fill ef (its cost grows like 1 / selectivity).
 * So exact wins below some number of matching points, HNSW above. Qdrant expresses that number
 * as full_scan_threshold in KB of vectors (default 10,000 KB); in points that is
 *     threshold = full_scan_threshold_kb * 1024 / (dim * bytes per component)
 * = 5,000 points at 512 float32 dimensions. BENCHMARKS.md's filtered-search table (200k x 512,
 * hnswlib with a filter callback, 1 thread): at 1 % allowed (2,000 points) the exact scan takes
 * 0.1 ms against 8.6 ms for filtered HNSW, at 10 % (20,000) 2.4 ms against 0.6 ms; interpolating,
 * the curves cross near 4-6 % (8,000-12,000 points). The default cut of 5,000 points (2.5 %)
 * therefore sits on the safe side: below it exact is always faster and has perfect recall; just
 * above it HNSW is at worst ~2x slower than exact would have been. The threshold scales with the
 * vector size because exact-scan cost is bytes read, which is what the KB unit captures.
 *
 * The decision. With the estimate {min, exp, max} of the matching points (pidx_estimate):
 *     max < threshold   -> PLAN_EXACT  (even the most it could be is cheap to scan)
 *     min > threshold   -> PLAN_HNSW   (even the least it could be is too many to scan)
 *     otherwise         -> PLAN_SAMPLE
 * plus PLAN_EXACT when the caller asks for exact search, when there is no graph yet, or when the
 * whole collection is under the threshold (Qdrant keeps such segments unindexed).
 *
 * Sampling. Check the filter on uniformly drawn live points; after each, the Agresti-Coull
 * interval [Agresti & Coull, "Approximate is better than exact for interval estimation of
 * binomial proportions", 1998] with z = 2 (~95 %) of the matching fraction, scaled to n_live,
 * gives exp ± delta; decide HNSW as soon as exp - delta > threshold, EXACT as soon as
 * exp + delta < threshold; after PLAN_MAX_SAMPLES, HNSW iff exp > threshold. These are Qdrant's
 * constants (z = 2, at most 1,000 samples).
 */
#include <math.h>

#include "query/planner.h"

plan_input plan_input_default(void) {
    plan_input in = {0};
    in.elem_bytes = 4;
    in.full_scan_threshold_kb = PLAN_DEFAULT_FULL_SCAN_THRESHOLD_KB;
    in.has_graph = 1;
    return in;
}

uint64_t plan_threshold_points(uint64_t full_scan_threshold_kb, uint32_t dim, uint32_t elem_bytes) {
    if (!full_scan_threshold_kb) full_scan_threshold_kb = PLAN_DEFAULT_FULL_SCAN_THRESHOLD_KB;
    if (!dim) dim = 1;
    if (!elem_bytes) elem_bytes = 1;
    if (full_scan_threshold_kb > UINT64_MAX / 1024) full_scan_threshold_kb = UINT64_MAX / 1024;
    uint64_t t = full_scan_threshold_kb * 1024 / ((uint64_t)dim * elem_bytes);
    return t ? t : 1;
}

plan_kind plan_choose(const plan_input *in) {
    uint64_t t = plan_threshold_points(in->full_scan_threshold_kb, in->dim, in->elem_bytes);
    if (in->exact || !in->has_graph || in->n_live <= t) return PLAN_EXACT;
    if (in->card.max < t) return PLAN_EXACT;
    if (in->card.min > t) return PLAN_HNSW;
    return PLAN_SAMPLE;
}

void plan_sampler_init(plan_sampler *s, const plan_input *in) {
    s->threshold = plan_threshold_points(in->full_scan_threshold_kb, in->dim, in->elem_bytes);
    s->n_live = in->n_live;
    s->n_checked = 0;
    s->n_matched = 0;
}

/* interval: Agresti-Coull (z = 2) expected matching count and half-width, scaled to n_live. */
static void interval(const plan_sampler *s, double *exp, double *delta) {
    const double z = 2.0;
    double n = (double)s->n_checked + z * z;
    double p = ((double)s->n_matched + z * z / 2) / n;
    *exp = p * (double)s->n_live;
    *delta = z * sqrt(p * (1 - p) / n) * (double)s->n_live;
}

plan_kind plan_sampler_add(plan_sampler *s, int matched) {
    s->n_checked++;
    s->n_matched += matched != 0;
    double e, d;
    interval(s, &e, &d);
    if (e - d > (double)s->threshold) return PLAN_HNSW;
    if (e + d < (double)s->threshold) return PLAN_EXACT;
    if (s->n_checked >= PLAN_MAX_SAMPLES) return plan_sampler_finish(s);
    return PLAN_SAMPLE;
}

plan_kind plan_sampler_finish(const plan_sampler *s) {
    if (s->n_checked == 0) return PLAN_EXACT;
    double e, d;
    interval(s, &e, &d);
    return e > (double)s->threshold ? PLAN_HNSW : PLAN_EXACT;
}

const char *plan_kind_name(plan_kind k) {
    switch (k) {
    case PLAN_EXACT: return "exact";
    case PLAN_HNSW: return "hnsw";
    case PLAN_SAMPLE: return "sample";
    }
    return "unknown";
}
