/*
 * index.c — the derived vector index of each collection's named vectors: one HNSW graph
 * (src/index/hnsw.h) per (collection, named vector), built lazily from the points, caught up from
 * the op log before every search, saved to an index file that records the op-log sequence it
 * covers, and loaded from that file at first use after an open.
 *
 * The points db is the truth; everything here is derived and may be thrown away at any moment
 * (a corrupt, truncated, mismatched or missing file, a label collision, a failed save): the next
 * search rebuilds it from the points, and until it exists searches are brute force (query.c).
 *
 * Slots, labels and ids. The graph numbers its vectors by slot (hnsw.h). Each vector's label is
 * a 64-bit hash of its point id (db_point_id_hash). In memory an entry keeps
 *   label → slot   an open-addressing table (linear probing, backward-shift deletion), used by
 *                  the catch-up to find the slot of a point named in the op log;
 *   slot → id      an array, used to turn hits back into point ids (and by the filter callback).
 * The mapping is NOT persisted: after hnsw_load the label → slot table is rebuilt from the labels
 * the file stores (hnsw_slot_info), and slot → id by one scan of the collection's points (each
 * point that has the vector must own a live slot with its label, and the counts must agree;
 * otherwise the file is dropped and the index rebuilt). Two distinct ids with one label (odds
 * ~n²/2⁶⁵) mark the entry broken (as does an ENOMEM that loses track of a slot): that search
 * falls back to brute force, never to a wrong answer, and the next one rebuilds the entry.
 *
 * Catch-up (ent_catch_up). Every search runs in one read transaction whose collection counter
 * says last_seq. If the entry covers seq < last_seq, the op-log records seq+1 .. last_seq are read
 * in that transaction and every point they name is re-read there: present with the vector →
 * insert, or update when its stored vector differs; absent or without the vector → tombstone.
 * Payload-only records are skipped. The replay is idempotent, so covering a record twice is
 * harmless. If the entry is ahead of the transaction (a newer search caught it up), the search
 * falls back to brute force in its own snapshot rather than mixing two states.
 *
 * Files: DIR/index/<collection id>-<vector number>.hnsw, written by hnsw_save (format: hnsw_io.c
 * and docs/FORMAT.md) with the covered seq. An int8 vector also has DIR/index/<id>-<n>.f32, the
 * memory-mapped float32 vectors used only for rescoring (hnsw's vectors_path), so RAM holds the
 * int8 codes; it is rewritten at every build or load and removed with the index file. Saved after a build, after DB_INDEX_SAVE_OPS op
 * records have been applied since the last save, and at vt_db_close. A file whose seq is above
 * the collection's last_seq (a database restored from an older copy) is rebuilt. Save failures
 * are not errors (the file is derived); the old file stays, and covers an older seq.
 *
 * Op-log truncation (truncate_oplog): the records of a collection up to the lowest seq its index
 * files cover are deleted — at vt_db_close, and while running: a successful save marks its
 * collection, and the next write call (db_index_after_write, from db_write_post after its commit,
 * under write_mu, with no transaction live in that thread) deletes what every file covers. A vector with
 * no file needs none (it is built from the points); a file whose seq this handle does not know
 * (written by an earlier session and not loaded now) keeps the whole log. A later corrupt file is
 * rebuilt from the points, so a truncated log never loses data.
 *
 * Search plan (db_index_search): brute force (*used = 0) when opts.no_index, params.exact, m < 2,
 * k > HNSW_MAX_K, or when the planner (planner.h) says exact: the collection's points having the
 * vector are under full_scan_threshold, or with a filter, the matching count sampled on up to
 * PLAN_MAX_SAMPLES live slots (plan_sampler) is under it. Otherwise filtered HNSW: the filter is a
 * callback that reads the point's payload in the search's transaction and runs flt_match on it.
 * With field indexes (field_index.c) that reflect the search's snapshot, the caller passes the
 * filter's selection: the plan uses its bounds (plan_indexed), an exact plan scores the selected
 * points on the graph's vectors (exact_indexed, hnsw_search_slots) unless the graph's cost model
 * prefers the traversal; the traversal's callback looks the slot up in e->pmap (the cached graph
 * slot → pidx slot array, rebuilt only when either mapping changed), tests the selection's bits
 * and reads the payload only for "maybe" points. (A bitset over graph slots built per query was
 * tried: the O(slots) pass cost more than the callback saves at 50k points.)
 *
 * Locks: db->ix_mu guards the entry list and reference counts; each entry's rw is a read-write
 * lock. A search whose snapshot the entry already covers (and whose pmap is current) holds it for
 * reading for the whole search (plan, traversal, mapping hits back), so searches of one vector
 * run in parallel; one that finds the entry behind takes it for writing to build, load or catch
 * up (and repair, save, rebuild the pmap), then searches under the read lock, falling back to
 * brute force if a newer writer moved the entry past its snapshot meanwhile. db->ix_pool_mu
 * guards the build pool (one job at a time). Lock order: an entry's rw, then ix_mu (ent_save) or
 * ix_pool_mu (ent_build); nothing takes an entry's rw while holding ix_mu (entries are pinned by
 * refs under ix_mu, then locked after it is released).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "db/filter.h"
#include "db/payload_index.h"
#include "db_int.h"
#include "index/hnsw.h"
#include "query/planner.h"

#define DB_INDEX_SAVE_OPS 1000 /* op records applied between saves: a crash then replays at most
                                  this many records (cheap) while a save (whole-index rewrite) runs
                                  at most once per 1000 write calls */

struct cand { /* as query.c's */
    float dist;
    vt_point_id id;
};

typedef struct ix_ent {
    struct ix_ent *next;
    uint64_t coll_id;
    uint32_t vslot;         /* the named vector's number in the collection */
    int refs;               /* pins held by callers (ix_mu) */
    int dropped;            /* unlinked from the list: freed when refs drops to 0 */
    pthread_rwlock_t rw;    /* guards everything below: read for a search on a current entry,
                               write for building, catching up, repairing, saving */
    hnsw *h;                /* NULL: not built */
    int broken;             /* label collision: searches use brute force */
    uint64_t seq;           /* op-log sequence h covers */
    uint64_t saved_seq;     /* seq of the file on disk (0: none written by this handle) */
    uint64_t ops_unsaved;   /* op records applied since the last save */
    const char *state;      /* "none", "built", "loaded" */
    uint64_t n_builds, n_loads;
    uint64_t n_vacuums, n_compacts; /* background repairs done (ent_repair) */
    uint64_t *mkeys;        /* label → slot table: keys */
    uint32_t *mvals;        /* values; UINT32_MAX = empty */
    size_t mcap, mn;        /* table size (power of two), entries */
    vt_point_id *ids;       /* slot → point id */
    uint8_t *has_id;        /* 1 where ids[slot] is known */
    size_t ids_cap;
    float *scratch;         /* dim floats */
    uint64_t gen;           /* bumped whenever slot → id changes */
    uint32_t *pmap;         /* graph slot → field-index (pidx) slot, UINT32_MAX: none; a cache */
    size_t pmap_cap;
    uint64_t pmap_gen, pmap_fx_gen; /* gen and db_fx_gen it was built for (0: never) */
} ix_ent;

