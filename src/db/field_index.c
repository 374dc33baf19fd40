/*
 * field_index.c — the in-memory field (payload) indexes of each collection: one pidx_set
 * (payload_index.h) per collection that has field indexes, the point id ↔ pidx slot map it needs,
 * building it from the points, keeping it up to date after every write, and handing it to
 * readers only when it reflects exactly their snapshot.
 *
 * What is stored where. The field definitions (key path, type) live in the collection's config
 * record (store.c, docs/FORMAT.md), so they are durable, copied by snapshots and dropped with the
 * collection. Everything here is derived and never saved: after an open, the first reader (or
 * writer of field indexes) that needs a collection's indexes builds them by one scan of its
 * points. The id ↔ slot map is in memory too: slot → id is an array, id → slot an
 * open-addressing table (linear probing, backward-shift deletion) hashed on the id; slots freed by
 * deletes are reused by later inserts (a free list), so slot numbers stay dense.
 *
 * Keeping up. A write records, inside its transaction, each point's payload before and after
 * (db_fx_log_add; only when the collection has built indexes). After the commit, still holding
 * write_mu (db_write_post), the log is applied: pidx_add / pidx_update / pidx_remove, and the
 * entry's seq becomes the write's seq. Every seq-bumping write goes through the log (payload-free
 * ones apply nothing and just advance seq), so `seq` is exactly the op-log sequence the indexes
 * reflect. Anything that fails — a change that could not be recorded, a parse or allocation
 * failure while applying, a log whose seq does not follow the entry's — marks the entry stale:
 * readers then do not use it, and the next one rebuilds it.
 *
 * Readers (db_fx_acquire) get the entry read-locked only when it is built, not stale, and its seq
 * equals the last_seq of their own LMDB snapshot; otherwise they evaluate the filter on payloads
 * as before. Snapshot and indexes can therefore never disagree: a reader that started before a
 * write it cannot see, and is handed indexes that already include it, is impossible (the seqs
 * would differ). Builds run under write_mu (so no write interleaves with the scan) into a fresh
 * set that is swapped in under the entry's write lock.
 *
 * Locks: db->fx_mu guards the list and reference counts; each entry's rw guards its contents
 * (readers shared for the whole read call, apply and swap exclusive). Lock order: write_mu, then
 * a read transaction (map_mu), then an entry's rw; fx_mu is never held while waiting for rw.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/payload_index.h"
#include "db_int.h"

/* The id ↔ slot map of one collection. */
typedef struct fx_map {
    vt_point_id *ids; /* slot → id */
    uint8_t *live;    /* 1 where ids[slot] is a live point */
    size_t cap;       /* entries of ids / live */
    uint32_t bound;   /* slots ever handed out */
    uint32_t *freel;  /* freed slots */
    size_t n_free, free_cap;
    uint32_t *tab;    /* id hash → slot; UINT32_MAX = empty */
    size_t tcap, tn;
} fx_map;

struct db_fx {
    struct db_fx *next;
    uint64_t coll_id;
    int refs, dropped;   /* under db->fx_mu */
    pthread_rwlock_t rw; /* guards everything below */
    pidx_set *ix;
    int stale;
    uint64_t seq;        /* the op-log sequence the indexes reflect */
    uint64_t gen;        /* changes (to a value never used before) whenever the id ↔ slot map
                            does: lets index.c cache its graph slot → pidx slot array */
    fx_map m;
};

static uint64_t g_fx_gen; /* the source of gen values (atomic) */
static uint64_t next_gen(void) { return __atomic_add_fetch(&g_fx_gen, 1, __ATOMIC_RELAXED); }

/* ---- the map ---- */

static int id_eq(const vt_point_id *a, const vt_point_id *b) { return db_point_id_cmp(a, b) == 0; }

static void map_free(fx_map *m) {
    vt_free(m->ids);
    vt_free(m->live);
    vt_free(m->freel);
    vt_free(m->tab);
    memset(m, 0, sizeof *m);
}

/* map_pos: the table position holding id, or of the empty cell where it would go. */
static size_t map_pos(const fx_map *m, const vt_point_id *id) {
    size_t mask = m->tcap - 1, i = db_point_id_hash(id) & mask;
    while (m->tab[i] != UINT32_MAX && !id_eq(&m->ids[m->tab[i]], id)) i = (i + 1) & mask;
    return i;
}

