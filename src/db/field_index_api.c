/*
 * field_index_api.c — the public calls that define field (payload) indexes: create, delete, list;
 * and the field-index section of the collection config record that stores the definitions.
 *
 * A definition is (key path, type). Creating or deleting one rewrites the collection's config
 * record with the new section and appends an op-log record (DB_OP_FIELD_INDEX, no ids), so the
 * change has an operation id like every other write and bumps the collection's last_seq; after
 * the commit (still under write_mu) the in-memory indexes are rebuilt from the points
 * (field_index.c), which is the backfill. Creating an index that exists with the same type changes
 * nothing (op_id = the current last_seq); with another type it is replaced, as in Qdrant. The key
 * path and the schema are checked (pidx_type_parse, pidx_create on a scratch set) before the
 * transaction, so a bad one fails with nothing written.
 *
 * Section layout (store.c, docs/FORMAT.md): u32 n, then per field u8 type, u8 0, u16 key_len, key.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/payload_index.h"
#include "db_int.h"

static uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int db_fdefs_decode(const db_coll *c, db_fdef **out, uint32_t *n, vt_error *err) {
    *out = NULL;
    *n = 0;
    if (!c->fx_rec || c->fx_len < 4) return VT_OK;
    const uint8_t *q = c->fx_rec, *end = q + c->fx_len;
    uint32_t nf = get_u32(q);
    if (nf > DB_MAX_FIELDS) goto corrupt;
    db_fdef *d = vt_calloc(nf ? nf : 1, sizeof *d);
    if (!d) return vt_fail(err, VT_ENOMEM, "collection %s: out of memory reading field indexes", c->name);
    q += 4;
    for (uint32_t i = 0; i < nf; i++) {
        if (end - q < 4) goto corrupt_free;
        size_t kl = get_u16(q + 2);
        if (kl < 1 || kl > DB_FIELD_KEY_MAX || (size_t)(end - q) < 4 + kl) goto corrupt_free;
        d[i].type = q[0];
        memcpy(d[i].key, q + 4, kl);
        d[i].key[kl] = '\0';
        q += 4 + kl;
    }
    *out = d;
    *n = nf;
    return VT_OK;
corrupt_free:
    vt_free(d);
corrupt:
    return vt_fail(err, VT_ECORRUPT, "collection %s: malformed field-index section", c->name);
}

int db_fdefs_encode(const db_fdef *defs, uint32_t n, uint8_t **out, uint32_t *len, vt_error *err) {
    *out = NULL;
    *len = 0;
    if (n == 0) return VT_OK;
    size_t bytes = 4;
    for (uint32_t i = 0; i < n; i++) bytes += 4 + strlen(defs[i].key);
    uint8_t *b = vt_malloc(bytes);
    if (!b) return vt_fail(err, VT_ENOMEM, "field indexes: out of memory");
    memcpy(b, &n, 4);
    size_t o = 4;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t kl = (uint16_t)strlen(defs[i].key);
        b[o] = (uint8_t)defs[i].type;
        b[o + 1] = 0;
        memcpy(b + o + 2, &kl, 2);
        memcpy(b + o + 4, defs[i].key, kl);
        o += 4 + (size_t)kl;
    }
    *out = b;
    *len = (uint32_t)bytes;
    return VT_OK;
}

typedef struct fidx_ctx {
    const char *coll, *key;
    int type;      /* 0: delete */
    int changed;   /* the write changed the definitions */
    uint64_t seq;  /* the op id */
    char name[VT_MAX_NAME_LEN + 1]; /* the collection's own name (aliases resolved) */
} fidx_ctx;