/* ---- label → slot table ---- */

static uint32_t map_get(const ix_ent *e, uint64_t label) {
    if (!e->mcap) return UINT32_MAX;
    for (size_t i = db_mix64(label) & (e->mcap - 1);; i = (i + 1) & (e->mcap - 1)) {
        if (e->mvals[i] == UINT32_MAX) return UINT32_MAX;
        if (e->mkeys[i] == label) return e->mvals[i];
    }
}

static int map_grow(ix_ent *e) {
    size_t ncap = e->mcap ? e->mcap * 2 : 1024;
    uint64_t *k = vt_malloc(ncap * sizeof *k);
    uint32_t *v = vt_malloc(ncap * sizeof *v);
    if (!k || !v) {
        vt_free(k);
        vt_free(v);
        return VT_ENOMEM;
    }
    memset(v, 0xff, ncap * sizeof *v);
    for (size_t i = 0; i < e->mcap; i++) {
        if (e->mvals[i] == UINT32_MAX) continue;
        size_t j = db_mix64(e->mkeys[i]) & (ncap - 1);
        while (v[j] != UINT32_MAX) j = (j + 1) & (ncap - 1);
        k[j] = e->mkeys[i];
        v[j] = e->mvals[i];
    }
    vt_free(e->mkeys);
    vt_free(e->mvals);
    e->mkeys = k;
    e->mvals = v;
    e->mcap = ncap;
    return VT_OK;
}

/* map_put: sets label → slot (replacing). VT_ENOMEM leaves the table as it was. */
static int map_put(ix_ent *e, uint64_t label, uint32_t slot) {
    if ((e->mn + 1) * 2 > e->mcap && map_grow(e)) return VT_ENOMEM;
    size_t i = db_mix64(label) & (e->mcap - 1);
    while (e->mvals[i] != UINT32_MAX && e->mkeys[i] != label) i = (i + 1) & (e->mcap - 1);
    if (e->mvals[i] == UINT32_MAX) e->mn++;
    e->mkeys[i] = label;
    e->mvals[i] = slot;
    return VT_OK;
}

/* map_del: removes label (backward-shift deletion keeps probe chains whole). Cannot fail. */
static void map_del(ix_ent *e, uint64_t label) {
    if (!e->mcap) return;
    size_t m = e->mcap - 1, i = db_mix64(label) & m;
    while (e->mvals[i] != UINT32_MAX && e->mkeys[i] != label) i = (i + 1) & m;
    if (e->mvals[i] == UINT32_MAX) return;
    e->mn--;
    for (size_t j = (i + 1) & m;; j = (j + 1) & m) {
        if (e->mvals[j] == UINT32_MAX) break;
        size_t home = db_mix64(e->mkeys[j]) & m;
        /* move j into the hole at i when its home is not in (i, j] (cyclically) */
        if (((j - home) & m) >= ((j - i) & m)) {
            e->mkeys[i] = e->mkeys[j];
            e->mvals[i] = e->mvals[j];
            i = j;
        }
    }
    e->mvals[i] = UINT32_MAX;
}

/* ids_set: slot → id, growing the array. VT_ENOMEM on failure. */
static int ids_set(ix_ent *e, uint32_t slot, const vt_point_id *id) {
    if (slot >= e->ids_cap) {
        size_t ncap = e->ids_cap ? e->ids_cap : 1024;
        while (ncap <= slot) ncap *= 2;
        vt_point_id *n = vt_realloc(e->ids, ncap * sizeof *n);
        if (!n) return VT_ENOMEM;
        e->ids = n;
        uint8_t *h = vt_realloc(e->has_id, ncap);
        if (!h) return VT_ENOMEM;
        memset(h + e->ids_cap, 0, ncap - e->ids_cap);
        e->has_id = h;
        e->ids_cap = ncap;
    }
    if (!e->has_id[slot] || db_point_id_cmp(&e->ids[slot], id)) e->gen++;
    e->ids[slot] = *id;
    e->has_id[slot] = 1;
    return VT_OK;
}

/* ent_reset: forgets the graph and the mapping (state "none"). Cannot fail. */
static void ent_reset(ix_ent *e) {
    hnsw_free(e->h);
    e->h = NULL;
    vt_free(e->mkeys);
    vt_free(e->mvals);
    vt_free(e->ids);
    vt_free(e->has_id);
    e->mkeys = NULL;
    e->mvals = NULL;
    e->ids = NULL;
    e->has_id = NULL;
    e->mcap = e->mn = e->ids_cap = 0;
    e->broken = 0;
    e->seq = 0;
    e->ops_unsaved = 0;
    e->state = "none";
    e->gen++;
    vt_free(e->pmap);
    e->pmap = NULL;
    e->pmap_cap = 0;
    e->pmap_gen = e->pmap_fx_gen = 0;
}

static void ent_free(ix_ent *e) {
    ent_reset(e);
    vt_free(e->scratch);
    pthread_rwlock_destroy(&e->rw);
    vt_free(e);
}

/* ---- the registry ---- */

static void ix_path(const vt_db *db, uint64_t coll_id, uint32_t vslot, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/index/%llu-%u.hnsw", db->dir, (unsigned long long)coll_id, vslot);
}

static void vec_path(const vt_db *db, uint64_t coll_id, uint32_t vslot, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/index/%llu-%u.f32", db->dir, (unsigned long long)coll_id, vslot);
}

/* ent_get: the entry of (coll, vslot), created if missing, pinned (ent_put). NULL on ENOMEM. */
static ix_ent *ent_get(vt_db *db, uint64_t coll_id, uint32_t vslot, int create) {
    pthread_mutex_lock(&db->ix_mu);
    ix_ent *e = db->ix_list;
    while (e && !(e->coll_id == coll_id && e->vslot == vslot)) e = e->next;
    if (!e && create && (e = vt_calloc(1, sizeof *e))) {
        e->coll_id = coll_id;
        e->vslot = vslot;
        e->state = "none";
        /* writers first: a catch-up must not starve behind a stream of searches */
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&e->rw, &attr);
        pthread_rwlockattr_destroy(&attr);
        e->next = db->ix_list;
        db->ix_list = e;
    }
    if (e) e->refs++;
    pthread_mutex_unlock(&db->ix_mu);
    return e;
}

