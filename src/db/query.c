/*
 * query.c — reads: get by ids, scroll, count, search; the result sets they return; the
 * distance functions of the brute-force path.
 *
 * Every read runs in one LMDB read transaction, so it sees one consistent state while writers
 * go on. Scroll walks the points db from the offset key (ids are keys, so id order is key
 * order: integers, then UUIDs); count without a filter reads the exact counter; with one it
 * scans. With field indexes that reflect the read's snapshot (begin_filtered, field_index.c), a
 * filter is first answered by pidx_select: "sure" points need no payload read, "maybe" ones are
 * checked on their payload, all others are skipped undecoded — count adds the sure ones, scroll
 * tests bits while walking the keys (or reads just the selected ids when they are few), search
 * scans only the selected points. Search asks the derived index (index.c) first; when there is
 * none (or the planner says brute force: exact, a small collection, a selective filter), it scans
 * every point that has the vector (or every selected one), keeping the best limit + offset in a bounded heap, then reads those points again for
 * what the caller wants back. Distances are "smaller is closer" inside (Cosine 1 - a·b on
 * normalised vectors, Dot -a·b, Euclid squared L2, Manhattan L1) and Qdrant's scores outside.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/payload_index.h"
#include "db_int.h"

/* ---- distances (scalar; the SIMD kernels are the index's) ---- */

float db_distance(int distance, const float *a, const float *b, size_t n) {
    double s = 0;
    switch (distance) {
    case VT_DISTANCE_COSINE:
        for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
        return (float)(1.0 - s);
    case VT_DISTANCE_DOT:
        for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
        return (float)-s;
    case VT_DISTANCE_EUCLID:
        for (size_t i = 0; i < n; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        return (float)s;
    case VT_DISTANCE_MANHATTAN:
        for (size_t i = 0; i < n; i++) s += fabs((double)a[i] - b[i]);
        return (float)s;
    }
    return INFINITY;
}

float db_score(int distance, float d) {
    switch (distance) {
    case VT_DISTANCE_COSINE: return 1.0f - d;
    case VT_DISTANCE_DOT: return -d;
    case VT_DISTANCE_EUCLID: return sqrtf(d > 0 ? d : 0);
    default: return d;
    }
}

void db_normalize(float *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    if (!(s > 0) || !isfinite(s)) return;
    double inv = 1.0 / sqrt(s);
    for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * inv);
}

/* ---- result sets ---- */

int db_result_new(vt_result **out, vt_error *err) {
    *out = vt_calloc(1, sizeof **out);
    return *out ? VT_OK : vt_fail(err, VT_ENOMEM, "result set: out of memory");
}

static void hit_clear(db_hit *h) {
    vt_free(h->payload);
    vt_free(h->vec_block);
}

void vt_result_free(vt_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) hit_clear(&r->hits[i]);
    vt_free(r->hits);
    vt_free(r);
}

