/*
 * handlers_points.c — point writes and reads: upsert (list and columnar `batch` forms),
 * retrieve, delete, payload set/overwrite/delete/clear, vector update/delete, the batch update
 * endpoint, scroll and count.
 *
 * Each write is an "op" function taking the collection and the operation's JSON object, so
 * POST /points/batch runs the same code for each of its operations. Vectors may be inference
 * objects (inference.c), embedded before the write; nothing is written when any point fails
 * (the db checks the whole batch first). The db commits before returning, so `wait` only
 * chooses the status word ("completed" / "acknowledged").
 *
 * Payload `key` (set a payload under a nested path) is a read-modify-write per point:
 * the points are read, the object at the path is merged, and each payload is overwritten.
 *
 * A scroll with `order_by` gives each Record the `order_value` it was sorted by, as Qdrant does
 * (qdrant-client reads it); the payload is read for that even when not returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "server/server_int.h"

static const char *coll_name(srv_req *r) { return r->params[0]; }

/* A batch of points being built from JSON; frees everything in points_fini. */
typedef struct points_buf {
    vt_point_in *pts;
    vt_named_vector *nvs;  /* n × VT_MAX_NAMED_VECTORS */
    srv_vec *store;        /* embedded/copied vectors, same shape */
    char **payloads;       /* n, vt_malloc'd JSON text or NULL */
    size_t n;
} points_buf;

static void points_fini(points_buf *b) {
    for (size_t i = 0; b->store && i < b->n * VT_MAX_NAMED_VECTORS; i++) vt_free(b->store[i].data);
    for (size_t i = 0; b->payloads && i < b->n; i++) vt_free(b->payloads[i]);
    vt_free(b->pts);
    vt_free(b->nvs);
    vt_free(b->store);
    vt_free(b->payloads);
    memset(b, 0, sizeof *b);
}

