/*
 * collection.c — collections and aliases: create, delete, update, list, info; name lookup
 * (aliases resolved) for every other operation; point-id text forms.
 *
 * A collection is one record in the colls db (layout in store.c) keyed by its name, with an id
 * from meta "next_coll" that is never reused, so the points and op log of a deleted collection
 * can never be mistaken for a new one's. An alias is one record in the aliases db: alias name →
 * collection name. Alias and collection names share one namespace (create refuses either
 * clash), as in Qdrant. Deleting a collection deletes its points, op-log records, counters and
 * the aliases that point at it, in one transaction.
 */
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "db_int.h"

/* ---- names, distances, ids ---- */

int db_check_name(const char *what, const char *name, vt_error *err) {
    if (!name) return vt_fail(err, VT_EINVAL, "%s name is missing", what);
    size_t n = strlen(name);
    if (n == 0 || n > VT_MAX_NAME_LEN)
        return vt_fail(err, VT_EINVAL, "%s name \"%.64s\" must be 1..%d bytes", what, name, VT_MAX_NAME_LEN);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == '/' || name[i] == 0x7f)
            return vt_fail(err, VT_EINVAL, "%s name \"%.64s\" holds '/' or a control character", what, name);
    return VT_OK;
}

int vt_distance_parse(const char *s) {
    static const char *names[] = {"cosine", "dot", "euclid", "manhattan"};
    if (!s) return -1;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0) return i;
    return -1;
}

const char *vt_distance_name(int d) {
    static const char *names[] = {"Cosine", "Dot", "Euclid", "Manhattan"};
    return d >= 0 && d < 4 ? names[d] : "?";
}

vt_vector_params vt_vector_params_default(const char *name, uint32_t size, int distance) {
    vt_vector_params p;
    memset(&p, 0, sizeof p);
    p.name = name ? name : "";
    p.size = size;
    p.distance = distance;
    p.hnsw_m = 16;                   /* Qdrant's default (config.yaml) */
    p.hnsw_ef_construct = 100;       /* Qdrant's default */
    p.full_scan_threshold = 10000;   /* KB, Qdrant's default */
    p.quant_quantile = 1.0f;         /* Qdrant's default when quantile is absent: the whole range */
    return p;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* parse_uuid: the forms Qdrant's uuid crate accepts; 1 on success. */
static int parse_uuid(const char *s, size_t len, uint8_t out[16]) {
    if (len == 45 && strncasecmp(s, "urn:uuid:", 9) == 0) s += 9, len -= 9;
    if (len == 38 && s[0] == '{' && s[37] == '}') s++, len -= 2;
    int hyph = len == 36;
    if (!hyph && len != 32) return 0;
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        if (hyph && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (s[i] != '-') return 0;
            i++;
            continue;
        }
        int a = hexval((unsigned char)s[i]), b = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
        if (a < 0 || b < 0) return 0;
        out[j++] = (uint8_t)(a << 4 | b);
        i += 2;
    }
    return j == 16;
}

int vt_point_id_parse(const char *s, size_t len, vt_point_id *out, vt_error *err) {
    memset(out, 0, sizeof *out);
    if (len > 0 && len <= 20) {
        uint64_t v = 0;
        size_t i = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (v > (UINT64_MAX - d) / 10) break;
            v = v * 10 + d;
        }
        if (i == len) {
            out->num = v;
            return VT_OK;
        }
    }
    if (parse_uuid(s, len, out->uuid)) {
        out->is_uuid = 1;
        return VT_OK;
    }
    return vt_fail(err, VT_EINVAL, "Can not recognize \"%.*s\" as point id", (int)(len > 64 ? 64 : len), s);
}

char *vt_point_id_format(const vt_point_id *id, char *buf) {
    if (!id->is_uuid) {
        snprintf(buf, VT_POINT_ID_BUF, "%llu", (unsigned long long)id->num);
        return buf;
    }
    static const char hx[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hx[id->uuid[i] >> 4];
        *p++ = hx[id->uuid[i] & 15];
    }
    *p = '\0';
    return buf;
}

