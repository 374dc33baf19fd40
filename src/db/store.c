/*
 * store.c — the LMDB layout of a vitrine database: environment, sub-databases, key and record
 * encodings, counters, and the transaction drivers every other db file goes through.
 *
 * A data folder holds one LMDB environment (data.mdb, lock.mdb) with five named databases
 * [LMDB]. Keys use big-endian integers so that memcmp order (LMDB's default) is numeric order:
 *
 *   db        key                                   value
 *   meta      "format"                              u32 LE format version (1)
 *             "next_coll"                           u64 LE next collection id (ids never reused)
 *             's' + u64 BE collection id            counters: u64 points, u64 last_seq,
 *                                                   16 × u64 points having vector i (all LE)
 *   colls     collection name bytes                 config record (below)
 *   aliases   alias name bytes                      collection name bytes
 *   points    u64 BE coll id, u8 kind, id bytes     point record (below); kind 0: u64 BE
 *             (17 bytes for integer ids, 25 for     integer id; kind 1: the UUID's 16 bytes —
 *             UUIDs)                                so integers sort before UUIDs, as Qdrant
 *   oplog     u64 BE coll id, u64 BE seq            op record (below)
 *
 * Config record (colls):
 *   offset  size  what
 *   0       4     magic "VTC1"
 *   4       8     u64 collection id
 *   12      4     u32 n named vectors (1..16)
 *   16      …     per vector: u16 name_len, name, u32 size, u8 distance, u8 quant_int8,
 *                 u8 quant_always_ram, u8 0, f32 quant_quantile, u32 m, u32 ef_construct,
 *                 u32 full_scan_threshold
 *   …       …     optional field-index section (absent in records written before field indexes;
 *                 then there are none): u32 n fields (1..1024), per field: u8 type (pidx_type:
 *                 1 keyword, 2 integer, 3 float, 4 bool, 5 uuid, 6 datetime, 7 text), u8 0,
 *                 u16 key_len (1..1020), key bytes (the key path as given). Decoders keep it as
 *                 opaque bytes (db_coll.fx_rec) and every rewrite of the record carries it over;
 *                 field_index.c reads it.
 *
 * Point record (points):
 *   0       8     u64 version (the op seq that last changed the point)
 *   8       4     u32 n vectors present (≤ 16)
 *   12      4     u32 payload_len
 *   16      …     per vector: u16 name_len, name, u32 dim, dim × f32 LE (Cosine: normalised)
 *   …       payload_len  the payload, a compact JSON object (UTF-8)
 *
 * Op record (oplog), written in the same transaction as the change it describes:
 *   0       1     op type (enum db_op), 1..3 zero
 *   4       4     u32 n ids
 *   8       17×n  ids: u8 kind, 16 bytes (integer: u64 BE then 8 zero bytes; UUID: its bytes)
 * The log says which points changed at which sequence number; the points db holds their state.
 * Index files record the sequence they cover and are caught up by re-reading the points named
 * by later records (idempotent), so the log never needs the vectors themselves.
 *
 * Invariants: every change of a collection bumps its last_seq once per write call and appends
 * one op record with that seq; counters change in the same transaction as the points. Nothing is
 * acknowledged before mdb_txn_commit returns (fsync'd unless no_sync).
 *
 * Locks: write_mu serialises writers (and so, the single LMDB write txn); map_mu is held shared
 * by every live transaction and exclusively while mdb_env_set_mapsize grows the map after
 * MDB_MAP_FULL (LMDB requires no live transaction in the process then). A commit that fails for
 * any other reason (EIO, ENOSPC) sets db->panic: the handle refuses writes [LMDB MDB_PANIC].
 *
 * Every decoder checks lengths against the value's end and returns VT_ECORRUPT naming the
 * record; nothing from disk is asserted [SQLite aDataEnd].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "db_int.h"

/* ---- small byte helpers ---- */

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}
static uint64_t get_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}
static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ---- keys ---- */

