/*
 * handlers_snapshots.c — collection snapshots: create, list, download, delete.
 *
 * Snapshots live in DATA/snapshots/<collection>/<collection>-<YYYY-MM-DD-HH-MM-SS>.snapshot
 * (Qdrant's naming), each a consistent copy made by vt_collection_snapshot while writes go on.
 * A snapshot name from a path must be one plain file name: no '/', no leading '.', so a
 * request cannot reach outside the folder (router.c already refuses "." and ".." components).
 * Recovery (PUT …/snapshots/recover with a file:// location inside DATA/snapshots, or POST
 * …/snapshots/upload, multipart, streamed to a file by http.c) restores the snapshot under a
 * scratch name first — a bad file leaves the collection as it was — then replaces the collection.
 * Between the delete and the second restore the collection is briefly absent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

static int snapshot_dir(srv_req *r, const char *coll, char *out, size_t cap, int create) {
    int n = snprintf(out, cap, "%s/snapshots", r->ctx->data_dir);
    if (n < 0 || (size_t)n >= cap) return -1;
    if (create && mkdir(out, 0755) != 0 && errno != EEXIST) return -1;
    n = snprintf(out, cap, "%s/snapshots/%s", r->ctx->data_dir, coll);
    if (n < 0 || (size_t)n >= cap) return -1;
    if (create && mkdir(out, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int valid_name(const char *s) {
    return s[0] && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\') && strlen(s) < 512;
}

/* own_name: the collection's real name (aliases resolved); 404 after a reply. */
static int own_name(srv_req *r, char *out, size_t cap) {
    vt_collection_info info;
    vt_error err = {0};
    int rc = vt_collection_info_get(r->ctx->db, r->params[0], &info, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return -1;
    }
    snprintf(out, cap, "%s", info.name);
    return 0;
}

static json_t *describe(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    char when[32];
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    return json_pack("{s:s, s:s, s:I}", "name", name, "creation_time", when, "size", (json_int_t)st.st_size);
}

void h_snapshot_create(srv_req *r) {
    char coll[VT_MAX_NAME_LEN + 1], dir[4096], name[600], path[4096 + 600];
    if (own_name(r, coll, sizeof coll)) return;
    if (snapshot_dir(r, coll, dir, sizeof dir, 1)) {
        srv_fail(r, 500, "Service internal error: cannot create the snapshot folder under %s: %s",
                 r->ctx->data_dir, strerror(errno));
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d-%H-%M-%S", &tm);
    vt_error err = {0};
    int rc = VT_EEXIST;
    for (int k = 0; k < 100 && rc == VT_EEXIST; k++) {
        if (k) snprintf(name, sizeof name, "%s-0-%s-%d.snapshot", coll, stamp, k);
        else snprintf(name, sizeof name, "%s-0-%s.snapshot", coll, stamp);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        memset(&err, 0, sizeof err);
        rc = vt_collection_snapshot(r->ctx->db, coll, path, &err);
    }
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, describe(dir, name));
}

void h_snapshot_list(srv_req *r) {
    char coll[VT_MAX_NAME_LEN + 1], dir[4096];
    if (own_name(r, coll, sizeof coll)) return;
    json_t *arr = json_array();
    if (snapshot_dir(r, coll, dir, sizeof dir, 0) == 0) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (e->d_name[0] == '.' || n < 9 || strcmp(e->d_name + n - 9, ".snapshot") != 0) continue;
            json_t *x = describe(dir, e->d_name);
            if (x) json_array_append_new(arr, x);
        }
        if (d) closedir(d);
    }
    srv_ok(r, arr);
}

