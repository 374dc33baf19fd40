/*
 * handlers_collections.c — collections and aliases: list, get, exists, create, update, delete;
 * POST /collections/aliases (create_alias, delete_alias, rename_alias) and the alias lists.
 *
 * Create takes Qdrant's CreateCollection: `vectors` is one VectorParams (the unnamed vector "")
 * or an object of them by name; `hnsw_config` and `quantization_config` at the top apply to
 * every vector unless the vector's own override them. Accepted and ignored (one node, one
 * shard, LMDB storage): shard_number, replication_factor, write_consistency_factor,
 * on_disk_payload, on_disk, wal_config, optimizers_config, sharding_method, datatype float32,
 * strict_mode_config, metadata. Refused with a 400: sparse vectors, multivectors, product and
 * binary quantisation, datatypes other than float32.
 *
 * A create whose name is an existing alias is Qdrant's 400 ("Can't create collection with name
 * x. Alias with the same name already exists"); an existing collection stays a 409.
 *
 * Payload indexes: PUT /collections/{c}/index and DELETE /collections/{c}/index/{field}
 * (vt_field_index_*); GET /collections/{c} lists them in payload_schema as
 * {key: {"data_type", "points"}}.
 *
 * GET /collections/{c} echoes only spec fields inside config (qdrant-client's pydantic models
 * for them forbid extra keys).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "server/server_int.h"

static const char *coll_name(srv_req *r) { return r->params[0]; }

void h_collections_list(srv_req *r) {
    char **names = NULL;
    size_t n = 0;
    vt_error err = {0};
    int rc = vt_collection_list(r->ctx->db, &names, &n, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) json_array_append_new(arr, json_pack("{s:s}", "name", names[i]));
    vt_mem_free(names);
    srv_ok(r, arr ? json_pack("{s:o}", "collections", arr) : NULL);
}

void h_collection_exists(srv_req *r) {
    int exists = 0;
    vt_error err = {0};
    int rc = vt_collection_exists(r->ctx->db, coll_name(r), &exists, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, json_pack("{s:b}", "exists", exists));
}

void h_collection_delete(srv_req *r) {
    int existed = 0;
    vt_error err = {0};
    int rc = vt_collection_delete(r->ctx->db, coll_name(r), &existed, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, json_boolean(existed));
}

/* apply_hnsw: HnswConfigDiff fields into p. -1 after a reply. */
static int apply_hnsw(srv_req *r, const json_t *h, const char *where, vt_vector_params *p) {
    if (!h || json_is_null(h)) return 0;
    if (!json_is_object(h)) {
        srv_fail(r, 400, "Format error in JSON body: %s must be an object", where);
        return -1;
    }
    char lm[160], lef[160], lfst[160];
    snprintf(lm, sizeof lm, "%s.m", where);
    snprintf(lef, sizeof lef, "%s.ef_construct", where);
    snprintf(lfst, sizeof lfst, "%s.full_scan_threshold", where);
    long long m = srv_json_size_at(r, h, "m", lm, p->hnsw_m, 0, 1024);
    if (m < 0) return -1;
    long long ef = srv_json_size_at(r, h, "ef_construct", lef, p->hnsw_ef_construct, 4, 1 << 20);
    if (ef < 0) return -1;
    long long fst = srv_json_size_at(r, h, "full_scan_threshold", lfst, p->full_scan_threshold, 10, 1LL << 40);
    if (fst < 0) return -1;
    p->hnsw_m = (uint32_t)m;
    p->hnsw_ef_construct = (uint32_t)ef;
    p->full_scan_threshold = (uint32_t)(fst > 0xffffffffLL ? 0xffffffffLL : fst);
    return 0;
}

