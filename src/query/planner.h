/*
 * planner.h — choosing how to run a filtered vector search (Qdrant's approach).
 *
 * Given the filter's cardinality estimate (pidx_estimate), the number of live points and the
 * vector size, the planner picks one of:
 *   PLAN_EXACT  score the allowed points directly (exact scan of the filter's matches);
 *   PLAN_HNSW   traverse HNSW, checking the filter on each visited point;
 *   PLAN_SAMPLE the estimate straddles the threshold: check the filter on a random sample of live
 *               points (pidx_sample_live), feed each answer to a plan_sampler, which returns
 *               PLAN_EXACT or PLAN_HNSW as soon as it is sure enough.
 *
 *     plan_input in = plan_input_default();
 *     in.card = card; in.n_live = pidx_n_live(ix); in.dim = 512;
 *     plan_kind k = plan_choose(&in);
 *     if (k == PLAN_SAMPLE) {
 *         plan_sampler sm; plan_sampler_init(&sm, &in);
 *         uint32_t slots[PLAN_MAX_SAMPLES];
 *         uint32_t n = pidx_sample_live(ix, &rng, slots, PLAN_MAX_SAMPLES);
 *         for (uint32_t i = 0; i < n && k == PLAN_SAMPLE; i++)
 *             k = plan_sampler_add(&sm, matches(slots[i]));
 *         if (k == PLAN_SAMPLE) k = plan_sampler_finish(&sm);
 *     }
 *
 * The threshold, in points, is Qdrant's full_scan_threshold (KB of vectors) divided by the bytes
 * of one vector; why that is the right cut is in planner.c. All functions are pure: no
 * allocation, no globals, thread-safe.
 */
#ifndef VT_QUERY_PLANNER_H
#define VT_QUERY_PLANNER_H

#include <stdint.h>

#include "db/payload_index.h"

#define PLAN_DEFAULT_FULL_SCAN_THRESHOLD_KB 10000 /* Qdrant's default (config/config.yaml) */
#define PLAN_MAX_SAMPLES 1000 /* Qdrant's MAX_ESTIMATED_POINTS: enough for a ±6 % (z=2) interval
                                 on the matching fraction in the worst case p = 0.5 */

typedef enum plan_kind {
    PLAN_EXACT = 1,  /* exact scoring of the points that match the filter */
    PLAN_HNSW = 2,   /* HNSW traversal with the filter checked as it goes */
    PLAN_SAMPLE = 3, /* undecided: sample (plan_sampler) to decide between the two */
} plan_kind;

typedef struct plan_input {
    pidx_card card;                 /* the filter's estimate over live points (no filter:
                                       min = exp = max = n_live) */
    uint64_t n_live;                /* live points in the collection */
    uint32_t dim;                   /* dimension of the searched vector */
    uint32_t elem_bytes;            /* bytes per stored component: 4 float32 (default), 1 int8 */
    uint64_t full_scan_threshold_kb; /* hnsw_config.full_scan_threshold; 0 = the default */
    int exact;                      /* search params "exact": true forces PLAN_EXACT */
    int has_graph;                  /* 0: no HNSW graph for this vector yet: PLAN_EXACT */
} plan_input;

/* plan_input_default: zero card and counts, elem_bytes 4, the default threshold, exact 0,
 * has_graph 1. Cannot fail. */
plan_input plan_input_default(void);

/* plan_threshold_points: full_scan_threshold_kb * 1024 / (dim * elem_bytes), at least 1; kb 0
 * means the default; dim or elem_bytes 0 count as 1. Cannot fail. */
uint64_t plan_threshold_points(uint64_t full_scan_threshold_kb, uint32_t dim, uint32_t elem_bytes);

/* plan_choose: PLAN_EXACT if in->exact, if there is no graph, if the whole collection is under
 * the threshold, or if card.max is under it; PLAN_HNSW if card.min is over it; else PLAN_SAMPLE.
 * Cannot fail. */
plan_kind plan_choose(const plan_input *in);

/* plan_sampler: the state of a sampled decision (Qdrant's sample_check_cardinality). */
typedef struct plan_sampler {
    uint64_t threshold; /* the cut, in points */
    uint64_t n_live;    /* population size the fraction is scaled to */
    uint32_t n_checked; /* samples seen */
    uint32_t n_matched; /* samples that matched the filter */
} plan_sampler;

/* plan_sampler_init: starts a sampled decision for `in`. Cannot fail. */
void plan_sampler_init(plan_sampler *s, const plan_input *in);

/* plan_sampler_add: records one sampled live point (matched: 1 if it passed the filter) and
 * returns PLAN_EXACT or PLAN_HNSW once the Agresti-Coull interval of the matching count lies
 * entirely below or above the threshold, PLAN_SAMPLE while undecided; after PLAN_MAX_SAMPLES
 * samples it always decides (plan_sampler_finish). Cannot fail. */
plan_kind plan_sampler_add(plan_sampler *s, int matched);

/* plan_sampler_finish: the decision from the samples so far (PLAN_HNSW if the expected matching
 * count exceeds the threshold, else PLAN_EXACT; with no samples, PLAN_EXACT). Cannot fail. */
plan_kind plan_sampler_finish(const plan_sampler *s);

/* plan_kind_name: "exact", "hnsw", "sample" ("unknown" otherwise). Cannot fail. */
const char *plan_kind_name(plan_kind k);

#endif
