/*
 * points.c — every write to points: upsert, delete, the payload operations, updating and
 * deleting individual vectors; the op log; selectors (ids or filter).
 *
 * Each public call is one LMDB write transaction run by db_write (store.c):
 *   1. look the collection up (aliases resolved) and read its counters;
 *   2. check the whole input (vector names, dimensions, finite floats, payload JSON objects and
 *      their size) before the first put, so a bad point fails the batch with nothing written;
 *   3. seq = last_seq + 1; rewrite each affected point with version = seq, keeping the
 *      counters (points, points per vector) exact from the old and new records;
 *   4. append the op record (seq → type, ids) and store the counters.
 * The call returns after the commit. An error at any step (ENOMEM included) aborts the
 * transaction, so a batch is all or nothing. MDB_MAP_FULL restarts the whole function after the
 * map has grown; so every allocation is made and released inside one attempt.
 *
 * Selectors: ids (missing ones ignored, repeats harmless) or a filter, evaluated on a scan of
 * the collection in the same transaction, or through the field indexes when they reflect it (ids
 * are collected first, then changed).
 *
 * Field indexes: when the collection's are built, each write records every changed point's
 * payload before and after (db_fx_log_add) and db_write_post applies the log after the commit
 * (field_index.c); writes that change no payload still pass their seq on.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/payload_index.h"
#include "db_int.h"

/* ---- op log ---- */

int db_oplog_append(vt_db *db, MDB_txn *txn, uint64_t coll, uint64_t seq, int op,
                    const vt_point_id *ids, size_t n, vt_error *err) {
    if (n > DB_MAX_OPLOG_IDS) return vt_fail(err, VT_ELIMIT, "operation on %zu points (max %u)", n, DB_MAX_OPLOG_IDS);
    size_t len = 8 + 17 * n;
    uint8_t key[16], *rec = vt_calloc(1, len);
    if (!rec) return vt_fail(err, VT_ENOMEM, "op log: out of memory");
    rec[0] = (uint8_t)op;
    uint32_t n32 = (uint32_t)n;
    memcpy(rec + 4, &n32, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = rec + 8 + 17 * i;
        if (ids[i].is_uuid) {
            p[0] = 1;
            memcpy(p + 1, ids[i].uuid, 16);
        } else {
            for (int b = 0; b < 8; b++) p[1 + b] = (uint8_t)(ids[i].num >> (56 - 8 * b));
        }
    }
    db_seq_key(coll, seq, key);
    int rc = db_put(txn, db->dbi_oplog, key, 16, rec, len, err);
    vt_free(rec);
    return rc;
}

/* ---- filters ---- */

int db_parse_filter(const char *filter_json, flt_filter **out, vt_error *err) {
    *out = NULL;
    if (!filter_json || !*filter_json) return VT_OK;
    return flt_parse_str(filter_json, strlen(filter_json), "filter", out, err);
}

typedef struct hv_ctx {
    const db_coll *c;
    const db_point *p;
} hv_ctx;

static int has_vector(void *user, const char *name) {
    hv_ctx *h = user;
    int s = db_coll_vec_slot(h->c, name);
    for (uint32_t i = 0; s >= 0 && i < h->p->n_vecs; i++)
        if ((int)h->p->vecs[i].slot == s) return 1;
    return 0;
}

int db_point_matches(const flt_filter *f, const db_coll *c, const vt_point_id *id,
                     const db_point *p) {
    if (!f) return 1;
    json_t *pl = NULL;
    if (p->payload_len > 2) {
        vt_error e = {0};
        int rc = vt_json_parse(p->payload, p->payload_len, "payload", &pl, &e);
        if (rc) return rc;
    }
    hv_ctx h = {c, p};
    flt_point fp = {id, pl, has_vector, &h};
    int m = flt_match_point(f, &fp);
    json_decref(pl);
    return m;
}