/* db_point_key: the points-db key of id in collection coll; returns its length (17 or 25). */
size_t db_point_key(uint64_t coll, const vt_point_id *id, uint8_t key[DB_KEY_MAX]) {
    put_be64(key, coll);
    if (id->is_uuid) {
        key[8] = 1;
        memcpy(key + 9, id->uuid, 16);
        return 25;
    }
    key[8] = 0;
    put_be64(key + 9, id->num);
    return 17;
}

/* db_point_key_decode: 1 and *id if k is a point key of collection coll, else 0. */
int db_point_key_decode(const MDB_val *k, uint64_t coll, vt_point_id *id) {
    const uint8_t *p = k->mv_data;
    if (k->mv_size < 9 || get_be64(p) != coll) return 0;
    memset(id, 0, sizeof *id);
    if (p[8] == 0 && k->mv_size == 17) {
        id->num = get_be64(p + 9);
        return 1;
    }
    if (p[8] == 1 && k->mv_size == 25) {
        id->is_uuid = 1;
        memcpy(id->uuid, p + 9, 16);
        return 1;
    }
    return 0;
}

/* db_seq_key: the oplog key (coll, seq); returns 16. */
size_t db_seq_key(uint64_t coll, uint64_t seq, uint8_t key[16]) {
    put_be64(key, coll);
    put_be64(key + 8, seq);
    return 16;
}

/* db_point_id_cmp: <0, 0, >0 in key order (integers first). Cannot fail. */
int db_point_id_cmp(const vt_point_id *a, const vt_point_id *b) {
    if (a->is_uuid != b->is_uuid) return a->is_uuid ? 1 : -1;
    if (!a->is_uuid) return a->num < b->num ? -1 : a->num > b->num;
    return memcmp(a->uuid, b->uuid, 16);
}

uint64_t db_point_id_hash(const vt_point_id *id) {
    if (!id->is_uuid) return db_mix64(id->num ^ 0x9e3779b97f4a7c15ull);
    uint64_t a, b;
    memcpy(&a, id->uuid, 8);
    memcpy(&b, id->uuid + 8, 8);
    return db_mix64(db_mix64(a ^ 0x632be59bd9b4e019ull) ^ b);
}

int vt_point_id_cmp(const vt_point_id *a, const vt_point_id *b) { return db_point_id_cmp(a, b); }

/* ---- point records ---- */

int db_point_encode(const db_coll *c, const db_point *p, uint8_t **out, size_t *len,
                      vt_error *err) {
    size_t n = 16 + p->payload_len;
    for (uint32_t i = 0; i < p->n_vecs; i++)
        n += 2 + strlen(c->vecs[p->vecs[i].slot].name) + 4 + (size_t)p->vecs[i].dim * 4;
    uint8_t *b = vt_malloc(n ? n : 1);
    if (!b) return vt_fail(err, VT_ENOMEM, "point record: out of memory (%zu bytes)", n);
    put_u64(b, p->version);
    put_u32(b + 8, p->n_vecs);
    put_u32(b + 12, (uint32_t)p->payload_len);
    size_t o = 16;
    for (uint32_t i = 0; i < p->n_vecs; i++) {
        const char *nm = c->vecs[p->vecs[i].slot].name;
        size_t nl = strlen(nm);
        put_u16(b + o, (uint16_t)nl);
        memcpy(b + o + 2, nm, nl);
        o += 2 + nl;
        put_u32(b + o, p->vecs[i].dim);
        memcpy(b + o + 4, p->vecs[i].data, (size_t)p->vecs[i].dim * 4);
        o += 4 + (size_t)p->vecs[i].dim * 4;
    }
    if (p->payload_len) memcpy(b + o, p->payload, p->payload_len);
    *out = b;
    *len = n;
    return VT_OK;
}

uint64_t db_point_peek_version(const MDB_val *v) {
    return v->mv_size >= 8 ? get_u64(v->mv_data) : 0;
}