/* ---- lookup ---- */

static int get_coll(vt_db *db, MDB_txn *txn, const char *name, size_t nl, db_coll *c, vt_error *err) {
    MDB_val k = {nl, (void *)name}, v;
    int rc = mdb_get(txn, db->dbi_colls, &k, &v);
    if (rc == MDB_NOTFOUND) return VT_ENOTFOUND;
    if (rc) return db_lmdb_fail(err, rc, "reading a collection");
    return db_coll_decode(&v, name, nl, c, err);
}

int db_coll_lookup(vt_db *db, MDB_txn *txn, const char *name, db_coll *c, vt_error *err) {
    if (!name) return vt_fail(err, VT_EINVAL, "no collection name given");
    size_t nl = strlen(name);
    if (nl == 0 || nl > VT_MAX_NAME_LEN)
        return vt_fail(err, VT_ENOTFOUND, "Collection `%.64s` doesn't exist!", name);
    int rc = get_coll(db, txn, name, nl, c, err);
    if (rc != VT_ENOTFOUND) return rc;
    MDB_val k = {nl, (void *)name}, v;
    rc = mdb_get(txn, db->dbi_aliases, &k, &v);
    if (rc == 0) {
        rc = get_coll(db, txn, v.mv_data, v.mv_size > VT_MAX_NAME_LEN ? VT_MAX_NAME_LEN : v.mv_size, c, err);
        if (rc != VT_ENOTFOUND) return rc;
    } else if (rc != MDB_NOTFOUND) {
        return db_lmdb_fail(err, rc, "reading an alias");
    }
    return vt_fail(err, VT_ENOTFOUND, "Collection `%s` doesn't exist!", name);
}

int db_coll_vec_slot(const db_coll *c, const char *name) {
    if (!name) name = "";
    for (uint32_t i = 0; i < c->n_vecs; i++)
        if (strcmp(c->vecs[i].name, name) == 0) return (int)i;
    return -1;
}

/* ---- create ---- */

typedef struct create_ctx {
    db_coll c;
} create_ctx;

static int exists_any(vt_db *db, MDB_txn *txn, const char *name, vt_error *err) {
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, db->dbi_colls, &k, &v);
    if (rc == MDB_NOTFOUND) rc = mdb_get(txn, db->dbi_aliases, &k, &v);
    if (rc == 0) return 1;
    if (rc == MDB_NOTFOUND) return 0;
    return db_lmdb_fail(err, rc, "reading collections");
}

/* db_coll_insert: writes config record c (assigning c->id) in txn; shared with restore. */
int db_coll_insert(vt_db *db, MDB_txn *txn, db_coll *c, vt_error *err);
int db_coll_insert(vt_db *db, MDB_txn *txn, db_coll *c, vt_error *err) {
    int rc = exists_any(db, txn, c->name, err);
    if (rc < 0) return rc;
    if (rc == 1) return vt_fail(err, VT_EEXIST, "Collection `%s` already exists!", c->name);
    MDB_val k = {9, "next_coll"}, v;
    uint64_t next = 1;
    rc = mdb_get(txn, db->dbi_meta, &k, &v);
    if (rc == 0 && v.mv_size == 8) memcpy(&next, v.mv_data, 8);
    else if (rc && rc != MDB_NOTFOUND) return db_lmdb_fail(err, rc, "reading next_coll");
    c->id = next++;
    if ((rc = db_put(txn, db->dbi_meta, "next_coll", 9, &next, 8, err))) return rc;
    uint8_t *rec;
    size_t len;
    if ((rc = db_coll_encode(c, &rec, &len, err))) return rc;
    rc = db_put(txn, db->dbi_colls, c->name, strlen(c->name), rec, len, err);
    vt_free(rec);
    if (rc) return rc;
    db_stats s;
    memset(&s, 0, sizeof s);
    return db_stats_put(db, txn, c->id, &s);
}

static int create_fn(vt_db *db, MDB_txn *txn, void *ctx, vt_error *err) {
    return db_coll_insert(db, txn, &((create_ctx *)ctx)->c, err);
}