static void ent_put(vt_db *db, ix_ent *e) {
    pthread_mutex_lock(&db->ix_mu);
    int gone = --e->refs == 0 && e->dropped;
    pthread_mutex_unlock(&db->ix_mu);
    if (gone) ent_free(e);
}

/* ent_save: writes e's file (caller holds e->rw for writing). Failures are dropped: the file is derived. */
static void ent_save(vt_db *db, ix_ent *e) {
    if (!e->h || e->broken || e->seq == e->saved_seq) return;
    pthread_mutex_lock(&db->ix_mu);
    int dropped = e->dropped; /* its collection is gone (or changed): write nothing */
    pthread_mutex_unlock(&db->ix_mu);
    if (dropped) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/index", db->dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return;
    ix_path(db, e->coll_id, e->vslot, path, sizeof path);
    vt_error err = {0};
    if (hnsw_save(e->h, path, e->seq, &err) == VT_OK) {
        pthread_mutex_lock(&db->ix_mu);
        e->saved_seq = e->seq;
        db->trunc_coll = e->coll_id; /* the next write may truncate this collection's log */
        db->trunc_pending = 1;
        pthread_mutex_unlock(&db->ix_mu);
        e->ops_unsaved = 0;
    }
}

/* set_saved: e->saved_seq = v (under ix_mu: the truncation reads it from other threads). */
static void set_saved(vt_db *db, ix_ent *e, uint64_t v) {
    pthread_mutex_lock(&db->ix_mu);
    e->saved_seq = v;
    pthread_mutex_unlock(&db->ix_mu);
}

/* ---- op-log truncation ---- */

typedef struct trunc_ctx {
    uint64_t coll_id, upto; /* delete the records of coll_id with seq ≤ upto */
} trunc_ctx;

static int trunc_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    trunc_ctx *x = vctx;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_oplog, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening an op-log cursor");
    uint8_t key[16];
    MDB_val k = {db_seq_key(x->coll_id, 0, key), key}, v;
    int rc = VT_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16) break;
        const uint8_t *kb = k.mv_data;
        uint64_t kc = 0, ks = 0;
        for (int b = 0; b < 8; b++) {
            kc = (kc << 8) | kb[b];
            ks = (ks << 8) | kb[8 + b];
        }
        if (kc != x->coll_id || ks > x->upto) break;
        if ((mrc = mdb_cursor_del(cur, 0))) break;
    }
    mdb_cursor_close(cur);
    if (mrc == MDB_MAP_FULL) return DB_RETRY_MAP_FULL;
    if (mrc && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "truncating the op log");
    return rc;
}

/* truncate_oplog: deletes the op-log records of collection coll_id that every index file of it
 * covers: up to the lowest saved seq among its vectors that have a file. A vector without a file
 * needs no record (its index is built from the points); a file this handle has not loaded or
 * written (seq unknown here) keeps the whole log. Errors are dropped: the log is only longer. */
static uint64_t truncate_upto(vt_db *db, uint64_t coll_id) { /* caller holds ix_mu (or is closing) */
    uint64_t upto = UINT64_MAX;
    for (uint32_t vs = 0; vs < VT_MAX_NAMED_VECTORS; vs++) {
        char path[4096];
        ix_path(db, coll_id, vs, path, sizeof path);
        if (access(path, F_OK) != 0) continue;
        ix_ent *e = db->ix_list;
        while (e && !(e->coll_id == coll_id && e->vslot == vs)) e = e->next;
        if (!e || e->dropped || e->saved_seq == 0) return 0;
        if (e->saved_seq < upto) upto = e->saved_seq;
    }
    return upto == UINT64_MAX ? 0 : upto;
}

static void truncate_oplog(vt_db *db, uint64_t coll_id) {
    uint64_t upto = truncate_upto(db, coll_id);
    if (upto == 0 || db->panic) return;
    trunc_ctx x = {coll_id, upto};
    vt_error err = {0};
    (void)db_write(db, trunc_fn, &x, &err);
}

void db_index_after_write(vt_db *db) {
    pthread_mutex_lock(&db->ix_mu);
    uint64_t coll = db->trunc_coll, upto = db->trunc_pending ? truncate_upto(db, coll) : 0;
    db->trunc_pending = 0;
    pthread_mutex_unlock(&db->ix_mu);
    if (upto == 0 || db->panic) return;
    trunc_ctx x = {coll, upto};
    vt_error err = {0};
    (void)db_write_locked(db, trunc_fn, &x, &err);
}

void db_index_close(vt_db *db) {
    for (ix_ent *e = db->ix_list; e; e = e->next) {
        pthread_rwlock_wrlock(&e->rw);
        ent_save(db, e);
        pthread_rwlock_unlock(&e->rw);
    }
    if (db->env)
        for (ix_ent *e = db->ix_list; e; e = e->next) {
            int first = 1; /* truncate each collection once */
            for (ix_ent *p = db->ix_list; p != e; p = p->next) first &= p->coll_id != e->coll_id;
            if (first) truncate_oplog(db, e->coll_id);
        }
    ix_ent *e = db->ix_list;
    while (e) {
        ix_ent *n = e->next;
        ent_free(e);
        e = n;
    }
    db->ix_list = NULL;
    vt_pool_free(db->ix_pool);
    db->ix_pool = NULL;
}

void db_index_drop(vt_db *db, uint64_t coll_id) {
    pthread_mutex_lock(&db->ix_mu);
    ix_ent **pp = &db->ix_list;
    while (*pp) {
        ix_ent *e = *pp;
        if (e->coll_id != coll_id) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        e->dropped = 1;
        if (e->refs == 0) ent_free(e);
    }
    pthread_mutex_unlock(&db->ix_mu);
    char path[4096];
    for (uint32_t s = 0; s < VT_MAX_NAMED_VECTORS; s++) {
        ix_path(db, coll_id, s, path, sizeof path);
        unlink(path);
        vec_path(db, coll_id, s, path, sizeof path);
        unlink(path);
    }
}

/* ---- build, load, catch up ---- */

/* ent_params: the graph parameters of vector vslot of c. int8: the float32 vectors (only read to
 * rescore) go to the memory-mapped file DIR/index/<coll>-<vec>.f32 (vpath, cap bytes), so RAM
 * holds the int8 codes and the graph; the file is derived like the index file and removed with it. */
