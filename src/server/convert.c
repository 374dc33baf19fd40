/*
 * convert.c — Qdrant's wire shapes to and from the db API: point ids, payload and vector
 * selectors, filters, Records and ScoredPoints.
 *
 *   ExtendedPointId  17 | "550e8400-e29b-41d4-a716-446655440000"  (vt_point_id)
 *   with_payload     true | false | ["k", …] | {"include": […]} | {"exclude": […]}  (the keys
 *                    are JSON paths: a.b, a[].b; the cut is made by payload_select.c)
 *   with_vector      true | false | ["name", …]
 *   Record           {"id", "payload"?, "vector"?}
 *   ScoredPoint      {"id", "version", "score", "payload"?, "vector"?, "order_value"?}
 *
 * "vector" is a bare list when the collection has only the unnamed vector (""), else an object
 * by name, as Qdrant writes it. Filters go to the db as JSON text; the db parses and checks them
 * and its messages name the spot.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "server/server_int.h"

int srv_parse_id(srv_req *r, const json_t *v, const char *what, vt_point_id *out) {
    memset(out, 0, sizeof *out);
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) {
            srv_fail(r, 400, "Format error in JSON body: %s: point id %lld is negative", what,
                     (long long)json_integer_value(v));
            return -1;
        }
        out->num = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        vt_error err = {0};
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        /* a string id must be a UUID: "17" as a string is not an id in Qdrant */
        int all_digits = len > 0;
        for (size_t i = 0; i < len; i++)
            if (s[i] < '0' || s[i] > '9') all_digits = 0;
        if (all_digits || vt_point_id_parse(s, len, out, &err) != VT_OK) {
            srv_fail(r, 400, "Wrong input: Can not recognize \"%.200s\" as point id", s);
            return -1;
        }
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: %s: a point id is an unsigned integer or a UUID string", what);
    return -1;
}

int srv_parse_ids(srv_req *r, const json_t *v, const char *what, vt_point_id **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!json_is_array(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s must be an array of point ids", what);
        return -1;
    }
    size_t cnt = json_array_size(v);
    vt_point_id *ids = vt_calloc(cnt ? cnt : 1, sizeof *ids);
    if (!ids) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    for (size_t i = 0; i < cnt; i++)
        if (srv_parse_id(r, json_array_get(v, i), what, &ids[i]) != 0) {
            vt_free(ids);
            return -1;
        }
    *out = ids;
    *n = cnt;
    return 0;
}

json_t *srv_id_json(const vt_point_id *id) {
    if (!id->is_uuid) return json_integer((json_int_t)id->num);
    char buf[VT_POINT_ID_BUF];
    return json_string(vt_point_id_format(id, buf));
}

static int all_strings(const json_t *a) {
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) if (!json_is_string(x)) return 0;
    return 1;
}

/* bad_path: the first entry of a key list that is not a JSON path (payload_select.c), or NULL. */
static const char *bad_path(const json_t *a) {
    size_t i;
    json_t *x;
    if (a) json_array_foreach(a, i, x) if (!srv_payload_path_valid(json_string_value(x))) return json_string_value(x);
    return NULL;
}

int srv_parse_payload_sel(srv_req *r, const json_t *v, int def, srv_payload_sel *out) {
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v)) {
        out->on = def;
        return 0;
    }
    if (json_is_boolean(v)) {
        out->on = json_is_true(v);
        return 0;
    }
    json_t *inc = NULL, *exc = NULL;
    if (json_is_array(v) && all_strings(v)) {
        inc = (json_t *)v;
    } else if (json_is_object(v)) {
        json_t *i = json_object_get(v, "include"), *e = json_object_get(v, "exclude");
        if (i && json_is_array(i) && all_strings(i)) inc = i;
        else if (e && json_is_array(e) && all_strings(e)) exc = e;
    }
    if (inc || exc) {
        const char *bad = bad_path(inc ? inc : exc);
        if (bad) {
            srv_fail(r, 400, "Format error in JSON body: with_payload: Invalid json path: '%.200s'", bad);
            return -1;
        }
        out->on = 1;
        out->include = inc; /* include wins when both are given */
        out->exclude = exc;
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: with_payload must be a boolean, a list of keys, "
                     "{\"include\": [keys]} or {\"exclude\": [keys]}");
    return -1;
}

json_t *srv_with_vector(const json_t *req) {
    json_t *v = req ? json_object_get(req, "with_vector") : NULL;
    return v ? v : (req ? json_object_get(req, "with_vectors") : NULL);
}

int srv_parse_vector_sel(srv_req *r, const json_t *v, int def, srv_vector_sel *out) {
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v)) {
        out->on = def;
        return 0;
    }
    if (json_is_boolean(v)) {
        out->on = json_is_true(v);
        return 0;
    }
    if (json_is_array(v) && all_strings(v)) {
        out->on = 1;
        out->names = (json_t *)v;
        return 0;
    }
    srv_fail(r, 400, "Format error in JSON body: with_vector must be a boolean or a list of vector names");
    return -1;
}