int db_result_push(vt_result *r, const db_coll *c, const vt_point_id *id, const db_point *p,
                   float score, int with_payload, int with_vectors, vt_error *err) {
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        db_hit *nh = vt_realloc(r->hits, nc * sizeof *nh);
        if (!nh) return vt_fail(err, VT_ENOMEM, "result set: out of memory");
        r->hits = nh;
        r->cap = nc;
    }
    db_hit h;
    memset(&h, 0, sizeof h);
    h.id = *id;
    h.version = p->version;
    h.score = score;
    if (with_payload) {
        h.payload = vt_malloc(p->payload_len + 1);
        if (!h.payload) return vt_fail(err, VT_ENOMEM, "result set: out of memory");
        memcpy(h.payload, p->payload ? p->payload : "", p->payload_len);
        h.payload[p->payload_len] = '\0';
    }
    if (with_vectors && p->n_vecs) {
        size_t bytes = p->n_vecs * (sizeof(char *) + sizeof(float *) + sizeof(uint32_t));
        for (uint32_t i = 0; i < p->n_vecs; i++)
            bytes += (size_t)p->vecs[i].dim * 4 + strlen(c->vecs[p->vecs[i].slot].name) + 1 + 4;
        uint8_t *b = vt_malloc(bytes);
        if (!b) {
            hit_clear(&h);
            return vt_fail(err, VT_ENOMEM, "result set: out of memory");
        }
        h.vec_block = b;
        h.n_vecs = p->n_vecs;
        h.vec_names = (char **)b;
        h.vec_data = (float **)(b + p->n_vecs * sizeof(char *));
        float *fp = (float *)(b + p->n_vecs * (sizeof(char *) + sizeof(float *)));
        for (uint32_t i = 0; i < p->n_vecs; i++) {
            h.vec_data[i] = fp;
            memcpy(fp, p->vecs[i].data, (size_t)p->vecs[i].dim * 4);
            fp += p->vecs[i].dim;
        }
        h.vec_dims = (uint32_t *)fp;
        char *np = (char *)(h.vec_dims + p->n_vecs);
        for (uint32_t i = 0; i < p->n_vecs; i++) {
            h.vec_dims[i] = p->vecs[i].dim;
            const char *nm = c->vecs[p->vecs[i].slot].name;
            h.vec_names[i] = np;
            memcpy(np, nm, strlen(nm) + 1);
            np += strlen(nm) + 1;
        }
    }
    r->hits[r->n++] = h;
    return VT_OK;
}

size_t vt_result_count(const vt_result *r) { return r ? r->n : 0; }
const vt_point_id *vt_result_id(const vt_result *r, size_t i) { return &r->hits[i].id; }
uint64_t vt_result_version(const vt_result *r, size_t i) { return r->hits[i].version; }
float vt_result_score(const vt_result *r, size_t i) { return r->hits[i].score; }
const char *vt_result_payload(const vt_result *r, size_t i) { return r->hits[i].payload; }
size_t vt_result_n_vectors(const vt_result *r, size_t i) { return r->hits[i].n_vecs; }

int vt_result_vector(const vt_result *r, size_t i, size_t j, const char **name,
                     const float **data, uint32_t *dim) {
    if (!r || i >= r->n || j >= r->hits[i].n_vecs) return VT_EINVAL;
    *name = r->hits[i].vec_names[j];
    *data = r->hits[i].vec_data[j];
    *dim = r->hits[i].vec_dims[j];
    return VT_OK;
}

int vt_result_next_offset(const vt_result *r, vt_point_id *id) {
    if (!r || !r->has_next) return 0;
    *id = r->next;
    return 1;
}

/* ---- get ---- */

static int begin_coll(vt_db *db, const char *name, MDB_txn **txn, db_coll *c, vt_error *err) {
    int rc = db_read_begin(db, txn, err);
    if (rc) return rc;
    if ((rc = db_coll_lookup(db, *txn, name, c, err))) {
        db_read_end(db, *txn);
        *txn = NULL;
    }
    return rc;
}

/* begin_filtered: begin_coll, plus (when f is a real filter) the collection's field indexes
 * read-locked into *fx if they reflect this snapshot exactly (else *fx = NULL: evaluate f on
 * payloads). Indexes that are missing or stale are built first (outside the transaction), once;
 * a failed build only means the payload path. Release: db_fx_release, then db_read_end. */
static int begin_filtered(vt_db *db, const char *name, const flt_filter *f, MDB_txn **txn, db_coll *c,
                          db_fx **fx, vt_error *err) {
    *fx = NULL;
    for (int attempt = 0;; attempt++) {
        int rc = begin_coll(db, name, txn, c, err);
        if (rc || !f || flt_is_empty(f)) return rc;
        db_stats s;
        if ((rc = db_stats_get(db, *txn, c->id, &s, err))) {
            db_read_end(db, *txn);
            *txn = NULL;
            return rc;
        }
        int need = 0;
        *fx = db_fx_acquire(db, c, s.last_seq, &need);
        if (*fx || !need || attempt) return VT_OK;
        db_read_end(db, *txn);
        *txn = NULL;
        vt_error berr = {0};
        (void)db_fx_build(db, name, &berr);
    }
}