static hnsw_params ent_params(const vt_db *db, const db_coll *c, uint32_t vslot, char *vpath, size_t cap) {
    const db_vec_cfg *v = &c->vecs[vslot];
    hnsw_params p = hnsw_params_default();
    p.dim = v->size;
    p.metric = v->distance; /* enum vt_distance and enum dist_metric share their numbers */
    p.m = v->m > HNSW_MAX_M ? HNSW_MAX_M : (int)v->m;
    p.ef_construct = (int)(v->ef_construct < v->m ? v->m : v->ef_construct);
    if (p.ef_construct < p.m) p.ef_construct = p.m;
    p.quant = v->quant_int8 ? HNSW_QUANT_INT8 : HNSW_QUANT_NONE;
    if (v->quant_int8) {
        p.quantile = v->quant_quantile;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/index", db->dir);
        if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
            vec_path(db, c->id, vslot, vpath, cap);
            p.vectors_path = vpath;
        }
    }
    return p;
}

/* read_vec: the point id's record in txn: *has = 1 and its vector vslot copied to out (dim
 * floats), or *has = 0 when the point is gone or lacks the vector. */
static int read_vec(vt_db *db, MDB_txn *txn, const db_coll *c, uint32_t vslot,
                    const vt_point_id *id, float *out, int *has, vt_error *err) {
    uint8_t key[DB_KEY_MAX];
    MDB_val k = {db_point_key(c->id, id, key), key}, v;
    *has = 0;
    int rc = mdb_get(txn, db->dbi_points, &k, &v);
    if (rc == MDB_NOTFOUND) return VT_OK;
    if (rc) return db_lmdb_fail(err, rc, "reading a point");
    db_point p;
    if ((rc = db_point_decode(&v, c, 1, 0, &p, err))) return rc;
    for (uint32_t i = 0; i < p.n_vecs; i++)
        if (p.vecs[i].slot == vslot) {
            memcpy(out, p.vecs[i].data, (size_t)c->vecs[vslot].size * 4);
            *has = 1;
        }
    db_point_clear(&p);
    return VT_OK;
}

/* sync_point: makes the graph agree with point id's current state in txn (caller holds e->rw for writing). */
static int sync_point(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e,
                      const vt_point_id *id, vt_error *err) {
    uint32_t dim = c->vecs[e->vslot].size;
    float *v = e->scratch, *old = e->scratch + dim;
    int has, rc = read_vec(db, txn, c, e->vslot, id, v, &has, err);
    if (rc) return rc;
    uint64_t label = db_point_id_hash(id);
    uint32_t cur = map_get(e, label);
    if (cur != UINT32_MAX && cur < e->ids_cap && e->has_id[cur] && db_point_id_cmp(&e->ids[cur], id)) {
        e->broken = 1; /* another id owns this label */
        return VT_OK;
    }
    if (!has) {
        if (cur == UINT32_MAX) return VT_OK;
        if ((rc = hnsw_delete(e->h, cur, err)) && rc != VT_ENOTFOUND) return rc;
        map_del(e, label);
        if (cur < e->ids_cap) e->has_id[cur] = 0;
        e->gen++;
        return VT_OK;
    }
    uint32_t ns;
    if (cur != UINT32_MAX) {
        if (c->vecs[e->vslot].distance == VT_DISTANCE_COSINE) db_normalize(v, dim);
        int same = hnsw_get_vector(e->h, cur, old, NULL) == VT_OK;
        for (uint32_t i = 0; same && i < dim; i++) same = fabsf(old[i] - v[i]) <= 1e-6f;
        if (same) return ids_set(e, cur, id) ? vt_fail(err, VT_ENOMEM, "index: out of memory") : VT_OK;
        if ((rc = hnsw_update(e->h, cur, v, &ns, err))) return rc;
        if (cur < e->ids_cap) e->has_id[cur] = 0;
        e->gen++;
    } else if ((rc = hnsw_insert(e->h, label, v, &ns, err))) {
        return rc;
    }
    if (map_put(e, label, ns) || ids_set(e, ns, id)) {
        e->broken = 1; /* the graph holds the vector but we lost track of it: rebuild later */
        return vt_fail(err, VT_ENOMEM, "index: out of memory");
    }
    return VT_OK;
}

/* decode_oplog_id: the i-th id of an op record (bounds checked by the caller). */
static void decode_oplog_id(const uint8_t *p, vt_point_id *id) {
    memset(id, 0, sizeof *id);
    if (p[0] == 1) {
        id->is_uuid = 1;
        memcpy(id->uuid, p + 1, 16);
    } else {
        for (int b = 0; b < 8; b++) id->num = (id->num << 8) | p[1 + b];
    }
}

/* ent_catch_up: replays the op-log records after e->seq up to last_seq (caller holds e->rw for writing). */
static int ent_catch_up(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e, uint64_t last_seq,
                        vt_error *err) {
    if (e->seq >= last_seq) return VT_OK;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_oplog, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening an op-log cursor");
    uint8_t key[16];
    MDB_val k = {db_seq_key(c->id, e->seq + 1, key), key}, v;
    int rc = VT_OK;
    uint64_t n_recs = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == VT_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16) break;
        const uint8_t *kb = k.mv_data;
        uint64_t kc = 0, ks = 0;
        for (int b = 0; b < 8; b++) {
            kc = (kc << 8) | kb[b];
            ks = (ks << 8) | kb[8 + b];
        }
        if (kc != c->id || ks > last_seq) break;
        const uint8_t *r = v.mv_data;
        uint32_t n;
        if (v.mv_size < 8 || (memcpy(&n, r + 4, 4), (v.mv_size - 8) / 17 < n)) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: op-log record %llu is malformed", c->name, (unsigned long long)ks);
            break;
        }
        n_recs++;
        int op = r[0];
        if (op != DB_OP_UPSERT && op != DB_OP_DELETE && op != DB_OP_UPDATE_VECTORS && op != DB_OP_DELETE_VECTORS)
            continue;
        for (uint32_t i = 0; i < n && rc == VT_OK && !e->broken; i++) {
            vt_point_id id;
            decode_oplog_id(r + 8 + 17 * (size_t)i, &id);
            rc = sync_point(db, txn, c, e, &id, err);
        }
    }
    mdb_cursor_close(cur);
    if (rc == VT_OK && mrc && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "reading the op log");
    if (rc) return rc;
    e->seq = last_seq;
    e->ops_unsaved += n_recs;
    return VT_OK;
}