char *srv_filter_text(srv_req *r, const json_t *v, int *bad) {
    *bad = 0;
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_object(v)) {
        srv_fail(r, 400, "Format error in JSON body: filter must be an object");
        *bad = 1;
        return NULL;
    }
    char *s = srv_dumps(v, NULL);
    if (!s) {
        srv_fail(r, 500, "Service internal error: out of memory");
        *bad = 1;
    }
    return s;
}

static json_t *payload_json(const char *text, const srv_payload_sel *ps) {
    json_t *p = NULL;
    if (!text || vt_json_parse(text, strlen(text), "payload", &p, NULL) != VT_OK || !json_is_object(p)) {
        json_decref(p);
        return json_object();
    }
    if (!ps->include && !ps->exclude) return p;
    json_t *out = srv_payload_cut(p, ps);
    json_decref(p);
    return out ? out : json_object();
}

static json_t *float_array(const float *d, uint32_t dim) {
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < dim; i++) json_array_append_new(a, json_real(vt_json_f32(d[i])));
    return a;
}

json_t *srv_point_json(const vt_result *res, size_t i, int scored, const srv_payload_sel *ps,
                       const srv_vector_sel *vs, int unnamed_only) {
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", srv_id_json(vt_result_id(res, i)));
    if (scored) {
        json_object_set_new(o, "version", json_integer((json_int_t)vt_result_version(res, i)));
        json_object_set_new(o, "score", json_real(vt_json_f32(vt_result_score(res, i))));
    }
    if (ps && ps->on) json_object_set_new(o, "payload", payload_json(vt_result_payload(res, i), ps));
    if (vs && vs->on) {
        size_t nv = vt_result_n_vectors(res, i);
        json_t *vec = NULL;
        for (size_t j = 0; j < nv; j++) {
            const char *name;
            const float *data;
            uint32_t dim;
            if (vt_result_vector(res, i, j, &name, &data, &dim) != VT_OK) continue;
            if (unnamed_only && name[0] == '\0') {
                vec = float_array(data, dim);
                break;
            }
            if (vs->names) {
                int want = 0;
                size_t k;
                json_t *x;
                json_array_foreach(vs->names, k, x) if (strcmp(json_string_value(x), name) == 0) want = 1;
                if (!want) continue;
            }
            if (!vec) vec = json_object();
            json_object_set_new(vec, name, float_array(data, dim));
        }
        if (!vec) vec = json_object();
        json_object_set_new(o, "vector", vec);
    }
    return o;
}

json_t *srv_points_json(const vt_result *res, int scored, const srv_payload_sel *ps,
                        const srv_vector_sel *vs, int unnamed_only) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < vt_result_count(res); i++) {
        json_t *p = srv_point_json(res, i, scored, ps, vs, unnamed_only);
        if (!p || json_array_append_new(a, p) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int srv_unnamed_only(srv_req *r, const char *collection) {
    vt_collection_info info;
    vt_error err = {0};
    int rc = vt_collection_info_get(r->ctx->db, collection, &info, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    return info.n_vectors == 1 && info.vectors[0].name[0] == '\0';
}

long long srv_json_size(srv_req *r, const json_t *obj, const char *key, long long def,
                        long long min, long long max) {
    return srv_json_size_at(r, obj, key, key, def, min, max);
}

long long srv_json_size_at(srv_req *r, const json_t *obj, const char *key, const char *label, long long def,
                           long long min, long long max) {
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) return def;
    if (!json_is_integer(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s must be an integer", label);
        return -1;
    }
    long long x = json_integer_value(v);
    if (x < min || x > max) {
        srv_fail(r, 422, "Validation error in JSON body: [%s: value %lld invalid, must be from %lld to %lld]",
                 label, x, min, max);
        return -1;
    }
    return x;
}

long long srv_json_limit(srv_req *r, const json_t *obj, const char *key, const char *label, long long def,
                         long long cap) {
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) return def;
    /* an integer past int64 can only arrive as a real; Qdrant takes anything up to u64::MAX */
    if (json_is_real(v) && json_real_value(v) >= 9223372036854775807.0 && json_real_value(v) == floor(json_real_value(v)))
        return cap;
    if (!json_is_integer(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s must be an integer", label);
        return -1;
    }
    long long x = json_integer_value(v);
    if (x < 1) {
        srv_fail(r, 422, "Validation error in JSON body: [%s: value %lld invalid, must be 1 or larger]", label, x);
        return -1;
    }
    return x > cap ? cap : x;
}

json_t *srv_order_value(const char *payload_json, const char *key) {
    json_t *root = NULL;
    if (!payload_json || vt_json_parse(payload_json, strlen(payload_json), "payload", &root, NULL) != VT_OK)
        return NULL;
    const json_t *cur = root;
    char seg[256];
    while (cur && *key) {
        size_t n = strcspn(key, ".");
        if (n >= sizeof seg) {
            cur = NULL;
            break;
        }
        memcpy(seg, key, n);
        seg[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, seg) : NULL;
        key += n + (key[n] == '.');
    }
    if (cur && json_is_array(cur)) cur = json_array_get(cur, 0);
    json_t *v = NULL;
    if (cur && json_is_integer(cur)) v = json_integer(json_integer_value(cur));
    else if (cur && json_is_number(cur)) v = json_real(json_number_value(cur));
    json_decref(root);
    return v;
}