void db_point_clear(db_point *p) {
    for (uint32_t i = 0; i < p->n_vecs; i++) vt_free(p->vecs[i].data);
    vt_free(p->payload);
    memset(p, 0, sizeof *p);
}

int db_point_decode(const MDB_val *v, const db_coll *c, int want_vecs, int want_payload,
                    db_point *p, vt_error *err) {
    const uint8_t *b = v->mv_data, *end = b + v->mv_size;
    memset(p, 0, sizeof *p);
    if (v->mv_size < 16) return vt_fail(err, VT_ECORRUPT, "%s: point record of %zu bytes", c->name, v->mv_size);
    p->version = get_u64(b);
    uint32_t nv = get_u32(b + 8), pl = get_u32(b + 12);
    if (nv > c->n_vecs) return vt_fail(err, VT_ECORRUPT, "%s: point record with %u vectors", c->name, nv);
    const uint8_t *q = b + 16;
    for (uint32_t i = 0; i < nv; i++) {
        if (end - q < 2) goto corrupt;
        size_t nl = get_u16(q);
        if ((size_t)(end - q) < 2 + nl + 4) goto corrupt;
        int slot = -1;
        for (uint32_t s = 0; s < c->n_vecs; s++)
            if (strlen(c->vecs[s].name) == nl && memcmp(c->vecs[s].name, q + 2, nl) == 0) slot = (int)s;
        q += 2 + nl;
        uint32_t dim = get_u32(q);
        q += 4;
        if (slot < 0 || dim != c->vecs[slot].size || (size_t)(end - q) < (size_t)dim * 4) goto corrupt;
        if (want_vecs) {
            float *d = vt_malloc((size_t)dim * 4);
            if (!d) {
                db_point_clear(p);
                return vt_fail(err, VT_ENOMEM, "%s: out of memory reading a point", c->name);
            }
            memcpy(d, q, (size_t)dim * 4);
            p->vecs[p->n_vecs].slot = (uint32_t)slot;
            p->vecs[p->n_vecs].dim = dim;
            p->vecs[p->n_vecs].data = d;
            p->n_vecs++;
        } else {
            p->vecs[p->n_vecs].slot = (uint32_t)slot;
            p->vecs[p->n_vecs].dim = dim;
            p->n_vecs++;
        }
        q += (size_t)dim * 4;
    }
    if ((size_t)(end - q) != pl) goto corrupt;
    if (want_payload) {
        p->payload = vt_malloc((size_t)pl + 1);
        if (!p->payload) {
            db_point_clear(p);
            return vt_fail(err, VT_ENOMEM, "%s: out of memory reading a payload", c->name);
        }
        memcpy(p->payload, q, pl);
        p->payload[pl] = '\0';
        p->payload_len = pl;
    }
    return VT_OK;
corrupt:
    db_point_clear(p);
    return vt_fail(err, VT_ECORRUPT, "%s: malformed point record (%zu bytes)", c->name, v->mv_size);
}

/* ---- config records ---- */

int db_coll_encode(const db_coll *c, uint8_t **out, size_t *len, vt_error *err) {
    size_t n = 16 + (c->fx_rec ? c->fx_len : 0);
    for (uint32_t i = 0; i < c->n_vecs; i++) n += 2 + strlen(c->vecs[i].name) + 24;
    uint8_t *b = vt_malloc(n);
    if (!b) return vt_fail(err, VT_ENOMEM, "collection %s: out of memory", c->name);
    memcpy(b, "VTC1", 4);
    put_u64(b + 4, c->id);
    put_u32(b + 12, c->n_vecs);
    size_t o = 16;
    for (uint32_t i = 0; i < c->n_vecs; i++) {
        const db_vec_cfg *v = &c->vecs[i];
        size_t nl = strlen(v->name);
        put_u16(b + o, (uint16_t)nl);
        memcpy(b + o + 2, v->name, nl);
        o += 2 + nl;
        put_u32(b + o, v->size);
        b[o + 4] = (uint8_t)v->distance;
        b[o + 5] = (uint8_t)v->quant_int8;
        b[o + 6] = (uint8_t)v->quant_always_ram;
        b[o + 7] = 0;
        memcpy(b + o + 8, &v->quant_quantile, 4);
        put_u32(b + o + 12, v->m);
        put_u32(b + o + 16, v->ef_construct);
        put_u32(b + o + 20, v->full_scan_threshold);
        o += 24;
    }
    if (c->fx_rec && c->fx_len) memcpy(b + o, c->fx_rec, c->fx_len);
    *out = b;
    *len = n;
    return VT_OK;
}