/* sel_next: the next slot ≥ from set in sure or maybe; UINT32_MAX when none. */
static uint32_t sel_next(const pidx_selection *sel, uint32_t from) {
    if (from >= sel->n_bits) return UINT32_MAX;
    uint32_t w = from >> 6;
    uint64_t bits = (sel->sure[w] | sel->maybe[w]) & (~0ull << (from & 63));
    for (;;) {
        if (bits) {
            uint32_t s = (w << 6) + (uint32_t)__builtin_ctzll(bits);
            return s < sel->n_bits ? s : UINT32_MAX;
        }
        if (++w >= (sel->n_bits + 63) >> 6) return UINT32_MAX;
        bits = sel->sure[w] | sel->maybe[w];
    }
}

/* read_point: decodes id's record (VT_ENOTFOUND quietly). */
static int read_point(vt_db *db, MDB_txn *txn, const db_coll *c, const vt_point_id *id, int vecs,
                      int payload, db_point *p, vt_error *err) {
    uint8_t key[DB_KEY_MAX];
    MDB_val k = {db_point_key(c->id, id, key), key}, v;
    int rc = mdb_get(txn, db->dbi_points, &k, &v);
    if (rc == MDB_NOTFOUND) return VT_ENOTFOUND;
    if (rc) return db_lmdb_fail(err, rc, "reading a point");
    return db_point_decode(&v, c, vecs, payload, p, err);
}

int vt_points_get(vt_db *db, const char *collection, const vt_point_id *ids, size_t n,
                  int with_payload, int with_vectors, vt_result **out, vt_error *err) {
    *out = NULL;
    if (n && !ids) return vt_fail(err, VT_EINVAL, "ids is NULL");
    MDB_txn *txn;
    db_coll c;
    vt_result *r;
    int rc = begin_coll(db, collection, &txn, &c, err);
    if (rc) return rc;
    if ((rc = db_result_new(&r, err))) goto done;
    for (size_t i = 0; i < n && rc == VT_OK; i++) {
        int dup = 0;
        for (size_t j = 0; j < r->n && !dup; j++) dup = db_point_id_cmp(&r->hits[j].id, &ids[i]) == 0;
        if (dup) continue;
        db_point p;
        rc = read_point(db, txn, &c, &ids[i], with_vectors, 1, &p, err);
        if (rc == VT_ENOTFOUND) {
            rc = VT_OK;
            continue;
        }
        if (rc) break;
        rc = db_result_push(r, &c, &ids[i], &p, 0, with_payload, with_vectors, err);
        db_point_clear(&p);
    }
    if (rc) vt_result_free(r);
    else *out = r;
done:
    db_read_end(db, txn);
    return rc;
}

/* ---- scanning ---- */

typedef int (*scan_fn)(void *user, const vt_point_id *id, const MDB_val *v);

/* scan: calls fn for each point of c from id `from` (NULL: the first) until fn returns non-zero
 * (1: stop, negative: error). */
static int scan(vt_db *db, MDB_txn *txn, const db_coll *c, const vt_point_id *from, scan_fn fn,
                void *user, vt_error *err) {
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_points, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening a cursor");
    uint8_t key[DB_KEY_MAX];
    vt_point_id zero = {0, 0, {0}};
    MDB_val k = {from ? db_point_key(c->id, from, key) : db_point_key(c->id, &zero, key) - 9, key}, v;
    int rc = 0;
    vt_point_id id;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, c->id, &id)) break;
        if ((rc = fn(user, &id, &v)) != 0) break;
    }
    mdb_cursor_close(cur);
    if (rc < 0) return rc;
    if (mrc && mrc != MDB_NOTFOUND) return db_lmdb_fail(err, mrc, "scanning points");
    return VT_OK;
}

