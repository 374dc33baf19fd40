/*
 * metrics.h — retrieval metrics of one ranked list against a set of relevant ids (binary
 * relevance), and their averages per direction (text→image, image→text, …).
 *   precision@k  |relevant ∩ top k| / k
 *   recall@k     |relevant ∩ top k| / |relevant|            (0 when nothing is relevant)
 *   MRR          1 / rank of the first relevant result in the whole retrieved list (0 if none)
 *   nDCG@k       Σ_{i<k} rel_i / log2(i + 2)  ÷  Σ_{i<min(k, |relevant|)} 1 / log2(i + 2)
 * The list may be shorter than k (a filter, a small collection): missing ranks count as misses.
 */
#ifndef VT_EVAL_METRICS_H
#define VT_EVAL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine.h"

typedef struct ev_scores {
    double precision, recall, mrr, ndcg;
} ev_scores;

/* ev_score_list: the metrics of ranked[0..n) (best first) against relevant[0..n_rel) at k. */
ev_scores ev_score_list(const vt_point_id *ranked, size_t n, const vt_point_id *relevant, size_t n_rel, size_t k);

/* Running means of one direction. */
typedef struct ev_direction {
    char name[64]; /* "text->image" */
    size_t queries;
    ev_scores sum;
} ev_direction;

void ev_direction_add(ev_direction *d, const ev_scores *s);
ev_scores ev_direction_mean(const ev_direction *d);


#endif
