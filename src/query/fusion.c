/*
 * fusion.c — late fusion of ranked lists (fusion.h). Every (point, contribution) pair goes into
 * one array, which is sorted by point id so the contributions of one point are adjacent and can
 * be summed, then sorted by fused score: O(N log N) in the total length, however many lists.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "fusion.h"

fusion_method fusion_parse(const char *s) {
    if (!strcmp(s, "rrf")) return FUSION_RRF;
    if (!strcmp(s, "dbsf")) return FUSION_DBSF;
    if (!strcmp(s, "weighted")) return FUSION_WEIGHTED;
    return 0;
}

typedef struct contrib {
    fusion_hit h;    /* h.score: this list's contribution */
    size_t order;    /* global position of first appearance, for stable ties */
} contrib;

static int by_id(const void *x, const void *y) {
    const contrib *a = x, *b = y;
    int c = vt_point_id_cmp(&a->h.id, &b->h.id);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static int by_score(const void *x, const void *y) {
    const contrib *a = x, *b = y;
    if (a->h.score != b->h.score) return a->h.score < b->h.score ? 1 : -1;
    return (a->order > b->order) - (a->order < b->order);
}

int fusion_run(fusion_method m, const fusion_list *lists, size_t n_lists, const double *weights, double rrf_k,
               fusion_hit **out, size_t *n_out, vt_error *err) {
    if (rrf_k <= 0) rrf_k = FUSION_DEFAULT_RRF_K;
    size_t total = 0;
    for (size_t l = 0; l < n_lists; l++) total += lists[l].n;
    *out = NULL;
    *n_out = 0;
    contrib *c = vt_malloc((total ? total : 1) * sizeof *c);
    if (!c) return vt_fail(err, VT_ENOMEM, "fusion: out of memory for %zu results", total);
    size_t n = 0;
    for (size_t l = 0; l < n_lists; l++) {
        double w = weights ? weights[l] : 1.0, lo = 0, span = 0;
        int flip = 0;
        if (m == FUSION_DBSF && lists[l].n > 1) {
            double mean = 0, var = 0;
            for (size_t j = 0; j < lists[l].n; j++) mean += lists[l].hits[j].score;
            mean /= (double)lists[l].n;
            for (size_t j = 0; j < lists[l].n; j++) var += pow(lists[l].hits[j].score - mean, 2);
            double sd = sqrt(var / (double)(lists[l].n - 1));
            lo = mean - 3 * sd;
            span = 6 * sd;
            flip = lists[l].hits[0].score < lists[l].hits[lists[l].n - 1].score;
        }
        for (size_t j = 0; j < lists[l].n; j++) {
            double s;
            if (m == FUSION_RRF) s = w > 0 ? 1.0 / (((double)j + 1) / w + rrf_k - 1) : 0.0;
            else if (m == FUSION_DBSF) {
                double x = span > 0 ? (lists[l].hits[j].score - lo) / span : 0.5;
                s = w * (flip ? 1.0 - x : x);
            }
            else s = w * lists[l].hits[j].score;
            c[n].h = lists[l].hits[j];
            c[n].h.score = (float)s;
            c[n].h.list = l;
            c[n].h.rank = j;
            c[n].order = n;
            n++;
        }
    }
    qsort(c, n, sizeof *c, by_id);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && vt_point_id_cmp(&c[u - 1].h.id, &c[i].h.id) == 0) {
            c[u - 1].h.score += c[i].h.score; /* the first appearance (lowest order) stays */
            continue;
        }
        c[u++] = c[i];
    }
    qsort(c, u, sizeof *c, by_score);
    fusion_hit *h = vt_malloc((u ? u : 1) * sizeof *h);
    if (!h) {
        vt_free(c);
        return vt_fail(err, VT_ENOMEM, "fusion: out of memory");
    }
    for (size_t i = 0; i < u; i++) h[i] = c[i].h;
    vt_free(c);
    *out = h;
    *n_out = u;
    return VT_OK;
}