static int map_find(const fx_map *m, const vt_point_id *id, uint32_t *slot) {
    if (!m->tcap) return 0;
    size_t i = map_pos(m, id);
    if (m->tab[i] == UINT32_MAX) return 0;
    *slot = m->tab[i];
    return 1;
}

static int map_grow_tab(fx_map *m) {
    size_t ncap = m->tcap ? m->tcap * 2 : 1024;
    uint32_t *t = vt_malloc(ncap * sizeof *t);
    if (!t) return VT_ENOMEM;
    memset(t, 0xff, ncap * sizeof *t);
    for (size_t i = 0; i < m->tcap; i++) {
        if (m->tab[i] == UINT32_MAX) continue;
        size_t j = db_point_id_hash(&m->ids[m->tab[i]]) & (ncap - 1);
        while (t[j] != UINT32_MAX) j = (j + 1) & (ncap - 1);
        t[j] = m->tab[i];
    }
    vt_free(m->tab);
    m->tab = t;
    m->tcap = ncap;
    return VT_OK;
}

/* map_add: a slot for id (not in the map) into *slot. VT_ENOMEM leaves the map as it was. */
static int map_add(fx_map *m, const vt_point_id *id, uint32_t *slot) {
    if ((m->tn + 1) * 2 > m->tcap && map_grow_tab(m)) return VT_ENOMEM;
    uint32_t s;
    if (m->n_free) {
        s = m->freel[m->n_free - 1];
    } else {
        if (m->bound == UINT32_MAX - 1) return VT_ELIMIT;
        s = m->bound;
        if (s >= m->cap) {
            size_t ncap = m->cap ? m->cap * 2 : 1024;
            vt_point_id *ni = vt_realloc(m->ids, ncap * sizeof *ni);
            if (!ni) return VT_ENOMEM;
            m->ids = ni;
            uint8_t *nl = vt_realloc(m->live, ncap);
            if (!nl) return VT_ENOMEM;
            memset(nl + m->cap, 0, ncap - m->cap);
            m->live = nl;
            m->cap = ncap;
        }
    }
    /* nothing can fail from here on */
    if (m->n_free) m->n_free--;
    else m->bound++;
    m->ids[s] = *id;
    m->live[s] = 1;
    m->tab[map_pos(m, id)] = s;
    m->tn++;
    *slot = s;
    return VT_OK;
}

/* map_del: removes id (present at slot s); the slot goes to the free list. VT_ENOMEM (free list
 * growth) leaves the map as it was. */
static int map_del(fx_map *m, const vt_point_id *id) {
    if (!m->tcap) return VT_OK;
    size_t mask = m->tcap - 1, i = map_pos(m, id);
    if (m->tab[i] == UINT32_MAX) return VT_OK;
    uint32_t s = m->tab[i];
    if (m->n_free == m->free_cap) {
        size_t nc = m->free_cap ? m->free_cap * 2 : 256;
        uint32_t *nf = vt_realloc(m->freel, nc * sizeof *nf);
        if (!nf) return VT_ENOMEM;
        m->freel = nf;
        m->free_cap = nc;
    }
    m->freel[m->n_free++] = s;
    m->live[s] = 0;
    m->tn--;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->tab[j] == UINT32_MAX) break;
        size_t home = db_point_id_hash(&m->ids[m->tab[j]]) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->tab[i] = m->tab[j];
            i = j;
        }
    }
    m->tab[i] = UINT32_MAX;
    return VT_OK;
}

/* ---- the registry ---- */

static db_fx *fx_get(vt_db *db, uint64_t coll_id) {
    pthread_mutex_lock(&db->fx_mu);
    db_fx *fx = db->fx_list;
    while (fx && fx->coll_id != coll_id) fx = fx->next;
    if (fx) fx->refs++;
    pthread_mutex_unlock(&db->fx_mu);
    return fx;
}

static void fx_free(db_fx *fx) {
    pidx_set_free(fx->ix);
    map_free(&fx->m);
    pthread_rwlock_destroy(&fx->rw);
    vt_free(fx);
}

