/*
 * fusion.h — combining several ranked result lists into one (late fusion), as Qdrant's query API
 * does for prefetches and as `vitrine search` does for several queries (a text and an image):
 *   RRF       score = Σ_lists 1 / ((rank0 + 1) / w + k − 1)   (Qdrant's formula; k default 2;
 *             a weight ≤ 0 contributes nothing). Only ranks matter, so lists whose scores are on
 *             different scales (text→image vs image→image cosine) mix fairly.
 *   DBSF      each list's scores mapped with its mean ± 3σ to [0, 1] ((s − (μ − 3σ)) / 6σ; 0.5
 *             when σ = 0), then Σ w · normalised score (Qdrant's distribution-based fusion).
 *   WEIGHTED  Σ w · score as given: right only when the scores are comparable (calibrated,
 *             calibrate.h).
 * A point missing from a list contributes nothing from it. Ties keep the order of first
 * appearance (list by list), so the result is deterministic. Lists are best first.
 */
#ifndef VT_QUERY_FUSION_H
#define VT_QUERY_FUSION_H

#include <stddef.h>

#include "base/error.h"
#include "vitrine.h"

#define FUSION_DEFAULT_RRF_K 2.0 /* Qdrant's DEFAULT_RRF_K */

typedef enum fusion_method { FUSION_RRF = 1, FUSION_DBSF = 2, FUSION_WEIGHTED = 3 } fusion_method;

typedef struct fusion_hit {
    vt_point_id id;
    float score;
    size_t list, rank; /* where the point first appeared (list, 0-based rank): to find its payload */
} fusion_hit;

typedef struct fusion_list {
    const fusion_hit *hits; /* best first; .list/.rank are ignored on input */
    size_t n;
} fusion_list;

/* fusion_parse: "rrf", "dbsf", "weighted" → the method, or 0. Cannot fail. */
fusion_method fusion_parse(const char *s);

/* fusion_run: fuses n_lists lists with weights (NULL: all 1) into *out (*n_out hits, best first,
 * each point once; caller vt_free). rrf_k ≤ 0 means the default. Errors: VT_ENOMEM. */
int fusion_run(fusion_method m, const fusion_list *lists, size_t n_lists, const double *weights, double rrf_k,
               fusion_hit **out, size_t *n_out, vt_error *err);

#endif