/* apply_quant: a QuantizationConfig (or "Disabled" when allow_disable) into p. */
static int apply_quant(srv_req *r, const json_t *q, const char *where, int allow_disable,
                       vt_vector_params *p) {
    if (!q || json_is_null(q)) return 0;
    if (allow_disable && json_is_string(q) && strcmp(json_string_value(q), "Disabled") == 0) {
        p->quant_int8 = 0;
        return 0;
    }
    json_t *sc = json_is_object(q) ? json_object_get(q, "scalar") : NULL;
    if (!sc || !json_is_object(sc)) {
        if (json_is_object(q) && (json_object_get(q, "product") || json_object_get(q, "binary") ||
                                  json_object_get(q, "turbo")))
            srv_fail(r, 400, "Wrong input: %s: only scalar int8 quantization is supported", where);
        else
            srv_fail(r, 400, "Format error in JSON body: %s must be {\"scalar\": {\"type\": \"int8\", …}}%s",
                     where, allow_disable ? " or \"Disabled\"" : "");
        return -1;
    }
    json_t *type = json_object_get(sc, "type");
    if (type && !(json_is_string(type) && strcmp(json_string_value(type), "int8") == 0)) {
        srv_fail(r, 400, "Format error in JSON body: %s.scalar.type: unknown variant, expected `int8`", where);
        return -1;
    }
    json_t *qu = json_object_get(sc, "quantile");
    if (qu && !json_is_null(qu)) {
        if (!json_is_number(qu) || json_number_value(qu) < 0.5 || json_number_value(qu) > 1.0) {
            srv_fail(r, 422, "Validation error in JSON body: [%s.scalar.quantile: value invalid, must be from 0.5 to 1]", where);
            return -1;
        }
        p->quant_quantile = (float)json_number_value(qu);
    }
    json_t *ar = json_object_get(sc, "always_ram");
    if (ar && json_is_boolean(ar)) p->quant_always_ram = json_is_true(ar);
    p->quant_int8 = 1;
    return 0;
}

/* parse_vector_params: one VectorParams into p (name borrowed). */
static int parse_vector_params(srv_req *r, const json_t *v, const char *name, const char *where,
                               const json_t *top_hnsw, const json_t *top_quant, vt_vector_params *p) {
    if (!json_is_object(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s must be an object {\"size\", \"distance\"}", where);
        return -1;
    }
    json_t *size = json_object_get(v, "size"), *dist = json_object_get(v, "distance");
    if (!size || !json_is_integer(size)) {
        srv_fail(r, 400, "Format error in JSON body: %s.size: missing or not an integer", where);
        return -1;
    }
    if (json_integer_value(size) < 1 || json_integer_value(size) > VT_MAX_DIM) {
        srv_fail(r, 422, "Validation error in JSON body: [%s.size: value %lld invalid, must be from 1 to %d]",
                 where, (long long)json_integer_value(size), VT_MAX_DIM);
        return -1;
    }
    int d = dist && json_is_string(dist) ? vt_distance_parse(json_string_value(dist)) : -1;
    if (d < 0) {
        srv_fail(r, 400, "Format error in JSON body: %s.distance: unknown variant `%s`, expected one of "
                         "`Cosine`, `Euclid`, `Dot`, `Manhattan`",
                 where, dist && json_is_string(dist) ? json_string_value(dist) : "(missing)");
        return -1;
    }
    *p = vt_vector_params_default(name, (uint32_t)json_integer_value(size), d);
    json_t *dt = json_object_get(v, "datatype");
    if (dt && !json_is_null(dt) && !(json_is_string(dt) && strcmp(json_string_value(dt), "float32") == 0)) {
        srv_fail(r, 400, "Wrong input: %s.datatype: only float32 vectors are supported", where);
        return -1;
    }
    json_t *mv = json_object_get(v, "multivector_config");
    if (mv && !json_is_null(mv)) {
        srv_fail(r, 400, "Wrong input: %s.multivector_config: multivectors are not supported", where);
        return -1;
    }
    char w[300];
    snprintf(w, sizeof w, "%s.hnsw_config", where);
    if (apply_hnsw(r, top_hnsw, "hnsw_config", p) || apply_hnsw(r, json_object_get(v, "hnsw_config"), w, p))
        return -1;
    snprintf(w, sizeof w, "%s.quantization_config", where);
    if (apply_quant(r, top_quant, "quantization_config", 0, p) ||
        apply_quant(r, json_object_get(v, "quantization_config"), w, 0, p))
        return -1;
    return 0;
}

void h_collection_create(srv_req *r) {
    json_t *b = r->json;
    if (!b) {
        srv_fail(r, 400, "Format error in JSON body: EOF while parsing a value at line 1 column 0");
        return;
    }
    json_t *sparse = json_object_get(b, "sparse_vectors");
    if (sparse && !json_is_null(sparse) && !(json_is_object(sparse) && json_object_size(sparse) == 0)) {
        srv_fail(r, 400, "Wrong input: sparse vectors are not supported");
        return;
    }
    json_t *vectors = json_object_get(b, "vectors");
    json_t *hnsw = json_object_get(b, "hnsw_config"), *quant = json_object_get(b, "quantization_config");
    vt_vector_params params[VT_MAX_NAMED_VECTORS];
    size_t n = 0;
    if (!vectors || !json_is_object(vectors)) {
        srv_fail(r, 400, "Wrong input: vectors: a collection needs at least one dense vector "
                         "({\"size\": N, \"distance\": \"Cosine\"} or an object of them by name)");
        return;
    }
    if (json_object_get(vectors, "size") || json_object_get(vectors, "distance")) {
        if (parse_vector_params(r, vectors, "", "vectors", hnsw, quant, &params[0])) return;
        n = 1;
    } else {
        const char *name;
        json_t *v;
        json_object_foreach(vectors, name, v) {
            if (n == VT_MAX_NAMED_VECTORS) {
                srv_fail(r, 400, "Wrong input: vectors: at most %d named vectors", VT_MAX_NAMED_VECTORS);
                return;
            }
            char where[300];
            snprintf(where, sizeof where, "vectors.%.256s", name);
            if (parse_vector_params(r, v, name, where, hnsw, quant, &params[n])) return;
            n++;
        }
        if (n == 0) {
            srv_fail(r, 400, "Wrong input: vectors: a collection needs at least one dense vector");
            return;
        }
    }
    vt_collection_config cfg = {n, params};
    vt_error err = {0};
    int rc = vt_collection_create(r->ctx->db, coll_name(r), &cfg, &err);
    if (rc == VT_EEXIST) {
        /* the name is taken by a collection (409, as above) or by an alias: Qdrant's 400 */
        vt_collection_info info;
        if (vt_collection_info_get(r->ctx->db, coll_name(r), &info, NULL) == VT_OK &&
            strcmp(info.name, coll_name(r)) != 0) {
            srv_fail(r, 400, "Wrong input: Can't create collection with name %s. Alias with the same name "
                             "already exists", coll_name(r));
            return;
        }
    }
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, json_true());
}