int db_point_matches_at(vt_db *db, MDB_txn *txn, const db_coll *c, const flt_filter *f,
                        const vt_point_id *id) {
    uint8_t key[DB_KEY_MAX];
    MDB_val k = {db_point_key(c->id, id, key), key}, v;
    int rc = mdb_get(txn, db->dbi_points, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return VT_EIO;
    db_point p;
    vt_error e = {0};
    if ((rc = db_point_decode(&v, c, 0, 1, &p, &e))) return rc;
    int m = db_point_matches(f, c, id, &p);
    db_point_clear(&p);
    return m;
}

/* ---- shared write state ---- */

typedef struct idlist {
    vt_point_id *v;
    size_t n, cap;
} idlist;

static int idlist_push(idlist *l, const vt_point_id *id, vt_error *err) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        vt_point_id *nv = vt_realloc(l->v, nc * sizeof *nv);
        if (!nv) return vt_fail(err, VT_ENOMEM, "out of memory collecting point ids");
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = *id;
    return VT_OK;
}

/* get_point: the decoded record of id (VT_ENOTFOUND quietly if absent). */
static int get_point2(vt_db *db, MDB_txn *txn, const db_coll *c, const vt_point_id *id, int vecs,
                      int payload, db_point *p, vt_error *err) {
    uint8_t key[DB_KEY_MAX];
    MDB_val k = {db_point_key(c->id, id, key), key}, v;
    int rc = mdb_get(txn, db->dbi_points, &k, &v);
    if (rc == MDB_NOTFOUND) return VT_ENOTFOUND;
    if (rc) return db_lmdb_fail(err, rc, "reading a point");
    return db_point_decode(&v, c, vecs, payload, p, err);
}

static int get_point(vt_db *db, MDB_txn *txn, const db_coll *c, const vt_point_id *id, int full,
                     db_point *p, vt_error *err) {
    return get_point2(db, txn, c, id, full, full, p, err);
}

/* put_point: writes p (a point of c) and moves the counters from old (NULL: new point). */
static int put_point(vt_db *db, MDB_txn *txn, const db_coll *c, db_stats *s, const vt_point_id *id,
                     const db_point *old, const db_point *p, vt_error *err) {
    uint8_t key[DB_KEY_MAX], *rec;
    size_t kl = db_point_key(c->id, id, key), len;
    int rc = db_point_encode(c, p, &rec, &len, err);
    if (rc) return rc;
    rc = db_put(txn, db->dbi_points, key, kl, rec, len, err);
    vt_free(rec);
    if (rc) return rc;
    if (old) {
        for (uint32_t i = 0; i < old->n_vecs; i++) s->vec_points[old->vecs[i].slot]--;
    } else {
        s->points++;
    }
    for (uint32_t i = 0; i < p->n_vecs; i++) s->vec_points[p->vecs[i].slot]++;
    return VT_OK;
}

static int del_point(vt_db *db, MDB_txn *txn, const db_coll *c, db_stats *s, const vt_point_id *id,
                     const db_point *old, vt_error *err) {
    uint8_t key[DB_KEY_MAX];
    int rc = db_del(txn, db->dbi_points, key, db_point_key(c->id, id, key), err);
    if (rc) return rc;
    s->points--;
    for (uint32_t i = 0; i < old->n_vecs; i++) s->vec_points[old->vecs[i].slot]--;
    return VT_OK;
}

/* ---- checking input ---- */

/* check_vectors: resolves and checks the vectors of point in into p (copies, normalised for
 * Cosine), p->vecs sorted by slot. p must be zeroed; released with db_point_clear. */
