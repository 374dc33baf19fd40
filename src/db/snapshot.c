/*
 * snapshot.c — a consistent copy of one collection in a file of its own, and restoring it.
 *
 * A snapshot is an LMDB environment in one file (MDB_NOSUBDIR; its lock file is path-lock,
 * removed after writing) with the same layout as a database (store.c) holding exactly one
 * collection: meta "format", the collection's config record under its name, its counters, and its
 * points (keys keep the source collection id). It is written from ONE read transaction of the
 * source, so it is the collection as of one moment, while writers go on (LMDB readers never block
 * writers). The file is written as path.tmp, synced, and renamed to path.
 *
 * Restore opens the file read-only, checks it is a vitrine snapshot of one collection, then in
 * one write transaction creates new_name (a fresh collection id) and copies the points with
 * their keys re-prefixed, versions kept, and the counters (last_seq kept so versions stay ≤ the
 * next operation ids). The op log starts empty: the index of the new collection is built from
 * its points.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "db_int.h"

int db_coll_insert(vt_db *db, MDB_txn *txn, db_coll *c, vt_error *err);

static int open_file_env(const char *path, int rdonly, size_t map, MDB_env **env, MDB_dbi *dbi,
                         vt_error *err) {
    int rc = mdb_env_create(env);
    if (rc) return db_lmdb_fail(err, rc, path);
    mdb_env_set_maxdbs(*env, 8);
    if (!rdonly) mdb_env_set_mapsize(*env, map);
    rc = mdb_env_open(*env, path, MDB_NOSUBDIR | (rdonly ? MDB_RDONLY : 0) | MDB_NOTLS, 0644);
    if (rc) {
        mdb_env_close(*env);
        *env = NULL;
        char what[600];
        snprintf(what, sizeof what, "%s: cannot open the snapshot", path);
        return db_lmdb_fail(err, rc, what);
    }
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(*env, NULL, rdonly ? MDB_RDONLY : 0, &txn))) goto fail;
    const char *names[3] = {"meta", "colls", "points"};
    for (int i = 0; i < 3; i++)
        if ((rc = mdb_dbi_open(txn, names[i], rdonly ? 0 : MDB_CREATE, &dbi[i]))) {
            mdb_txn_abort(txn);
            if (rc == MDB_NOTFOUND) {
                mdb_env_close(*env);
                *env = NULL;
                return vt_fail(err, VT_ECORRUPT, "%s: not a vitrine snapshot", path);
            }
            goto fail;
        }
    if ((rc = mdb_txn_commit(txn))) goto fail;
    return VT_OK;
fail:
    mdb_env_close(*env);
    *env = NULL;
    return db_lmdb_fail(err, rc, path);
}

int vt_collection_snapshot(vt_db *db, const char *collection, const char *path, vt_error *err) {
    if (!path || !*path) return vt_fail(err, VT_EINVAL, "snapshot: no file given");
    if (access(path, F_OK) == 0) return vt_fail(err, VT_EEXIST, "%s: file exists", path);
    char tmp[4096], lock[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(lock, sizeof lock, "%s-lock", tmp);
    unlink(tmp);
    unlink(lock);
    MDB_txn *rtx;
    db_coll c;
    db_stats s;
    int rc = db_read_begin(db, &rtx, err);
    if (rc) return rc;
    if ((rc = db_coll_lookup(db, rtx, collection, &c, err)) || (rc = db_stats_get(db, rtx, c.id, &s, err))) {
        db_read_end(db, rtx);
        return rc;
    }
    MDB_env *env = NULL;
    MDB_dbi d[3];
    MDB_txn *wtx = NULL;
    MDB_cursor *cur = NULL;
    if ((rc = open_file_env(tmp, 0, (size_t)db->map_size, &env, d, err))) goto done;
    if ((rc = mdb_txn_begin(env, NULL, 0, &wtx))) {
        rc = db_lmdb_fail(err, rc, tmp);
        goto done;
    }
    uint32_t fmt = DB_FORMAT_VERSION;
    uint8_t sk[9] = {'s'};
    for (int i = 0; i < 8; i++) sk[1 + i] = (uint8_t)(c.id >> (56 - 8 * i));
    uint8_t *rec;
    size_t len;
    if ((rc = db_coll_encode(&c, &rec, &len, err))) goto done;
    rc = db_put(wtx, d[0], "format", 6, &fmt, 4, err);
    if (!rc) rc = db_put(wtx, d[0], sk, 9, &s, sizeof s, err);
    if (!rc) rc = db_put(wtx, d[1], c.name, strlen(c.name), rec, len, err);
    vt_free(rec);
    if (rc) goto put_fail;
    int mrc = mdb_cursor_open(rtx, db->dbi_points, &cur);
    if (mrc) {
        rc = db_lmdb_fail(err, mrc, "snapshot: cursor");
        goto done;
    }
    MDB_val k = {8, sk + 1}, v;
    vt_point_id id;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, c.id, &id)) break;
        if ((rc = db_put(wtx, d[2], k.mv_data, k.mv_size, v.mv_data, v.mv_size, err))) goto put_fail;
    }
    if (mrc && mrc != MDB_NOTFOUND) {
        rc = db_lmdb_fail(err, mrc, "snapshot: scanning points");
        goto done;
    }
    mrc = mdb_txn_commit(wtx);
    wtx = NULL;
    if (mrc) {
        rc = db_lmdb_fail(err, mrc, tmp);
        goto done;
    }
    if ((mrc = mdb_env_sync(env, 1))) {
        rc = db_lmdb_fail(err, mrc, tmp);
        goto done;
    }
    goto done;
put_fail:
    if (rc == DB_RETRY_MAP_FULL) rc = vt_fail(err, VT_ELIMIT, "%s: snapshot map full", tmp);
done:
    if (cur) mdb_cursor_close(cur);
    if (wtx) mdb_txn_abort(wtx);
    if (env) mdb_env_close(env);
    db_read_end(db, rtx);
    unlink(lock);
    if (rc == VT_OK && rename(tmp, path) != 0)
        rc = vt_fail(err, VT_EIO, "%s: cannot rename the snapshot into place: %s", path, strerror(errno));
    if (rc) unlink(tmp);
    return rc;
}

typedef struct restore_ctx {
    const char *path, *new_name;
    MDB_txn *stx;
    MDB_dbi *sd;
    db_coll c;
    uint64_t src_id;
    db_stats s;
} restore_ctx;

static int restore_fn(vt_db *db, MDB_txn *txn, void *vctx, vt_error *err) {
    restore_ctx *x = vctx;
    db_coll c = x->c;
    memset(c.name, 0, sizeof c.name);
    memcpy(c.name, x->new_name, strlen(x->new_name));
    int rc = db_coll_insert(db, txn, &c, err);
    if (rc) return rc;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(x->stx, x->sd[2], &cur);
    if (mrc) return db_lmdb_fail(err, mrc, x->path);
    MDB_val k, v;
    vt_point_id id;
    uint64_t n = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == VT_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!db_point_key_decode(&k, x->src_id, &id)) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: a point key of another collection", x->path);
            break;
        }
        db_point p; /* validate the record against the config before taking it */
        if ((rc = db_point_decode(&v, &x->c, 0, 0, &p, err))) break;
        db_point_clear(&p);
        uint8_t key[DB_KEY_MAX];
        rc = db_put(txn, db->dbi_points, key, db_point_key(c.id, &id, key), v.mv_data, v.mv_size, err);
        n++;
    }
    mdb_cursor_close(cur);
    if (rc) return rc;
    if (mrc && mrc != MDB_NOTFOUND) return db_lmdb_fail(err, mrc, x->path);
    if (n != x->s.points) return vt_fail(err, VT_ECORRUPT, "%s: %llu points but the counter says %llu", x->path,
                                         (unsigned long long)n, (unsigned long long)x->s.points);
    return db_stats_put(db, txn, c.id, &x->s);
}

