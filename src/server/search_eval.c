/*
 * search_eval.c — how a query is evaluated: into a ranked list of hits (id, score, version);
 * payloads and vectors, when asked for, are fetched once at the end (srv_scored_json) for the
 * hits that survive limit and offset. handlers_search.c maps the endpoints onto this. The forms
 * of `query` (QueryInterface):
 *   [f32…] | {"nearest": [f32…]}             nearest to the vector (JS sends the first form,
 *                                            Python the second)
 *   17 | "uuid" | {"nearest": 17}            nearest to that point's vector (`using`), the point
 *                                            itself excluded; lookup_from reads it elsewhere
 *   {"text"|"image": …, "model": …}          an inference object, embedded here (inference.c)
 *   {"recommend": {positive, negative, strategy}}  average_vector: a search for
 *                                            avg(pos) + (avg(pos) − avg(neg)); best_score and
 *                                            sum_scores: a brute-force pass (reco_scan); the
 *                                            example points excluded
 *   {"fusion": "rrf"|"dbsf"} | {"rrf": {k, weights}}   fuses the prefetch lists
 *   {"order_by": key | {key, direction}}     payload order (scroll)
 *   absent                                   the points in id order (score 0)
 *
 * /points/query/groups runs the same query for more candidates and groups them by a payload
 * value (handlers_search.c).
 *
 * `prefetch` (one or a list, nested up to SRV_MAX_PREFETCH_DEPTH) runs first; with a nearest or
 * recommend query the prefetched ids restrict the candidates (a has_id filter, exact scoring).
 * Fusion follows Qdrant (lib/segment/src/common/reciprocal_rank_fusion.rs, score_fusion.rs):
 * RRF score = Σ 1 / ((rank0 + 1) / weight + k − 1), k = 2 by default; DBSF normalises each list
 * to (s − (μ − 3σ)) / 6σ and sums.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "query/fusion.h"
#include "server/server_int.h"

static const char *coll_name(srv_req *r) { return r->params[0]; }

void srv_hits_free(hits *h) {
    vt_free(h->v);
    h->v = NULL;
    h->n = 0;
}

/* The common fields of a search. */
typedef struct qspec {
    const char *using;   /* borrowed; "" = unnamed */
    json_t *filter;      /* borrowed filter object or NULL */
    size_t limit, offset;
    int has_thr;
    float thr;
    uint32_t hnsw_ef;
    int exact;
} qspec;

/* read_qspec: limit, offset, using, filter, params, score_threshold from a request object;
 * limit_label names limit in messages. A limit over SRV_MAX_LIMIT is clamped (Qdrant takes any). */
static int read_qspec(srv_req *r, const json_t *o, size_t def_limit, const char *limit_label, qspec *q) {
    memset(q, 0, sizeof *q);
    long long limit = srv_json_limit(r, o, "limit", limit_label, (long long)def_limit, SRV_MAX_LIMIT);
    if (limit < 0) return -1;
    long long offset = srv_json_size(r, o, "offset", 0, 0, SRV_MAX_LIMIT);
    if (offset < 0) return -1;
    q->limit = (size_t)limit;
    q->offset = (size_t)offset;
    json_t *u = json_object_get(o, "using");
    if (u && !json_is_null(u) && !json_is_string(u)) {
        srv_fail(r, 400, "Format error in JSON body: using must be a vector name");
        return -1;
    }
    q->using = u && json_is_string(u) ? json_string_value(u) : "";
    json_t *f = json_object_get(o, "filter");
    if (f && !json_is_null(f)) {
        if (!json_is_object(f)) {
            srv_fail(r, 400, "Format error in JSON body: filter must be an object");
            return -1;
        }
        q->filter = f;
    }
    json_t *p = json_object_get(o, "params");
    if (p && json_is_object(p)) {
        long long ef = srv_json_size(r, p, "hnsw_ef", 0, 0, 1 << 20);
        if (ef < 0) return -1;
        q->hnsw_ef = (uint32_t)ef;
        json_t *ex = json_object_get(p, "exact");
        q->exact = ex && json_is_true(ex);
    }
    json_t *t = json_object_get(o, "score_threshold");
    if (t && !json_is_null(t)) {
        if (!json_is_number(t)) {
            srv_fail(r, 400, "Format error in JSON body: score_threshold must be a number");
            return -1;
        }
        double tv = json_number_value(t);
        q->has_thr = 1;
        q->thr = tv > FLT_MAX ? FLT_MAX : tv < -FLT_MAX ? -FLT_MAX : (float)tv;
    }
    return 0;
}