static int points_init(srv_req *r, points_buf *b, size_t n) {
    memset(b, 0, sizeof *b);
    size_t m = n ? n : 1;
    b->pts = vt_calloc(m, sizeof *b->pts);
    b->nvs = vt_calloc(m * VT_MAX_NAMED_VECTORS, sizeof *b->nvs);
    b->store = vt_calloc(m * VT_MAX_NAMED_VECTORS, sizeof *b->store);
    b->payloads = vt_calloc(m, sizeof *b->payloads);
    b->n = n;
    if (!b->pts || !b->nvs || !b->store || !b->payloads) {
        points_fini(b);
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    return 0;
}

/* set_vector: the j-th vector of point i from v (numbers or inference object). */
static int set_vector(srv_req *r, points_buf *b, size_t i, const char *name, const json_t *v,
                      const char *where) {
    vt_point_in *p = &b->pts[i];
    if (p->n_vectors >= VT_MAX_NAMED_VECTORS) {
        srv_fail(r, 400, "Wrong input: %s: more than %d vectors", where, VT_MAX_NAMED_VECTORS);
        return -1;
    }
    size_t k = i * VT_MAX_NAMED_VECTORS + p->n_vectors;
    if (srv_read_vector(r, v, where, &b->store[k]) != 0) return -1;
    b->nvs[k].name = name;
    b->nvs[k].data = b->store[k].data;
    b->nvs[k].dim = b->store[k].dim;
    p->vectors = &b->nvs[i * VT_MAX_NAMED_VECTORS];
    p->n_vectors++;
    return 0;
}

/* set_vector_struct: a VectorStruct (list, inference object, or {name: …}) for point i. */
static int set_vector_struct(srv_req *r, points_buf *b, size_t i, const json_t *v, const char *where) {
    b->pts[i].vectors = &b->nvs[i * VT_MAX_NAMED_VECTORS];
    if (!v || json_is_null(v)) return 0;
    if (json_is_array(v) || srv_is_inference(v)) return set_vector(r, b, i, "", v, where);
    if (json_is_object(v)) {
        const char *name;
        json_t *x;
        json_object_foreach((json_t *)v, name, x) {
            char w[400];
            snprintf(w, sizeof w, "%s.%.256s", where, name);
            if (set_vector(r, b, i, name, x, w) != 0) return -1;
        }
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: %s: expected a vector, an object of named vectors or an "
                     "inference object", where);
    return -1;
}

static int set_payload(srv_req *r, points_buf *b, size_t i, const json_t *p, const char *where) {
    if (!p || json_is_null(p)) return 0;
    if (!json_is_object(p)) {
        srv_fail(r, 400, "Format error in JSON body: %s: payload must be an object", where);
        return -1;
    }
    b->payloads[i] = srv_dumps(p, NULL);
    if (!b->payloads[i]) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    b->pts[i].payload_json = b->payloads[i];
    return 0;
}

/* read_points: PointsList {points:[{id, vector, payload}]} or PointsBatch {batch:{ids, vectors,
 * payloads}} into b. need_payload 0 for update_vectors. */
static int read_points(srv_req *r, const json_t *body, points_buf *b) {
    memset(b, 0, sizeof *b);
    json_t *list = json_object_get(body, "points"), *batch = json_object_get(body, "batch");
    if (list && json_is_array(list)) {
        size_t n = json_array_size(list);
        if (points_init(r, b, n)) return -1;
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_array_get(list, i);
            char where[64];
            snprintf(where, sizeof where, "points[%zu]", i);
            if (!json_is_object(p)) {
                srv_fail(r, 400, "Format error in JSON body: %s must be an object {id, vector, payload}", where);
                return -1;
            }
            json_t *id = json_object_get(p, "id");
            if (!id) {
                srv_fail(r, 400, "Format error in JSON body: %s: missing field `id`", where);
                return -1;
            }
            if (srv_parse_id(r, id, where, &b->pts[i].id)) return -1;
            json_t *v = json_object_get(p, "vector");
            if (!v) v = json_object_get(p, "vectors");
            char w[80];
            snprintf(w, sizeof w, "%s.vector", where);
            if (set_vector_struct(r, b, i, v, w)) return -1;
            if (set_payload(r, b, i, json_object_get(p, "payload"), where)) return -1;
        }
        return 0;
    }
    if (batch && json_is_object(batch)) {
        json_t *ids = json_object_get(batch, "ids"), *vecs = json_object_get(batch, "vectors");
        json_t *pays = json_object_get(batch, "payloads");
        if (!ids || !json_is_array(ids)) {
            srv_fail(r, 400, "Format error in JSON body: batch.ids must be an array of point ids");
            return -1;
        }
        size_t n = json_array_size(ids);
        if (points_init(r, b, n)) return -1;
        if (vecs && json_is_array(vecs) && json_array_size(vecs) != n) {
            srv_fail(r, 400, "Wrong input: batch.vectors has %zu entries for %zu ids", json_array_size(vecs), n);
            return -1;
        }
        if (pays && json_is_array(pays) && json_array_size(pays) != n) {
            srv_fail(r, 400, "Wrong input: batch.payloads has %zu entries for %zu ids", json_array_size(pays), n);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            char where[64];
            snprintf(where, sizeof where, "batch.ids[%zu]", i);
            if (srv_parse_id(r, json_array_get(ids, i), where, &b->pts[i].id)) return -1;
            b->pts[i].vectors = &b->nvs[i * VT_MAX_NAMED_VECTORS];
            if (vecs && json_is_array(vecs)) {
                snprintf(where, sizeof where, "batch.vectors[%zu]", i);
                if (set_vector(r, b, i, "", json_array_get(vecs, i), where)) return -1;
            } else if (vecs && json_is_object(vecs)) {
                const char *name;
                json_t *col;
                json_object_foreach(vecs, name, col) {
                    if (!json_is_array(col) || json_array_size(col) != n) {
                        srv_fail(r, 400, "Wrong input: batch.vectors.%.256s must have one vector per id", name);
                        return -1;
                    }
                    json_t *v = json_array_get(col, i);
                    if (json_is_null(v)) continue;
                    char w[400];
                    snprintf(w, sizeof w, "batch.vectors.%.256s[%zu]", name, i);
                    if (set_vector(r, b, i, name, v, w)) return -1;
                }
            } else if (vecs && !json_is_null(vecs)) {
                srv_fail(r, 400, "Format error in JSON body: batch.vectors must be a list or an object of lists");
                return -1;
            }
            if (pays && json_is_array(pays)) {
                snprintf(where, sizeof where, "batch.payloads[%zu]", i);
                if (set_payload(r, b, i, json_array_get(pays, i), where)) return -1;
            }
        }
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: expected `points` (a list of points) or `batch` "
                     "({ids, vectors, payloads})");
    return -1;
}