/* scan_points: calls fn for each point of c that has vector vslot (vec NULL unless want_vec). */
typedef int (*pt_fn)(void *ctx, const vt_point_id *id, const float *vec);
static int scan_points(vt_db *db, MDB_txn *txn, const db_coll *c, uint32_t vslot, int want_vec,
                       pt_fn fn, void *ctx, vt_error *err) {
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_points, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening a cursor");
    uint8_t key[DB_KEY_MAX];
    vt_point_id zero = {0, 0, {0}};
    MDB_val k = {db_point_key(c->id, &zero, key) - 9, key}, v;
    int rc = VT_OK;
    vt_point_id id;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == VT_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, c->id, &id)) break;
        db_point p;
        if ((rc = db_point_decode(&v, c, want_vec, 0, &p, err))) break;
        for (uint32_t i = 0; i < p.n_vecs; i++)
            if (p.vecs[i].slot == vslot) rc = fn(ctx, &id, want_vec ? p.vecs[i].data : NULL);
        db_point_clear(&p);
    }
    mdb_cursor_close(cur);
    if (rc == VT_OK && mrc && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "scanning points");
    return rc;
}

typedef struct build_ctx {
    uint32_t dim;
    size_t n, cap;
    vt_point_id *ids;
    uint64_t *labels;
    float *vecs;
} build_ctx;

static int build_one(void *vctx, const vt_point_id *id, const float *vec) {
    build_ctx *b = vctx;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        vt_point_id *i = vt_realloc(b->ids, ncap * sizeof *i);
        if (i) b->ids = i;
        uint64_t *l = vt_realloc(b->labels, ncap * sizeof *l);
        if (l) b->labels = l;
        float *v = vt_realloc(b->vecs, ncap * b->dim * sizeof *v);
        if (v) b->vecs = v;
        if (!i || !l || !v) return VT_ENOMEM;
        b->cap = ncap;
    }
    b->ids[b->n] = *id;
    b->labels[b->n] = db_point_id_hash(id);
    memcpy(b->vecs + b->n * b->dim, vec, (size_t)b->dim * 4);
    b->n++;
    return VT_OK;
}

/* ent_build: a new graph from every point of c in txn, covering last_seq (caller holds e->rw for writing). */
static int ent_build(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e, uint64_t last_seq,
                     vt_error *err) {
    ent_reset(e);
    build_ctx b = {c->vecs[e->vslot].size, 0, 0, NULL, NULL, NULL};
    uint32_t *slots = NULL;
    int rc = scan_points(db, txn, c, e->vslot, 1, build_one, &b, err);
    if (rc == VT_ENOMEM) rc = vt_fail(err, VT_ENOMEM, "%s: out of memory building the index", c->name);
    if (rc) goto done;
    char vpath[4096];
    hnsw_params p = ent_params(db, c, e->vslot, vpath, sizeof vpath);
    p.capacity = (uint32_t)(b.n > 0xffffffu ? 0xffffffu : b.n);
    if ((rc = hnsw_new(&p, &e->h, err))) goto done;
    if (b.n && !(slots = vt_malloc(b.n * sizeof *slots))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory building the index", c->name);
        goto done;
    }
    /* the whole build over the pool (hnsw_build.c links concurrent inserts safely) */
    if (b.n) {
        pthread_mutex_lock(&db->ix_pool_mu);
        if (!db->ix_pool) db->ix_pool = vt_pool_new(0);
        rc = hnsw_insert_batch(e->h, db->ix_pool, b.n, b.labels, b.vecs, slots, err);
        pthread_mutex_unlock(&db->ix_pool_mu);
        if (rc) goto done;
    }
    for (size_t i = 0; i < b.n && rc == VT_OK; i++) {
        if (map_get(e, b.labels[i]) != UINT32_MAX) e->broken = 1;
        if (map_put(e, b.labels[i], slots[i]) || ids_set(e, slots[i], &b.ids[i]))
            rc = vt_fail(err, VT_ENOMEM, "%s: out of memory building the index", c->name);
    }
    if (rc) goto done;
    e->seq = last_seq;
    e->state = "built";
    e->n_builds++;
    ent_save(db, e);
done:
    if (rc) ent_reset(e);
    vt_free(slots);
    vt_free(b.ids);
    vt_free(b.labels);
    vt_free(b.vecs);
    return rc;
}

typedef struct verify_ctx {
    ix_ent *e;
    uint64_t n;
    int bad;
} verify_ctx;

static int verify_one(void *vctx, const vt_point_id *id, const float *vec) {
    (void)vec;
    verify_ctx *x = vctx;
    uint32_t s = map_get(x->e, db_point_id_hash(id));
    if (s == UINT32_MAX || (s < x->e->ids_cap && x->e->has_id[s] && db_point_id_cmp(&x->e->ids[s], id))) {
        x->bad = 1;
        return 1;
    }
    x->n++;
    return ids_set(x->e, s, id);
}

/* ent_load: the graph from e's file, caught up to last_seq and checked against the points.
 * VT_OK with e->h set, or VT_OK with e->h NULL when the file is missing or unusable (the caller
 * builds); only errors of the store itself (LMDB, ENOMEM) are returned. */
static int ent_load_file(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e, uint64_t last_seq,
                         vt_error *err) {
    char path[4096];
    ix_path(db, c->id, e->vslot, path, sizeof path);
    char vpath[4096];
    hnsw_params p = ent_params(db, c, e->vslot, vpath, sizeof vpath);
    uint64_t seq = 0;
    vt_error lerr = {0};
    int rc = hnsw_load(path, &p, &e->h, &seq, &lerr);
    if (rc == VT_ENOMEM) return vt_fail(err, rc, "%s", lerr.message);
    if (rc) return VT_OK; /* missing, unreadable, corrupt, mismatched: rebuild */
    if (seq > last_seq) goto unusable;
    hnsw_stats st;
    hnsw_stats_get(e->h, &st);
    for (uint32_t s = 0; s < st.n_slots; s++) {
        uint64_t label;
        if (hnsw_slot_info(e->h, s, &label) != HNSW_SLOT_LIVE) continue;
        if (map_get(e, label) != UINT32_MAX) goto unusable;
        if (map_put(e, label, s)) return vt_fail(err, VT_ENOMEM, "%s: out of memory loading the index", c->name);
    }
    e->seq = seq;
    set_saved(db, e, seq);
    if ((rc = ent_catch_up(db, txn, c, e, last_seq, err))) return rc;
    if (e->broken) goto unusable;
    verify_ctx x = {e, 0, 0};
    rc = scan_points(db, txn, c, e->vslot, 0, verify_one, &x, err);
    if (rc < 0) return rc == VT_ENOMEM ? vt_fail(err, rc, "%s: out of memory loading the index", c->name) : rc;
    if (x.bad || x.n != hnsw_count(e->h)) goto unusable;
    e->state = "loaded";
    e->n_loads++;
    return VT_OK;
unusable:
    ent_reset(e);
    set_saved(db, e, 0);
    return VT_OK;
}