static int check_vectors(const db_coll *c, const vt_point_in *in, size_t idx, db_point *p,
                         vt_error *err) {
    char idbuf[VT_POINT_ID_BUF];
    vt_point_id_format(&in->id, idbuf);
    (void)idx;
    if (in->n_vectors > VT_MAX_NAMED_VECTORS || (in->n_vectors && !in->vectors))
        return vt_fail(err, VT_EINVAL, "point %s: %zu vectors given", idbuf, in->n_vectors);
    for (size_t j = 0; j < in->n_vectors; j++) {
        const vt_named_vector *nv = &in->vectors[j];
        const char *nm = nv->name ? nv->name : "";
        int s = db_coll_vec_slot(c, nm);
        if (s < 0) return vt_fail(err, VT_EINVAL, "point %s: Not existing vector name error: %s", idbuf, nm);
        if (nv->dim != c->vecs[s].size)
            return vt_fail(err, VT_EINVAL, "point %s: vector \"%s\": Vector dimension error: expected dim: %u, got %u",
                           idbuf, nm, c->vecs[s].size, nv->dim);
        if (!nv->data) return vt_fail(err, VT_EINVAL, "point %s: vector \"%s\" has no data", idbuf, nm);
        for (uint32_t d = 0; d < nv->dim; d++)
            if (!isfinite(nv->data[d]))
                return vt_fail(err, VT_EINVAL, "point %s: vector \"%s\": element %u is not a finite number", idbuf, nm, d);
        for (uint32_t k = 0; k < p->n_vecs; k++)
            if ((int)p->vecs[k].slot == s) return vt_fail(err, VT_EINVAL, "point %s: vector \"%s\" given twice", idbuf, nm);
        float *copy = vt_malloc((size_t)nv->dim * 4);
        if (!copy) return vt_fail(err, VT_ENOMEM, "point %s: out of memory", idbuf);
        memcpy(copy, nv->data, (size_t)nv->dim * 4);
        if (c->vecs[s].distance == VT_DISTANCE_COSINE) db_normalize(copy, nv->dim);
        uint32_t k = p->n_vecs++;
        while (k > 0 && p->vecs[k - 1].slot > (uint32_t)s) {
            p->vecs[k] = p->vecs[k - 1];
            k--;
        }
        p->vecs[k].slot = (uint32_t)s;
        p->vecs[k].dim = nv->dim;
        p->vecs[k].data = copy;
    }
    return VT_OK;
}

/* compact_payload: parses text (NULL = {}) as a JSON object into *obj (caller decref) and its
 * compact form into *out (vt_malloc'd), checked against the size limit. */
static int parse_payload(vt_db *db, const char *text, const char *what, json_t **obj, vt_error *err) {
    *obj = NULL;
    if (!text) {
        *obj = json_object();
        return *obj ? VT_OK : vt_fail(err, VT_ENOMEM, "%s: out of memory", what);
    }
    size_t len = strlen(text);
    if (len > db->opts.max_payload_bytes)
        return vt_fail(err, VT_ELIMIT, "%s: payload of %zu bytes exceeds the limit of %zu", what, len,
                       db->opts.max_payload_bytes);
    int rc = vt_json_parse(text, len, what, obj, err);
    if (rc) return rc == VT_ECORRUPT ? VT_EINVAL : rc;
    if (!json_is_object(*obj)) {
        json_decref(*obj);
        *obj = NULL;
        return vt_fail(err, VT_EINVAL, "%s: payload must be a JSON object", what);
    }
    return VT_OK;
}

static int dump_payload(vt_db *db, const json_t *obj, const char *what, db_point *p, vt_error *err) {
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) return vt_fail(err, VT_ENOMEM, "%s: out of memory writing the payload", what);
    size_t len = strlen(s);
    if (len > db->opts.max_payload_bytes) {
        vt_free(s);
        return vt_fail(err, VT_ELIMIT, "%s: payload of %zu bytes exceeds the limit of %zu", what, len,
                       db->opts.max_payload_bytes);
    }
    vt_free(p->payload);
    p->payload = s; /* jansson allocates through vt_malloc (vt_json_init) */
    p->payload_len = len;
    return VT_OK;
}

/* ---- upsert and update vectors ---- */

typedef struct upsert_ctx {
    const char *coll;
    const vt_point_in *pts;
    size_t n;
    int update_only; /* vt_vectors_update */
    uint64_t seq;
    db_fx_log log;   /* payload changes for the field indexes */
} upsert_ctx;