static int op_upsert(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    points_buf b;
    if (read_points(r, body, &b)) {
        points_fini(&b);
        return -1;
    }
    vt_error err = {0};
    int rc = vt_points_upsert(r->ctx->db, coll, b.pts, b.n, op, &err);
    points_fini(&b);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    return 0;
}

static int op_update_vectors(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    points_buf b;
    if (read_points(r, body, &b)) {
        points_fini(&b);
        return -1;
    }
    vt_error err = {0};
    int rc = vt_vectors_update(r->ctx->db, coll, b.pts, b.n, op, &err);
    points_fini(&b);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    return 0;
}

/* A selector read from {points:[ids]} or {filter:{…}}. */
typedef struct selector_buf {
    vt_selector sel;
    vt_point_id *ids;
    char *filter;
} selector_buf;

static void selector_fini(selector_buf *s) {
    vt_free(s->ids);
    vt_free(s->filter);
    memset(s, 0, sizeof *s);
}

static int read_selector(srv_req *r, const json_t *body, selector_buf *s) {
    memset(s, 0, sizeof *s);
    json_t *pts = json_object_get(body, "points"), *filter = json_object_get(body, "filter");
    if (pts && !json_is_null(pts)) {
        if (srv_parse_ids(r, pts, "points", &s->ids, &s->sel.n_ids)) return -1;
        s->sel.ids = s->ids;
        if (s->sel.n_ids == 0) s->sel.filter_json = NULL; /* selects nothing */
        return 0;
    }
    if (filter && !json_is_null(filter)) {
        int bad;
        s->filter = srv_filter_text(r, filter, &bad);
        if (bad) return -1;
        s->sel.filter_json = s->filter;
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: expected `points` (a list of ids) or `filter`");
    return -1;
}

static int finish(srv_req *r, int rc, vt_error *err) {
    if (rc) {
        srv_fail_vt(r, rc, err);
        return -1;
    }
    return 0;
}

static int op_delete(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    selector_buf s;
    if (read_selector(r, body, &s)) return -1;
    vt_error err = {0};
    int rc = vt_points_delete(r->ctx->db, coll, &s.sel, op, &err);
    selector_fini(&s);
    return finish(r, rc, &err);
}

/* selected_ids: the ids a selector picks (filters resolved with scroll). */
static int selected_ids(srv_req *r, const char *coll, const selector_buf *s, vt_point_id **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (s->sel.n_ids) {
        *out = vt_malloc(s->sel.n_ids * sizeof **out);
        if (!*out) {
            srv_fail(r, 500, "Service internal error: out of memory");
            return -1;
        }
        memcpy(*out, s->sel.ids, s->sel.n_ids * sizeof **out);
        *n = s->sel.n_ids;
        return 0;
    }
    if (!s->sel.filter_json) return 0;
    size_t cap = 0;
    vt_point_id next;
    int has_next = 0;
    for (;;) {
        vt_scroll_req q = vt_scroll_req_default();
        q.filter_json = s->sel.filter_json;
        q.limit = 1000;
        q.offset = has_next ? &next : NULL;
        q.with_payload = 0;
        vt_result *res = NULL;
        vt_error err = {0};
        int rc = vt_points_scroll(r->ctx->db, coll, &q, &res, &err);
        if (rc) {
            vt_free(*out);
            *out = NULL;
            srv_fail_vt(r, rc, &err);
            return -1;
        }
        size_t cnt = vt_result_count(res);
        if (*n + cnt > cap) {
            cap = (*n + cnt) * 2 + 16;
            vt_point_id *nb = vt_realloc(*out, cap * sizeof *nb);
            if (!nb) {
                vt_result_free(res);
                vt_free(*out);
                *out = NULL;
                srv_fail(r, 500, "Service internal error: out of memory");
                return -1;
            }
            *out = nb;
        }
        for (size_t i = 0; i < cnt; i++) (*out)[(*n)++] = *vt_result_id(res, i);
        has_next = vt_result_next_offset(res, &next);
        vt_result_free(res);
        if (!has_next) return 0;
    }
}

/* set_at_path: merges value's keys into the object(s) at the path inside payload, as Qdrant's
 * JsonPath: `a.b` (objects made where missing), `a[0].b` (that element), `a[].b` (every
 * element); an index or `[]` on something that is not an array sets nothing. */
static int set_at_path(json_t *cur, const char *p, json_t *value) {
    if (!*p) return json_is_object(cur) ? json_object_update(cur, value) : 0;
    char part[256];
    size_t len = strcspn(p, ".[");
    if (len >= sizeof part) return -1;
    memcpy(part, p, len);
    part[len] = '\0';
    p += len;
    json_t *next = json_object_get(cur, part);
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close) return -1;
        const char *rest = close[1] == '.' ? close + 2 : close + 1;
        if (!next || !json_is_array(next)) return 0;
        if (close == p + 1) {
            size_t i;
            json_t *el;
            json_array_foreach(next, i, el) {
                if (json_is_object(el) && set_at_path(el, rest, value) != 0) return -1;
            }
            return 0;
        }
        char *end;
        unsigned long idx = strtoul(p + 1, &end, 10);
        if (end != close) return -1;
        json_t *el = json_array_get(next, idx);
        return el && json_is_object(el) ? set_at_path(el, rest, value) : 0;
    }
    if (*p == '.') p++;
    if (!next || !json_is_object(next)) {
        next = json_object();
        if (json_object_set_new(cur, part, next) != 0) return -1;
    }
    return set_at_path(next, p, value);
}