int db_coll_decode(const MDB_val *v, const char *name, size_t name_len, db_coll *c,
                   vt_error *err) {
    const uint8_t *b = v->mv_data, *end = b + v->mv_size;
    memset(c, 0, sizeof *c);
    if (name_len > VT_MAX_NAME_LEN) name_len = VT_MAX_NAME_LEN;
    memcpy(c->name, name, name_len);
    if (v->mv_size < 16 || memcmp(b, "VTC1", 4) != 0) goto corrupt;
    c->id = get_u64(b + 4);
    c->n_vecs = get_u32(b + 12);
    if (c->n_vecs < 1 || c->n_vecs > VT_MAX_NAMED_VECTORS) goto corrupt;
    const uint8_t *q = b + 16;
    for (uint32_t i = 0; i < c->n_vecs; i++) {
        db_vec_cfg *x = &c->vecs[i];
        if (end - q < 2) goto corrupt;
        size_t nl = get_u16(q);
        if (nl > VT_MAX_NAME_LEN || (size_t)(end - q) < 2 + nl + 24) goto corrupt;
        memcpy(x->name, q + 2, nl);
        x->name[nl] = '\0';
        q += 2 + nl;
        x->size = get_u32(q);
        x->distance = q[4];
        x->quant_int8 = q[5];
        x->quant_always_ram = q[6];
        memcpy(&x->quant_quantile, q + 8, 4);
        x->m = get_u32(q + 12);
        x->ef_construct = get_u32(q + 16);
        x->full_scan_threshold = get_u32(q + 20);
        q += 24;
        if (x->size < 1 || x->size > VT_MAX_DIM || x->distance > VT_DISTANCE_MANHATTAN) goto corrupt;
    }
    if (q != end) { /* the field-index section: checked here, decoded by db_fdefs_decode */
        if (end - q < 4) goto corrupt;
        uint32_t nf = get_u32(q);
        const uint8_t *f = q + 4;
        if (nf < 1 || nf > DB_MAX_FIELDS) goto corrupt;
        for (uint32_t i = 0; i < nf; i++) {
            if (end - f < 4) goto corrupt;
            size_t kl = get_u16(f + 2);
            if (f[0] < 1 || f[0] > 7 || kl < 1 || kl > DB_FIELD_KEY_MAX || (size_t)(end - f) < 4 + kl) goto corrupt;
            f += 4 + kl;
        }
        if (f != end) goto corrupt;
        c->fx_rec = q;
        c->fx_len = (uint32_t)(end - q);
    }
    return VT_OK;
corrupt:
    return vt_fail(err, VT_ECORRUPT, "collection %s: malformed config record", c->name);
}

/* ---- counters ---- */

int db_stats_get(vt_db *db, MDB_txn *txn, uint64_t coll, db_stats *s, vt_error *err) {
    uint8_t k[9] = {'s'};
    put_be64(k + 1, coll);
    MDB_val key = {9, k}, val;
    memset(s, 0, sizeof *s);
    int rc = mdb_get(txn, db->dbi_meta, &key, &val);
    if (rc == MDB_NOTFOUND) return VT_OK;
    if (rc) return db_lmdb_fail(err, rc, "reading collection counters");
    if (val.mv_size != sizeof(db_stats)) return vt_fail(err, VT_ECORRUPT, "collection counters: %zu bytes", val.mv_size);
    memcpy(s, val.mv_data, sizeof *s);
    return VT_OK;
}