static json_t *ids_array(const vt_point_id *ids, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, srv_id_json(&ids[i]));
    return a;
}

/* build_filter: the user's filter, restricted to `only` ids (when only_n ≥ 0) and without the
 * `not` ids, as JSON text (vt_malloc'd; NULL = no filter). */
static char *build_filter(const json_t *user, const vt_point_id *only, long only_n,
                          const vt_point_id *not, size_t not_n, int *oom) {
    *oom = 0;
    if (!user && only_n < 0 && not_n == 0) return NULL;
    if (only_n < 0 && not_n == 0) { /* the user's filter as it is: the planner sees its clauses */
        char *s = srv_dumps(user, NULL);
        if (!s) *oom = 1;
        return s;
    }
    json_t *f = json_object();
    json_t *must = json_array();
    if (user) json_array_append(must, (json_t *)user);
    if (only_n >= 0) json_array_append_new(must, json_pack("{s:o}", "has_id", ids_array(only, (size_t)only_n)));
    json_object_set_new(f, "must", must);
    if (not_n) json_object_set_new(f, "must_not", json_pack("[{s:o}]", "has_id", ids_array(not, not_n)));
    char *s = srv_dumps(f, NULL);
    json_decref(f);
    if (!s) *oom = 1;
    return s;
}

/* hits_from_result: res's points from index first on as hits (scores kept when scored, else
 * 0). -1 after a 500 when memory runs out. */
static int hits_from_result(srv_req *r, const vt_result *res, size_t first, int scored, hits *out) {
    size_t n = vt_result_count(res);
    out->n = 0;
    out->v = vt_malloc((n ? n : 1) * sizeof *out->v);
    if (!out->v) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    for (size_t i = first; i < n; i++, out->n++) {
        out->v[out->n].id = *vt_result_id(res, i);
        out->v[out->n].score = scored ? vt_result_score(res, i) : 0;
        out->v[out->n].version = vt_result_version(res, i);
    }
    return 0;
}

/* nearest: the hits nearest to vec under q (restricted/excluded ids as build_filter). */
static int nearest(srv_req *r, const char *coll, const qspec *q, const float *vec, uint32_t dim,
                   const vt_point_id *only, long only_n, const vt_point_id *not, size_t not_n, hits *out) {
    out->v = NULL;
    out->n = 0;
    if (only_n == 0) return 0;
    int oom;
    char *filter = build_filter(q->filter, only, only_n, not, not_n, &oom);
    if (oom) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    vt_search_req s = vt_search_req_default();
    s.using = q->using;
    s.vector = vec;
    s.dim = dim;
    s.limit = q->limit;
    s.offset = q->offset;
    s.filter_json = filter;
    s.has_score_threshold = q->has_thr;
    s.score_threshold = q->thr;
    s.hnsw_ef = q->hnsw_ef;
    s.exact = q->exact || only_n > 0;
    s.with_payload = r->want_payloads; /* read in the search's own transaction (srv_req.found) */
    vt_result *res = NULL;
    vt_error err = {0};
    int rc = vt_points_search(r->ctx->db, coll, &s, &res, &err);
    vt_free(filter);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    if (hits_from_result(r, res, 0, 1, out)) {
        vt_result_free(res);
        return -1;
    }
    if (r->want_payloads) { /* the latest search's; srv_scored_json checks it is the one shown */
        vt_result_free(r->found);
        r->found = res;
    } else {
        vt_result_free(res);
    }
    return 0;
}