static int upsert_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    upsert_ctx *x = vctx;
    db_coll c;
    db_stats s;
    int rc = db_coll_lookup(db, txn, x->coll, &c, err);
    if (rc || (rc = db_stats_get(db, txn, c.id, &s, err))) return rc;
    db_point *pts = vt_calloc(x->n ? x->n : 1, sizeof *pts);
    vt_point_id *ids = vt_malloc((x->n ? x->n : 1) * sizeof *ids);
    if (!pts || !ids) {
        vt_free(pts);
        vt_free(ids);
        return vt_fail(err, VT_ENOMEM, "upsert of %zu points: out of memory", x->n);
    }
    uint64_t seq = s.last_seq + 1;
    db_fx_log_begin(db, &x->log, c.id, seq);
    int log_pl = x->log.active && !x->update_only;
    /* 1. check and prepare everything */
    for (size_t i = 0; i < x->n && rc == VT_OK; i++) {
        const vt_point_in *in = &x->pts[i];
        char what[64], idbuf[VT_POINT_ID_BUF];
        snprintf(what, sizeof what, "point %s", vt_point_id_format(&in->id, idbuf));
        ids[i] = in->id;
        if ((rc = check_vectors(&c, in, i, &pts[i], err))) break;
        pts[i].version = seq;
        if (!x->update_only) {
            json_t *obj;
            if ((rc = parse_payload(db, in->payload_json, what, &obj, err))) break;
            rc = dump_payload(db, obj, what, &pts[i], err);
            json_decref(obj);
        }
    }
    /* 2. write */
    for (size_t i = 0; i < x->n && rc == VT_OK; i++) {
        db_point old;
        int grc = get_point2(db, txn, &c, &ids[i], x->update_only, x->update_only || log_pl, &old, err);
        if (grc != VT_OK && grc != VT_ENOTFOUND) {
            rc = grc;
            break;
        }
        if (x->update_only) {
            if (grc == VT_ENOTFOUND) {
                char idbuf[VT_POINT_ID_BUF];
                rc = vt_fail(err, VT_ENOTFOUND, "No point with id %s found", vt_point_id_format(&ids[i], idbuf));
                break;
            }
            /* merge: the old vectors not given, then the new ones; the old payload */
            db_point m = pts[i];
            for (uint32_t k = 0; k < old.n_vecs; k++) {
                int given = 0;
                for (uint32_t j = 0; j < pts[i].n_vecs; j++) given |= pts[i].vecs[j].slot == old.vecs[k].slot;
                if (!given) m.vecs[m.n_vecs++] = old.vecs[k];
            }
            /* sort by slot */
            for (uint32_t a = 1; a < m.n_vecs; a++)
                for (uint32_t b = a; b > 0 && m.vecs[b - 1].slot > m.vecs[b].slot; b--) {
                    db_pvec t = m.vecs[b];
                    m.vecs[b] = m.vecs[b - 1];
                    m.vecs[b - 1] = t;
                }
            m.payload = old.payload;
            m.payload_len = old.payload_len;
            rc = put_point(db, txn, &c, &s, &ids[i], &old, &m, err);
        } else {
            rc = put_point(db, txn, &c, &s, &ids[i], grc == VT_OK ? &old : NULL, &pts[i], err);
            if (rc == VT_OK && log_pl)
                db_fx_log_add(&x->log, &ids[i], grc == VT_OK ? old.payload : NULL, grc == VT_OK ? old.payload_len : 0,
                              pts[i].payload, pts[i].payload_len);
        }
        if (grc == VT_OK) db_point_clear(&old);
    }
    if (rc == VT_OK)
        rc = db_oplog_append(db, txn, c.id, seq, x->update_only ? DB_OP_UPDATE_VECTORS : DB_OP_UPSERT, ids, x->n, err);
    if (rc == VT_OK) {
        s.last_seq = seq;
        rc = db_stats_put(db, txn, c.id, &s);
    }
    for (size_t i = 0; i < x->n; i++) db_point_clear(&pts[i]);
    vt_free(pts);
    vt_free(ids);
    x->seq = seq;
    return rc;
}

static int check_batch(const vt_point_in *points, size_t n, vt_error *err) {
    if (n && !points) return vt_fail(err, VT_EINVAL, "points is NULL");
    if (n > DB_MAX_BATCH) return vt_fail(err, VT_ELIMIT, "batch of %zu points exceeds %u", n, DB_MAX_BATCH);
    return VT_OK;
}