/* ---- count ---- */

typedef struct count_ctx {
    const db_coll *c;
    const flt_filter *f;
    uint64_t n;
    vt_error *err;
} count_ctx;

static int count_one(void *user, const vt_point_id *id, const MDB_val *v) {
    count_ctx *x = user;
    db_point p;
    int rc = db_point_decode(v, x->c, 0, 1, &p, x->err);
    if (rc) return rc;
    int m = db_point_matches(x->f, x->c, id, &p);
    db_point_clear(&p);
    if (m < 0) return vt_fail(x->err, m, "%s: evaluating the filter", x->c->name);
    x->n += (uint64_t)m;
    return 0;
}

int vt_points_ids(vt_db *db, const char *collection, const char *filter_json, vt_point_id **ids, size_t *n,
                  vt_error *err) {
    vt_scroll_req req = vt_scroll_req_default();
    req.filter_json = filter_json;
    req.limit = 4096;
    req.with_payload = 0;
    vt_point_id next;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    for (;;) {
        vt_result *r = NULL;
        int rc = vt_points_scroll(db, collection, &req, &r, err);
        size_t got = rc ? 0 : vt_result_count(r);
        if (!rc && *n + got > cap) {
            cap = (*n + got) * 2;
            vt_point_id *g = vt_realloc(*ids, cap * sizeof **ids);
            if (g) *ids = g;
            else rc = vt_fail(err, VT_ENOMEM, "%s: out of memory listing ids", collection);
        }
        if (rc) {
            vt_result_free(r);
            vt_free(*ids);
            *ids = NULL;
            *n = 0;
            return rc;
        }
        for (size_t i = 0; i < got; i++) (*ids)[(*n)++] = *vt_result_id(r, i);
        int more = vt_result_next_offset(r, &next);
        vt_result_free(r);
        if (!more) return VT_OK;
        req.offset = &next;
    }
}

int vt_points_count(vt_db *db, const char *collection, const char *filter_json, uint64_t *count,
                    vt_error *err) {
    *count = 0;
    vt_json_init();
    flt_filter *f = NULL;
    int rc = db_parse_filter(filter_json, &f, err);
    if (rc) return rc;
    MDB_txn *txn;
    db_coll c;
    db_fx *fx;
    if ((rc = begin_filtered(db, collection, f, &txn, &c, &fx, err))) {
        flt_free(f);
        return rc;
    }
    if (!f || flt_is_empty(f)) {
        db_stats s;
        if ((rc = db_stats_get(db, txn, c.id, &s, err)) == VT_OK) *count = s.points;
    } else if (fx) { /* sure slots count as they are; only "maybe" ones read their payload */
        pidx_selection sel;
        if ((rc = db_fx_select(fx, f, &sel, err)) == VT_OK) {
            uint64_t n = sel.n_sure;
            for (uint32_t sl = 0; sel.n_maybe && rc == VT_OK && (sl = sel_next(&sel, sl)) != UINT32_MAX; sl++) {
                const vt_point_id *id = db_fx_id(fx, sl);
                if (!id || !pidx_sel_maybe(&sel, sl)) continue;
                int m = db_point_matches_at(db, txn, &c, f, id);
                if (m < 0) rc = vt_fail(err, m, "%s: evaluating the filter", c.name);
                else n += (uint64_t)m;
            }
            if (rc == VT_OK) *count = n;
            pidx_selection_free(&sel);
        }
    } else {
        count_ctx x = {&c, f, 0, err};
        if ((rc = scan(db, txn, &c, NULL, count_one, &x, err)) == VT_OK) *count = x.n;
    }
    db_fx_release(db, fx);
    db_read_end(db, txn);
    flt_free(f);
    return rc;
}

/* ---- scroll ---- */

