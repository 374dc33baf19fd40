/*
 * db_int.h — private to src/db: the database handle, the LMDB layout helpers, the collection
 * config and point records as decoded in memory, and the write driver.
 *
 * The byte layouts are written down in store.c (and docs/FORMAT.md). All integers in keys are
 * big-endian so that LMDB's memcmp order is numeric order; integers in values are little-endian
 * (the host order of the platforms vitrine builds for; store.c refuses big-endian hosts).
 */
#ifndef VT_DB_INT_H
#define VT_DB_INT_H

#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

#include "base/error.h"
#include "vitrine.h"

#define DB_FORMAT_VERSION 1u       /* meta "format"; a newer one is refused */
#define DB_MAX_BATCH 1000000u      /* points in one write call; bounds one transaction */
#define DB_MAX_OPLOG_IDS 10000000u /* ids in one op-log record */
#define DB_KEY_MAX 32              /* bytes in a point or op-log key (25 used) */

/* One named vector of a collection, decoded. */
typedef struct db_vec_cfg {
    char name[VT_MAX_NAME_LEN + 1]; /* "" = the unnamed vector */
    uint32_t size;                  /* dimension */
    int distance;                   /* enum vt_distance */
    uint32_t m, ef_construct, full_scan_threshold; /* HNSW parameters */
    int quant_int8, quant_always_ram;              /* scalar quantisation */
    float quant_quantile;
} db_vec_cfg;

/* A collection's config record, decoded. */
typedef struct db_coll {
    uint64_t id;                    /* never reused: keys of points and op log start with it */
    char name[VT_MAX_NAME_LEN + 1]; /* its own name (aliases resolved) */
    uint32_t n_vecs;
    db_vec_cfg vecs[VT_MAX_NAMED_VECTORS];
    /* The field-index section of the config record (store.c; NULL/0 when it has none), borrowed
     * from the LMDB value it was decoded from: valid only inside that transaction. Encoding c
     * writes it back verbatim, so every rewrite of the config keeps the field indexes. */
    const uint8_t *fx_rec;
    uint32_t fx_len;
} db_coll;

/* A collection's counters (meta key "s" + id), kept exact in every write transaction. */
typedef struct db_stats {
    uint64_t points;                         /* points in the collection */
    uint64_t last_seq;                       /* the last op-log sequence number */
    uint64_t vec_points[VT_MAX_NAMED_VECTORS]; /* points having vector i */
} db_stats;

/* One vector inside a decoded point: data is owned by the db_point (vt_malloc'd). */
typedef struct db_pvec {
    uint32_t slot; /* index into db_coll.vecs */
    uint32_t dim;
    float *data;
} db_pvec;

/* A point record, decoded (db_point_decode) or being built. */
typedef struct db_point {
    uint64_t version;                     /* op seq of the last change */
    uint32_t n_vecs;
    db_pvec vecs[VT_MAX_NAMED_VECTORS];   /* sorted by slot, distinct slots */
    char *payload;                        /* compact JSON object text, vt_malloc'd; never NULL
                                             after decode */
    size_t payload_len;
} db_point;

typedef struct vt_db {
    MDB_env *env;
    MDB_dbi dbi_meta, dbi_colls, dbi_aliases, dbi_points, dbi_oplog;
    char *dir;                /* the data folder */
    int lock_fd;              /* dir/LOCK, held with flock(LOCK_EX) while open (-1: none) */
    vt_db_opts opts;
    uint64_t map_size;        /* the current map size */
    pthread_mutex_t write_mu; /* one writer at a time (LMDB's rule, kept here so that map
                                 growth and the index updates after a commit are ordered) */
    pthread_rwlock_t map_mu;  /* readers and the writer's txn hold it shared; growing the map
                                 holds it exclusive (mdb_env_set_mapsize needs no live txn) */
    pthread_mutex_t ix_mu;    /* guards ix_list and the entries' refs (index.c) */
    struct ix_ent *ix_list;   /* the in-memory HNSW indexes, one per (collection, vector) */
    pthread_mutex_t ix_pool_mu; /* one build at a time on ix_pool */
    struct vt_pool *ix_pool;  /* build threads, created at the first build */
    uint64_t trunc_coll;      /* ix_mu: a collection whose index was saved since the last write */
    int trunc_pending;        /* (its op log may be truncated: db_index_after_write) */
    pthread_mutex_t fx_mu;    /* guards fx_list and the entries' refs (field_index.c) */
    struct db_fx *fx_list;    /* the in-memory field (payload) indexes, one per collection */
    int panic;                /* sticky: a failed commit; writes return VT_EREADONLY */
    char panic_msg[256];
} vt_db;