static void upsert_post(vt_db *db, void *vctx) { db_fx_log_apply(db, &((upsert_ctx *)vctx)->log); }

int vt_points_upsert(vt_db *db, const char *collection, const vt_point_in *points, size_t n,
                     uint64_t *op_id, vt_error *err) {
    int rc = check_batch(points, n, err);
    if (rc) return rc;
    vt_json_init();
    upsert_ctx x;
    memset(&x, 0, sizeof x);
    x.coll = collection;
    x.pts = points;
    x.n = n;
    rc = db_write_post(db, upsert_fn, upsert_post, &x, err);
    db_fx_log_free(&x.log);
    if (rc == VT_OK && op_id) *op_id = x.seq;
    return rc;
}

int vt_vectors_update(vt_db *db, const char *collection, const vt_point_in *points, size_t n,
                      uint64_t *op_id, vt_error *err) {
    int rc = check_batch(points, n, err);
    if (rc) return rc;
    upsert_ctx x;
    memset(&x, 0, sizeof x);
    x.coll = collection;
    x.pts = points;
    x.n = n;
    x.update_only = 1;
    rc = db_write_post(db, upsert_fn, upsert_post, &x, err);
    db_fx_log_free(&x.log);
    if (rc == VT_OK && op_id) *op_id = x.seq;
    return rc;
}

/* ---- operations on selected points ---- */

typedef struct modify_ctx {
    const char *coll;
    const vt_selector *sel;
    int op;                       /* enum db_op */
    const char *payload_json;     /* set / overwrite */
    const char *const *names;     /* delete_payload keys / delete_vectors names */
    size_t n_names;
    flt_filter *filter;           /* compiled once, outside the transaction */
    uint64_t seq;
    db_fx_log log;                /* payload changes for the field indexes */
} modify_ctx;

/* select_ids: the ids the selector picks that exist, into l. */
static int select_ids(vt_db *db, MDB_txn *txn, const db_coll *c, const modify_ctx *x, idlist *l,
                      vt_error *err) {
    int rc = VT_OK;
    if (x->sel->n_ids) {
        for (size_t i = 0; i < x->sel->n_ids && rc == VT_OK; i++) {
            uint8_t key[DB_KEY_MAX];
            MDB_val k = {db_point_key(c->id, &x->sel->ids[i], key), key}, v;
            int mrc = mdb_get(txn, db->dbi_points, &k, &v);
            if (mrc == 0) rc = idlist_push(l, &x->sel->ids[i], err);
            else if (mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "reading a point");
        }
        return rc;
    }
    if (!x->filter) return VT_OK; /* no ids, no filter: nothing selected */
    db_stats st;
    if ((rc = db_stats_get(db, txn, c->id, &st, err))) return rc;
    db_fx *fx = db_fx_acquire(db, c, st.last_seq, NULL);
    if (fx) { /* the field indexes answer: read only the payloads of "maybe" points */
        pidx_selection sel;
        rc = db_fx_select(fx, x->filter, &sel, err);
        for (uint32_t w = 0; rc == VT_OK && w < (sel.n_bits + 63) / 64; w++) {
            uint64_t bits = sel.sure[w] | sel.maybe[w];
            while (bits && rc == VT_OK) {
                uint32_t slot = w * 64 + (uint32_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                const vt_point_id *id = db_fx_id(fx, slot);
                if (!id) continue;
                int m = pidx_sel_sure(&sel, slot) ? 1 : db_point_matches_at(db, txn, c, x->filter, id);
                if (m < 0) rc = vt_fail(err, m, "%s: evaluating the filter", c->name);
                else if (m) rc = idlist_push(l, id, err);
            }
        }
        pidx_selection_free(&sel);
        db_fx_release(db, fx);
        return rc;
    }
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_points, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening a cursor");
    uint8_t prefix[DB_KEY_MAX];
    vt_point_id zero = {0, 0, {0}};
    MDB_val k = {db_point_key(c->id, &zero, prefix) - 9, prefix}, v;
    vt_point_id id;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == VT_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, c->id, &id)) break;
        db_point p;
        if ((rc = db_point_decode(&v, c, 0, 1, &p, err))) break;
        int m = db_point_matches(x->filter, c, &id, &p);
        db_point_clear(&p);
        if (m < 0) rc = vt_fail(err, m, "%s: evaluating the filter", c->name);
        else if (m) rc = idlist_push(l, &id, err);
    }
    mdb_cursor_close(cur);
    if (rc == VT_OK && mrc && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "scanning points");
    return rc;
}