void h_collection_update(srv_req *r) {
    vt_collection_info info;
    vt_error err = {0};
    int rc = vt_collection_info_get(r->ctx->db, coll_name(r), &info, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    vt_vector_params params[VT_MAX_NAMED_VECTORS];
    for (size_t i = 0; i < info.n_vectors; i++) {
        params[i] = info.vectors[i].params;
        params[i].name = info.vectors[i].name;
    }
    json_t *b = r->json ? r->json : json_object();
    json_t *hnsw = json_object_get(b, "hnsw_config"), *quant = json_object_get(b, "quantization_config");
    for (size_t i = 0; i < info.n_vectors; i++)
        if (apply_hnsw(r, hnsw, "hnsw_config", &params[i]) ||
            apply_quant(r, quant, "quantization_config", 1, &params[i]))
            goto out;
    json_t *vectors = json_object_get(b, "vectors");
    if (vectors && json_is_object(vectors)) {
        const char *name;
        json_t *v;
        json_object_foreach(vectors, name, v) {
            size_t i = 0;
            while (i < info.n_vectors && strcmp(info.vectors[i].name, name) != 0) i++;
            if (i == info.n_vectors) {
                srv_fail(r, 400, "Wrong input: Not existing vector name error: %s", name);
                goto out;
            }
            char where[300];
            snprintf(where, sizeof where, "vectors.%.256s", name);
            if (!json_is_object(v)) {
                srv_fail(r, 400, "Format error in JSON body: %s must be an object", where);
                goto out;
            }
            char w2[320];
            snprintf(w2, sizeof w2, "%s.hnsw_config", where);
            if (apply_hnsw(r, json_object_get(v, "hnsw_config"), w2, &params[i])) goto out;
            snprintf(w2, sizeof w2, "%s.quantization_config", where);
            if (apply_quant(r, json_object_get(v, "quantization_config"), w2, 1, &params[i])) goto out;
        }
    }
    json_t *sparse = json_object_get(b, "sparse_vectors");
    if (sparse && !json_is_null(sparse) && !(json_is_object(sparse) && json_object_size(sparse) == 0)) {
        srv_fail(r, 400, "Wrong input: sparse vectors are not supported");
        goto out;
    }
    rc = vt_collection_update(r->ctx->db, coll_name(r), params, info.n_vectors, &err);
    if (rc) srv_fail_vt(r, rc, &err);
    else srv_ok(r, json_true());
out:
    if (b != r->json) json_decref(b);
}

static json_t *hnsw_json(const vt_vector_params *p) {
    return json_pack("{s:I, s:I, s:I, s:i, s:b}", "m", (json_int_t)p->hnsw_m, "ef_construct",
                     (json_int_t)p->hnsw_ef_construct, "full_scan_threshold",
                     (json_int_t)p->full_scan_threshold, "max_indexing_threads", 0, "on_disk", 0);
}

static json_t *quant_json(const vt_vector_params *p) {
    return json_pack("{s:{s:s, s:f, s:b}}", "scalar", "type", "int8", "quantile", vt_json_f32(p->quant_quantile),
                     "always_ram", p->quant_always_ram);
}

static int same_hnsw(const vt_vector_params *a, const vt_vector_params *b) {
    return a->hnsw_m == b->hnsw_m && a->hnsw_ef_construct == b->hnsw_ef_construct &&
           a->full_scan_threshold == b->full_scan_threshold;
}

static int same_quant(const vt_vector_params *a, const vt_vector_params *b) {
    return a->quant_int8 == b->quant_int8 && (!a->quant_int8 || (a->quant_quantile == b->quant_quantile &&
                                                                 a->quant_always_ram == b->quant_always_ram));
}

void h_collection_get(srv_req *r) {
    vt_collection_info info;
    vt_error err = {0};
    int rc = vt_collection_info_get(r->ctx->db, coll_name(r), &info, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    const vt_vector_params *first = &info.vectors[0].params;
    int quant_shared = 1;
    uint64_t indexed = 0;
    for (size_t i = 0; i < info.n_vectors; i++) {
        if (!same_quant(&info.vectors[i].params, first)) quant_shared = 0;
        indexed += info.vectors[i].indexed_count;
    }
    json_t *vectors;
    int unnamed = info.n_vectors == 1 && info.vectors[0].name[0] == '\0';
    vectors = unnamed ? NULL : json_object();
    for (size_t i = 0; i < info.n_vectors; i++) {
        const vt_vector_params *p = &info.vectors[i].params;
        json_t *vp = json_pack("{s:I, s:s, s:b}", "size", (json_int_t)p->size, "distance",
                               vt_distance_name(p->distance), "on_disk", 0);
        if (!same_hnsw(p, first)) json_object_set_new(vp, "hnsw_config", hnsw_json(p));
        if (!quant_shared && p->quant_int8) json_object_set_new(vp, "quantization_config", quant_json(p));
        if (unnamed) vectors = vp;
        else json_object_set_new(vectors, info.vectors[i].name, vp);
    }
    json_t *config = json_pack(
        "{s:{s:o, s:i, s:i, s:i, s:b}, s:o, s:{s:f, s:i, s:i, s:n, s:n, s:i, s:i, s:n}, s:{s:i, s:i}}",
        "params", "vectors", vectors, "shard_number", 1, "replication_factor", 1,
        "write_consistency_factor", 1, "on_disk_payload", 1,
        "hnsw_config", hnsw_json(first),
        "optimizer_config", "deleted_threshold", 0.2, "vacuum_min_vector_number", 1000,
        "default_segment_number", 0, "max_segment_size", "memmap_threshold", "indexing_threshold", 10000,
        "flush_interval_sec", 5, "max_optimization_threads",
        "wal_config", "wal_capacity_mb", 32, "wal_segments_ahead", 0);
    if (config)
        json_object_set_new(config, "quantization_config",
                            quant_shared && first->quant_int8 ? quant_json(first) : json_null());
    json_t *schema = json_object();
    vt_field_index_info *fi = NULL;
    size_t n_fi = 0;
    if (vt_field_index_list(r->ctx->db, coll_name(r), &fi, &n_fi, NULL) == VT_OK) {
        for (size_t i = 0; schema && i < n_fi; i++)
            json_object_set_new(schema, fi[i].key, json_pack("{s:s, s:I}", "data_type", fi[i].type, "points",
                                                             (json_int_t)fi[i].points));
        vt_field_index_list_free(fi, n_fi);
    }
    json_t *res = config && schema ? json_pack("{s:s, s:s, s:i, s:I, s:I, s:o, s:o}", "status", info.status,
                                               "optimizer_status", "ok", "segments_count", 1, "points_count",
                                               (json_int_t)info.points_count, "indexed_vectors_count",
                                               (json_int_t)indexed, "config", config, "payload_schema", schema)
                                   : NULL;
    srv_ok(r, res);
}

static json_t *alias_array(char **pairs, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "alias_name", pairs[2 * i], "collection_name",
                                           pairs[2 * i + 1]));
    return a;
}