int db_stats_put(vt_db *db, MDB_txn *txn, uint64_t coll, const db_stats *s) {
    uint8_t k[9] = {'s'};
    put_be64(k + 1, coll);
    return db_put(txn, db->dbi_meta, k, 9, s, sizeof *s, NULL);
}

/* ---- LMDB plumbing ---- */

int db_lmdb_fail(vt_error *err, int rc, const char *what) {
    int code = VT_EIO;
    if (rc == ENOMEM) code = VT_ENOMEM;
    else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
        code = VT_ECORRUPT;
    return vt_fail(err, code, "%s: %s", what, mdb_strerror(rc));
}

int db_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl,
           vt_error *err) {
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    int rc = mdb_put(txn, dbi, &key, &val, 0);
    if (rc == MDB_MAP_FULL) return DB_RETRY_MAP_FULL;
    if (rc) return db_lmdb_fail(err, rc, "writing");
    return VT_OK;
}

int db_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, vt_error *err) {
    MDB_val key = {kl, (void *)k};
    int rc = mdb_del(txn, dbi, &key, NULL);
    if (rc == MDB_MAP_FULL) return DB_RETRY_MAP_FULL;
    if (rc && rc != MDB_NOTFOUND) return db_lmdb_fail(err, rc, "deleting");
    return VT_OK;
}

int db_read_begin(vt_db *db, MDB_txn **txn, vt_error *err) {
    pthread_rwlock_rdlock(&db->map_mu);
    int rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, txn);
    if (rc) {
        pthread_rwlock_unlock(&db->map_mu);
        *txn = NULL;
        return db_lmdb_fail(err, rc, "beginning a read transaction");
    }
    return VT_OK;
}

void db_read_end(vt_db *db, MDB_txn *txn) {
    if (!txn) return;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&db->map_mu);
}

/* grow_map: doubles the map (up to max_map_size). Caller holds write_mu and no txn. */
static int grow_map(vt_db *db, vt_error *err) {
    if (db->map_size >= db->opts.max_map_size)
        return vt_fail(err, VT_ELIMIT, "%s: database reached its maximum size (%llu bytes)", db->dir,
                       (unsigned long long)db->opts.max_map_size);
    uint64_t n = db->map_size * 2;
    if (n > db->opts.max_map_size) n = db->opts.max_map_size;
    pthread_rwlock_wrlock(&db->map_mu);
    int rc = mdb_env_set_mapsize(db->env, (size_t)n);
    pthread_rwlock_unlock(&db->map_mu);
    if (rc) return db_lmdb_fail(err, rc, "growing the database map");
    db->map_size = n;
    return VT_OK;
}

int db_write(vt_db *db, db_write_fn fn, void *ctx, vt_error *err) {
    return db_write_post(db, fn, NULL, ctx, err);
}

int db_write_locked(vt_db *db, db_write_fn fn, void *ctx, vt_error *err) {
    int rc;
    for (int attempt = 0;; attempt++) {
        if (db->panic) {
            rc = vt_fail(err, VT_EREADONLY, "%s: writes refused after a failed commit (%s); reopen the database",
                         db->dir, db->panic_msg);
            break;
        }
        MDB_txn *txn = NULL;
        pthread_rwlock_rdlock(&db->map_mu);
        rc = mdb_txn_begin(db->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED) { /* another process grew it: adopt its size */
            mdb_env_set_mapsize(db->env, 0);
            rc = mdb_txn_begin(db->env, NULL, 0, &txn);
        }
        if (rc) {
            pthread_rwlock_unlock(&db->map_mu);
            rc = db_lmdb_fail(err, rc, "beginning a write transaction");
            break;
        }
        rc = fn(db, txn, ctx, err);
        if (rc == VT_OK) {
            int crc = mdb_txn_commit(txn);
            pthread_rwlock_unlock(&db->map_mu);
            if (crc == 0) break;
            if (crc == MDB_MAP_FULL) {
                rc = DB_RETRY_MAP_FULL;
            } else {
                db->panic = crc;
                snprintf(db->panic_msg, sizeof db->panic_msg, "%s", mdb_strerror(crc));
                rc = db_lmdb_fail(err, crc, "committing");
                break;
            }
        } else {
            mdb_txn_abort(txn);
            pthread_rwlock_unlock(&db->map_mu);
        }
        if (rc != DB_RETRY_MAP_FULL) break;
        if (attempt >= 40) {
            rc = vt_fail(err, VT_ELIMIT, "%s: the write does not fit in the database map", db->dir);
            break;
        }
        if ((rc = grow_map(db, err)) != VT_OK) break;
    }
    return rc;
}