static int modify_one(vt_db *db, modify_ctx *x, const db_coll *c, db_point *p, const json_t *arg,
                      vt_error *err) {
    char what[300];
    snprintf(what, sizeof what, "collection %s", c->name);
    if (x->op == DB_OP_DELETE_VECTORS) {
        uint32_t w = 0;
        for (uint32_t i = 0; i < p->n_vecs; i++) {
            int drop = 0;
            for (size_t j = 0; j < x->n_names; j++)
                drop |= db_coll_vec_slot(c, x->names[j]) == (int)p->vecs[i].slot;
            if (drop) vt_free(p->vecs[i].data);
            else p->vecs[w++] = p->vecs[i];
        }
        p->n_vecs = w;
        return VT_OK;
    }
    json_t *obj = NULL;
    int rc;
    if (x->op == DB_OP_OVERWRITE_PAYLOAD) {
        obj = json_deep_copy(arg);
    } else if (x->op == DB_OP_CLEAR_PAYLOAD) {
        obj = json_object();
    } else {
        if ((rc = vt_json_parse(p->payload, p->payload_len, what, &obj, err))) return rc;
        if (x->op == DB_OP_SET_PAYLOAD) {
            if (json_object_update(obj, (json_t *)arg) != 0) {
                json_decref(obj);
                return vt_fail(err, VT_ENOMEM, "%s: out of memory merging a payload", what);
            }
        } else {
            for (size_t j = 0; j < x->n_names; j++) json_object_del(obj, x->names[j]);
        }
    }
    if (!obj) return vt_fail(err, VT_ENOMEM, "%s: out of memory", what);
    rc = dump_payload(db, obj, what, p, err);
    json_decref(obj);
    return rc;
}

static int modify_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    modify_ctx *x = vctx;
    db_coll c;
    db_stats s;
    int rc = db_coll_lookup(db, txn, x->coll, &c, err);
    if (rc || (rc = db_stats_get(db, txn, c.id, &s, err))) return rc;
    for (size_t j = 0; x->op == DB_OP_DELETE_VECTORS && j < x->n_names; j++)
        if (db_coll_vec_slot(&c, x->names[j]) < 0)
            return vt_fail(err, VT_EINVAL, "Not existing vector name error: %s", x->names[j] ? x->names[j] : "");
    json_t *arg = NULL;
    if (x->op == DB_OP_SET_PAYLOAD || x->op == DB_OP_OVERWRITE_PAYLOAD)
        if ((rc = parse_payload(db, x->payload_json ? x->payload_json : "{}", "payload", &arg, err))) return rc;
    uint64_t seq = s.last_seq + 1;
    db_fx_log_begin(db, &x->log, c.id, seq);
    int log_pl = x->log.active && x->op != DB_OP_DELETE_VECTORS;
    idlist l = {0};
    rc = select_ids(db, txn, &c, x, &l, err);
    for (size_t i = 0; i < l.n && rc == VT_OK; i++) {
        db_point p;
        if ((rc = get_point(db, txn, &c, &l.v[i], 1, &p, err))) {
            if (rc == VT_ENOTFOUND) rc = VT_OK; /* a repeated id already deleted */
            continue;
        }
        if (x->op == DB_OP_DELETE) {
            rc = del_point(db, txn, &c, &s, &l.v[i], &p, err);
            if (rc == VT_OK && log_pl) db_fx_log_add(&x->log, &l.v[i], p.payload, p.payload_len, NULL, 0);
        } else {
            char *old_pl = NULL; /* a copy: modify_one replaces p.payload */
            size_t old_len = p.payload_len;
            if (log_pl && !(old_pl = vt_malloc(old_len + 1))) x->log.failed = 1;
            if (old_pl) memcpy(old_pl, p.payload, old_len);
            db_point old = p; /* only its slots are read by put_point */
            uint32_t old_slots[VT_MAX_NAMED_VECTORS], old_n = p.n_vecs;
            for (uint32_t k = 0; k < old_n; k++) old_slots[k] = p.vecs[k].slot;
            rc = modify_one(db, x, &c, &p, arg, err);
            if (rc == VT_OK) {
                old.n_vecs = old_n;
                for (uint32_t k = 0; k < old_n; k++) old.vecs[k].slot = old_slots[k];
                p.version = seq;
                rc = put_point(db, txn, &c, &s, &l.v[i], &old, &p, err);
            }
            if (rc == VT_OK && old_pl) db_fx_log_add(&x->log, &l.v[i], old_pl, old_len, p.payload, p.payload_len);
            vt_free(old_pl);
        }
        db_point_clear(&p);
    }
    if (rc == VT_OK) rc = db_oplog_append(db, txn, c.id, seq, x->op, l.v, l.n, err);
    if (rc == VT_OK) {
        s.last_seq = seq;
        rc = db_stats_put(db, txn, c.id, &s);
    }
    vt_free(l.v);
    json_decref(arg);
    x->seq = seq;
    return rc;
}