int vt_collection_restore(vt_db *db, const char *path, const char *new_name, vt_error *err) {
    int rc = db_check_name("collection", new_name, err);
    if (rc) return rc;
    if (!path || access(path, R_OK) != 0) return vt_fail(err, VT_EIO, "%s: cannot read the snapshot", path ? path : "(null)");
    MDB_env *env;
    MDB_dbi d[3];
    if ((rc = open_file_env(path, 1, 0, &env, d, err))) return rc;
    restore_ctx x;
    memset(&x, 0, sizeof x);
    x.path = path;
    x.new_name = new_name;
    x.sd = d;
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &x.stx))) {
        mdb_env_close(env);
        return db_lmdb_fail(err, rc, path);
    }
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int n_colls = 0;
    if ((rc = mdb_cursor_open(x.stx, d[1], &cur))) {
        rc = db_lmdb_fail(err, rc, path);
        goto done;
    }
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (++n_colls > 1) break;
        if ((rc = db_coll_decode(&v, k.mv_data, k.mv_size, &x.c, err))) goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    MDB_val fk = {6, "format"}, fv;
    if (n_colls != 1 || mdb_get(x.stx, d[0], &fk, &fv) != 0 || fv.mv_size != 4) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not a vitrine collection snapshot", path);
        goto done;
    }
    uint32_t fmt;
    memcpy(&fmt, fv.mv_data, 4);
    if (fmt != DB_FORMAT_VERSION) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: snapshot format %u is not supported", path, fmt);
        goto done;
    }
    x.src_id = x.c.id;
    uint8_t sk[9] = {'s'};
    for (int i = 0; i < 8; i++) sk[1 + i] = (uint8_t)(x.c.id >> (56 - 8 * i));
    MDB_val skv = {9, sk}, sv;
    if (mdb_get(x.stx, d[0], &skv, &sv) != 0 || sv.mv_size != sizeof x.s) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: snapshot has no counters", path);
        goto done;
    }
    memcpy(&x.s, sv.mv_data, sizeof x.s);
    rc = db_write(db, restore_fn, &x, err);
done:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(x.stx);
    mdb_env_close(env);
    return rc;
}