static void list_aliases(srv_req *r, const char *collection) {
    char **pairs = NULL;
    size_t n = 0;
    vt_error err = {0};
    if (collection) {
        int exists = 0;
        int rc = vt_collection_exists(r->ctx->db, collection, &exists, &err);
        if (rc == VT_OK && !exists) {
            srv_fail(r, 404, "Not found: Collection `%s` doesn't exist!", collection);
            return;
        }
    }
    int rc = vt_alias_list(r->ctx->db, collection, &pairs, &n, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    json_t *a = alias_array(pairs, n);
    vt_mem_free(pairs);
    srv_ok(r, a ? json_pack("{s:o}", "aliases", a) : NULL);
}

void h_aliases_list(srv_req *r) { list_aliases(r, NULL); }
void h_collection_aliases(srv_req *r) { list_aliases(r, coll_name(r)); }

static const char *str_field(srv_req *r, const json_t *o, const char *key, const char *where) {
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_string(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s.%s: missing or not a string", where, key);
        return NULL;
    }
    return json_string_value(v);
}

void h_aliases_update(srv_req *r) {
    json_t *actions = r->json ? json_object_get(r->json, "actions") : NULL;
    if (!actions || !json_is_array(actions)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `actions`");
        return;
    }
    /* check every action's shape first, then apply in order */
    size_t i;
    json_t *a;
    for (int apply = 0; apply < 2; apply++) {
        json_array_foreach(actions, i, a) {
            json_t *c = json_object_get(a, "create_alias"), *d = json_object_get(a, "delete_alias");
            json_t *rn = json_object_get(a, "rename_alias");
            vt_error err = {0};
            int rc = VT_OK;
            if (c && json_is_object(c)) {
                const char *coll = str_field(r, c, "collection_name", "create_alias");
                const char *alias = coll ? str_field(r, c, "alias_name", "create_alias") : NULL;
                if (!alias) return;
                if (apply) rc = vt_alias_create(r->ctx->db, alias, coll, &err);
            } else if (d && json_is_object(d)) {
                const char *alias = str_field(r, d, "alias_name", "delete_alias");
                if (!alias) return;
                if (apply) rc = vt_alias_delete(r->ctx->db, alias, &err);
            } else if (rn && json_is_object(rn)) {
                const char *old = str_field(r, rn, "old_alias_name", "rename_alias");
                const char *nw = old ? str_field(r, rn, "new_alias_name", "rename_alias") : NULL;
                if (!nw) return;
                if (apply) rc = vt_alias_rename(r->ctx->db, old, nw, &err);
            } else {
                srv_fail(r, 400, "Format error in JSON body: actions[%zu]: expected create_alias, "
                                 "delete_alias or rename_alias", i);
                return;
            }
            if (rc) {
                srv_fail_vt(r, rc, &err);
                return;
            }
        }
    }
    srv_ok(r, json_true());
}

/* PUT /collections/{c}/index {field_name, field_schema}: a payload index (keyword, integer,
 * float, bool, uuid, datetime, text; a type name or a params object). */
void h_index_create(srv_req *r) {
    json_t *b = r->json;
    json_t *name = b ? json_object_get(b, "field_name") : NULL;
    json_t *schema = b ? json_object_get(b, "field_schema") : NULL;
    if (!name || !json_is_string(name) || !json_string_length(name)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `field_name`");
        return;
    }
    if (!schema || json_is_null(schema)) {
        srv_fail(r, 400, "Wrong input: field_schema is required (keyword, integer, float, bool, uuid, datetime or text)");
        return;
    }
    char *text = srv_dumps(schema, NULL);
    if (!text) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    uint64_t op = 0;
    vt_error err = {0};
    int rc = vt_field_index_create(r->ctx->db, coll_name(r), json_string_value(name), text, &op, &err);
    vt_free(text);
    if (rc) srv_fail_vt(r, rc, &err);
    else srv_update_ok(r, op);
}

/* DELETE /collections/{c}/index/{field}: drops the index (a field without one: nothing to do). */
void h_index_delete(srv_req *r) {
    int exists = 0;
    vt_error err = {0};
    int rc = vt_collection_exists(r->ctx->db, coll_name(r), &exists, &err);
    if (rc == VT_OK && !exists) {
        srv_fail(r, 404, "Not found: Collection `%s` doesn't exist!", coll_name(r));
        return;
    }
    uint64_t op = 0;
    rc = vt_field_index_delete(r->ctx->db, coll_name(r), r->params[1], &op, &err);
    if (rc && rc != VT_ENOTFOUND) srv_fail_vt(r, rc, &err);
    else srv_update_ok(r, op);
}