static int check_vec_params(const vt_vector_params *p, db_vec_cfg *out, vt_error *err) {
    const char *nm = p->name ? p->name : "";
    if (strlen(nm) > VT_MAX_NAME_LEN) return vt_fail(err, VT_EINVAL, "vectors: name \"%.64s…\" is too long", nm);
    if (p->size < 1 || p->size > VT_MAX_DIM)
        return vt_fail(err, VT_EINVAL, "vectors.size: value %u invalid, must be from 1 to %d", p->size, VT_MAX_DIM);
    if (p->distance < 0 || p->distance > VT_DISTANCE_MANHATTAN)
        return vt_fail(err, VT_EINVAL, "vectors \"%s\": unknown distance %d", nm, p->distance);
    if (p->hnsw_m > 1024) return vt_fail(err, VT_EINVAL, "vectors \"%s\": hnsw m %u above 1024", nm, p->hnsw_m);
    if (p->hnsw_ef_construct < 4 || p->hnsw_ef_construct > 100000)
        return vt_fail(err, VT_EINVAL, "vectors \"%s\": ef_construct %u must be 4..100000", nm, p->hnsw_ef_construct);
    if (p->quant_int8 && !(p->quant_quantile >= 0.5f && p->quant_quantile <= 1.0f))
        return vt_fail(err, VT_EINVAL, "vectors \"%s\": quantile %g must be 0.5..1", nm, (double)p->quant_quantile);
    memset(out, 0, sizeof *out);
    memcpy(out->name, nm, strlen(nm));
    out->size = p->size;
    out->distance = p->distance;
    out->m = p->hnsw_m;
    out->ef_construct = p->hnsw_ef_construct;
    out->full_scan_threshold = p->full_scan_threshold;
    out->quant_int8 = p->quant_int8 != 0;
    out->quant_always_ram = p->quant_always_ram != 0;
    out->quant_quantile = p->quant_int8 ? p->quant_quantile : 1.0f;
    return VT_OK;
}

int vt_collection_create(vt_db *db, const char *name, const vt_collection_config *config,
                         vt_error *err) {
    int rc = db_check_name("collection", name, err);
    if (rc) return rc;
    if (!config || config->n_vectors < 1 || config->n_vectors > VT_MAX_NAMED_VECTORS || !config->vectors)
        return vt_fail(err, VT_EINVAL, "collection %s: 1..%d named vectors are required", name, VT_MAX_NAMED_VECTORS);
    create_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.c.name, name, strlen(name));
    ctx.c.n_vecs = (uint32_t)config->n_vectors;
    for (size_t i = 0; i < config->n_vectors; i++) {
        if ((rc = check_vec_params(&config->vectors[i], &ctx.c.vecs[i], err))) return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ctx.c.vecs[i].name, ctx.c.vecs[j].name) == 0)
                return vt_fail(err, VT_EINVAL, "collection %s: vector name \"%s\" given twice", name, ctx.c.vecs[i].name);
    }
    return db_write(db, create_fn, &ctx, err);
}

/* ---- delete ---- */

/* del_prefix: deletes every key of dbi that starts with the 8-byte prefix. */
static int del_prefix(MDB_txn *txn, MDB_dbi dbi, const uint8_t prefix[8], vt_error *err) {
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return db_lmdb_fail(err, rc, "opening a cursor");
    for (;;) { /* re-seek after each delete: the cursor's position after mdb_cursor_del is
                  not something to lean on */
        MDB_val k = {8, (void *)prefix}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size < 8 || memcmp(k.mv_data, prefix, 8) != 0) break;
        if ((rc = mdb_cursor_del(cur, 0))) break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_MAP_FULL) return DB_RETRY_MAP_FULL;
    if (rc && rc != MDB_NOTFOUND) return db_lmdb_fail(err, rc, "deleting a collection's records");
    return VT_OK;
}

typedef struct delete_ctx {
    const char *name;
    int existed;
    uint64_t id;
} delete_ctx;