static void fx_put(vt_db *db, db_fx *fx) {
    pthread_mutex_lock(&db->fx_mu);
    int gone = --fx->refs == 0 && fx->dropped;
    pthread_mutex_unlock(&db->fx_mu);
    if (gone) fx_free(fx);
}

void db_fx_drop(vt_db *db, uint64_t coll_id) {
    pthread_mutex_lock(&db->fx_mu);
    db_fx **pp = &db->fx_list;
    while (*pp) {
        db_fx *fx = *pp;
        if (fx->coll_id != coll_id) {
            pp = &fx->next;
            continue;
        }
        *pp = fx->next;
        fx->dropped = 1;
        if (fx->refs == 0) fx_free(fx);
    }
    pthread_mutex_unlock(&db->fx_mu);
}

void db_fx_close(vt_db *db) {
    db_fx *fx = db->fx_list;
    while (fx) {
        db_fx *n = fx->next;
        fx_free(fx);
        fx = n;
    }
    db->fx_list = NULL;
}

/* ---- the write log ---- */

void db_fx_log_free(db_fx_log *log) {
    for (size_t i = 0; i < log->n; i++) {
        vt_free(log->v[i].old_pl);
        vt_free(log->v[i].new_pl);
    }
    vt_free(log->v);
    log->v = NULL;
    log->n = log->cap = 0;
}

void db_fx_log_begin(vt_db *db, db_fx_log *log, uint64_t coll_id, uint64_t seq) {
    db_fx_log_free(log);
    log->failed = 0;
    log->coll_id = coll_id;
    log->seq = seq;
    db_fx *fx = fx_get(db, coll_id);
    log->active = fx != NULL;
    if (fx) fx_put(db, fx);
}

static char *dup_text(const char *s, size_t n) {
    char *d = vt_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void db_fx_log_add(db_fx_log *log, const vt_point_id *id, const char *old_pl, size_t old_len,
                   const char *new_pl, size_t new_len) {
    if (!log->active || log->failed) return;
    if (log->n == log->cap) {
        size_t nc = log->cap ? log->cap * 2 : 16;
        db_fx_change *nv = vt_realloc(log->v, nc * sizeof *nv);
        if (!nv) {
            log->failed = 1;
            return;
        }
        log->v = nv;
        log->cap = nc;
    }
    db_fx_change *ch = &log->v[log->n];
    memset(ch, 0, sizeof *ch);
    ch->id = *id;
    if ((old_pl && !(ch->old_pl = dup_text(old_pl, old_len))) ||
        (new_pl && !(ch->new_pl = dup_text(new_pl, new_len)))) {
        vt_free(ch->old_pl);
        log->failed = 1;
        return;
    }
    ch->old_len = old_len;
    ch->new_len = new_len;
    log->n++;
}

/* parse_pl: payload text → object (NULL text → NULL). */
static int parse_pl(const char *text, size_t len, json_t **out) {
    *out = NULL;
    if (!text) return VT_OK;
    vt_error e = {0};
    return vt_json_parse(text, len, "payload", out, &e);
}

/* apply_one: one change to fx (write-locked). Non-zero: the entry must go stale. */
static int apply_one(db_fx *fx, const db_fx_change *ch) {
    if (ch->old_pl && ch->new_pl && ch->old_len == ch->new_len && memcmp(ch->old_pl, ch->new_pl, ch->old_len) == 0)
        return VT_OK;
    json_t *o = NULL, *n = NULL;
    int rc = parse_pl(ch->old_pl, ch->old_len, &o);
    if (rc == VT_OK) rc = parse_pl(ch->new_pl, ch->new_len, &n);
    uint32_t slot;
    int has = map_find(&fx->m, &ch->id, &slot);
    vt_error e = {0};
    if (rc) {
    } else if (ch->old_pl && ch->new_pl) {
        rc = has ? pidx_update(fx->ix, slot, o, n, &e) : VT_ECORRUPT;
    } else if (ch->old_pl) {
        fx->gen = next_gen();
        if (!has) rc = VT_ECORRUPT;
        else if ((rc = map_del(&fx->m, &ch->id)) == VT_OK) pidx_remove(fx->ix, slot, o);
    } else if (ch->new_pl) {
        fx->gen = next_gen();
        if (has) rc = VT_ECORRUPT;
        else if ((rc = map_add(&fx->m, &ch->id, &slot)) == VT_OK && (rc = pidx_add(fx->ix, slot, n, &e)))
            (void)map_del(&fx->m, &ch->id);
    }
    json_decref(o);
    json_decref(n);
    return rc;
}

void db_fx_log_apply(vt_db *db, db_fx_log *log) {
    db_fx *fx = log->active ? fx_get(db, log->coll_id) : NULL;
    if (fx) {
        pthread_rwlock_wrlock(&fx->rw);
        if (!fx->ix || fx->stale || log->failed || fx->seq + 1 != log->seq) {
            fx->stale = 1;
        } else {
            for (size_t i = 0; i < log->n && !fx->stale; i++)
                if (apply_one(fx, &log->v[i])) fx->stale = 1;
            if (!fx->stale) fx->seq = log->seq;
        }
        pthread_rwlock_unlock(&fx->rw);
        fx_put(db, fx);
    }
    db_fx_log_free(log);
}

/* ---- building ---- */

typedef struct build_st {
    pidx_set *ix;
    fx_map m;
} build_st;

/* build_scan: every point of c into b (txn is the builder's read transaction). */
static int build_scan(vt_db *db, MDB_txn *txn, const db_coll *c, build_st *b, vt_error *err) {
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, db->dbi_points, &cur);
    if (mrc) return db_lmdb_fail(err, mrc, "opening a cursor");
    uint8_t key[DB_KEY_MAX];
    vt_point_id zero = {0, 0, {0}}, id;
    MDB_val k = {db_point_key(c->id, &zero, key) - 9, key}, v;
    int rc = VT_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == VT_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, c->id, &id)) break;
        db_point p;
        if ((rc = db_point_decode(&v, c, 0, 1, &p, err))) break;
        json_t *pl = NULL;
        uint32_t slot;
        if (p.payload_len > 2 && (rc = vt_json_parse(p.payload, p.payload_len, "payload", &pl, err))) {
        } else if ((rc = map_add(&b->m, &id, &slot))) {
            rc = vt_fail(err, rc, "%s: out of memory building the field indexes", c->name);
        } else {
            rc = pidx_add(b->ix, slot, pl, err);
        }
        json_decref(pl);
        db_point_clear(&p);
    }
    mdb_cursor_close(cur);
    if (rc == VT_OK && mrc && mrc != MDB_NOTFOUND) rc = db_lmdb_fail(err, mrc, "scanning points");
    return rc;
}