int db_write_post(vt_db *db, db_write_fn fn, db_post_fn post, void *ctx, vt_error *err) {
    pthread_mutex_lock(&db->write_mu);
    int rc = db_write_locked(db, fn, ctx, err);
    if (rc == VT_OK && post) post(db, ctx);
    if (rc == VT_OK) db_index_after_write(db);
    pthread_mutex_unlock(&db->write_mu);
    return rc;
}

/* ---- open / close ---- */

vt_db_opts vt_db_opts_default(void) {
    vt_db_opts o;
    memset(&o, 0, sizeof o);
    o.map_size = 64ull << 20;
    o.max_map_size = 1ull << 40;
    o.max_payload_bytes = 1u << 20;
    return o;
}

static int init_meta(vt_db *db, MDB_txn *txn, void *ctx, vt_error *err) {
    (void)ctx;
    MDB_val key = {6, "format"}, val;
    int rc = mdb_get(txn, db->dbi_meta, &key, &val);
    if (rc == 0) {
        if (val.mv_size != 4) return vt_fail(err, VT_ECORRUPT, "%s: malformed format record", db->dir);
        uint32_t v = get_u32(val.mv_data);
        if (v != DB_FORMAT_VERSION)
            return vt_fail(err, VT_ECORRUPT, "%s: database format %u is not supported (this build reads %u)",
                           db->dir, v, DB_FORMAT_VERSION);
        return VT_OK;
    }
    if (rc != MDB_NOTFOUND) return db_lmdb_fail(err, rc, "reading the format record");
    uint8_t b[4];
    put_u32(b, DB_FORMAT_VERSION);
    return db_put(txn, db->dbi_meta, "format", 6, b, 4, err);
}

static int open_dbis(vt_db *db, vt_error *err) {
    MDB_txn *txn;
    int rc = mdb_txn_begin(db->env, NULL, 0, &txn);
    if (rc) return db_lmdb_fail(err, rc, db->dir);
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &db->dbi_meta)) ||
        (rc = mdb_dbi_open(txn, "colls", MDB_CREATE, &db->dbi_colls)) ||
        (rc = mdb_dbi_open(txn, "aliases", MDB_CREATE, &db->dbi_aliases)) ||
        (rc = mdb_dbi_open(txn, "points", MDB_CREATE, &db->dbi_points)) ||
        (rc = mdb_dbi_open(txn, "oplog", MDB_CREATE, &db->dbi_oplog))) {
        mdb_txn_abort(txn);
        return db_lmdb_fail(err, rc, db->dir);
    }
    rc = mdb_txn_commit(txn);
    if (rc) return db_lmdb_fail(err, rc, db->dir);
    return VT_OK;
}

/* lock_folder: takes dir/LOCK exclusively (flock, so the kernel drops it when the process
 * dies, however it dies) and writes this pid into it for the message another opener gets. Two
 * handles on one folder would each keep their own HNSW graphs and op log position, so one's
 * index save could truncate op-log entries the other never applied: refused instead. */
