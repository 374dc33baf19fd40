/*
 * sink_local.c — the in-process sink (sink.h): the C API of the database, one transaction per
 * batch (vt_points_upsert returns after its commit, so an interrupted ingest keeps every batch
 * it reported).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "sink.h"

/* check_vector: the existing collection has vector name of size dim. */
static int check_vector(const vt_collection_info *info, const char *coll, const char *name, uint32_t dim,
                        vt_error *err) {
    for (size_t i = 0; i < info->n_vectors; i++)
        if (!strcmp(info->vectors[i].name, name)) {
            if (info->vectors[i].params.size == dim) return VT_OK;
            return vt_fail(err, VT_EINVAL, "collection \"%s\": vector \"%s\" has size %u, the model gives %u", coll,
                           name, info->vectors[i].params.size, dim);
        }
    return vt_fail(err, VT_EINVAL, "collection \"%s\" has no vector \"%s\" (it was not created by ingest with this model)",
                   coll, name);
}

static int local_ensure(void *ctx, const char *coll, uint32_t clip_dim, uint32_t st_dim, vt_error *err) {
    vt_db *db = ctx;
    vt_vector_params v[3] = {vt_vector_params_default("image", clip_dim, VT_DISTANCE_COSINE),
                             vt_vector_params_default("text", clip_dim, VT_DISTANCE_COSINE),
                             vt_vector_params_default("text_st", st_dim, VT_DISTANCE_COSINE)};
    vt_collection_config c = {st_dim ? 3 : 2, v};
    vt_error e = {0};
    int rc = vt_collection_create(db, coll, &c, &e);
    if (rc == VT_OK) return VT_OK;
    if (rc != VT_EEXIST) return vt_fail(err, rc, "%s", e.message);
    vt_collection_info info;
    if ((rc = vt_collection_info_get(db, coll, &info, err))) return rc;
    rc = check_vector(&info, coll, "image", clip_dim, err);
    if (!rc) rc = check_vector(&info, coll, "text", clip_dim, err);
    if (!rc && st_dim) rc = check_vector(&info, coll, "text_st", st_dim, err);
    return rc;
}

static int local_exists(void *ctx, const char *coll, const vt_point_id *ids, size_t n, uint8_t *present,
                        vt_error *err) {
    vt_result *r = NULL;
    int rc = vt_points_get(ctx, coll, ids, n, 0, 0, &r, err);
    if (rc) return rc;
    memset(present, 0, n);
    size_t got = vt_result_count(r);
    for (size_t j = 0; j < got; j++) {
        const vt_point_id *id = vt_result_id(r, j);
        for (size_t i = 0; i < n; i++)
            if (!present[i] && vt_point_id_cmp(&ids[i], id) == 0) {
                present[i] = 1;
                break;
            }
    }
    vt_result_free(r);
    return VT_OK;
}

static int local_upsert(void *ctx, const char *coll, const sink_point *pts, size_t n, uint32_t clip_dim,
                        uint32_t st_dim, vt_error *err) {
    vt_point_in *in = vt_calloc(n ? n : 1, sizeof *in);
    vt_named_vector *vecs = vt_calloc(n ? 3 * n : 1, sizeof *vecs);
    char **payloads = vt_calloc(n ? n : 1, sizeof *payloads);
    int rc = VT_OK;
    if (!in || !vecs || !payloads) {
        rc = vt_fail(err, VT_ENOMEM, "ingest: out of memory for a batch of %zu points", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        vt_named_vector *v = vecs + 3 * i;
        size_t k = 0;
        if (pts[i].image) v[k++] = (vt_named_vector){"image", pts[i].image, clip_dim};
        if (pts[i].text) v[k++] = (vt_named_vector){"text", pts[i].text, clip_dim};
        if (pts[i].text_st) v[k++] = (vt_named_vector){"text_st", pts[i].text_st, st_dim};
        payloads[i] = pts[i].payload ? json_dumps(pts[i].payload, JSON_COMPACT) : NULL;
        if (pts[i].payload && !payloads[i]) {
            rc = vt_fail(err, VT_ENOMEM, "ingest: out of memory");
            goto done;
        }
        in[i] = (vt_point_in){pts[i].id, k, v, payloads[i]};
    }
    rc = vt_points_upsert(ctx, coll, in, n, NULL, err);
done:
    if (payloads)
        for (size_t i = 0; i < n; i++) vt_free(payloads[i]);
    vt_free(payloads);
    vt_free(vecs);
    vt_free(in);
    return rc;
}

static void local_close(void *ctx) { (void)ctx; }

int sink_local(vt_db *db, sink *out, vt_error *err) {
    (void)err;
    *out = (sink){db, local_ensure, local_exists, local_upsert, local_close};
    return VT_OK;
}
