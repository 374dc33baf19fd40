/*
 * handlers_search.c — the search endpoints over search_eval.c: POST /points/query,
 * /query/batch, /query/groups, and the legacy /points/search, /search/batch, /search/groups,
 * /points/recommend, /recommend/batch, /recommend/groups that older clients and tutorials call.
 *
 * Shapes: /points/query answers {"points": [ScoredPoint]}, its batch [{"points": …}]; the legacy
 * endpoints answer bare arrays ([ScoredPoint], [[ScoredPoint]]). A legacy request is rewritten as
 * a QueryRequest (`vector` → `query` + `using`; positive/negative/strategy → a recommend query)
 * and evaluated the same way. Groups are formed from the query's best limit × group_size × 8
 * candidates (at most 10000) by the payload value at group_by. An order_by query's points carry
 * their `order_value`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "server/server_int.h"

static const char *coll_name(srv_req *r) { return r->params[0]; }

/* order_key: the payload key of an {"order_by": key | {"key": …}} query, else NULL. */
static const char *order_key(const json_t *req) {
    json_t *q = json_object_get(req, "query");
    json_t *ob = json_is_object(q) ? json_object_get(q, "order_by") : NULL;
    if (json_is_string(ob)) return json_string_value(ob);
    return json_is_object(ob) ? json_string_value(json_object_get(ob, "key")) : NULL;
}

/* add_order_values: each ScoredPoint of an order_by query gets the `order_value` it was sorted
 * by, as Qdrant's (qdrant-client reads it); the payloads are read for it whether or not they are
 * returned. */
static void add_order_values(srv_req *r, const hits *h, json_t *pts, const char *key) {
    vt_point_id *ids = vt_malloc((h->n ? h->n : 1) * sizeof *ids);
    if (!ids) return;
    for (size_t i = 0; i < h->n; i++) ids[i] = h->v[i].id;
    vt_result *res = NULL;
    vt_error err = {0};
    int rc = vt_points_get(r->ctx->db, coll_name(r), ids, h->n, 1, 0, &res, &err);
    vt_free(ids);
    if (rc) return;
    /* both lists are in hit order; get skips points deleted since */
    for (size_t i = 0, j = 0; i < json_array_size(pts) && j < vt_result_count(res); j++) {
        json_t *p = json_array_get(pts, i);
        json_t *id = srv_id_json(vt_result_id(res, j));
        int same = json_equal(id, json_object_get(p, "id"));
        json_decref(id);
        if (!same) continue;
        i++;
        json_t *ov = srv_order_value(vt_result_payload(res, j), key);
        if (ov) json_object_set_new(p, "order_value", ov);
    }
    vt_result_free(res);
}

/* query_points: one QueryRequest → its ScoredPoint array (NULL after a reply). */
static json_t *query_points(srv_req *r, const json_t *req) {
    srv_payload_sel ps;
    srv_vector_sel vs;
    if (srv_parse_payload_sel(r, json_object_get(req, "with_payload"), 0, &ps) ||
        srv_parse_vector_sel(r, srv_with_vector(req), 0, &vs))
        return NULL;
    hits h;
    r->want_payloads = ps.on && !vs.on;
    int rc = srv_run_query(r, req, 0, &h);
    r->want_payloads = 0;
    if (rc) return NULL;
    json_t *pts = srv_scored_json(r, &h, &ps, &vs);
    vt_result_free(r->found); /* one query's; a batch's next query starts clean */
    r->found = NULL;
    const char *key = order_key(req);
    if (pts && key) add_order_values(r, &h, pts, key);
    srv_hits_free(&h);
    if (!pts && r->kind != SRV_REPLY_ERROR) srv_fail(r, 500, "Service internal error: out of memory");
    return pts;
}

static int need_object(srv_req *r) {
    if (!r->json) {
        srv_fail(r, 400, "Format error in JSON body: EOF while parsing a value at line 1 column 0");
        return -1;
    }
    return 0;
}

void h_query(srv_req *r) {
    if (need_object(r)) return;
    json_t *pts = query_points(r, r->json);
    if (pts) srv_ok(r, json_pack("{s:o}", "points", pts));
}