static int delete_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    delete_ctx *ctx = vctx;
    db_coll c;
    ctx->existed = 0;
    int rc = get_coll(db, txn, ctx->name, strlen(ctx->name), &c, err);
    if (rc == VT_ENOTFOUND) return VT_OK;
    if (rc) return rc;
    ctx->existed = 1;
    ctx->id = c.id;
    uint8_t prefix[8];
    for (int i = 7, x = 0; i >= 0; i--, x++) prefix[i] = (uint8_t)(c.id >> (8 * x));
    if ((rc = del_prefix(txn, db->dbi_points, prefix, err))) return rc;
    if ((rc = del_prefix(txn, db->dbi_oplog, prefix, err))) return rc;
    uint8_t sk[9] = {'s'};
    memcpy(sk + 1, prefix, 8);
    if ((rc = db_del(txn, db->dbi_meta, sk, 9, err))) return rc;
    if ((rc = db_del(txn, db->dbi_colls, ctx->name, strlen(ctx->name), err))) return rc;
    /* aliases pointing at it */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->dbi_aliases, &cur))) return db_lmdb_fail(err, rc, "aliases");
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;) {
        if (v.mv_size == strlen(ctx->name) && memcmp(v.mv_data, ctx->name, v.mv_size) == 0) {
            if ((rc = mdb_cursor_del(cur, 0))) break;
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); /* restart: aliases are few */
            continue;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_MAP_FULL) return DB_RETRY_MAP_FULL;
    if (rc && rc != MDB_NOTFOUND) return db_lmdb_fail(err, rc, "deleting aliases");
    return VT_OK;
}


int vt_collection_delete(vt_db *db, const char *name, int *existed, vt_error *err) {
    if (existed) *existed = 0;
    int rc = db_check_name("collection", name, err);
    if (rc) return rc;
    delete_ctx ctx = {name, 0, 0};
    rc = db_write(db, delete_fn, &ctx, err);
    if (rc == VT_OK && ctx.existed) {
        db_index_drop(db, ctx.id);
        db_fx_drop(db, ctx.id);
    }
    if (rc == VT_OK && existed) *existed = ctx.existed;
    return rc;
}

/* ---- update ---- */

typedef struct update_ctx {
    const char *name;
    const vt_vector_params *v;
    size_t n;
    uint64_t id;
} update_ctx;

static int update_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    update_ctx *ctx = vctx;
    db_coll c;
    int rc = db_coll_lookup(db, txn, ctx->name, &c, err);
    if (rc) return rc;
    ctx->id = c.id;
    for (size_t i = 0; i < ctx->n; i++) {
        int s = db_coll_vec_slot(&c, ctx->v[i].name);
        if (s < 0) return vt_fail(err, VT_EINVAL, "Not existing vector name error: %s", ctx->v[i].name ? ctx->v[i].name : "");
        if (ctx->v[i].size != c.vecs[s].size || ctx->v[i].distance != c.vecs[s].distance)
            return vt_fail(err, VT_EINVAL, "collection %s: vector \"%s\": size and distance cannot change",
                           c.name, c.vecs[s].name);
        if ((rc = check_vec_params(&ctx->v[i], &c.vecs[s], err))) return rc;
    }
    uint8_t *rec;
    size_t len;
    if ((rc = db_coll_encode(&c, &rec, &len, err))) return rc;
    rc = db_put(txn, db->dbi_colls, c.name, strlen(c.name), rec, len, err);
    vt_free(rec);
    return rc;
}

int vt_collection_update(vt_db *db, const char *name, const vt_vector_params *vectors,
                         size_t n_vectors, vt_error *err) {
    update_ctx ctx = {name, vectors, n_vectors, 0};
    if (n_vectors && !vectors) return vt_fail(err, VT_EINVAL, "vt_collection_update: vectors is NULL");
    int rc = db_write(db, update_fn, &ctx, err);
    if (rc == VT_OK) db_index_drop(db, ctx.id); /* rebuilt with the new parameters */
    return rc;
}

/* ---- list, exists ---- */