vt_scroll_req vt_scroll_req_default(void) {
    vt_scroll_req r;
    memset(&r, 0, sizeof r);
    r.limit = 10;
    r.with_payload = 1;
    return r;
}

typedef struct scroll_ctx {
    const db_coll *c;
    const flt_filter *f;
    const vt_scroll_req *req;
    size_t limit;
    vt_result *r;
    vt_error *err;
    const db_fx *fx;            /* field indexes (NULL: evaluate f on every payload) */
    const pidx_selection *sel;  /* f's selection when fx */
    /* order_by */
    struct ob { double key; vt_point_id id; } *ob;
    size_t n_ob, cap_ob;
} scroll_ctx;

/* payload_number: the number at dotted path key in payload text (first of an array); 1 if any. */
static int payload_number(const char *payload, size_t len, const char *key, double *out) {
    json_t *root;
    vt_error e = {0};
    if (vt_json_parse(payload, len, "payload", &root, &e)) return 0;
    const json_t *cur = root;
    char seg[256];
    const char *k = key;
    while (cur && *k) {
        size_t n = strcspn(k, ".");
        if (n >= sizeof seg) { cur = NULL; break; }
        memcpy(seg, k, n);
        seg[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, seg) : NULL;
        k += n + (k[n] == '.');
    }
    if (cur && json_is_array(cur)) cur = json_array_get(cur, 0);
    int ok = cur && json_is_number(cur);
    if (ok) *out = json_number_value(cur);
    json_decref(root);
    return ok;
}

static int scroll_one(void *user, const vt_point_id *id, const MDB_val *v) {
    scroll_ctx *x = user;
    int sure = 0;
    if (x->fx) { /* points the indexes rule out are not even decoded */
        uint32_t sl;
        if (!db_fx_slot(x->fx, id, &sl) || (!(sure = pidx_sel_sure(x->sel, sl)) && !pidx_sel_maybe(x->sel, sl))) return 0;
    }
    db_point p;
    int rc = db_point_decode(v, x->c, x->req->with_vectors && !x->req->order_by, 1, &p, x->err);
    if (rc) return rc;
    int m = sure ? 1 : db_point_matches(x->f, x->c, id, &p);
    if (m < 0) {
        db_point_clear(&p);
        return vt_fail(x->err, m, "%s: evaluating the filter", x->c->name);
    }
    if (m && x->req->order_by) {
        double key;
        if (payload_number(p.payload, p.payload_len, x->req->order_by, &key)) {
            if (x->n_ob == x->cap_ob) {
                size_t nc = x->cap_ob ? x->cap_ob * 2 : 64;
                void *nb = vt_realloc(x->ob, nc * sizeof *x->ob);
                if (!nb) rc = vt_fail(x->err, VT_ENOMEM, "scroll: out of memory");
                else x->ob = nb, x->cap_ob = nc;
            }
            if (rc == VT_OK) {
                x->ob[x->n_ob].key = key;
                x->ob[x->n_ob++].id = *id;
            }
        }
        db_point_clear(&p);
        return rc;
    }
    if (m && x->r->n == x->limit) { /* one more than the page: the next offset */
        x->r->has_next = 1;
        x->r->next = *id;
        db_point_clear(&p);
        return 1;
    }
    if (m) rc = db_result_push(x->r, x->c, id, &p, 0, x->req->with_payload, x->req->with_vectors, x->err);
    db_point_clear(&p);
    return rc;
}

static int id_cmp_q(const void *a, const void *b) { return db_point_id_cmp(a, b); }

/* scroll_sparse: a scroll page from a small selection: its ids from the offset on, sorted, read
 * one by one (instead of walking every point key). */