/* batch: runs each request of body.searches with one_fn, collecting wrap(result). */
static void batch(srv_req *r, json_t *(*one_fn)(srv_req *, const json_t *), int wrap_points) {
    if (need_object(r)) return;
    json_t *searches = json_object_get(r->json, "searches");
    if (!searches || !json_is_array(searches)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `searches`");
        return;
    }
    if (json_array_size(searches) > SRV_MAX_BATCH) {
        srv_fail(r, 400, "Bad request: at most %d searches in one batch", SRV_MAX_BATCH);
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(searches, i, s) {
        if (!json_is_object(s)) {
            json_decref(out);
            srv_fail(r, 400, "Format error in JSON body: searches[%zu] must be an object", i);
            return;
        }
        json_t *pts = one_fn(r, s);
        if (!pts) {
            json_decref(out);
            return;
        }
        json_array_append_new(out, wrap_points ? json_pack("{s:o}", "points", pts) : pts);
    }
    srv_ok(r, out);
}

void h_query_batch(srv_req *r) { batch(r, query_points, 1); }

/* group_key: the payload value at the dotted path `key` (NULL if absent). */
static json_t *group_value(json_t *payload, const char *key) {
    json_t *cur = payload;
    char part[256];
    const char *p = key;
    while (cur && *p) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof part || !json_is_object(cur)) return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        cur = json_object_get(cur, part);
        p += len;
        if (*p == '.') p++;
    }
    return cur;
}

/* One group being filled: its id value and its hits. */
typedef struct group {
    json_t *id;  /* borrowed from the payloads document */
    hits h;
} group;

static int group_add(group *g, const hit *x) {
    hit *nv = vt_realloc(g->h.v, (g->h.n + 1) * sizeof *nv);
    if (!nv) return -1;
    g->h.v = nv;
    g->h.v[g->h.n++] = *x;
    return 0;
}

/* POST /points/query/groups: the query's candidates (limit × group_size × 8, at most 10000,
 * best first) grouped by the payload value at group_by (a string or integer; each element of an
 * array counts), groups in the order of their best hit, each up to group_size hits. */
static void groups_run(srv_req *r, const json_t *req) {
    json_t *gb = json_object_get(req, "group_by");
    if (!gb || !json_is_string(gb) || !json_string_length(gb)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `group_by`");
        return;
    }
    long long group_size = srv_json_size(r, req, "group_size", 3, 1, 1000);
    if (group_size < 0) return;
    long long n_groups = srv_json_size(r, req, "limit", 10, 1, 1000);
    if (n_groups < 0) return;
    srv_payload_sel ps;
    srv_vector_sel vs;
    if (srv_parse_payload_sel(r, json_object_get(req, "with_payload"), 0, &ps) ||
        srv_parse_vector_sel(r, srv_with_vector(req), 0, &vs))
        return;
    json_t *q = json_deep_copy(req);
    if (!q) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    long long cand = n_groups * group_size * 8;
    json_object_set_new(q, "limit", json_integer(cand > 10000 ? 10000 : cand));
    json_object_del(q, "offset");
    hits h;
    int rc = srv_run_query(r, q, 0, &h);
    json_decref(q);
    if (rc) return;
    /* the payloads of the candidates, to read group_by */
    vt_point_id *ids = vt_malloc((h.n ? h.n : 1) * sizeof *ids);
    group *groups = vt_calloc((size_t)n_groups, sizeof *groups);
    vt_result *res = NULL;
    json_t *docs = json_array();
    size_t n_g = 0;
    if (!ids || !groups || !docs) goto oom;
    for (size_t i = 0; i < h.n; i++) ids[i] = h.v[i].id;
    vt_error err = {0};
    rc = vt_points_get(r->ctx->db, coll_name(r), ids, h.n, 1, 0, &res, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        goto done;
    }
    size_t j = 0;
    for (size_t i = 0; i < h.n; i++) {
        while (j < vt_result_count(res) && vt_point_id_cmp(vt_result_id(res, j), &h.v[i].id) != 0) j++;
        if (j >= vt_result_count(res)) {
            j = 0;
            continue;
        }
        const char *text = vt_result_payload(res, j);
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        if (!doc) continue;
        json_array_append_new(docs, doc);
        json_t *val = group_value(doc, json_string_value(gb));
        size_t n_vals = json_is_array(val) ? json_array_size(val) : 1;
        for (size_t k = 0; val && k < n_vals; k++) {
            json_t *v = json_is_array(val) ? json_array_get(val, k) : val;
            if (!json_is_string(v) && !json_is_integer(v)) continue;
            size_t g = 0;
            while (g < n_g && !json_equal(groups[g].id, v)) g++;
            if (g == n_g) {
                if (n_g == (size_t)n_groups) continue;
                groups[n_g++].id = v;
            }
            if (groups[g].h.n < (size_t)group_size && group_add(&groups[g], &h.v[i])) goto oom;
        }
    }
    json_t *out = json_array();
    for (size_t g = 0; out && g < n_g; g++) {
        json_t *pts = srv_scored_json(r, &groups[g].h, &ps, &vs);
        if (!pts) {
            json_decref(out);
            if (r->kind != SRV_REPLY_ERROR) goto oom;
            goto done;
        }
        json_array_append_new(out, json_pack("{s:O, s:o}", "id", groups[g].id, "hits", pts));
    }
    srv_ok(r, out ? json_pack("{s:o}", "groups", out) : NULL);
    goto done;
oom:
    srv_fail(r, 500, "Service internal error: out of memory");
done:
    for (size_t g = 0; groups && g < n_g; g++) srv_hits_free(&groups[g].h);
    vt_free(groups);
    vt_free(ids);
    vt_result_free(res);
    json_decref(docs);
    srv_hits_free(&h);
}