/* ent_load: ent_load_file, leaving e empty ("none") on any error so that nothing half-loaded is
 * ever searched. */
static int ent_load(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e, uint64_t last_seq,
                    vt_error *err) {
    ent_reset(e);
    int rc = ent_load_file(db, txn, c, e, last_seq, err);
    if (rc) {
        ent_reset(e);
        set_saved(db, e, 0);
    }
    return rc;
}

/* ent_repair: the background repair of deletes, at a safe point (caller holds e->rw for writing, after a
 * catch-up). Tombstones keep routing searches through dead nodes and hold memory: past
 * DB_INDEX_VACUUM_FRAC of the slots, hnsw_vacuum re-links around them and frees their slots
 * (later inserts reuse them; the label map and slot → id already forgot them at the delete); when
 * freed slots outnumber live ones, hnsw_compact moves the live vectors down and shrinks memory,
 * and the slot maps are rebuilt through its remap. A failure leaves the graph valid (vacuum) or
 * marks the entry broken (compact: rebuilt from the points next time), never wrong. */
#define DB_INDEX_VACUUM_FRAC 10  /* vacuum when deleted slots exceed 1/10 of the slots */
#define DB_INDEX_VACUUM_MIN 64   /* ... and there are at least this many */
static void ent_repair(vt_db *db, ix_ent *e) {
    hnsw_stats st;
    hnsw_stats_get(e->h, &st);
    vt_error err = {0};
    if (st.n_deleted >= DB_INDEX_VACUUM_MIN && (uint64_t)st.n_deleted * DB_INDEX_VACUUM_FRAC > st.n_slots) {
        pthread_mutex_lock(&db->ix_pool_mu);
        if (!db->ix_pool) db->ix_pool = vt_pool_new(0);
        (void)hnsw_vacuum(e->h, db->ix_pool, &err);
        pthread_mutex_unlock(&db->ix_pool_mu);
        e->n_vacuums++;
        hnsw_stats_get(e->h, &st);
    }
    if (st.n_free < 1024 || st.n_free <= st.n_live) return;
    uint32_t *remap = NULL, n_remap = 0;
    pthread_mutex_lock(&db->ix_pool_mu);
    if (!db->ix_pool) db->ix_pool = vt_pool_new(0);
    int rc = hnsw_compact(e->h, db->ix_pool, &remap, &n_remap, &err);
    pthread_mutex_unlock(&db->ix_pool_mu);
    if (rc) {
        e->broken = 1;
        return;
    }
    e->n_compacts++;
    /* slot → id and label → slot through the remap */
    vt_point_id *ids = e->ids;
    uint8_t *has = e->has_id;
    size_t cap = e->ids_cap;
    e->ids = NULL;
    e->has_id = NULL;
    e->ids_cap = 0;
    vt_free(e->mkeys);
    vt_free(e->mvals);
    e->mkeys = NULL;
    e->mvals = NULL;
    e->mcap = e->mn = 0;
    e->gen++;
    for (size_t s = 0; s < cap && !e->broken; s++) {
        if (!has[s]) continue;
        uint32_t ns = s < n_remap ? remap[s] : UINT32_MAX;
        if (ns == UINT32_MAX || map_put(e, db_point_id_hash(&ids[s]), ns) || ids_set(e, ns, &ids[s])) e->broken = 1;
    }
    vt_free(ids);
    vt_free(has);
    vt_free(remap);
}

/* ent_current: e can answer a search of the snapshot at last_seq as it is (read lock enough). */
static int ent_current(const ix_ent *e, uint64_t last_seq) {
    return e->h && !e->broken && e->seq == last_seq;
}

/* ent_ready: e built or loaded and caught up to last_seq (caller holds e->rw for writing). */
static int ent_ready(vt_db *db, MDB_txn *txn, const db_coll *c, ix_ent *e, uint64_t last_seq,
                     vt_error *err) {
    if (!e->scratch && !(e->scratch = vt_malloc((size_t)c->vecs[e->vslot].size * 8)))
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", c->name);
    int rc;
    if (e->broken) ent_reset(e);
    if (!e->h && e->n_builds + e->n_loads == 0 && (rc = ent_load(db, txn, c, e, last_seq, err))) return rc;
    if (!e->h) return ent_build(db, txn, c, e, last_seq, err);
    if (e->seq > last_seq) return VT_OK;
    if ((rc = ent_catch_up(db, txn, c, e, last_seq, err))) {
        ent_reset(e); /* half-applied: start over from the points next time */
        return rc;
    }
    ent_repair(db, e);
    if (e->ops_unsaved >= DB_INDEX_SAVE_OPS) ent_save(db, e);
    return VT_OK;
}

/* ---- search ---- */

typedef struct allow_ctx {
    vt_db *db;
    MDB_txn *txn;
    const db_coll *c;
    const flt_filter *f;
    const ix_ent *e;
    const db_fx *fx;            /* field indexes (NULL: every check reads the payload) */
    const pidx_selection *sel;  /* f's selection over fx's slots */
    int rc; /* the first error (the search then stops trusting its answers) */
    const uint32_t *pmap;       /* graph slot → pidx slot (NULL: look each id up) */
    size_t pmap_n;
} allow_ctx;

static int allow_payload(allow_ctx *x, uint32_t slot);

/* allow_slot: the filter callback: through the field indexes when there are some (a hash lookup
 * and a bit test; the payload is read only for "maybe" points), else on the payload. */
static int allow_slot(void *vctx, uint32_t slot, uint64_t label) {
    (void)label;
    allow_ctx *x = vctx;
    if (x->rc) return 0;
    if (x->pmap) { /* pmap holds UINT32_MAX for slots without an id: one lookup decides */
        uint32_t ps = slot < x->pmap_n ? x->pmap[slot] : UINT32_MAX;
        if (ps == UINT32_MAX || !pidx_sel_maybe(x->sel, ps)) return ps != UINT32_MAX && pidx_sel_sure(x->sel, ps);
        return allow_payload(x, slot);
    }
    if (slot >= x->e->ids_cap || !x->e->has_id[slot]) return 0;
    if (x->fx) {
        uint32_t ps;
        if (!db_fx_slot(x->fx, &x->e->ids[slot], &ps)) return 0;
        if (pidx_sel_sure(x->sel, ps)) return 1;
        if (!pidx_sel_maybe(x->sel, ps)) return 0;
    }
    return allow_payload(x, slot);
}