static int op_payload(srv_req *r, const char *coll, const json_t *body, int overwrite, uint64_t *op) {
    json_t *payload = json_object_get(body, "payload");
    if (!payload || !json_is_object(payload)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `payload` (an object)");
        return -1;
    }
    selector_buf s;
    if (read_selector(r, body, &s)) return -1;
    json_t *key = json_object_get(body, "key");
    vt_error err = {0};
    int rc;
    if (key && !json_is_null(key)) {
        if (!json_is_string(key) || !json_string_length(key)) {
            selector_fini(&s);
            srv_fail(r, 400, "Format error in JSON body: key must be a non-empty string");
            return -1;
        }
        vt_point_id *ids;
        size_t n;
        if (selected_ids(r, coll, &s, &ids, &n)) {
            selector_fini(&s);
            return -1;
        }
        selector_fini(&s);
        vt_result *res = NULL;
        rc = vt_points_get(r->ctx->db, coll, ids, n, 1, 0, &res, &err);
        vt_free(ids);
        if (rc) return finish(r, rc, &err);
        for (size_t i = 0; i < vt_result_count(res) && rc == VT_OK; i++) {
            const char *text = vt_result_payload(res, i);
            json_t *cur = NULL;
            if (!text || vt_json_parse(text, strlen(text), "payload", &cur, NULL) != VT_OK) cur = json_object();
            if (overwrite) {
                /* overwrite with a key replaces the object at the path */
                json_t *fresh = json_object();
                json_t *parent = cur;
                const char *k = json_string_value(key);
                const char *dot = strrchr(k, '.');
                if (dot) {
                    char head[512];
                    snprintf(head, sizeof head, "%.*s", (int)(dot - k), k);
                    set_at_path(cur, head, fresh);
                    json_decref(fresh);
                    /* walk to the parent and replace the last part */
                    const char *p = k;
                    while (p < dot) {
                        size_t len = strcspn(p, ".");
                        char part[256];
                        snprintf(part, sizeof part, "%.*s", (int)len, p);
                        parent = json_object_get(parent, part);
                        p += len + 1;
                    }
                    json_object_set(parent, dot + 1, payload);
                } else {
                    json_decref(fresh);
                    json_object_set(cur, k, payload);
                }
            } else {
                set_at_path(cur, json_string_value(key), payload);
            }
            char *t = srv_dumps(cur, NULL);
            json_decref(cur);
            vt_selector one = {vt_result_id(res, i), 1, NULL};
            rc = t ? vt_payload_overwrite(r->ctx->db, coll, &one, t, op, &err) : VT_ENOMEM;
            vt_free(t);
        }
        vt_result_free(res);
        return finish(r, rc, &err);
    }
    char *text = srv_dumps(payload, NULL);
    if (!text) {
        selector_fini(&s);
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    rc = overwrite ? vt_payload_overwrite(r->ctx->db, coll, &s.sel, text, op, &err)
                   : vt_payload_set(r->ctx->db, coll, &s.sel, text, op, &err);
    vt_free(text);
    selector_fini(&s);
    return finish(r, rc, &err);
}

/* read_names: an array of strings at key into a vt_malloc'd pointer array (borrowing). */
static int read_names(srv_req *r, const json_t *body, const char *key, const char ***out, size_t *n) {
    json_t *a = json_object_get(body, key);
    if (!a || !json_is_array(a)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `%s` (a list of strings)", key);
        return -1;
    }
    *n = json_array_size(a);
    *out = vt_calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        json_t *x = json_array_get(a, i);
        if (!json_is_string(x)) {
            vt_free(*out);
            srv_fail(r, 400, "Format error in JSON body: %s[%zu] is not a string", key, i);
            return -1;
        }
        (*out)[i] = json_string_value(x);
    }
    return 0;
}

