/*
 * handlers_snapshots.c — collection snapshots: create, list, download, delete.
 *
 * Snapshots live in DATA/snapshots/<collection>/<collection>-<YYYY-MM-DD-HH-MM-SS>.snapshot
 * (Qdrant's naming), each a consistent copy made by vt_collection_snapshot while writes go on.
 * Beside each, as Qdrant keeps it, a sidecar `<name>.checksum` holds the sha256 of the file in
 * lowercase hex (64 bytes, no newline); it is written when the snapshot is made, so a listing
 * reads it instead of hashing (a snapshot without one, from an older vitrine, is hashed once and
 * the sidecar written then). SnapshotDescription is {name, creation_time, size, checksum}.
 * A snapshot name from a path must be one plain file name: no '/', no leading '.', so a
 * request cannot reach outside the folder (router.c already refuses "." and ".." components).
 * Recovery (PUT …/snapshots/recover with a file:// location inside DATA/snapshots, or POST
 * …/snapshots/upload, multipart, streamed to a file by http.c) restores the snapshot under a
 * scratch name first — a bad file leaves the collection as it was — then replaces the collection.
 * Between the delete and the second restore the collection is briefly absent. A `checksum`
 * (recover body, upload query) is compared with the file's sha256 first. file:// locations read
 * as Qdrant's (url::Url::to_file_path): file:///x and file://localhost/x are /x (percent-escapes
 * decoded); any other host is 400 "Invalid snapshot URI…"; a missing file is 400 "Snapshot file
 * "/x" does not exist"; a file whose realpath is outside DATA/snapshots is 400 "Snapshot file
 * path must be inside the snapshots directory …" (checked in that order).
 * ?wait=false is answered like wait=true, 200 with the result: Qdrant answers 202
 * {"status":"accepted"}, which the JS clients (1.18, 1.19) treat as an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/sha256.h"
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

/* checksum_path: the sidecar of snapshot file path (path + ".checksum"). -1 if it does not fit. */
static int checksum_path(const char *path, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s.checksum", path);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* write_checksum: hashes the snapshot at path into hex and stores the sidecar (written to a
 * temporary name, then renamed, so a reader never sees half of it). -1 with errno set. */
static int write_checksum(const char *path, char hex[65]) {
    char side[4096 + 700], tmp[4096 + 720];
    if (vt_sha256_file(path, hex) != 0) return -1;
    if (checksum_path(path, side, sizeof side) != 0) return 0; /* too long to keep: hashed on each listing */
    static _Atomic unsigned seq; /* one temporary name per writer: lists and creates run at once */
    snprintf(tmp, sizeof tmp, "%s.tmp%d-%u", side, (int)getpid(), seq++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int ok = write(fd, hex, 64) == 64;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, side) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* read_checksum: the sidecar's hex digest of the snapshot at path into hex; when there is none
 * (or it is malformed) the file is hashed and the sidecar written. -1 if the file cannot be read. */
static int read_checksum(const char *path, char hex[65]) {
    char side[4096 + 700];
    if (checksum_path(path, side, sizeof side) == 0) {
        int fd = open(side, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, hex, 65);
            close(fd);
            int good = n == 64;
            for (int i = 0; good && i < 64; i++) good = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f');
            if (good) {
                hex[64] = '\0';
                return 0;
            }
        }
    }
    if (write_checksum(path, hex) == 0) return 0;
    return vt_sha256_file(path, hex);
}