/* point_vector: the vector `name` of point id in coll (a copy). 404 if the point is missing. */
static int point_vector(srv_req *r, const char *coll, const char *name, const vt_point_id *id, srv_vec *out) {
    out->data = NULL;
    out->dim = 0;
    vt_result *res = NULL;
    vt_error err = {0};
    int rc = vt_points_get(r->ctx->db, coll, id, 1, 0, 1, &res, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    char buf[VT_POINT_ID_BUF];
    if (vt_result_count(res) == 0) {
        vt_result_free(res);
        srv_fail(r, 404, "Not found: No point with id %s found", vt_point_id_format(id, buf));
        return -1;
    }
    for (size_t j = 0; j < vt_result_n_vectors(res, 0); j++) {
        const char *vn;
        const float *d;
        uint32_t dim;
        if (vt_result_vector(res, 0, j, &vn, &d, &dim) != VT_OK || strcmp(vn, name) != 0) continue;
        out->data = vt_malloc((size_t)dim * sizeof(float));
        if (!out->data) {
            vt_result_free(res);
            srv_fail(r, 500, "Service internal error: out of memory");
            return -1;
        }
        memcpy(out->data, d, (size_t)dim * sizeof(float));
        out->dim = dim;
        vt_result_free(res);
        return 0;
    }
    vt_result_free(res);
    srv_fail(r, 400, "Wrong input: point %s has no vector \"%s\"", vt_point_id_format(id, buf), name);
    return -1;
}

/* A vector input resolved: the vector, and the id it came from (to exclude) if any. */
typedef struct resolved {
    srv_vec vec;
    int has_id;
    vt_point_id id;
} resolved;

/* check_lookup_from: req's lookup_from, if any, names an existing collection: a 404 "Collection
 * x not found" otherwise, as Qdrant answers even when every example is a raw vector (so nothing
 * would be read from it). Checked once per request object, before any example is resolved. */
static int check_lookup_from(srv_req *r, const json_t *req) {
    json_t *lf = json_object_get(req, "lookup_from");
    if (!lf || json_is_null(lf)) return 0;
    json_t *c = json_is_object(lf) ? json_object_get(lf, "collection") : NULL;
    json_t *v = json_is_object(lf) ? json_object_get(lf, "vector") : NULL;
    if (!c || !json_is_string(c)) {
        srv_fail(r, 400, "Format error in JSON body: lookup_from.collection must be a string");
        return -1;
    }
    if (v && !json_is_null(v) && !json_is_string(v)) {
        srv_fail(r, 400, "Format error in JSON body: lookup_from.vector must be a string");
        return -1;
    }
    int exists = 0;
    vt_collection_exists(r->ctx->db, json_string_value(c), &exists, NULL);
    if (!exists) {
        srv_fail(r, 404, "Not found: Collection %s not found", json_string_value(c));
        return -1;
    }
    return 0;
}

/* lookup_of: the collection and vector name that ids are read from (lookup_from, already
 * checked by check_lookup_from, or ours). */
static void lookup_of(srv_req *r, const json_t *req, const char *using, const char **coll, const char **vname) {
    *coll = coll_name(r);
    *vname = using;
    json_t *lf = req ? json_object_get(req, "lookup_from") : NULL;
    if (!json_is_object(lf)) return;
    json_t *c = json_object_get(lf, "collection"), *v = json_object_get(lf, "vector");
    if (json_is_string(c)) *coll = json_string_value(c);
    if (json_is_string(v)) *vname = json_string_value(v);
}

/* resolve_input: a VectorInput (vector, id, inference object) into out. */
static int resolve_input(srv_req *r, const json_t *req, const json_t *v, const char *using,
                         const char *where, resolved *out) {
    memset(out, 0, sizeof *out);
    if (json_is_integer(v) || json_is_string(v)) {
        if (srv_parse_id(r, v, where, &out->id)) return -1;
        out->has_id = 1;
        const char *lc, *lv;
        lookup_of(r, req, using, &lc, &lv);
        return point_vector(r, lc, lv, &out->id, &out->vec);
    }
    return srv_read_vector(r, v, where, &out->vec);
}

static int cmp_hit_desc(const void *a, const void *b);

/* vec_norm: scales v to unit length (a zero vector stays zero). */
static void vec_norm(float *v, uint32_t dim) {
    double s = 0;
    for (uint32_t i = 0; i < dim; i++) s += (double)v[i] * v[i];
    if (s <= 0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (uint32_t i = 0; i < dim; i++) v[i] *= inv;
}

static float vec_dot(const float *a, const float *b, uint32_t dim) {
    double s = 0;
    for (uint32_t i = 0; i < dim; i++) s += (double)a[i] * b[i];
    return (float)s;
}

/* reco_scan: best_score / sum_scores as Qdrant scores them (lib/segment/src/vector_storage/
 * query/reco_query.rs): over every candidate point, with sim = the collection's similarity
 * (Cosine, Dot),
 *   best_score: max_pos > max_neg ? s(max_pos) : −s(max_neg), s(x) = (x / (1 + |x|) + 1) / 2
 *   sum_scores: Σ sim(pos) − Σ sim(neg)
 * A brute-force pass (scroll with vectors), since the HNSW graph is built for one query vector. */
static int reco_scan(srv_req *r, const qspec *q, int best, float *const *ex, size_t np, size_t nn,
                     uint32_t dim, const vt_point_id *only, long only_n, const vt_point_id *not,
                     size_t not_n, hits *out) {
    vt_collection_info info;
    vt_error err = {0};
    int rc = vt_collection_info_get(r->ctx->db, coll_name(r), &info, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    size_t vi = 0;
    while (vi < info.n_vectors && strcmp(info.vectors[vi].name, q->using) != 0) vi++;
    if (vi == info.n_vectors) {
        srv_fail(r, 400, "Wrong input: Not existing vector name error: %s", q->using);
        return -1;
    }
    int distance = info.vectors[vi].params.distance;
    if (distance != VT_DISTANCE_COSINE && distance != VT_DISTANCE_DOT) {
        srv_fail(r, 400, "Wrong input: recommend strategy %s is supported for Cosine and Dot vectors only",
                 best ? "best_score" : "sum_scores");
        return -1;
    }
    if (dim != info.vectors[vi].params.size) {
        srv_fail(r, 400, "Wrong input: Vector dimension error: expected dim: %u, got %u",
                 info.vectors[vi].params.size, dim);
        return -1;
    }
    if (distance == VT_DISTANCE_COSINE)
        for (size_t k = 0; k < np + nn; k++) vec_norm(ex[k], dim);
    if (only_n == 0) {
        out->v = NULL;
        out->n = 0;
        return 0;
    }
    int oom;
    char *filter = build_filter(q->filter, only, only_n, not, not_n, &oom);
    if (oom) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    size_t cap = 0, n = 0;
    hit *acc = NULL;
    vt_point_id next;
    int has_next = 0;
    rc = 0;
    for (;;) {
        vt_scroll_req s = vt_scroll_req_default();
        s.filter_json = filter;
        s.limit = 1000;
        s.offset = has_next ? &next : NULL;
        s.with_payload = 0;
        s.with_vectors = 1;
        vt_result *res = NULL;
        memset(&err, 0, sizeof err);
        if ((rc = vt_points_scroll(r->ctx->db, coll_name(r), &s, &res, &err)) != VT_OK) {
            srv_fail_vt(r, rc, &err);
            break;
        }
        for (size_t i = 0; i < vt_result_count(res); i++) {
            const float *v = NULL;
            for (size_t j = 0; j < vt_result_n_vectors(res, i); j++) {
                const char *vn;
                const float *d;
                uint32_t vd;
                if (vt_result_vector(res, i, j, &vn, &d, &vd) == VT_OK && strcmp(vn, q->using) == 0 && vd == dim)
                    v = d;
            }
            if (!v) continue;
            float score;
            if (best) {
                float mp = -INFINITY, mn = -INFINITY;
                for (size_t k = 0; k < np + nn; k++) {
                    float sim = vec_dot(ex[k], v, dim);
                    if (k < np) mp = sim > mp ? sim : mp;
                    else mn = sim > mn ? sim : mn;
                }
                float x = mp > mn ? mp : mn;
                float sig = 0.5f * (x / (1.0f + fabsf(x)) + 1.0f);
                score = mp > mn ? sig : -sig;
            } else {
                score = 0;
                for (size_t k = 0; k < np + nn; k++) score += (k < np ? 1.0f : -1.0f) * vec_dot(ex[k], v, dim);
            }
            if (q->has_thr && score < q->thr) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                hit *na = vt_realloc(acc, cap * sizeof *na);
                if (!na) {
                    rc = VT_ENOMEM;
                    srv_fail(r, 500, "Service internal error: out of memory");
                    break;
                }
                acc = na;
            }
            acc[n].id = *vt_result_id(res, i);
            acc[n].score = score;
            acc[n].version = vt_result_version(res, i);
            n++;
        }
        has_next = rc == VT_OK && vt_result_next_offset(res, &next);
        vt_result_free(res);
        if (!has_next) break;
    }
    vt_free(filter);
    if (rc) {
        vt_free(acc);
        return -1;
    }
    qsort(acc, n, sizeof *acc, cmp_hit_desc);
    size_t start = q->offset < n ? q->offset : n;
    size_t end = start + q->limit < n ? start + q->limit : n;
    if (acc) memmove(acc, acc + start, (end - start) * sizeof *acc);
    out->v = acc;
    out->n = end - start;
    return 0;
}

/* recommend: positive/negative examples (ids, vectors, inference objects) with a strategy:
 * average_vector (default; a search for avg(pos) + (avg(pos) − avg(neg))), best_score or
 * sum_scores (reco_scan). Example points are excluded from the results. */
static int recommend(srv_req *r, const json_t *req, const json_t *pos, const json_t *neg,
                     const json_t *strategy, const qspec *q, const vt_point_id *only, long only_n, hits *out) {
    out->v = NULL;
    out->n = 0;
    int kind = 0; /* 0 average_vector, 1 best_score, 2 sum_scores */
    if (strategy && !json_is_null(strategy)) {
        const char *sname = json_is_string(strategy) ? json_string_value(strategy) : "";
        if (strcmp(sname, "best_score") == 0) kind = 1;
        else if (strcmp(sname, "sum_scores") == 0) kind = 2;
        else if (strcmp(sname, "average_vector") != 0) {
            srv_fail(r, 400, "Format error in JSON body: strategy: unknown variant `%.50s`, expected one of "
                             "`average_vector`, `best_score`, `sum_scores`", sname);
            return -1;
        }
    }
    if (pos && !json_is_null(pos) && !json_is_array(pos)) {
        srv_fail(r, 400, "Format error in JSON body: recommend.positive must be a list");
        return -1;
    }
    if (neg && !json_is_null(neg) && !json_is_array(neg)) {
        srv_fail(r, 400, "Format error in JSON body: recommend.negative must be a list");
        return -1;
    }
    size_t np = pos && json_is_array(pos) ? json_array_size(pos) : 0;
    size_t nn = neg && json_is_array(neg) ? json_array_size(neg) : 0;
    if (np == 0 && (kind == 0 || nn == 0)) {
        srv_fail(r, 400, "Wrong input: At least one positive vector ID required");
        return -1;
    }
    if (np + nn > 4096) {
        srv_fail(r, 400, "Wrong input: at most 4096 recommend examples");
        return -1;
    }
    float **ex = vt_calloc(np + nn + 1, sizeof *ex);
    vt_point_id *ex_ids = vt_calloc(np + nn + 1, sizeof *ex_ids);
    float *target = NULL;
    size_t n_ids = 0, n_ex = 0;
    uint32_t dim = 0;
    int rc = -1;
    if (!ex || !ex_ids) {
        srv_fail(r, 500, "Service internal error: out of memory");
        goto done;
    }
    for (size_t k = 0; k < np + nn; k++) {
        const json_t *v = k < np ? json_array_get(pos, k) : json_array_get(neg, k - np);
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", k < np ? "positive" : "negative", k < np ? k : k - np);
        resolved rv;
        if (resolve_input(r, req, v, q->using, where, &rv)) goto done;
        ex[n_ex++] = rv.vec.data;
        if (rv.has_id) ex_ids[n_ids++] = rv.id;
        if (!dim) dim = rv.vec.dim;
        if (rv.vec.dim != dim) {
            srv_fail(r, 400, "Wrong input: Vector dimension error: expected dim: %u, got %u", dim, rv.vec.dim);
            goto done;
        }
    }
    if (kind) {
        rc = reco_scan(r, q, kind == 1, ex, np, nn, dim, only, only_n, ex_ids, n_ids, out);
        goto done;
    }
    target = vt_calloc(dim, sizeof(float));
    float *avg_n = vt_calloc(dim, sizeof(float));
    if (!target || !avg_n) {
        vt_free(avg_n);
        srv_fail(r, 500, "Service internal error: out of memory");
        goto done;
    }
    for (size_t k = 0; k < np + nn; k++)
        for (uint32_t i = 0; i < dim; i++) (k < np ? target : avg_n)[i] += ex[k][i] / (float)(k < np ? np : nn);
    if (nn)
        for (uint32_t i = 0; i < dim; i++) target[i] += target[i] - avg_n[i];
    vt_free(avg_n);
    rc = nearest(r, coll_name(r), q, target, dim, only, only_n, ex_ids, n_ids, out);
done:
    for (size_t k = 0; ex && k < n_ex; k++) vt_free(ex[k]);
    vt_free(ex);
    vt_free(ex_ids);
    vt_free(target);
    return rc;
}

static int cmp_hit_desc(const void *a, const void *b) {
    const hit *x = a, *y = b;
    return (x->score < y->score) - (x->score > y->score);
}

/* fuse: RRF or DBSF over the lists (src/query/fusion.c), then threshold, offset and limit. */
static int fuse(srv_req *r, hits *lists, size_t n_lists, int dbsf, double k, const double *weights,
                const qspec *q, hits *out) {
    fusion_list *fl = vt_malloc((n_lists ? n_lists : 1) * sizeof *fl);
    fusion_hit **in = vt_calloc(n_lists ? n_lists : 1, sizeof *in);
    fusion_hit *fused = NULL;
    size_t n = 0;
    vt_error err = {0};
    int ok = fl && in;
    for (size_t li = 0; ok && li < n_lists; li++) {
        if (!(in[li] = vt_malloc((lists[li].n ? lists[li].n : 1) * sizeof **in))) ok = 0;
        for (size_t j = 0; ok && j < lists[li].n; j++)
            in[li][j] = (fusion_hit){lists[li].v[j].id, lists[li].v[j].score, 0, 0};
        if (ok) fl[li] = (fusion_list){in[li], lists[li].n};
    }
    /* DBSF takes no weights in Qdrant */
    if (ok) ok = fusion_run(dbsf ? FUSION_DBSF : FUSION_RRF, fl, n_lists, dbsf ? NULL : weights, k, &fused, &n, &err) == VT_OK;
    hit *acc = ok ? vt_malloc((n ? n : 1) * sizeof *acc) : NULL;
    size_t keep = 0;
    for (size_t i = 0; acc && i < n; i++) {
        if (q->has_thr && fused[i].score < q->thr) continue;
        acc[keep] = lists[fused[i].list].v[fused[i].rank]; /* id and version from the first list it was in */
        acc[keep++].score = fused[i].score;
    }
    for (size_t li = 0; in && li < n_lists; li++) vt_free(in[li]);
    vt_free(in);
    vt_free(fl);
    vt_free(fused);
    if (!acc) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    size_t start = q->offset < keep ? q->offset : keep;
    size_t end = start + q->limit < keep ? start + q->limit : keep;
    memmove(acc, acc + start, (end - start) * sizeof *acc);
    out->v = acc;
    out->n = end - start;
    return 0;
}

/* scroll_hits: points in id order or payload order (order_by), score 0, after offset. */
static int scroll_hits(srv_req *r, const qspec *q, const json_t *order_by, hits *out) {
    out->v = NULL;
    out->n = 0;
    vt_scroll_req s = vt_scroll_req_default();
    s.limit = q->limit + q->offset;
    s.with_payload = 0;
    if (order_by) {
        if (json_is_string(order_by)) s.order_by = json_string_value(order_by);
        else if (json_is_object(order_by) && json_is_string(json_object_get(order_by, "key"))) {
            s.order_by = json_string_value(json_object_get(order_by, "key"));
            json_t *d = json_object_get(order_by, "direction");
            s.order_desc = d && json_is_string(d) && strcmp(json_string_value(d), "desc") == 0;
        } else {
            srv_fail(r, 400, "Format error in JSON body: order_by must be a key or {\"key\", \"direction\"}");
            return -1;
        }
    }
    int bad;
    char *filter = srv_filter_text(r, q->filter, &bad);
    if (bad) return -1;
    s.filter_json = filter;
    vt_result *res = NULL;
    vt_error err = {0};
    int rc = vt_points_scroll(r->ctx->db, coll_name(r), &s, &res, &err);
    vt_free(filter);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    rc = hits_from_result(r, res, q->offset, 0, out);
    vt_result_free(res);
    return rc;
}


/* run_prefetches: the lists of req's prefetch (one object or an array). *n_out = 0 if none. */
static int run_prefetches(srv_req *r, const json_t *req, int depth, hits **lists, size_t *n_out) {
    *lists = NULL;
    *n_out = 0;
    json_t *pf = json_object_get(req, "prefetch");
    if (!pf || json_is_null(pf)) return 0;
    if (depth >= SRV_MAX_PREFETCH_DEPTH) {
        srv_fail(r, 400, "Wrong input: prefetch nests deeper than %d levels", SRV_MAX_PREFETCH_DEPTH);
        return -1;
    }
    size_t n = json_is_array(pf) ? json_array_size(pf) : 1;
    if (!json_is_array(pf) && !json_is_object(pf)) {
        srv_fail(r, 400, "Format error in JSON body: prefetch must be an object or a list of them");
        return -1;
    }
    if (n == 0) return 0;
    hits *l = vt_calloc(n, sizeof *l);
    if (!l) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_is_array(pf) ? json_array_get(pf, i) : pf;
        if (!json_is_object(p)) {
            srv_fail(r, 400, "Format error in JSON body: prefetch[%zu] must be an object", i);
            goto fail;
        }
        if (srv_run_query(r, p, depth + 1, &l[i])) goto fail;
    }
    *lists = l;
    *n_out = n;
    return 0;
fail:
    for (size_t i = 0; i < n; i++) srv_hits_free(&l[i]);
    vt_free(l);
    return -1;
}

int srv_run_query(srv_req *r, const json_t *req, int depth, hits *out) {
    out->v = NULL;
    out->n = 0;
    qspec q;
    /* Qdrant's QueryRequest flattens the query into `internal`, and its messages say so */
    int top_query = depth == 0 && strcmp(srv_route_name(r->route), "POST /collections/{}/points/query") == 0;
    if (read_qspec(r, req, 10, top_query ? "internal.limit" : "limit", &q) || check_lookup_from(r, req)) return -1;
    json_t *query0 = json_object_get(req, "query"), *pf0 = json_object_get(req, "prefetch");
    int has_query = query0 && !json_is_null(query0);
    if (!has_query && pf0 && !json_is_null(pf0) && !(json_is_array(pf0) && json_array_size(pf0) == 0)) {
        srv_fail(r, 400, "Bad request: A query is needed to merge the prefetches. Can't have prefetches without "
                         "defining a query.");
        return -1;
    }
    if (!has_query && q.has_thr) {
        srv_fail(r, 400, "Bad request: A query is needed to use the score_threshold. Can't have score_threshold "
                         "without defining a query.");
        return -1;
    }
    if (q.has_thr && json_is_object(query0) && json_object_get(query0, "order_by")) {
        srv_fail(r, 400, "Bad request: Can't use score_threshold with an order_by query.");
        return -1;
    }
    hits *lists = NULL;
    size_t n_lists = 0;
    int rc = -1;
    if (run_prefetches(r, req, depth, &lists, &n_lists)) return -1;
    /* the union of prefetched ids restricts a nearest/recommend query */
    vt_point_id *only = NULL;
    long only_n = -1;
    if (n_lists) {
        size_t total = 0;
        for (size_t i = 0; i < n_lists; i++) total += lists[i].n;
        only = vt_malloc((total ? total : 1) * sizeof *only);
        if (!only) {
            srv_fail(r, 500, "Service internal error: out of memory");
            goto done;
        }
        only_n = 0;
        for (size_t i = 0; i < n_lists; i++)
            for (size_t j = 0; j < lists[i].n; j++) only[only_n++] = lists[i].v[j].id;
    }
    json_t *query = json_object_get(req, "query");
    if (!query || json_is_null(query)) {
        if (n_lists == 1) { /* a lone prefetch passes through, cut by offset and limit */
            hits *one = &lists[0];
            size_t start = q.offset < one->n ? q.offset : one->n;
            size_t end = start + q.limit < one->n ? start + q.limit : one->n;
            out->v = vt_malloc((end - start + 1) * sizeof *out->v);
            if (!out->v) {
                srv_fail(r, 500, "Service internal error: out of memory");
                goto done;
            }
            memcpy(out->v, one->v + start, (end - start) * sizeof *out->v);
            out->n = end - start;
            rc = 0;
        } else {
            rc = scroll_hits(r, &q, NULL, out);
        }
        goto done;
    }
    json_t *fusion = json_is_object(query) ? json_object_get(query, "fusion") : NULL;
    json_t *rrf = json_is_object(query) ? json_object_get(query, "rrf") : NULL;
    if (fusion || rrf) {
        int dbsf = 0;
        double k = 2;
        double *weights = NULL;
        if (fusion) {
            const char *f = json_is_string(fusion) ? json_string_value(fusion) : "";
            if (strcmp(f, "dbsf") == 0) dbsf = 1;
            else if (strcmp(f, "rrf") != 0) {
                srv_fail(r, 400, "Format error in JSON body: fusion: unknown variant `%.50s`, expected `rrf` or `dbsf`", f);
                goto done;
            }
        } else if (json_is_object(rrf)) {
            json_t *kj = json_object_get(rrf, "k");
            if (kj && !json_is_null(kj)) {
                if (!json_is_integer(kj) || json_integer_value(kj) < 1) {
                    srv_fail(r, 422, "Validation error in JSON body: [rrf.k: must be an integer >= 1]");
                    goto done;
                }
                k = (double)json_integer_value(kj);
            }
            json_t *wj = json_object_get(rrf, "weights");
            if (wj && !json_is_null(wj)) {
                if (!json_is_array(wj) || json_array_size(wj) != n_lists) {
                    srv_fail(r, 400, "Wrong input: Number of weights in RRF should match number of pre-fetches");
                    goto done;
                }
                weights = vt_malloc((n_lists + 1) * sizeof *weights);
                if (!weights) {
                    srv_fail(r, 500, "Service internal error: out of memory");
                    goto done;
                }
                for (size_t i = 0; i < n_lists; i++) weights[i] = json_number_value(json_array_get(wj, i));
            }
        }
        if (!n_lists) {
            srv_fail(r, 400, "Wrong input: a fusion query needs prefetch");
            vt_free(weights);
            goto done;
        }
        rc = fuse(r, lists, n_lists, dbsf, k, weights, &q, out);
        vt_free(weights);
        goto done;
    }
    json_t *rec = json_is_object(query) ? json_object_get(query, "recommend") : NULL;
    if (rec) {
        if (!json_is_object(rec)) {
            srv_fail(r, 400, "Format error in JSON body: recommend must be an object");
            goto done;
        }
        rc = recommend(r, req, json_object_get(rec, "positive"), json_object_get(rec, "negative"),
                       json_object_get(rec, "strategy"), &q, only, only_n, out);
        goto done;
    }
    json_t *ob = json_is_object(query) ? json_object_get(query, "order_by") : NULL;
    if (ob) {
        rc = scroll_hits(r, &q, ob, out);
        goto done;
    }
    json_t *target = query;
    if (json_is_object(query) && json_object_get(query, "nearest")) target = json_object_get(query, "nearest");
    else if (json_is_object(query) && !srv_is_inference(query) && !json_object_get(query, "indices")) {
        const char *kname = json_object_size(query) ? json_object_iter_key(json_object_iter((json_t *)query)) : "";
        srv_fail(r, 400, "Wrong input: query type `%.100s` is not supported yet", kname);
        goto done;
    }
    resolved rv;
    if (resolve_input(r, req, target, q.using, "query", &rv)) goto done;
    rc = nearest(r, coll_name(r), &q, rv.vec.data, rv.vec.dim, only, only_n, &rv.id, rv.has_id ? 1 : 0, out);
    vt_free(rv.vec.data);
done:
    for (size_t i = 0; i < n_lists; i++) srv_hits_free(&lists[i]);
    vt_free(lists);
    vt_free(only);
    return rc;
}

/* found_matches: 1 if res holds exactly h's points, in h's order (then it can stand in for a
 * fetch of their payloads). */
static int found_matches(const vt_result *res, const hits *h) {
    if (!res || vt_result_count(res) != h->n) return 0;
    for (size_t i = 0; i < h->n; i++)
        if (vt_point_id_cmp(vt_result_id(res, i), &h->v[i].id) != 0) return 0;
    return 1;
}

/* scored_json: the hits as ScoredPoints, with payload/vectors fetched when selected. */
json_t *srv_scored_json(srv_req *r, const hits *h, const srv_payload_sel *ps, const srv_vector_sel *vs) {
    json_t *arr = json_array();
    if (!arr) return NULL;
    vt_result *res = NULL;
    int unnamed = 1;
    if (ps->on && !vs->on && found_matches(r->found, h)) { /* the search's own payloads */
        res = r->found;
        r->found = NULL;
    } else if (ps->on || vs->on) {
        unnamed = vs->on ? srv_unnamed_only(r, coll_name(r)) : 1; /* it shapes vectors only */
        if (unnamed < 0) {
            json_decref(arr);
            return NULL;
        }
        vt_point_id *ids = vt_malloc((h->n ? h->n : 1) * sizeof *ids);
        if (!ids) {
            json_decref(arr);
            return NULL;
        }
        for (size_t i = 0; i < h->n; i++) ids[i] = h->v[i].id;
        vt_error err = {0};
        int rc = vt_points_get(r->ctx->db, coll_name(r), ids, h->n, ps->on, vs->on, &res, &err);
        vt_free(ids);
        if (rc) {
            json_decref(arr);
            srv_fail_vt(r, rc, &err);
            return NULL;
        }
    }
    size_t j = 0;
    for (size_t i = 0; i < h->n; i++) {
        json_t *p;
        /* get returns the ids in order, skipping any deleted since the search */
        if (res) {
            while (j < vt_result_count(res) && vt_point_id_cmp(vt_result_id(res, j), &h->v[i].id) != 0) j++;
            if (j >= vt_result_count(res)) {
                j = 0;
                continue;
            }
            p = srv_point_json(res, j, 1, ps, vs, unnamed);
        } else {
            p = json_object();
            if (p) json_object_set_new(p, "id", srv_id_json(&h->v[i].id));
        }
        if (!p) break;
        json_object_set_new(p, "version", json_integer((json_int_t)h->v[i].version));
        json_object_set_new(p, "score", json_real(vt_json_f32(h->v[i].score)));
        json_array_append_new(arr, p);
    }
    vt_result_free(res);
    return arr;
}