static int op_delete_payload(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    const char **keys;
    size_t n;
    if (read_names(r, body, "keys", &keys, &n)) return -1;
    selector_buf s;
    if (read_selector(r, body, &s)) {
        vt_free(keys);
        return -1;
    }
    vt_error err = {0};
    int rc = vt_payload_delete_keys(r->ctx->db, coll, &s.sel, keys, n, op, &err);
    vt_free(keys);
    selector_fini(&s);
    return finish(r, rc, &err);
}

static int op_clear_payload(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    selector_buf s;
    if (read_selector(r, body, &s)) return -1;
    vt_error err = {0};
    int rc = vt_payload_clear(r->ctx->db, coll, &s.sel, op, &err);
    selector_fini(&s);
    return finish(r, rc, &err);
}

static int op_delete_vectors(srv_req *r, const char *coll, const json_t *body, uint64_t *op) {
    const char **names;
    size_t n;
    if (read_names(r, body, "vector", &names, &n)) return -1;
    selector_buf s;
    if (read_selector(r, body, &s)) {
        vt_free(names);
        return -1;
    }
    vt_error err = {0};
    int rc = vt_vectors_delete(r->ctx->db, coll, &s.sel, names, n, op, &err);
    vt_free(names);
    selector_fini(&s);
    return finish(r, rc, &err);
}

static int need_body(srv_req *r) {
    if (!r->json) {
        srv_fail(r, 400, "Format error in JSON body: EOF while parsing a value at line 1 column 0");
        return -1;
    }
    return 0;
}

#define WRITE_HANDLER(hname, call)                                                                 \
    void hname(srv_req *r) {                                                                       \
        uint64_t op = 0;                                                                           \
        if (need_body(r) || (call) != 0) return;                                                   \
        srv_update_ok(r, op);                                                                      \
    }

WRITE_HANDLER(h_points_upsert, op_upsert(r, coll_name(r), r->json, &op))
WRITE_HANDLER(h_points_delete, op_delete(r, coll_name(r), r->json, &op))
WRITE_HANDLER(h_payload_set, op_payload(r, coll_name(r), r->json, 0, &op))
WRITE_HANDLER(h_payload_overwrite, op_payload(r, coll_name(r), r->json, 1, &op))
WRITE_HANDLER(h_payload_delete, op_delete_payload(r, coll_name(r), r->json, &op))
WRITE_HANDLER(h_payload_clear, op_clear_payload(r, coll_name(r), r->json, &op))
WRITE_HANDLER(h_vectors_update, op_update_vectors(r, coll_name(r), r->json, &op))
WRITE_HANDLER(h_vectors_delete, op_delete_vectors(r, coll_name(r), r->json, &op))