/* build_in: builds c's indexes as of txn (last_seq) and installs them. Caller holds write_mu. */
static int build_in(vt_db *db, MDB_txn *txn, const db_coll *c, uint64_t last_seq, vt_error *err) {
    db_fdef *defs = NULL;
    uint32_t nd = 0;
    int rc = db_fdefs_decode(c, &defs, &nd, err);
    if (rc) return rc;
    if (nd == 0) {
        db_fx_drop(db, c->id);
        return VT_OK;
    }
    db_fx *fx = fx_get(db, c->id);
    if (fx) {
        pthread_rwlock_rdlock(&fx->rw);
        int fresh = fx->ix && !fx->stale && fx->seq == last_seq;
        pthread_rwlock_unlock(&fx->rw);
        if (fresh) {
            fx_put(db, fx);
            vt_free(defs);
            return VT_OK;
        }
    }
    build_st b;
    memset(&b, 0, sizeof b);
    rc = pidx_set_new(&b.ix, err);
    for (uint32_t i = 0; i < nd && rc == VT_OK; i++) rc = pidx_create(b.ix, defs[i].key, (pidx_type)defs[i].type, NULL, err);
    if (rc == VT_OK) rc = build_scan(db, txn, c, &b, err);
    vt_free(defs);
    if (rc == VT_OK && !fx) {
        db_fx *n = vt_calloc(1, sizeof *n);
        if (!n) {
            rc = vt_fail(err, VT_ENOMEM, "%s: out of memory building the field indexes", c->name);
        } else {
            n->coll_id = c->id;
            n->refs = 1;
            n->stale = 1;
            pthread_rwlock_init(&n->rw, NULL);
            pthread_mutex_lock(&db->fx_mu);
            n->next = db->fx_list;
            db->fx_list = n;
            pthread_mutex_unlock(&db->fx_mu);
            fx = n;
        }
    }
    if (rc) {
        pidx_set_free(b.ix);
        map_free(&b.m);
        if (fx) fx_put(db, fx);
        return rc;
    }
    pthread_rwlock_wrlock(&fx->rw);
    pidx_set *old_ix = fx->ix;
    fx_map old_m = fx->m;
    fx->ix = b.ix;
    fx->m = b.m;
    fx->seq = last_seq;
    fx->stale = 0;
    fx->gen = next_gen();
    pthread_rwlock_unlock(&fx->rw);
    pidx_set_free(old_ix);
    map_free(&old_m);
    fx_put(db, fx);
    return VT_OK;
}