static int fidx_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    fidx_ctx *x = vctx;
    db_coll c;
    db_stats s;
    int rc = db_coll_lookup(db, txn, x->coll, &c, err);
    if (rc || (rc = db_stats_get(db, txn, c.id, &s, err))) return rc;
    memcpy(x->name, c.name, sizeof x->name);
    x->changed = 0;
    x->seq = s.last_seq;
    db_fdef *defs;
    uint32_t n;
    if ((rc = db_fdefs_decode(&c, &defs, &n, err))) return rc;
    int at = -1;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(defs[i].key, x->key) == 0) at = (int)i;
    if (x->type == 0 && at < 0) {
        vt_free(defs);
        return vt_fail(err, VT_ENOTFOUND, "collection %s: no field index on \"%s\"", c.name, x->key);
    }
    if (x->type && at >= 0 && defs[at].type == x->type) {
        vt_free(defs);
        return VT_OK; /* nothing to do */
    }
    db_fdef *nd = defs;
    if (x->type && at < 0) {
        if (n >= DB_MAX_FIELDS) {
            vt_free(defs);
            return vt_fail(err, VT_ELIMIT, "collection %s: more than %d field indexes", c.name, DB_MAX_FIELDS);
        }
        nd = vt_realloc(defs, (n + 1) * sizeof *nd);
        if (!nd) {
            vt_free(defs);
            return vt_fail(err, VT_ENOMEM, "collection %s: out of memory", c.name);
        }
        memset(&nd[n], 0, sizeof nd[n]);
        memcpy(nd[n].key, x->key, strlen(x->key));
        nd[n].type = x->type;
        n++;
    } else if (x->type) {
        nd[at].type = x->type;
    } else {
        memmove(&nd[at], &nd[at + 1], (n - (uint32_t)at - 1) * sizeof *nd);
        n--;
    }
    uint8_t *sec, *rec = NULL;
    uint32_t sec_len;
    size_t len;
    rc = db_fdefs_encode(nd, n, &sec, &sec_len, err);
    vt_free(nd);
    if (rc) return rc;
    c.fx_rec = sec;
    c.fx_len = sec_len;
    rc = db_coll_encode(&c, &rec, &len, err);
    vt_free(sec);
    if (rc == VT_OK) rc = db_put(txn, db->dbi_colls, c.name, strlen(c.name), rec, len, err);
    vt_free(rec);
    uint64_t seq = s.last_seq + 1;
    if (rc == VT_OK) rc = db_oplog_append(db, txn, c.id, seq, DB_OP_FIELD_INDEX, NULL, 0, err);
    if (rc == VT_OK) {
        s.last_seq = seq;
        rc = db_stats_put(db, txn, c.id, &s);
    }
    if (rc == VT_OK) {
        x->changed = 1;
        x->seq = seq;
    }
    return rc;
}

/* fidx_post: after the commit, rebuild the in-memory indexes (the backfill). A failure is not the
 * write's: the definitions are durable and the next reader retries the build. */
static void fidx_post(vt_db *db, void *vctx) {
    fidx_ctx *x = vctx;
    if (!x->changed) return;
    vt_error e = {0};
    (void)db_fx_build_locked(db, x->name, &e);
}

static int check_key(const char *key, vt_error *err) {
    if (!key || !*key) return vt_fail(err, VT_EINVAL, "field index: no field name given");
    if (strlen(key) > DB_FIELD_KEY_MAX)
        return vt_fail(err, VT_EINVAL, "field index: field name \"%.64s…\" is longer than %d bytes", key, DB_FIELD_KEY_MAX);
    return VT_OK;
}