void h_points_batch(srv_req *r) {
    if (need_body(r)) return;
    json_t *ops = json_object_get(r->json, "operations");
    if (!ops || !json_is_array(ops)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `operations`");
        return;
    }
    int wait = srv_query_bool(r, "wait", 0);
    if (wait < 0) return;
    json_t *results = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) {
        const char *kind = NULL;
        json_t *body = NULL;
        if (json_is_object(o) && json_object_size(o) == 1) {
            void *it = json_object_iter(o);
            kind = json_object_iter_key(it);
            body = json_object_iter_value(it);
        }
        if (!kind || !json_is_object(body)) {
            json_decref(results);
            srv_fail(r, 400, "Format error in JSON body: operations[%zu]: expected one of upsert, delete, "
                             "set_payload, overwrite_payload, delete_payload, clear_payload, update_vectors, "
                             "delete_vectors", i);
            return;
        }
        uint64_t op = 0;
        int rc;
        if (strcmp(kind, "upsert") == 0) rc = op_upsert(r, coll_name(r), body, &op);
        else if (strcmp(kind, "delete") == 0) rc = op_delete(r, coll_name(r), body, &op);
        else if (strcmp(kind, "set_payload") == 0) rc = op_payload(r, coll_name(r), body, 0, &op);
        else if (strcmp(kind, "overwrite_payload") == 0) rc = op_payload(r, coll_name(r), body, 1, &op);
        else if (strcmp(kind, "delete_payload") == 0) rc = op_delete_payload(r, coll_name(r), body, &op);
        else if (strcmp(kind, "clear_payload") == 0) rc = op_clear_payload(r, coll_name(r), body, &op);
        else if (strcmp(kind, "update_vectors") == 0) rc = op_update_vectors(r, coll_name(r), body, &op);
        else if (strcmp(kind, "delete_vectors") == 0) rc = op_delete_vectors(r, coll_name(r), body, &op);
        else {
            json_decref(results);
            srv_fail(r, 400, "Format error in JSON body: operations[%zu]: unknown operation `%.100s`", i, kind);
            return;
        }
        if (rc) {
            json_decref(results);
            return;
        }
        json_array_append_new(results, json_pack("{s:I, s:s}", "operation_id", (json_int_t)op, "status",
                                                 wait ? "completed" : "acknowledged"));
    }
    srv_ok(r, results);
}

void h_points_retrieve(srv_req *r) {
    if (need_body(r)) return;
    json_t *ids_j = json_object_get(r->json, "ids");
    vt_point_id *ids;
    size_t n;
    if (!ids_j) {
        srv_fail(r, 400, "Format error in JSON body: missing field `ids`");
        return;
    }
    if (srv_parse_ids(r, ids_j, "ids", &ids, &n)) return;
    srv_payload_sel ps;
    srv_vector_sel vs;
    if (srv_parse_payload_sel(r, json_object_get(r->json, "with_payload"), 1, &ps) ||
        srv_parse_vector_sel(r, srv_with_vector(r->json), 0, &vs)) {
        vt_free(ids);
        return;
    }
    int unnamed = srv_unnamed_only(r, coll_name(r));
    if (unnamed < 0) {
        vt_free(ids);
        return;
    }
    vt_result *res = NULL;
    vt_error err = {0};
    int rc = vt_points_get(r->ctx->db, coll_name(r), ids, n, ps.on, vs.on, &res, &err);
    vt_free(ids);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, srv_points_json(res, 0, &ps, &vs, unnamed));
    vt_result_free(res);
}