static int build_named(vt_db *db, const char *name, vt_error *err) {
    MDB_txn *txn;
    int rc = db_read_begin(db, &txn, err);
    if (rc) return rc;
    db_coll c;
    db_stats s;
    if ((rc = db_coll_lookup(db, txn, name, &c, err)) == VT_OK && (rc = db_stats_get(db, txn, c.id, &s, err)) == VT_OK)
        rc = build_in(db, txn, &c, s.last_seq, err);
    db_read_end(db, txn);
    return rc;
}

int db_fx_build_locked(vt_db *db, const char *name, vt_error *err) { return build_named(db, name, err); }

int db_fx_build(vt_db *db, const char *name, vt_error *err) {
    pthread_mutex_lock(&db->write_mu);
    int rc = build_named(db, name, err);
    pthread_mutex_unlock(&db->write_mu);
    return rc;
}

/* ---- readers ---- */

db_fx *db_fx_acquire(vt_db *db, const db_coll *c, uint64_t last_seq, int *need_build) {
    if (need_build) *need_build = 0;
    db_fx *fx = fx_get(db, c->id);
    if (!fx) {
        if (need_build) *need_build = c->fx_rec != NULL;
        return NULL;
    }
    pthread_rwlock_rdlock(&fx->rw);
    if (fx->ix && !fx->stale && fx->seq == last_seq) return fx;
    if (need_build) *need_build = c->fx_rec != NULL && (fx->stale || !fx->ix || fx->seq < last_seq);
    pthread_rwlock_unlock(&fx->rw);
    fx_put(db, fx);
    return NULL;
}

void db_fx_release(vt_db *db, db_fx *fx) {
    if (!fx) return;
    pthread_rwlock_unlock(&fx->rw);
    fx_put(db, fx);
}

const pidx_set *db_fx_set(const db_fx *fx) { return fx->ix; }

uint64_t db_fx_gen(const db_fx *fx) { return fx->gen; }

int db_fx_slot(const db_fx *fx, const vt_point_id *id, uint32_t *slot) { return map_find(&fx->m, id, slot); }

const vt_point_id *db_fx_id(const db_fx *fx, uint32_t slot) {
    return slot < fx->m.bound && fx->m.live[slot] ? &fx->m.ids[slot] : NULL;
}

static int ctx_id_slot(void *user, const vt_point_id *id, uint32_t *slot) {
    return map_find(&((const db_fx *)user)->m, id, slot);
}

int db_fx_select(const db_fx *fx, const flt_filter *f, pidx_selection *sel, vt_error *err) {
    pidx_ctx ctx = {ctx_id_slot, (void *)fx};
    return pidx_select(fx->ix, f, &ctx, sel, err);
}

void db_fx_estimate(const db_fx *fx, const flt_filter *f, pidx_card *card) {
    pidx_ctx ctx = {ctx_id_slot, (void *)fx};
    pidx_estimate(fx->ix, f, &ctx, card);
}

uint64_t db_fx_bytes(const db_fx *fx) {
    return pidx_mem_bytes(fx->ix) + fx->m.cap * (sizeof(vt_point_id) + 1) + fx->m.tcap * 4 + fx->m.free_cap * 4;
}

int db_fx_field_points(const db_fx *fx, const char *key, uint64_t *points) {
    pidx_field_info fi;
    if (!pidx_find(fx->ix, key, &fi)) return 0;
    *points = fi.n_points;
    return 1;
}