static int scroll_sparse(vt_db *db, MDB_txn *txn, scroll_ctx *x) {
    size_t n = 0, cap = (size_t)(x->sel->n_sure + x->sel->n_maybe);
    vt_point_id *ids = vt_malloc((cap ? cap : 1) * sizeof *ids);
    if (!ids) return vt_fail(x->err, VT_ENOMEM, "scroll: out of memory");
    for (uint32_t sl = 0; n < cap && (sl = sel_next(x->sel, sl)) != UINT32_MAX; sl++) {
        const vt_point_id *id = db_fx_id(x->fx, sl);
        if (id && (!x->req->offset || db_point_id_cmp(id, x->req->offset) >= 0)) ids[n++] = *id;
    }
    qsort(ids, n, sizeof *ids, id_cmp_q);
    int rc = VT_OK;
    for (size_t i = 0; i < n && rc == VT_OK; i++) {
        uint8_t key[DB_KEY_MAX];
        MDB_val k = {db_point_key(x->c->id, &ids[i], key), key}, v;
        int mrc = mdb_get(txn, db->dbi_points, &k, &v);
        if (mrc == MDB_NOTFOUND) continue;
        if (mrc) {
            rc = db_lmdb_fail(x->err, mrc, "reading a point");
            break;
        }
        rc = scroll_one(x, &ids[i], &v);
    }
    vt_free(ids);
    return rc < 0 ? rc : VT_OK;
}

static int ob_asc(const void *a, const void *b) {
    const struct ob *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return db_point_id_cmp(&x->id, &y->id);
}
static int ob_desc(const void *a, const void *b) {
    const struct ob *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return db_point_id_cmp(&x->id, &y->id);
}

int vt_points_scroll(vt_db *db, const char *collection, const vt_scroll_req *req,
                     vt_result **out, vt_error *err) {
    *out = NULL;
    vt_scroll_req def = vt_scroll_req_default();
    if (!req) req = &def;
    if (req->order_by && req->offset)
        return vt_fail(err, VT_EINVAL, "scroll: offset cannot be used with order_by");
    vt_json_init();
    flt_filter *f = NULL;
    int rc = db_parse_filter(req->filter_json, &f, err);
    if (rc) return rc;
    MDB_txn *txn;
    db_coll c;
    db_fx *fx;
    if ((rc = begin_filtered(db, collection, f, &txn, &c, &fx, err))) {
        flt_free(f);
        return rc;
    }
    scroll_ctx x;
    memset(&x, 0, sizeof x);
    x.c = &c;
    x.f = f;
    x.req = req;
    x.limit = req->limit ? req->limit : 10;
    x.err = err;
    pidx_selection sel;
    memset(&sel, 0, sizeof sel);
    if (fx && (rc = db_fx_select(fx, f, &sel, err)) == VT_OK) {
        x.fx = fx;
        x.sel = &sel;
    }
    if (rc == VT_OK && (rc = db_result_new(&x.r, err)) == VT_OK) {
        if (x.fx && !req->order_by && (sel.n_sure + sel.n_maybe) * 8 < pidx_n_live(db_fx_set(fx)))
            rc = scroll_sparse(db, txn, &x);
        else
            rc = scan(db, txn, &c, req->offset, scroll_one, &x, err);
    }
    if (rc == VT_OK && req->order_by) {
        qsort(x.ob, x.n_ob, sizeof *x.ob, req->order_desc ? ob_desc : ob_asc);
        for (size_t i = 0; i < x.n_ob && i < x.limit && rc == VT_OK; i++) {
            db_point p;
            rc = read_point(db, txn, &c, &x.ob[i].id, req->with_vectors, 1, &p, err);
            if (rc) break;
            rc = db_result_push(x.r, &c, &x.ob[i].id, &p, 0, req->with_payload, req->with_vectors, err);
            db_point_clear(&p);
        }
    }
    pidx_selection_free(&sel);
    db_fx_release(db, fx);
    db_read_end(db, txn);
    vt_free(x.ob);
    flt_free(f);
    if (rc) vt_result_free(x.r);
    else *out = x.r;
    return rc;
}

/* ---- search ---- */