static int lock_folder(vt_db *db, const char *dir, vt_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return vt_fail(err, VT_EIO, "%s: cannot open the lock file: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return vt_fail(err, VT_EBUSY,
                           "%s: in use by another process (pid %s): stop it first, or send your requests to "
                           "its server",
                           dir, *pid ? pid : "unknown");
        return vt_fail(err, VT_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* only the message to a second opener suffers */
    }
    db->lock_fd = fd;
    return VT_OK;
}

int vt_db_open(const char *dir, const vt_db_opts *opts, vt_db **out, vt_error *err) {
    *out = NULL;
    if (!dir || !*dir) return vt_fail(err, VT_EINVAL, "vt_db_open: no data folder given");
    uint16_t probe = 1;
    if (*(uint8_t *)&probe != 1) return vt_fail(err, VT_EUNSUPPORTED, "%s: big-endian hosts are not supported", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return vt_fail(err, VT_EIO, "%s: cannot create the data folder: %s", dir, strerror(errno));
    vt_db *db = vt_calloc(1, sizeof *db);
    if (!db) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    db->lock_fd = -1;
    int rc;
    db->opts = opts ? *opts : vt_db_opts_default();
    if (db->opts.map_size < (1u << 20)) db->opts.map_size = 1u << 20;
    if (db->opts.max_map_size < db->opts.map_size) db->opts.max_map_size = db->opts.map_size;
    if (db->opts.max_payload_bytes == 0) db->opts.max_payload_bytes = 1u << 20;
    pthread_mutex_init(&db->write_mu, NULL);
    pthread_rwlock_init(&db->map_mu, NULL);
    pthread_mutex_init(&db->ix_mu, NULL);
    pthread_mutex_init(&db->ix_pool_mu, NULL);
    pthread_mutex_init(&db->fx_mu, NULL);
    if (!(db->dir = vt_strdup(dir))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
        goto fail;
    }
    if ((rc = lock_folder(db, dir, err)) != VT_OK) goto fail;
    if ((rc = mdb_env_create(&db->env))) {
        db->env = NULL;
        rc = db_lmdb_fail(err, rc, dir);
        goto fail;
    }
    mdb_env_set_maxdbs(db->env, 8);
    mdb_env_set_maxreaders(db->env, 256);
    /* An existing file may be larger than map_size: LMDB then keeps the file's size. */
    if ((rc = mdb_env_set_mapsize(db->env, (size_t)db->opts.map_size))) {
        rc = db_lmdb_fail(err, rc, dir);
        goto fail;
    }
    unsigned flags = MDB_NOTLS | (db->opts.no_sync ? MDB_NOSYNC : 0);
    if ((rc = mdb_env_open(db->env, dir, flags, 0644))) {
        char what[512];
        snprintf(what, sizeof what, "%s: cannot open the database", dir);
        rc = db_lmdb_fail(err, rc, what);
        goto fail;
    }
    MDB_envinfo info;
    mdb_env_info(db->env, &info);
    db->map_size = info.me_mapsize;
    if ((rc = open_dbis(db, err)) != VT_OK) goto fail;
    if ((rc = db_write(db, init_meta, NULL, err)) != VT_OK) goto fail;
    *out = db;
    return VT_OK;
fail:
    vt_db_close(db);
    return rc;
}

void vt_db_close(vt_db *db) {
    if (!db) return;
    db_index_close(db); /* saves the indexes (they read nothing from LMDB now) */
    db_fx_close(db);
    if (db->env) mdb_env_close(db->env);
    pthread_mutex_destroy(&db->ix_pool_mu);
    pthread_mutex_destroy(&db->fx_mu);
    pthread_mutex_destroy(&db->ix_mu);
    pthread_rwlock_destroy(&db->map_mu);
    pthread_mutex_destroy(&db->write_mu);
    if (db->lock_fd >= 0) close(db->lock_fd); /* last: the folder is free once all is saved */
    vt_free(db->dir);
    vt_free(db);
}