static json_t *describe(const char *dir, const char *name) {
    char path[4096 + 600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    char when[32], hex[65];
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (read_checksum(path, hex) != 0) return NULL;
    return json_pack("{s:s, s:s, s:I, s:s}", "name", name, "creation_time", when, "size", (json_int_t)st.st_size,
                     "checksum", hex);
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
    char hex[65];
    if (write_checksum(path, hex) != 0) {
        srv_fail(r, 500, "Service internal error: cannot hash snapshot %s: %s", name, strerror(errno));
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

/* named_snapshot: the path of snapshot r->params[1] of collection r->params[0]; -1 after a reply
 * (unknown collection, or a name that is not a plain file name). */
static int named_snapshot(srv_req *r, char *path, size_t size) {
    char coll[VT_MAX_NAME_LEN + 1], dir[4096];
    if (own_name(r, coll, sizeof coll)) return -1;
    const char *name = r->params[1];
    if (!valid_name(name)) {
        srv_fail(r, 400, "Bad request: invalid snapshot name \"%.200s\"", name);
        return -1;
    }
    snapshot_dir(r, coll, dir, sizeof dir, 0);
    snprintf(path, size, "%s/%s", dir, name);
    return 0;
}

void h_snapshot_get(srv_req *r) {
    char path[4096 + 600];
    if (named_snapshot(r, path, sizeof path)) return;
    const char *name = r->params[1];
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
    char path[4096 + 600];
    if (named_snapshot(r, path, sizeof path)) return;
    const char *name = r->params[1];
    if (unlink(path) != 0) {
        srv_fail(r, 404, "Not found: Snapshot %s not found", name);
        return;
    }
    char side[4096 + 700];
    if (checksum_path(path, side, sizeof side) == 0) unlink(side);
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

/* checksum_ok: 1 if the sha256 of the file at path is the hex digest `want` (either case), else
 * 0 after a 400 naming both. */
static int checksum_ok(srv_req *r, const char *path, const char *want) {
    char hex[65];
    if (vt_sha256_file(path, hex) != 0) {
        srv_fail(r, 500, "Service internal error: cannot read snapshot file: %s", strerror(errno));
        return 0;
    }
    if (strlen(want) == 64 && strncasecmp(want, hex, 64) == 0) return 1;
    srv_fail(r, 400, "Bad request: Snapshot checksum mismatch: expected %.100s, got %s", want, hex);
    return 0;
}

static int hex_val(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* file_url_path: the local path of a file:// URL's rest `u` (after "file://") into out, as
 * url::Url::to_file_path reads it: "/x" or "localhost/x" is /x, percent-escapes decoded. -1 for
 * another host (or an escape that decodes to NUL, or a path too long). */
static int file_url_path(const char *u, char *out, size_t cap) {
    if (strncmp(u, "localhost/", 10) == 0) u += 9;
    else if (strncasecmp(u, "localhost", 9) == 0 && u[9] == '\0') return -1;
    if (u[0] != '/') return -1;
    size_t n = 0;
    for (const char *p = u; *p && *p != '?' && *p != '#'; p++) {
        char c = *p;
        if (c == '%' && hex_val(p[1]) >= 0 && hex_val(p[2]) >= 0) {
            c = (char)(hex_val(p[1]) * 16 + hex_val(p[2]));
            if (c == '\0') return -1;
            p += 2;
        }
        if (n + 1 >= cap) return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

/* PUT /collections/{c}/snapshots/recover {"location": "file:///…" | a path, "checksum"?}: the
 * file must lie inside DATA/snapshots (Qdrant's rule); http(s) URLs are not fetched. */
void h_snapshot_recover(srv_req *r) {
    json_t *loc = r->json ? json_object_get(r->json, "location") : NULL;
    if (!loc || !json_is_string(loc)) {
        srv_fail(r, 400, "Format error in JSON body: missing field `location`");
        return;
    }
    json_t *sum = json_object_get(r->json, "checksum");
    if (sum && !json_is_null(sum) && !json_is_string(sum)) {
        srv_fail(r, 400, "Format error in JSON body: checksum must be a string");
        return;
    }
    const char *l = json_string_value(loc);
    if (strncmp(l, "http://", 7) == 0 || strncmp(l, "https://", 8) == 0) {
        srv_fail(r, 400, "Wrong input: snapshot URLs are not supported yet; upload the file or use file://");
        return;
    }
    char local[PATH_MAX];
    if (strncmp(l, "file://", 7) == 0) {
        if (file_url_path(l + 7, local, sizeof local) != 0) {
            srv_fail(r, 400, "Bad request: Invalid snapshot URI, file path must be absolute or on localhost");
            return;
        }
        l = local;
    }
    char root[4096], real_root[PATH_MAX], real[PATH_MAX];
    snprintf(root, sizeof root, "%s/snapshots", r->ctx->data_dir);
    struct stat st;
    if (stat(l, &st) != 0) {
        srv_fail(r, 400, "Bad request: Snapshot file \"%.300s\" does not exist", l);
        return;
    }
    if (!realpath(l, real)) {
        srv_fail(r, 400, "Bad request: Failed to resolve snapshot path \"%.300s\": %s", l, strerror(errno));
        return;
    }
    size_t rl = 0;
    if (realpath(root, real_root)) rl = strlen(real_root);
    if (!rl || strncmp(real, real_root, rl) != 0 || real[rl] != '/') {
        srv_fail(r, 400, "Bad request: Snapshot file path must be inside the snapshots directory \"%.300s\"",
                 rl ? real_root : root);
        return;
    }
    if (sum && json_is_string(sum) && !checksum_ok(r, real, json_string_value(sum))) return;
    restore_into(r, r->params[0], real);
}

/* POST /collections/{c}/snapshots/upload[?checksum=HEX] (multipart field `snapshot`): http.c
 * has streamed the file to r->upload_path; it is checked, restored and removed. */
void h_snapshot_upload(srv_req *r) {
    if (!r->upload_path[0]) {
        srv_fail(r, 400, "Wrong input: expected a multipart/form-data body with the file in field `snapshot`");
        return;
    }
    const char *sum = srv_query(r, "checksum");
    if (sum && *sum && !checksum_ok(r, r->upload_path, sum)) return;
    restore_into(r, r->params[0], r->upload_path);
}