vt_search_req vt_search_req_default(void) {
    vt_search_req r;
    memset(&r, 0, sizeof r);
    r.limit = 10;
    return r;
}

/* A bounded max-heap of (dist, id): the k best seen so far, worst on top. */
typedef struct cand {
    float dist;
    vt_point_id id;
} cand;

static int cand_worse(const cand *a, const cand *b) { /* a ranks after b */
    if (a->dist != b->dist) return a->dist > b->dist;
    return db_point_id_cmp(&a->id, &b->id) > 0;
}

static void heap_push(cand *h, size_t *n, size_t k, const cand *c) {
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = *c;
        while (i > 0 && cand_worse(&h[i], &h[(i - 1) / 2])) {
            cand t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (!cand_worse(&h[0], c)) return;
    h[0] = *c;
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && cand_worse(&h[l], &h[m])) m = l;
        if (r < *n && cand_worse(&h[r], &h[m])) m = r;
        if (m == i) break;
        cand t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    return cand_worse(x, y) ? 1 : cand_worse(y, x) ? -1 : 0;
}

typedef struct search_ctx {
    const db_coll *c;
    const flt_filter *f;
    int slot;
    const float *q;
    cand *heap;
    size_t n, k;
    vt_error *err;
} search_ctx;

static int search_one(void *user, const vt_point_id *id, const MDB_val *v) {
    search_ctx *x = user;
    db_point p;
    int rc = db_point_decode(v, x->c, 1, x->f != NULL, &p, x->err);
    if (rc) return rc;
    const db_pvec *pv = NULL;
    for (uint32_t i = 0; i < p.n_vecs; i++)
        if ((int)p.vecs[i].slot == x->slot) pv = &p.vecs[i];
    if (pv) {
        int m = db_point_matches(x->f, x->c, id, &p);
        if (m < 0) rc = vt_fail(x->err, m, "%s: evaluating the filter", x->c->name);
        else if (m) {
            cand cd = {db_distance(x->c->vecs[x->slot].distance, x->q, pv->data, pv->dim), *id};
            heap_push(x->heap, &x->n, x->k, &cd);
        }
    }
    db_point_clear(&p);
    return rc;
}

/* search_sel: the exact scan of a filtered search over the points the field indexes select
 * (sure ones need no payload read). */
static int search_sel(vt_db *db, MDB_txn *txn, const db_fx *fx, const pidx_selection *sel, search_ctx *x) {
    int rc = VT_OK;
    for (uint32_t sl = 0; rc == VT_OK && (sl = sel_next(sel, sl)) != UINT32_MAX; sl++) {
        const vt_point_id *id = db_fx_id(fx, sl);
        if (!id) continue;
        int maybe = pidx_sel_maybe(sel, sl);
        uint8_t key[DB_KEY_MAX];
        MDB_val k = {db_point_key(x->c->id, id, key), key}, v;
        int mrc = mdb_get(txn, db->dbi_points, &k, &v);
        if (mrc == MDB_NOTFOUND) continue;
        if (mrc) return db_lmdb_fail(x->err, mrc, "reading a point");
        const flt_filter *f = x->f;
        if (!maybe) x->f = NULL; /* sure: no payload read, no check */
        rc = search_one(x, id, &v);
        x->f = f;
    }
    return rc;
}

/* db_index_search: asks the derived index (index.c). Returns VT_OK with *used = 1 and the
 * candidates in cands (best first, *n_out of at most k), or *used = 0 when the caller should
 * scan. fx/sel: the field indexes and f's selection (NULL: none). */
int db_index_search(vt_db *db, MDB_txn *txn, const db_coll *c, int slot, const float *q,
                    const flt_filter *f, const db_fx *fx, const pidx_selection *sel, size_t k,
                    uint32_t ef, int exact, cand *cands, size_t *n_out, int *used, vt_error *err);