void h_point_get(srv_req *r) {
    const char *s = r->params[1];
    vt_point_id id;
    vt_error err = {0};
    if (vt_point_id_parse(s, strlen(s), &id, &err) != VT_OK) {
        srv_fail(r, 400, "Wrong input: Can not recognize \"%.200s\" as point id", s);
        return;
    }
    int unnamed = srv_unnamed_only(r, coll_name(r));
    if (unnamed < 0) return;
    vt_result *res = NULL;
    int rc = vt_points_get(r->ctx->db, coll_name(r), &id, 1, 1, 1, &res, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    if (vt_result_count(res) == 0) {
        char buf[VT_POINT_ID_BUF];
        srv_fail(r, 404, "Not found: Point with id %s does not exists!", vt_point_id_format(&id, buf));
    } else {
        srv_payload_sel ps = {1, NULL, NULL};
        srv_vector_sel vs = {1, NULL};
        srv_ok(r, srv_point_json(res, 0, 0, &ps, &vs, unnamed));
    }
    vt_result_free(res);
}

void h_points_scroll(srv_req *r) {
    json_t *b = r->json;
    vt_scroll_req q = vt_scroll_req_default();
    srv_payload_sel ps;
    srv_vector_sel vs;
    if (srv_parse_payload_sel(r, b ? json_object_get(b, "with_payload") : NULL, 1, &ps) ||
        srv_parse_vector_sel(r, srv_with_vector(b), 0, &vs))
        return;
    long long limit = srv_json_limit(r, b, "limit", "limit", 10, SRV_MAX_LIMIT);
    if (limit < 0) return;
    q.limit = (size_t)limit;
    q.with_payload = ps.on;
    q.with_vectors = vs.on;
    vt_point_id offset;
    json_t *off = b ? json_object_get(b, "offset") : NULL;
    if (off && !json_is_null(off)) {
        if (srv_parse_id(r, off, "offset", &offset)) return;
        q.offset = &offset;
    }
    json_t *ob = b ? json_object_get(b, "order_by") : NULL;
    if (ob && !json_is_null(ob)) {
        if (json_is_string(ob)) {
            q.order_by = json_string_value(ob);
        } else if (json_is_object(ob) && json_is_string(json_object_get(ob, "key"))) {
            q.order_by = json_string_value(json_object_get(ob, "key"));
            json_t *dir = json_object_get(ob, "direction");
            if (dir && json_is_string(dir)) {
                if (strcmp(json_string_value(dir), "desc") == 0) q.order_desc = 1;
                else if (strcmp(json_string_value(dir), "asc") != 0) {
                    srv_fail(r, 400, "Format error in JSON body: order_by.direction: unknown variant `%.50s`, "
                                     "expected `asc` or `desc`", json_string_value(dir));
                    return;
                }
            }
            if (json_object_get(ob, "start_from")) {
                srv_fail(r, 400, "Wrong input: order_by.start_from is not supported yet");
                return;
            }
        } else {
            srv_fail(r, 400, "Format error in JSON body: order_by must be a key or {\"key\", \"direction\"}");
            return;
        }
    }
    int bad;
    char *filter = srv_filter_text(r, b ? json_object_get(b, "filter") : NULL, &bad);
    if (bad) return;
    q.filter_json = filter;
    int unnamed = srv_unnamed_only(r, coll_name(r));
    if (unnamed < 0) {
        vt_free(filter);
        return;
    }
    vt_result *res = NULL;
    vt_error err = {0};
    if (q.order_by) q.with_payload = 1; /* read for order_value; shown only as ps says */
    int rc = vt_points_scroll(r->ctx->db, coll_name(r), &q, &res, &err);
    vt_free(filter);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    json_t *pts = srv_points_json(res, 0, &ps, &vs, unnamed);
    for (size_t i = 0; pts && q.order_by && i < json_array_size(pts); i++) {
        json_t *ov = srv_order_value(vt_result_payload(res, i), q.order_by);
        if (ov) json_object_set_new(json_array_get(pts, i), "order_value", ov);
    }
    vt_point_id next;
    json_t *nj = vt_result_next_offset(res, &next) ? srv_id_json(&next) : json_null();
    vt_result_free(res);
    srv_ok(r, pts ? json_pack("{s:o, s:o}", "points", pts, "next_page_offset", nj) : NULL);
}

void h_points_count(srv_req *r) {
    json_t *b = r->json;
    int bad;
    char *filter = srv_filter_text(r, b ? json_object_get(b, "filter") : NULL, &bad);
    if (bad) return;
    uint64_t count = 0;
    vt_error err = {0};
    int rc = vt_points_count(r->ctx->db, coll_name(r), filter, &count, &err);
    vt_free(filter);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, json_pack("{s:I}", "count", (json_int_t)count));
}