static int allow_payload(allow_ctx *x, uint32_t slot) {
    uint8_t key[DB_KEY_MAX];
    MDB_val k = {db_point_key(x->c->id, &x->e->ids[slot], key), key}, v;
    int rc = mdb_get(x->txn, x->db->dbi_points, &k, &v);
    if (rc) {
        if (rc != MDB_NOTFOUND) x->rc = VT_EIO;
        return 0;
    }
    db_point p;
    vt_error e = {0};
    if ((rc = db_point_decode(&v, x->c, 0, 1, &p, &e))) {
        x->rc = rc;
        return 0;
    }
    int m = db_point_matches(x->f, x->c, &x->e->ids[slot], &p);
    db_point_clear(&p);
    if (m < 0) {
        x->rc = m;
        return 0;
    }
    return m;
}

/* plan_filtered: PLAN_EXACT or PLAN_HNSW for a filtered search, by sampling live slots. */
static plan_kind plan_filtered(const ix_ent *e, const db_vec_cfg *v, allow_ctx *ax, int64_t *n_allowed) {
    plan_input in = plan_input_default();
    uint64_t n_live = hnsw_count(e->h);
    in.card.min = 0;
    in.card.exp = n_live / 2;
    in.card.max = n_live;
    in.n_live = n_live;
    in.dim = v->size;
    in.elem_bytes = v->quant_int8 ? 1 : 4;
    in.full_scan_threshold_kb = v->full_scan_threshold;
    *n_allowed = -1;
    plan_kind k = plan_choose(&in);
    if (k != PLAN_SAMPLE) return k;
    plan_sampler sm;
    plan_sampler_init(&sm, &in);
    hnsw_stats st;
    hnsw_stats_get(e->h, &st);
    uint64_t x = e->seq * 0x9e3779b97f4a7c15ull + 1;
    for (uint32_t tries = 0; tries < 4 * PLAN_MAX_SAMPLES && k == PLAN_SAMPLE && st.n_slots; tries++) {
        x = db_mix64(x + tries);
        uint32_t s = (uint32_t)(x % st.n_slots);
        if (hnsw_slot_info(e->h, s, NULL) != HNSW_SLOT_LIVE) continue;
        k = plan_sampler_add(&sm, allow_slot(ax, s, 0));
    }
    if (k == PLAN_SAMPLE) k = plan_sampler_finish(&sm);
    if (sm.n_checked) *n_allowed = (int64_t)((double)sm.n_matched / sm.n_checked * (double)n_live);
    return k;
}

/* plan_indexed: PLAN_EXACT or PLAN_HNSW for a filtered search whose filter the field indexes
 * select: the selection bounds the matching count (sure ≤ count ≤ sure + maybe), and when that
 * straddles the threshold a sample of live slots decides (only "maybe" ones read a payload). */
static plan_kind plan_indexed(const ix_ent *e, const db_vec_cfg *v, allow_ctx *ax, int64_t *n_allowed) {
    plan_input in = plan_input_default();
    uint64_t n_live = hnsw_count(e->h);
    const pidx_selection *sel = ax->sel;
    in.card.min = sel->n_sure < n_live ? sel->n_sure : n_live;
    in.card.max = sel->n_sure + sel->n_maybe < n_live ? sel->n_sure + sel->n_maybe : n_live;
    in.card.exp = in.card.min + (in.card.max - in.card.min) / 2;
    in.n_live = n_live;
    in.dim = v->size;
    in.elem_bytes = v->quant_int8 ? 1 : 4;
    in.full_scan_threshold_kb = v->full_scan_threshold;
    *n_allowed = (int64_t)in.card.exp;
    plan_kind k = plan_choose(&in);
    if (k != PLAN_SAMPLE) return k;
    plan_sampler sm;
    plan_sampler_init(&sm, &in);
    uint32_t slots[PLAN_MAX_SAMPLES];
    uint64_t rng = e->seq * 0x9e3779b97f4a7c15ull + 1;
    uint32_t n = pidx_sample_live(db_fx_set(ax->fx), &rng, slots, PLAN_MAX_SAMPLES);
    for (uint32_t i = 0; i < n && k == PLAN_SAMPLE; i++) {
        int m = pidx_sel_sure(sel, slots[i]);
        if (!m && pidx_sel_maybe(sel, slots[i])) {
            const vt_point_id *id = db_fx_id(ax->fx, slots[i]);
            m = id ? db_point_matches_at(ax->db, ax->txn, ax->c, ax->f, id) : 0;
            if (m < 0) {
                ax->rc = m;
                return PLAN_EXACT;
            }
        }
        k = plan_sampler_add(&sm, m);
    }
    if (k == PLAN_SAMPLE) k = plan_sampler_finish(&sm);
    if (sm.n_checked) *n_allowed = (int64_t)((double)sm.n_matched / sm.n_checked * (double)n_live);
    return k;
}

/* pmap_ready: e->pmap brought up to date with the graph's slot → id map and fx's id → slot map
 * (rebuilt only when either changed since: one hash lookup per graph slot); 0 on ENOMEM (the
 * callback then looks each id up). */
/* pmap_current: e's pmap is built for its present slot → id map and fx's present slots. */
static int pmap_current(const ix_ent *e, const db_fx *fx) {
    return e->pmap && e->pmap_gen == e->gen && e->pmap_fx_gen == db_fx_gen(fx);
}

/* pmap_ready: rebuilds e's pmap when stale (caller holds e->rw for writing); 0 on ENOMEM. */
static int pmap_ready(ix_ent *e, const db_fx *fx) {
    uint64_t fg = db_fx_gen(fx);
    if (e->pmap && e->pmap_gen == e->gen && e->pmap_fx_gen == fg) return 1;
    size_t n = e->ids_cap;
    if (n > e->pmap_cap || !e->pmap) {
        uint32_t *p = vt_realloc(e->pmap, (n ? n : 1) * sizeof *p);
        if (!p) return 0;
        e->pmap = p;
        e->pmap_cap = n;
    }
    for (size_t s = 0; s < e->pmap_cap; s++) {
        uint32_t ps;
        e->pmap[s] = s < n && e->has_id[s] && db_fx_slot(fx, &e->ids[s], &ps) ? ps : UINT32_MAX;
    }
    e->pmap_gen = e->gen;
    e->pmap_fx_gen = fg;
    return 1;
}

/* exact_indexed: the exact scan of the selected points over the graph's own vectors: each
 * selected id's graph slot (the label map), "maybe" ones checked on their payload. */