int vt_field_index_create(vt_db *db, const char *collection, const char *key, const char *schema_json,
                          uint64_t *op_id, vt_error *err) {
    vt_json_init();
    int rc = check_key(key, err);
    if (rc) return rc;
    if (!schema_json || !*schema_json) return vt_fail(err, VT_EINVAL, "field index \"%s\": no field_schema given", key);
    /* a bare type name is accepted too: "keyword" as well as "\"keyword\"" */
    json_error_t je;
    json_t *schema = json_loadb(schema_json, strlen(schema_json), JSON_DECODE_ANY, &je);
    if (!schema && !(schema = json_string(schema_json)))
        return vt_fail(err, VT_ENOMEM, "field_schema: out of memory");
    pidx_type t;
    rc = pidx_type_parse(schema, "field_schema", &t, err);
    json_decref(schema);
    if (rc) return rc;
    pidx_set *scratch; /* the key path is checked by the index set itself */
    if ((rc = pidx_set_new(&scratch, err))) return rc;
    rc = pidx_create(scratch, key, t, NULL, err);
    pidx_set_free(scratch);
    if (rc) return rc;
    fidx_ctx x;
    memset(&x, 0, sizeof x);
    x.coll = collection;
    x.key = key;
    x.type = (int)t;
    rc = db_write_post(db, fidx_fn, fidx_post, &x, err);
    if (rc == VT_OK && op_id) *op_id = x.seq;
    return rc;
}

int vt_field_index_delete(vt_db *db, const char *collection, const char *key, uint64_t *op_id, vt_error *err) {
    int rc = check_key(key, err);
    if (rc) return rc;
    fidx_ctx x;
    memset(&x, 0, sizeof x);
    x.coll = collection;
    x.key = key;
    rc = db_write_post(db, fidx_fn, fidx_post, &x, err);
    if (rc == VT_OK && op_id) *op_id = x.seq;
    return rc;
}

void vt_field_index_list_free(vt_field_index_info *list, size_t n) {
    if (!list) return;
    for (size_t i = 0; i < n; i++) vt_free(list[i].key);
    vt_free(list);
}

/* list_once: the definitions and, when the in-memory indexes match the snapshot, their counts.
 * *complete = 0 when the counts could not be read (the caller builds and retries). */
static int list_once(vt_db *db, const char *collection, vt_field_index_info **out, size_t *n, int *complete,
                     int *need_build, vt_error *err) {
    MDB_txn *txn;
    int rc = db_read_begin(db, &txn, err);
    if (rc) return rc;
    db_coll c;
    db_stats s;
    db_fdef *defs = NULL;
    uint32_t nd = 0;
    vt_field_index_info *l = NULL;
    if ((rc = db_coll_lookup(db, txn, collection, &c, err)) || (rc = db_stats_get(db, txn, c.id, &s, err)) ||
        (rc = db_fdefs_decode(&c, &defs, &nd, err)))
        goto done;
    db_fx *fx = nd ? db_fx_acquire(db, &c, s.last_seq, need_build) : NULL;
    *complete = nd == 0 || fx != NULL;
    if (!(l = vt_calloc(nd ? nd : 1, sizeof *l))) {
        rc = vt_fail(err, VT_ENOMEM, "field index list: out of memory");
    }
    for (uint32_t i = 0; i < nd && rc == VT_OK; i++) {
        if (!(l[i].key = vt_strdup(defs[i].key))) {
            rc = vt_fail(err, VT_ENOMEM, "field index list: out of memory");
            break;
        }
        l[i].type = pidx_type_name((pidx_type)defs[i].type);
        if (fx) db_fx_field_points(fx, defs[i].key, &l[i].points);
    }
    db_fx_release(db, fx);
    if (rc) {
        vt_field_index_list_free(l, nd);
        l = NULL;
    } else {
        *out = l;
        *n = nd;
    }
done:
    vt_free(defs);
    db_read_end(db, txn);
    return rc;
}

int vt_field_index_list(vt_db *db, const char *collection, vt_field_index_info **out, size_t *n, vt_error *err) {
    *out = NULL;
    *n = 0;
    for (int attempt = 0;; attempt++) {
        int complete = 0, need_build = 0, rc = list_once(db, collection, out, n, &complete, &need_build, err);
        if (rc || complete || attempt == 3) return rc; /* counts stay 0 if the indexes cannot be built */
        vt_field_index_list_free(*out, *n);
        *out = NULL;
        *n = 0;
        if (need_build && (rc = db_fx_build(db, collection, err))) return rc;
    }
}