/* pack_strings: n strings (ptrs/lens) into one block: pointer array then the bytes. */
static char **pack_strings(MDB_val *vals, size_t n) {
    size_t bytes = (n + 1) * sizeof(char *);
    for (size_t i = 0; i < n; i++) bytes += vals[i].mv_size + 1;
    char **arr = vt_malloc(bytes);
    if (!arr) return NULL;
    char *p = (char *)(arr + n + 1);
    for (size_t i = 0; i < n; i++) {
        arr[i] = p;
        memcpy(p, vals[i].mv_data, vals[i].mv_size);
        p[vals[i].mv_size] = '\0';
        p += vals[i].mv_size + 1;
    }
    arr[n] = NULL;
    return arr;
}

/* list_dbi: keys (and values if pairs) of dbi, filtered by value == only (if non-NULL). */
static int list_dbi(vt_db *db, MDB_dbi dbi, int pairs, const char *only, char ***out, size_t *n,
                    vt_error *err) {
    *out = NULL;
    *n = 0;
    MDB_txn *txn;
    int rc = db_read_begin(db, &txn, err);
    if (rc) return rc;
    MDB_cursor *cur;
    MDB_val *vals = NULL, k, v;
    size_t cnt = 0, cap = 0;
    if ((rc = mdb_cursor_open(txn, dbi, &cur))) {
        db_read_end(db, txn);
        return db_lmdb_fail(err, rc, "listing");
    }
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    rc = VT_OK;
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (only && (v.mv_size != strlen(only) || memcmp(v.mv_data, only, v.mv_size) != 0)) continue;
        if (cnt + 2 > cap) {
            size_t nc = cap ? cap * 2 : 16;
            MDB_val *nv = vt_realloc(vals, nc * sizeof *nv);
            if (!nv) {
                rc = vt_fail(err, VT_ENOMEM, "listing: out of memory");
                break;
            }
            vals = nv;
            cap = nc;
        }
        vals[cnt++] = k;
        if (pairs) vals[cnt++] = v;
    }
    if (rc == VT_OK && mrc != 0 && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "listing");
    if (rc == VT_OK) {
        *out = pack_strings(vals, cnt);
        if (!*out) rc = vt_fail(err, VT_ENOMEM, "listing: out of memory");
        else *n = pairs ? cnt / 2 : cnt;
    }
    vt_free(vals);
    mdb_cursor_close(cur);
    db_read_end(db, txn);
    return rc;
}

int vt_collection_list(vt_db *db, char ***names, size_t *n, vt_error *err) {
    return list_dbi(db, db->dbi_colls, 0, NULL, names, n, err);
}

int vt_alias_list(vt_db *db, const char *collection, char ***pairs, size_t *n, vt_error *err) {
    return list_dbi(db, db->dbi_aliases, 1, collection, pairs, n, err);
}

int vt_collection_exists(vt_db *db, const char *name, int *exists, vt_error *err) {
    *exists = 0;
    MDB_txn *txn;
    int rc = db_read_begin(db, &txn, err);
    if (rc) return rc;
    db_coll c;
    vt_error tmp = {0};
    rc = db_coll_lookup(db, txn, name, &c, &tmp);
    db_read_end(db, txn);
    if (rc == VT_OK) *exists = 1;
    else if (rc != VT_ENOTFOUND) return vt_fail(err, rc, "%s", tmp.message);
    return VT_OK;
}

/* ---- info ---- */