static int exact_indexed(const ix_ent *e, allow_ctx *ax, const float *q, size_t k, hnsw_hit *hits, int *n_hits,
                         vt_error *err) {
    const pidx_selection *sel = ax->sel;
    uint64_t cap = sel->n_sure + sel->n_maybe;
    uint32_t *hs = vt_malloc((cap ? cap : 1) * sizeof *hs);
    if (!hs) return vt_fail(err, VT_ENOMEM, "%s: out of memory", ax->c->name);
    size_t n = 0;
    for (uint32_t w = 0; w < (sel->n_bits + 63) / 64 && n < cap; w++) {
        uint64_t bits = sel->sure[w] | sel->maybe[w];
        while (bits) {
            uint32_t ps = w * 64 + (uint32_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            const vt_point_id *id = db_fx_id(ax->fx, ps);
            if (!id) continue;
            uint32_t s = map_get(e, db_point_id_hash(id));
            if (s == UINT32_MAX || s >= e->ids_cap || !e->has_id[s] || db_point_id_cmp(&e->ids[s], id)) continue;
            if (pidx_sel_maybe(sel, ps)) {
                int m = db_point_matches_at(ax->db, ax->txn, ax->c, ax->f, id);
                if (m < 0) {
                    vt_free(hs);
                    ax->rc = m;
                    return VT_OK;
                }
                if (!m) continue;
            }
            hs[n++] = s;
        }
    }
    int rc = hnsw_search_slots(e->h, q, (int)k, hs, n, hits, n_hits, err);
    vt_free(hs);
    return rc;
}

int db_index_search(vt_db *db, MDB_txn *txn, const db_coll *c, int slot, const float *q,
                    const struct flt_filter *f, const db_fx *fx, const pidx_selection *sel, size_t k,
                    uint32_t ef, int exact, struct cand *cands, size_t *n_out, int *used, vt_error *err) {
    *n_out = 0;
    *used = 0;
    const db_vec_cfg *v = &c->vecs[slot];
    if (db->opts.no_index || exact || v->m < 2 || k == 0 || k > HNSW_MAX_K) return VT_OK;
    db_stats s;
    int rc = db_stats_get(db, txn, c->id, &s, err);
    if (rc) return rc;
    uint64_t thr = plan_threshold_points(v->full_scan_threshold, v->size, v->quant_int8 ? 1 : 4);
    if (s.vec_points[slot] <= thr) return VT_OK; /* small: brute force is cheaper (planner.h) */
    ix_ent *e = ent_get(db, c->id, (uint32_t)slot, 1);
    if (!e) return vt_fail(err, VT_ENOMEM, "%s: out of memory", c->name);
    hnsw_hit *hits = NULL;
    /* Searches of a current entry share the read lock; one that finds it behind (or its pmap
     * stale) takes the write lock to bring it up to date, then searches under the read lock. */
    int want_pmap = f && fx;
    pthread_rwlock_rdlock(&e->rw);
    if (!ent_current(e, s.last_seq) || (want_pmap && !pmap_current(e, fx))) {
        pthread_rwlock_unlock(&e->rw);
        pthread_rwlock_wrlock(&e->rw);
        rc = ent_ready(db, txn, c, e, s.last_seq, err);
        if (!rc && want_pmap && ent_current(e, s.last_seq)) (void)pmap_ready(e, fx); /* ENOMEM: no cache */
        pthread_rwlock_unlock(&e->rw);
        pthread_rwlock_rdlock(&e->rw);
        if (rc) goto done;
    }
    if (!ent_current(e, s.last_seq)) goto done; /* brute force in this snapshot */
    allow_ctx ax = {db, txn, c, f, e, f ? fx : NULL, sel, 0, NULL, 0};
    hnsw_filter hf = {NULL, 0, allow_slot, &ax, -1};
    int use_exact = 0;
    if (f && ax.fx) {
        plan_kind pk = plan_indexed(e, v, &ax, &hf.n_allowed);
        if (ax.rc) goto done;
        use_exact = pk == PLAN_EXACT;
    } else if (f) {
        plan_kind pk = plan_filtered(e, v, &ax, &hf.n_allowed);
        if (ax.rc || pk == PLAN_EXACT) goto done;
    }
    hnsw_search_params sp = hnsw_search_params_default();
    sp.k = (int)k;
    sp.ef = (int)(ef ? ef : v->ef_construct);
    if (sp.ef > HNSW_MAX_EF) sp.ef = HNSW_MAX_EF;
    sp.filter = f ? &hf : NULL;
    /* Below full_scan_threshold the planner says exact; the graph's own cost model (tuned to its
     * kernels) may still find the filtered traversal cheaper for a count that large. */
    if (use_exact && hf.n_allowed >= 0 && !hnsw_plan_exact(e->h, &sp)) use_exact = 0;
    if (f && ax.fx && !use_exact && pmap_current(e, fx)) {
        ax.pmap = e->pmap;
        ax.pmap_n = e->pmap_cap;
    }
    if (!(hits = vt_malloc(k * sizeof *hits))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", c->name);
        goto done;
    }
    int n_hits = 0;
    if (use_exact) rc = exact_indexed(e, &ax, q, k, hits, &n_hits, err);
    else rc = hnsw_search(e->h, q, &sp, hits, &n_hits, err);
    if (rc) goto done;
    if (ax.rc) goto done; /* the filter could not be evaluated everywhere: brute force reports it */
    size_t n = 0;
    for (int i = 0; i < n_hits; i++) {
        uint32_t hs = hits[i].slot;
        if (hs >= e->ids_cap || !e->has_id[hs]) continue;
        cands[n].dist = hits[i].dist;
        cands[n].id = e->ids[hs];
        n++;
    }
    *n_out = n;
    *used = 1;
done:
    pthread_rwlock_unlock(&e->rw);
    ent_put(db, e);
    vt_free(hits);
    return rc;
}

void db_index_facts(vt_db *db, const db_coll *c, uint32_t slot, uint64_t last_seq,
                    vt_vector_info *vi, int *behind) {
    vi->indexed_count = 0;
    vi->memory_bytes = 0;
    vi->index_state = "none";
    vi->index_seq = 0;
    vi->index_builds = vi->index_loads = 0;
    vi->index_vacuums = vi->index_compacts = 0;
    *behind = 0;
    ix_ent *e = ent_get(db, c->id, slot, 0);
    if (!e) return;
    pthread_rwlock_rdlock(&e->rw);
    if (e->h) {
        hnsw_stats st;
        hnsw_stats_get(e->h, &st);
        vi->indexed_count = st.n_live;
        vi->memory_bytes = st.ram_bytes + e->mcap * 12 + e->ids_cap * (sizeof(vt_point_id) + 1);
        vi->index_seq = e->seq;
        *behind = e->seq < last_seq;
    }
    vi->index_state = e->state;
    vi->index_builds = e->n_builds;
    vi->index_vacuums = e->n_vacuums;
    vi->index_compacts = e->n_compacts;
    vi->index_loads = e->n_loads;
    pthread_rwlock_unlock(&e->rw);
    ent_put(db, e);
}