int vt_points_search(vt_db *db, const char *collection, const vt_search_req *req,
                     vt_result **out, vt_error *err) {
    *out = NULL;
    if (!req || !req->vector) return vt_fail(err, VT_EINVAL, "search: no query vector");
    size_t limit = req->limit ? req->limit : 10;
    if (limit > 1000000 || req->offset > 1000000)
        return vt_fail(err, VT_ELIMIT, "search: limit + offset above 2000000");
    vt_json_init();
    flt_filter *f = NULL;
    int rc = db_parse_filter(req->filter_json, &f, err);
    if (rc) return rc;
    if (f && flt_is_empty(f)) {
        flt_free(f);
        f = NULL;
    }
    MDB_txn *txn;
    db_coll c;
    db_fx *fx;
    if ((rc = begin_filtered(db, collection, f, &txn, &c, &fx, err))) {
        flt_free(f);
        return rc;
    }
    pidx_selection sel;
    memset(&sel, 0, sizeof sel);
    float *q = NULL;
    cand *heap = NULL;
    vt_result *r = NULL;
    const char *using = req->using ? req->using : "";
    int slot = db_coll_vec_slot(&c, using);
    if (slot < 0) {
        rc = vt_fail(err, VT_EINVAL, "Not existing vector name error: %s", using);
        goto done;
    }
    if (req->dim != c.vecs[slot].size) {
        rc = vt_fail(err, VT_EINVAL, "Vector dimension error: expected dim: %u, got %u", c.vecs[slot].size, req->dim);
        goto done;
    }
    for (uint32_t i = 0; i < req->dim; i++)
        if (!isfinite(req->vector[i])) {
            rc = vt_fail(err, VT_EINVAL, "search: query element %u is not a finite number", i);
            goto done;
        }
    size_t k = limit + req->offset;
    q = vt_malloc((size_t)req->dim * 4);
    heap = vt_malloc(k * sizeof *heap);
    if (!q || !heap) {
        rc = vt_fail(err, VT_ENOMEM, "search: out of memory");
        goto done;
    }
    memcpy(q, req->vector, (size_t)req->dim * 4);
    if (c.vecs[slot].distance == VT_DISTANCE_COSINE) db_normalize(q, req->dim);
    size_t n = 0;
    int used = 0;
    if (fx && (rc = db_fx_select(fx, f, &sel, err))) goto done;
    rc = db_index_search(db, txn, &c, slot, q, f, fx, fx ? &sel : NULL, k, req->hnsw_ef, req->exact, heap, &n,
                         &used, err);
    if (rc == VT_OK && !used) {
        search_ctx x = {&c, f, slot, q, heap, 0, k, err};
        rc = fx ? search_sel(db, txn, fx, &sel, &x) : scan(db, txn, &c, NULL, search_one, &x, err);
        n = x.n;
        qsort(heap, n, sizeof *heap, cand_cmp);
    }
    if (rc) goto done;
    if ((rc = db_result_new(&r, err))) goto done;
    int dist = c.vecs[slot].distance;
    int higher_better = dist == VT_DISTANCE_COSINE || dist == VT_DISTANCE_DOT;
    for (size_t i = req->offset; i < n && rc == VT_OK; i++) {
        float score = db_score(dist, heap[i].dist);
        if (req->has_score_threshold &&
            (higher_better ? score < req->score_threshold : score > req->score_threshold))
            break;
        db_point p;
        rc = read_point(db, txn, &c, &heap[i].id, req->with_vectors, req->with_payload, &p, err);
        if (rc == VT_ENOTFOUND) {
            rc = VT_OK;
            continue;
        }
        if (rc) break;
        rc = db_result_push(r, &c, &heap[i].id, &p, score, req->with_payload, req->with_vectors, err);
        db_point_clear(&p);
    }
done:
    pidx_selection_free(&sel);
    db_fx_release(db, fx);
    db_read_end(db, txn);
    flt_free(f);
    vt_free(q);
    vt_free(heap);
    if (rc) vt_result_free(r);
    else *out = r;
    return rc;
}