static void modify_post(vt_db *db, void *vctx) { db_fx_log_apply(db, &((modify_ctx *)vctx)->log); }

static int run_modify(vt_db *db, modify_ctx *x, uint64_t *op_id, vt_error *err) {
    if (!x->sel) return vt_fail(err, VT_EINVAL, "no point selector given");
    if (x->sel->n_ids && !x->sel->ids) return vt_fail(err, VT_EINVAL, "selector ids is NULL");
    if (x->n_names && !x->names) return vt_fail(err, VT_EINVAL, "names is NULL");
    vt_json_init();
    int rc = VT_OK;
    if (!x->sel->n_ids && (rc = db_parse_filter(x->sel->filter_json, &x->filter, err))) return rc;
    rc = db_write_post(db, modify_fn, modify_post, x, err);
    db_fx_log_free(&x->log);
    flt_free(x->filter);
    if (rc == VT_OK && op_id) *op_id = x->seq;
    return rc;
}

int vt_points_delete(vt_db *db, const char *collection, const vt_selector *sel, uint64_t *op_id,
                     vt_error *err) {
    modify_ctx x = {collection, sel, DB_OP_DELETE, NULL, NULL, 0, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}

int vt_payload_set(vt_db *db, const char *collection, const vt_selector *sel,
                   const char *payload_json, uint64_t *op_id, vt_error *err) {
    modify_ctx x = {collection, sel, DB_OP_SET_PAYLOAD, payload_json, NULL, 0, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}

int vt_payload_overwrite(vt_db *db, const char *collection, const vt_selector *sel,
                         const char *payload_json, uint64_t *op_id, vt_error *err) {
    modify_ctx x = {collection, sel, DB_OP_OVERWRITE_PAYLOAD, payload_json, NULL, 0, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}

int vt_payload_delete_keys(vt_db *db, const char *collection, const vt_selector *sel,
                           const char *const *keys, size_t n_keys, uint64_t *op_id, vt_error *err) {
    for (size_t i = 0; i < n_keys; i++)
        if (keys && !keys[i]) return vt_fail(err, VT_EINVAL, "payload key %zu is NULL", i);
    modify_ctx x = {collection, sel, DB_OP_DELETE_PAYLOAD, NULL, keys, n_keys, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}

int vt_payload_clear(vt_db *db, const char *collection, const vt_selector *sel, uint64_t *op_id,
                     vt_error *err) {
    modify_ctx x = {collection, sel, DB_OP_CLEAR_PAYLOAD, NULL, NULL, 0, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}

int vt_vectors_delete(vt_db *db, const char *collection, const vt_selector *sel,
                      const char *const *names, size_t n_names, uint64_t *op_id, vt_error *err) {
    modify_ctx x = {collection, sel, DB_OP_DELETE_VECTORS, NULL, names, n_names, NULL, 0, {0}};
    return run_modify(db, &x, op_id, err);
}
