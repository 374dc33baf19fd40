/*
 * file.c — whole-file reads with a ceiling, and read-only mappings (see file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "file.h"

/* open_regular: opens path read-only into *fd and its status into *st; only regular files. */
static int open_regular(const char *path, int *fd, struct stat *st, vt_error *err) {
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return vt_fail(err, errno == ENOENT ? VT_ENOTFOUND : VT_EIO, "%s: %s", path, strerror(errno));
    if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(*fd);
        *fd = -1;
        return vt_fail(err, VT_EIO, "%s: not a regular file", path);
    }
    return VT_OK;
}

int vt_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len, vt_error *err) {
    *data = NULL;
    *len = 0;
    int fd;
    struct stat st;
    int rc = open_regular(path, &fd, &st, err);
    if (rc) return rc;
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return vt_fail(err, VT_ELIMIT, "%s: %lld bytes is over the limit of %zu", path,
                       (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = vt_malloc(n + 1);
    if (!buf) {
        close(fd);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory reading %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            close(fd);
            vt_free(buf);
            return vt_fail(err, VT_EIO, "%s: read failed: %s", path, r < 0 ? strerror(e) : "file shrank");
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return VT_OK;
}

int vt_file_map(const char *path, vt_map *map, vt_error *err) {
    map->data = NULL;
    map->len = 0;
    int fd;
    struct stat st;
    int rc = open_regular(path, &fd, &st, err);
    if (rc) return rc;
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return vt_fail(err, VT_EIO, "%s: mmap failed: %s", path, strerror(e));
        }
        map->data = p;
        map->len = (size_t)st.st_size;
    }
    close(fd);
    return VT_OK;
}

void vt_file_unmap(vt_map *map) {
    if (map->data) munmap((void *)map->data, map->len);
    map->data = NULL;
    map->len = 0;
}

char *vt_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *s = vt_malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/') s[k++] = '/';
    memcpy(s + k, name, b + 1);
    return s;
}

int vt_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