int vt_collection_info_get(vt_db *db, const char *name, vt_collection_info *info, vt_error *err) {
    memset(info, 0, sizeof *info);
    MDB_txn *txn;
    int rc = db_read_begin(db, &txn, err);
    if (rc) return rc;
    db_coll c;
    db_stats s;
    if ((rc = db_coll_lookup(db, txn, name, &c, err)) || (rc = db_stats_get(db, txn, c.id, &s, err))) {
        db_read_end(db, txn);
        return rc;
    }
    db_fx *fx = db_fx_acquire(db, &c, s.last_seq, NULL); /* the field indexes' memory, if built */
    if (fx) info->memory_bytes += db_fx_bytes(fx);
    db_fx_release(db, fx);
    db_read_end(db, txn);
    memcpy(info->name, c.name, sizeof info->name);
    info->points_count = s.points;
    info->last_op_id = s.last_seq;
    info->n_vectors = c.n_vecs;
    info->status = "green";
    for (uint32_t i = 0; i < c.n_vecs; i++) {
        vt_vector_info *vi = &info->vectors[i];
        const db_vec_cfg *v = &c.vecs[i];
        memcpy(vi->name, v->name, sizeof vi->name);
        vi->params.name = vi->name;
        vi->params.size = v->size;
        vi->params.distance = v->distance;
        vi->params.hnsw_m = v->m;
        vi->params.hnsw_ef_construct = v->ef_construct;
        vi->params.full_scan_threshold = v->full_scan_threshold;
        vi->params.quant_int8 = v->quant_int8;
        vi->params.quant_quantile = v->quant_quantile;
        vi->params.quant_always_ram = v->quant_always_ram;
        vi->points_count = s.vec_points[i];
        int behind = 0;
        db_index_facts(db, &c, i, s.last_seq, vi, &behind);
        if (behind) info->status = "yellow";
        info->memory_bytes += vi->memory_bytes;
    }
    return VT_OK;
}

/* ---- aliases ---- */

typedef struct alias_ctx {
    const char *a, *b; /* create: alias, collection; rename: old, new; delete: alias */
    int kind;          /* 0 create, 1 delete, 2 rename */
} alias_ctx;

static int alias_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    alias_ctx *x = vctx;
    MDB_val k = {strlen(x->a), (void *)x->a}, v;
    int rc;
    if (x->kind == 0) {
        db_coll c;
        if ((rc = get_coll(db, txn, x->b, strlen(x->b), &c, err)) == VT_ENOTFOUND)
            return vt_fail(err, VT_ENOTFOUND, "Collection `%s` doesn't exist!", x->b);
        if (rc) return rc;
        if ((rc = exists_any(db, txn, x->a, err)) < 0) return rc;
        if (rc == 1) return vt_fail(err, VT_EEXIST, "Alias `%s` already exists!", x->a);
        return db_put(txn, db->dbi_aliases, x->a, strlen(x->a), x->b, strlen(x->b), err);
    }
    rc = mdb_get(txn, db->dbi_aliases, &k, &v);
    if (rc == MDB_NOTFOUND) return vt_fail(err, VT_ENOTFOUND, "Alias `%s` doesn't exist!", x->a);
    if (rc) return db_lmdb_fail(err, rc, "reading an alias");
    if (x->kind == 2) {
        char target[VT_MAX_NAME_LEN + 1];
        size_t tl = v.mv_size > VT_MAX_NAME_LEN ? VT_MAX_NAME_LEN : v.mv_size;
        memcpy(target, v.mv_data, tl);
        if ((rc = exists_any(db, txn, x->b, err)) < 0) return rc;
        if (rc == 1) return vt_fail(err, VT_EEXIST, "Alias `%s` already exists!", x->b);
        if ((rc = db_put(txn, db->dbi_aliases, x->b, strlen(x->b), target, tl, err))) return rc;
    }
    return db_del(txn, db->dbi_aliases, x->a, strlen(x->a), err);
}

int vt_alias_create(vt_db *db, const char *alias, const char *collection, vt_error *err) {
    int rc;
    if ((rc = db_check_name("alias", alias, err)) || (rc = db_check_name("collection", collection, err))) return rc;
    alias_ctx x = {alias, collection, 0};
    return db_write(db, alias_fn, &x, err);
}

int vt_alias_delete(vt_db *db, const char *alias, vt_error *err) {
    int rc = db_check_name("alias", alias, err);
    if (rc) return rc;
    alias_ctx x = {alias, NULL, 1};
    return db_write(db, alias_fn, &x, err);
}

int vt_alias_rename(vt_db *db, const char *old_alias, const char *new_alias, vt_error *err) {
    int rc;
    if ((rc = db_check_name("alias", old_alias, err)) || (rc = db_check_name("alias", new_alias, err))) return rc;
    alias_ctx x = {old_alias, new_alias, 2};
    return db_write(db, alias_fn, &x, err);
}