/* ---- store.c: keys, records, transactions ---- */

size_t db_point_key(uint64_t coll, const vt_point_id *id, uint8_t key[DB_KEY_MAX]);
int db_point_key_decode(const MDB_val *k, uint64_t coll, vt_point_id *id); /* 1 if in coll */
size_t db_seq_key(uint64_t coll, uint64_t seq, uint8_t key[16]);
int db_point_id_cmp(const vt_point_id *a, const vt_point_id *b); /* key order */
/* db_mix64: splitmix64's finaliser, the hash mixer of the db's tables. Stored labels depend on
 * it (db_point_id_hash), so it never changes. */
static inline uint64_t db_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
/* db_point_id_hash: a 64-bit hash of a point id (integers and UUIDs hash apart). It is stored:
 * the HNSW files label their nodes with it (FORMAT.md), so it never changes. Cannot fail. */
uint64_t db_point_id_hash(const vt_point_id *id);

/* db_point_encode: the value bytes of p (a point of c) into *out (vt_malloc'd, caller frees). */
int db_point_encode(const db_coll *c, const db_point *p, uint8_t **out, size_t *len,
                    vt_error *err);
/* db_point_decode: parses a value (bounds-checked against coll; VT_ECORRUPT naming the point).
 * want_vecs / want_payload: 0 skips copying them. Release with db_point_clear. */
int db_point_decode(const MDB_val *v, const db_coll *c, int want_vecs, int want_payload,
                    db_point *p, vt_error *err);
void db_point_clear(db_point *p);
/* db_point_peek_version: the version field of a value, 0 if short. */
uint64_t db_point_peek_version(const MDB_val *v);

int db_coll_encode(const db_coll *c, uint8_t **out, size_t *len, vt_error *err);
int db_coll_decode(const MDB_val *v, const char *name, size_t name_len, db_coll *c,
                   vt_error *err);

int db_stats_get(vt_db *db, MDB_txn *txn, uint64_t coll, db_stats *s, vt_error *err);
int db_stats_put(vt_db *db, MDB_txn *txn, uint64_t coll, const db_stats *s);

/* db_lmdb_fail: maps an LMDB/errno code to a vt_ code with a message "what: mdb_strerror". */
int db_lmdb_fail(vt_error *err, int rc, const char *what);

/* db_read_begin / db_read_end: a read-only snapshot transaction (map lock held shared). */
int db_read_begin(vt_db *db, MDB_txn **txn, vt_error *err);
void db_read_end(vt_db *db, MDB_txn *txn);

/* db_write: runs fn(db, txn, ctx, err) in a write transaction and commits. fn returns 0 or a
 * vt_ code, or DB_RETRY_MAP_FULL when LMDB said MDB_MAP_FULL (the map is then doubled and fn
 * runs again from scratch, so fn must keep all its effects inside the transaction). A failed
 * commit makes the handle read-only (sticky). */
#define DB_RETRY_MAP_FULL 1
typedef int (*db_write_fn)(vt_db *db, MDB_txn *txn, void *ctx, vt_error *err);
int db_write(vt_db *db, db_write_fn fn, void *ctx, vt_error *err);
/* db_write_post: db_write, then post(db, ctx) after a successful commit while write_mu is still
 * held (no transaction live), so that in-memory updates are applied in commit order. */
typedef void (*db_post_fn)(vt_db *db, void *ctx);
int db_write_post(vt_db *db, db_write_fn fn, db_post_fn post, void *ctx, vt_error *err);
/* db_write_locked: db_write for a caller that already holds write_mu and no transaction. */
int db_write_locked(vt_db *db, db_write_fn fn, void *ctx, vt_error *err);

/* db_put / db_del: mdb_put / mdb_del mapped: 0, DB_RETRY_MAP_FULL or a vt_ code. */
int db_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl,
           vt_error *err);
int db_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, vt_error *err);

/* ---- collection.c ---- */

/* db_coll_lookup: the collection named name (or the one alias name points to) into *c.
 * VT_ENOTFOUND "Collection `name` doesn't exist!". */