void h_snapshot_get(srv_req *r) {
    char coll[VT_MAX_NAME_LEN + 1], dir[4096], path[4096 + 600];
    if (own_name(r, coll, sizeof coll)) return;
    const char *name = r->params[1];
    if (!valid_name(name)) {
        srv_fail(r, 400, "Bad request: invalid snapshot name \"%.200s\"", name);
        return;
    }
    snapshot_dir(r, coll, dir, sizeof dir, 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        srv_fail(r, 404, "Not found: Snapshot %s not found", name);
        return;
    }
    r->status = 200;
    r->kind = SRV_REPLY_FILE;
    r->fd = fd;
    r->fd_size = (uint64_t)st.st_size;
}

void h_snapshot_delete(srv_req *r) {
    char coll[VT_MAX_NAME_LEN + 1], dir[4096], path[4096 + 600];
    if (own_name(r, coll, sizeof coll)) return;
    const char *name = r->params[1];
    if (!valid_name(name)) {
        srv_fail(r, 400, "Bad request: invalid snapshot name \"%.200s\"", name);
        return;
    }
    snapshot_dir(r, coll, dir, sizeof dir, 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path) != 0) {
        srv_fail(r, 404, "Not found: Snapshot %s not found", name);
        return;
    }
    srv_ok(r, json_true());
}

/* restore_into: replaces collection coll (if any) with the snapshot at path. The snapshot is
 * restored under a scratch name first, so a bad file leaves the collection untouched. */
static void restore_into(srv_req *r, const char *coll, const char *path) {
    char scratch[VT_MAX_NAME_LEN + 1];
    snprintf(scratch, sizeof scratch, "%.200s.recovering-%d", coll, (int)getpid());
    vt_error err = {0};
    vt_collection_delete(r->ctx->db, scratch, NULL, NULL);
    int rc = vt_collection_restore(r->ctx->db, path, scratch, &err);
    if (rc) {
        if (rc == VT_ECORRUPT || rc == VT_EINVAL) srv_fail(r, 400, "Wrong input: %s", err.message);
        else srv_fail_vt(r, rc, &err);
        return;
    }
    vt_collection_delete(r->ctx->db, scratch, NULL, NULL);
    rc = vt_collection_delete(r->ctx->db, coll, NULL, &err);
    if (rc == VT_OK) rc = vt_collection_restore(r->ctx->db, path, coll, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    srv_ok(r, json_true());
}

/* PUT /collections/{c}/snapshots/recover {"location": "file:///…" | a snapshot name}: the file
 * must lie inside DATA/snapshots (Qdrant's rule); URLs are not fetched. */
void h_snapshot_recover(srv_req *r) {
    json_t *loc = r->json ? json_object_get(r->json, "location") : NULL;
    if (!loc || !json_is_string(loc)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `location`");
        return;
    }
    const char *l = json_string_value(loc);
    if (strncmp(l, "http://", 7) == 0 || strncmp(l, "https://", 8) == 0) {
        srv_fail(r, 400, "Wrong input: snapshot URLs are not supported yet; upload the file or use file://");
        return;
    }
    if (strncmp(l, "file://", 7) == 0) l += 7;
    char root[4096], real_root[PATH_MAX], real[PATH_MAX];
    snprintf(root, sizeof root, "%s/snapshots", r->ctx->data_dir);
    if (!realpath(root, real_root) || !realpath(l, real)) {
        srv_fail(r, 404, "Not found: Snapshot file %.300s does not exist", l);
        return;
    }
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) != 0 || real[rl] != '/') {
        srv_fail(r, 403, "Forbidden: Snapshot file path must be inside the snapshots directory %s", real_root);
        return;
    }
    restore_into(r, r->params[0], real);
}

/* POST /collections/{c}/snapshots/upload (multipart field `snapshot`): http.c has streamed the
 * file to r->upload_path; it is restored and removed. */
void h_snapshot_upload(srv_req *r) {
    if (!r->upload_path[0]) {
        srv_fail(r, 400, "Wrong input: expected a multipart/form-data body with the file in field `snapshot`");
        return;
    }
    restore_into(r, r->params[0], r->upload_path);
}
