/*
 * pairs.c — scores of relevant and sampled irrelevant pairs (see pairs.h).
 *
 * The points are read with their vectors (vt_points_get) in one call per kind and scored here
 * as cosines, whatever the collection's distance, so the histograms of all directions share one
 * scale. Negatives are drawn from a splitmix64 stream the caller seeds, so a run is repeatable.
 */
#include "eval/pairs.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "eval/metrics.h"

static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* score_points: the cosine of q with the `using` vector of each point of ids, added to s. */
static int score_points(vt_db *db, const char *coll, const char *using, const float *q, uint32_t dim, double qn,
                        const vt_point_id *ids, size_t n, int is_pos, ev_score_sample *s, vt_error *err) {
    if (!n) return VT_OK;
    vt_result *r = NULL;
    int rc = vt_points_get(db, coll, ids, n, 0, 1, &r, err);
    for (size_t i = 0; !rc && i < vt_result_count(r); i++)
        for (size_t j = 0; j < vt_result_n_vectors(r, i); j++) {
            const char *name;
            const float *v;
            uint32_t d;
            if (vt_result_vector(r, i, j, &name, &v, &d) || strcmp(name, using ? using : "") || d != dim) continue;
            double dot = 0, vn = 0;
            for (uint32_t k = 0; k < dim; k++) {
                dot += (double)q[k] * v[k];
                vn += (double)v[k] * v[k];
            }
            float cos = qn > 0 && vn > 0 ? (float)(dot / (qn * sqrt(vn))) : 0;
            if ((rc = ev_sample_add(s, is_pos, cos))) rc = vt_fail(err, rc, "eval: too many scores for the histograms");
            break;
        }
    vt_result_free(r);
    return rc;
}

int ev_pair_scores(vt_db *db, const char *coll, const char *using, const float *q, uint32_t dim, const vt_point_id *rel,
                   size_t n_rel, const vt_point_id *all, size_t n_all, size_t n_neg, uint64_t *rng, ev_score_sample *s,
                   vt_error *err) {
    double qn = 0;
    for (uint32_t k = 0; k < dim; k++) qn += (double)q[k] * q[k];
    qn = sqrt(qn);
    size_t n_pos = n_rel < EV_PAIRS_MAX_POS ? n_rel : EV_PAIRS_MAX_POS;
    vt_point_id *ids = vt_malloc((n_pos > n_neg ? n_pos : n_neg) * sizeof *ids + 1);
    if (!ids) return vt_fail(err, VT_ENOMEM, "eval: out of memory");
    for (size_t i = 0; i < n_pos; i++) ids[i] = rel[i * n_rel / n_pos];
    int rc = score_points(db, coll, using, q, dim, qn, ids, n_pos, 1, s, err);
    size_t m = 0;
    for (size_t t = 0; !rc && n_all && t < n_neg; t++) {
        const vt_point_id *c = &all[next(rng) % n_all];
        int is_rel = 0;
        for (size_t i = 0; i < n_rel && !is_rel; i++) is_rel = vt_point_id_cmp(c, &rel[i]) == 0;
        if (!is_rel) ids[m++] = *c;
    }
    if (!rc) rc = score_points(db, coll, using, q, dim, qn, ids, m, 0, s, err);
    vt_free(ids);
    return rc;
}