int db_coll_lookup(vt_db *db, MDB_txn *txn, const char *name, db_coll *c, vt_error *err);
int db_coll_vec_slot(const db_coll *c, const char *name); /* -1 if none */
int db_check_name(const char *what, const char *name, vt_error *err);

/* ---- points.c ---- */

/* db_oplog_append: writes op-log record (coll, seq) of type op over n ids. */
enum db_op { DB_OP_UPSERT = 1, DB_OP_DELETE, DB_OP_SET_PAYLOAD, DB_OP_OVERWRITE_PAYLOAD,
             DB_OP_DELETE_PAYLOAD, DB_OP_CLEAR_PAYLOAD, DB_OP_UPDATE_VECTORS,
             DB_OP_DELETE_VECTORS, DB_OP_CREATE, DB_OP_FIELD_INDEX };
int db_oplog_append(vt_db *db, MDB_txn *txn, uint64_t coll, uint64_t seq, int op,
                    const vt_point_id *ids, size_t n, vt_error *err);

/* db_parse_filter: compiles filter_json (NULL/"" → *out NULL = match all). */
struct flt_filter;
int db_parse_filter(const char *filter_json, struct flt_filter **out, vt_error *err);
/* db_point_matches: 1 if the decoded point (payload text) matches f (NULL matches). Parses the
 * payload; VT_ENOMEM / VT_ECORRUPT on failure (returned negative). */
int db_point_matches(const struct flt_filter *f, const db_coll *c, const vt_point_id *id,
                     const db_point *p);

/* ---- index.c: the derived HNSW indexes ---- */

/* db_index_close: saves every index that is ahead of its file, then frees them all (vt_db_close). */
void db_index_close(vt_db *db);
/* db_index_after_write: after a write's commit (db_write_post, under write_mu, no transaction
 * live): truncates the op log of a collection whose index files were saved since. */
void db_index_after_write(vt_db *db);
/* db_index_drop: forgets the indexes of collection coll_id and deletes their files. */
void db_index_drop(vt_db *db, uint64_t coll_id);
/* db_index_facts: fills vi's index fields (indexed_count, memory_bytes, index_*) for vector slot
 * of c; *behind = 1 when the index covers less than last_seq. Cannot fail. */
void db_index_facts(vt_db *db, const db_coll *c, uint32_t slot, uint64_t last_seq,
                    vt_vector_info *vi, int *behind);

/* ---- field_index.c: the in-memory field (payload) indexes ---- */

/* A field definition decoded from a config record's field-index section. */
typedef struct db_fdef {
    int type;           /* pidx_type */
    char key[VT_MAX_NAME_LEN * 4 + 1];
} db_fdef;
#define DB_MAX_FIELDS 1024 /* = PIDX_MAX_FIELDS */
#define DB_FIELD_KEY_MAX (VT_MAX_NAME_LEN * 4)

/* db_fdefs_decode: the field definitions of c (its fx_rec) into *out (vt_malloc'd array, caller
 * frees; NULL when none) and *n. VT_ECORRUPT / VT_ENOMEM. */
int db_fdefs_decode(const db_coll *c, db_fdef **out, uint32_t *n, vt_error *err);
/* db_fdefs_encode: the field-index section for n definitions (vt_malloc'd, caller frees). */
int db_fdefs_encode(const db_fdef *defs, uint32_t n, uint8_t **out, uint32_t *len, vt_error *err);

typedef struct db_fx db_fx;

/* One point's payload change in a write, recorded inside the write transaction and applied to the
 * collection's field indexes after the commit (db_fx_log_apply). */
typedef struct db_fx_change {
    vt_point_id id;
    char *old_pl, *new_pl; /* payload texts (vt_malloc'd copies); NULL: the point was / is absent */
    size_t old_len, new_len;
} db_fx_change;

typedef struct db_fx_log {
    int active;        /* the collection has in-memory field indexes: record changes */
    int failed;        /* a change could not be recorded (ENOMEM): the indexes go stale */
    uint64_t coll_id, seq; /* the collection and the seq this write commits */
    db_fx_change *v;
    size_t n, cap;
} db_fx_log;

/* db_fx_log_begin: (re)starts a log for a write to collection coll_id that commits seq (inside the
 * write transaction; drops what an earlier attempt recorded). Cannot fail. */
void db_fx_log_begin(vt_db *db, db_fx_log *log, uint64_t coll_id, uint64_t seq);
/* db_fx_log_add: records id's payload before (old, NULL: absent) and after (new, NULL: absent).
 * Never fails: ENOMEM marks the log failed. */
