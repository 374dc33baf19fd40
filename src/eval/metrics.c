/*
 * metrics.c — precision, recall, MRR and nDCG (metrics.h). Relevant sets are small (tens to a few
 * thousand ids), so membership is a linear scan; an evaluation runs at most a few thousand
 * queries.
 */
#include <math.h>
#include <string.h>

#include "metrics.h"

static int is_relevant(const vt_point_id *id, const vt_point_id *rel, size_t n_rel) {
    for (size_t i = 0; i < n_rel; i++)
        if (vt_point_id_cmp(id, &rel[i]) == 0) return 1;
    return 0;
}

ev_scores ev_score_list(const vt_point_id *ranked, size_t n, const vt_point_id *relevant, size_t n_rel, size_t k) {
    ev_scores s = {0, 0, 0, 0};
    size_t hits = 0;
    double dcg = 0, idcg = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_relevant(&ranked[i], relevant, n_rel)) continue;
        if (s.mrr == 0) s.mrr = 1.0 / (double)(i + 1);
        if (i < k) {
            hits++;
            dcg += 1.0 / log2((double)i + 2);
        }
    }
    for (size_t i = 0; i < k && i < n_rel; i++) idcg += 1.0 / log2((double)i + 2);
    s.precision = k ? (double)hits / (double)k : 0;
    s.recall = n_rel ? (double)hits / (double)n_rel : 0;
    s.ndcg = idcg > 0 ? dcg / idcg : 0;
    return s;
}

void ev_direction_add(ev_direction *d, const ev_scores *s) {
    d->queries++;
    d->sum.precision += s->precision;
    d->sum.recall += s->recall;
    d->sum.mrr += s->mrr;
    d->sum.ndcg += s->ndcg;
}

ev_scores ev_direction_mean(const ev_direction *d) {
    ev_scores m = {0, 0, 0, 0};
    if (!d->queries) return m;
    double n = (double)d->queries;
    m.precision = d->sum.precision / n;
    m.recall = d->sum.recall / n;
    m.mrr = d->sum.mrr / n;
    m.ndcg = d->sum.ndcg / n;
    return m;
}
