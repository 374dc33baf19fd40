/*
 * pointjson.c — a point from JSON (see pointjson.h): id, vectors, payload, all checked before
 * anything reaches the database. No format of its own on disk; the payload is re-serialised
 * compactly (JSON_COMPACT) so that what is stored does not depend on the input's spacing.
 * Allocation goes through vt_malloc (jansson's too, via vt_json_init); bounded by VT_MAX_DIM per
 * vector and VT_MAX_NAMED_VECTORS vectors.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/pointjson.h"

int db_point_id_from_json(const json_t *v, const char *where, vt_point_id *out, vt_error *err) {
    memset(out, 0, sizeof *out);
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0) return vt_fail(err, VT_EINVAL, "%s: id %lld is negative", where, (long long)n);
        out->num = (uint64_t)n;
        return VT_OK;
    }
    if (json_is_string(v)) {
        vt_error e = {0};
        int rc = vt_point_id_parse(json_string_value(v), json_string_length(v), out, &e);
        if (rc == VT_OK && out->is_uuid) return VT_OK;
        return vt_fail(err, VT_EINVAL, "%s: Can not recognize \"%.64s\" as point id", where, json_string_value(v));
    }
    return vt_fail(err, VT_EINVAL, "%s: id must be an unsigned integer or a UUID string", where);
}

void db_point_json_clear(db_point_json *p) {
    for (int i = 0; i < VT_MAX_NAMED_VECTORS; i++) vt_free(p->names[i]);
    vt_free(p->data);
    vt_free(p->payload);
    memset(p, 0, sizeof *p);
}

static int check_vec(const json_t *a, const char *where, const char *name, size_t *dim, vt_error *err) {
    if (!json_is_array(a)) return vt_fail(err, VT_EINVAL, "%s: vector \"%s\" must be an array of numbers", where, name);
    *dim = json_array_size(a);
    if (*dim < 1 || *dim > VT_MAX_DIM)
        return vt_fail(err, VT_EINVAL, "%s: vector \"%s\" has %zu numbers (1..%d)", where, name, *dim, VT_MAX_DIM);
    for (size_t i = 0; i < *dim; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x)) return vt_fail(err, VT_EINVAL, "%s: vector \"%s\"[%zu] is not a number", where, name, i);
        double d = json_number_value(x);
        if (!isfinite((float)d)) return vt_fail(err, VT_EINVAL, "%s: vector \"%s\"[%zu] is out of float range", where, name, i);
    }
    return VT_OK;
}

int db_point_json_from(const json_t *obj, const char *where, db_point_json *out, vt_error *err) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) return vt_fail(err, VT_EINVAL, "%s: a point must be a JSON object", where);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        if (strcmp(key, "id") && strcmp(key, "vector") && strcmp(key, "payload"))
            return vt_fail(err, VT_EINVAL, "%s: unknown field \"%.64s\"", where, key);
    }
    const json_t *id = json_object_get(obj, "id"), *vec = json_object_get(obj, "vector"),
                 *pl = json_object_get(obj, "payload");
    if (!id) return vt_fail(err, VT_EINVAL, "%s: missing field \"id\"", where);
    int rc = db_point_id_from_json(id, where, &out->pt.id, err);
    if (rc) return rc;
    /* vectors: one array (the unnamed vector) or an object of arrays */
    const char *names[VT_MAX_NAMED_VECTORS];
    const json_t *arrs[VT_MAX_NAMED_VECTORS];
    size_t dims[VT_MAX_NAMED_VECTORS], nv = 0, total = 0;
    if (!vec || json_is_null(vec)) {
        nv = 0;
    } else if (json_is_array(vec)) {
        names[0] = "";
        arrs[0] = vec;
        nv = 1;
    } else if (json_is_object(vec)) {
        json_object_foreach((json_t *)vec, key, val) {
            if (nv == VT_MAX_NAMED_VECTORS)
                return vt_fail(err, VT_EINVAL, "%s: more than %d named vectors", where, VT_MAX_NAMED_VECTORS);
            if (strlen(key) > VT_MAX_NAME_LEN) return vt_fail(err, VT_EINVAL, "%s: vector name too long", where);
            names[nv] = key;
            arrs[nv++] = val;
        }
    } else {
        return vt_fail(err, VT_EINVAL, "%s: \"vector\" must be an array or an object of arrays", where);
    }
    for (size_t i = 0; i < nv; i++) {
        if ((rc = check_vec(arrs[i], where, names[i], &dims[i], err))) return rc;
        total += dims[i];
    }
    if (nv) {
        out->data = vt_malloc(total * sizeof(float));
        if (!out->data) return vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
    }
    float *d = out->data;
    for (size_t i = 0; i < nv; i++) {
        out->names[i] = vt_strdup(names[i]);
        if (!out->names[i]) return vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
        for (size_t j = 0; j < dims[i]; j++) d[j] = (float)json_number_value(json_array_get(arrs[i], j));
        out->vecs[i] = (vt_named_vector){out->names[i], d, (uint32_t)dims[i]};
        d += dims[i];
    }
    out->pt.n_vectors = nv;
    out->pt.vectors = out->vecs;
    if (pl && !json_is_null(pl)) {
        if (!json_is_object(pl)) return vt_fail(err, VT_EINVAL, "%s: \"payload\" must be an object", where);
        out->payload = json_dumps(pl, JSON_COMPACT);
        if (!out->payload) return vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
    }
    out->pt.payload_json = out->payload;
    return VT_OK;
}

int db_point_json_parse(const char *text, size_t len, const char *where, db_point_json *out,
                        vt_error *err) {
    memset(out, 0, sizeof *out);
    json_t *obj;
    int rc = vt_json_parse(text, len, where, &obj, err);
    if (rc) return rc == VT_ECORRUPT ? VT_EINVAL : rc;
    rc = db_point_json_from(obj, where, out, err);
    json_decref(obj);
    return rc;
}