/* legacy_to_query: a legacy SearchRequest's `vector` ({name, vector} or a list) as query/using
 * in a copy of req (NULL after a reply). */
static json_t *legacy_to_query(srv_req *r, const json_t *req) {
    json_t *v = json_object_get(req, "vector");
    if (!v) {
        srv_fail(r, 400, "Format error in JSON body: missing field `vector`");
        return NULL;
    }
    json_t *q = json_deep_copy(req);
    if (!q) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return NULL;
    }
    json_object_del(q, "vector");
    if (json_is_object(v) && json_object_get(v, "name") && json_object_get(v, "vector")) {
        json_object_set(q, "using", json_object_get(v, "name"));
        json_object_set(q, "query", json_object_get(v, "vector"));
    } else {
        json_object_set(q, "query", v);
    }
    return q;
}

/* search_points: a legacy SearchRequest {vector: [..] | {name, vector}, limit, …} → ScoredPoints. */
static json_t *search_points(srv_req *r, const json_t *req) {
    if (!json_object_get(req, "limit")) {
        srv_fail(r, 400, "Format error in JSON body: missing field `limit`");
        return NULL;
    }
    json_t *q = legacy_to_query(r, req);
    if (!q) return NULL;
    json_t *pts = query_points(r, q);
    json_decref(q);
    return pts;
}

void h_search(srv_req *r) {
    if (need_object(r)) return;
    json_t *pts = search_points(r, r->json);
    if (pts) srv_ok(r, pts);
}

void h_search_batch(srv_req *r) { batch(r, search_points, 0); }

/* recommend_points: a legacy RecommendRequest → ScoredPoints. */
static json_t *recommend_points(srv_req *r, const json_t *req) {
    json_t *q = json_deep_copy(req);
    if (!q) return NULL;
    json_t *rec = json_object();
    if (json_object_get(req, "positive")) json_object_set(rec, "positive", json_object_get(req, "positive"));
    if (json_object_get(req, "negative")) json_object_set(rec, "negative", json_object_get(req, "negative"));
    if (json_object_get(req, "strategy")) json_object_set(rec, "strategy", json_object_get(req, "strategy"));
    json_object_set_new(q, "query", json_pack("{s:o}", "recommend", rec));
    json_object_del(q, "positive");
    json_object_del(q, "negative");
    json_object_del(q, "strategy");
    json_t *pts = query_points(r, q);
    json_decref(q);
    return pts;
}

void h_recommend(srv_req *r) {
    if (need_object(r)) return;
    json_t *pts = recommend_points(r, r->json);
    if (pts) srv_ok(r, pts);
}

void h_recommend_batch(srv_req *r) { batch(r, recommend_points, 0); }

void h_query_groups(srv_req *r) {
    if (need_object(r)) return;
    groups_run(r, r->json);
}

/* POST /points/search/groups (legacy): SearchGroupsRequest as query groups. */
void h_search_groups(srv_req *r) {
    if (need_object(r)) return;
    json_t *q = legacy_to_query(r, r->json);
    if (!q) return;
    groups_run(r, q);
    json_decref(q);
}

/* POST /points/recommend/groups (legacy): RecommendGroupsRequest as query groups. */
void h_recommend_groups(srv_req *r) {
    if (need_object(r)) return;
    json_t *q = json_deep_copy(r->json);
    json_t *rec = json_object();
    if (!q || !rec) {
        json_decref(q);
        json_decref(rec);
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    static const char *const keys[] = {"positive", "negative", "strategy"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(r->json, keys[i]);
        if (v) json_object_set(rec, keys[i], v);
        json_object_del(q, keys[i]);
    }
    json_object_set_new(q, "query", json_pack("{s:o}", "recommend", rec));
    groups_run(r, q);
    json_decref(q);
}