void db_fx_log_add(db_fx_log *log, const vt_point_id *id, const char *old_pl, size_t old_len,
                   const char *new_pl, size_t new_len);
/* db_fx_log_apply: applies a committed write's log (db_write_post, under write_mu) and frees it;
 * on any failure the collection's indexes are marked stale (rebuilt before their next use). */
void db_fx_log_apply(vt_db *db, db_fx_log *log);
void db_fx_log_free(db_fx_log *log);

/* db_fx_acquire: the field indexes of c, read-locked, when they exist and reflect exactly
 * last_seq (the reader's snapshot); NULL otherwise, with *need_build = 1 when c has field indexes
 * that are missing or stale (db_fx_build, after the reader's transaction ends, fixes that).
 * need_build may be NULL. Release with db_fx_release. */
db_fx *db_fx_acquire(vt_db *db, const db_coll *c, uint64_t last_seq, int *need_build);
void db_fx_release(vt_db *db, db_fx *fx);
/* db_fx_build: (re)builds the field indexes of collection `name` from its points unless they are
 * up to date (takes write_mu: never call it inside a transaction). */
int db_fx_build(vt_db *db, const char *name, vt_error *err);
/* db_fx_build_locked: the same by collection id, for a caller that holds write_mu. */
int db_fx_build_locked(vt_db *db, const char *name, vt_error *err);
/* db_fx_drop: forgets the field indexes of collection coll_id. */
void db_fx_drop(vt_db *db, uint64_t coll_id);
void db_fx_close(vt_db *db);

struct pidx_set;
struct pidx_selection;
const struct pidx_set *db_fx_set(const db_fx *fx);
/* db_fx_gen: a value that changes (never to an earlier one, across all collections) whenever the
 * id ↔ slot map changes; caches of slot numbers compare it. */
uint64_t db_fx_gen(const db_fx *fx);
/* db_fx_slot: the pidx slot of id; 1 if it has one. */
int db_fx_slot(const db_fx *fx, const vt_point_id *id, uint32_t *slot);
/* db_fx_id: the id of live pidx slot (NULL if none). */
const vt_point_id *db_fx_id(const db_fx *fx, uint32_t slot);
/* db_fx_select: pidx_select of f with has_id resolved through the slot map. */
int db_fx_select(const db_fx *fx, const struct flt_filter *f, struct pidx_selection *sel,
                 vt_error *err);
struct pidx_card;
/* db_fx_estimate: pidx_estimate of f with has_id resolved through the slot map. */
void db_fx_estimate(const db_fx *fx, const struct flt_filter *f, struct pidx_card *card);
/* db_fx_field_points: live points with a value in the field on `key`; 1 if that field exists. */
int db_fx_field_points(const db_fx *fx, const char *key, uint64_t *points);
/* db_fx_bytes: memory held (indexes and slot map). */
uint64_t db_fx_bytes(const db_fx *fx);

/* db_point_matches_at: reads id's point in txn and runs db_point_matches: 1, 0 (also when absent)
 * or a negative vt_ code. */
int db_point_matches_at(vt_db *db, MDB_txn *txn, const db_coll *c, const struct flt_filter *f,
                        const vt_point_id *id);

/* ---- distance (query.c) ---- */
float db_distance(int distance, const float *a, const float *b, size_t n); /* smaller closer */
float db_score(int distance, float d);
void db_normalize(float *x, size_t n);

/* ---- result sets (query.c) ---- */
typedef struct db_hit {
    vt_point_id id;
    uint64_t version;
    float score;
    float dist;         /* internal, smaller is better */
    char *payload;      /* NULL if not asked for */
    uint32_t n_vecs;
    char **vec_names;   /* n_vecs names (vt_malloc'd, one block with data below) */
    float **vec_data;
    uint32_t *vec_dims;
    void *vec_block;    /* one allocation holding names, pointers and data */
} db_hit;

struct vt_result {
    db_hit *hits;
    size_t n, cap;
    int has_next;
    vt_point_id next;
};

int db_result_new(vt_result **out, vt_error *err);
/* db_result_push: appends a hit built from point p (copying what is asked for). */
int db_result_push(vt_result *r, const db_coll *c, const vt_point_id *id, const db_point *p,
                   float score, int with_payload, int with_vectors, vt_error *err);

#endif
