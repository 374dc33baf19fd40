/*
 * handlers_console.c — the web console and the media it shows.
 *
 *   GET /console, /console/{file}   the static files of web/ (index.html, console.css,
 *                                   console.js): open without a key, since the page is what asks
 *                                   for one; nothing else in the folder is served
 *   GET /media/<path>               a file under --media-root (the thumbnails of the payloads'
 *                                   "image" paths), behind the API key like the data
 *
 * Path traversal is impossible twice over: the router refuses "." and ".." components (after
 * libmicrohttpd's percent-decoding, so %2e%2e and ..%2f are caught too), and the file's realpath
 * must lie under the realpath of --media-root (a symlink pointing out is refused). Only regular
 * files are served; the type comes from the extension, and anything that is not an image is
 * sent as application/octet-stream so a browser never runs it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"

static const struct {
    const char *name, *type;
} CONSOLE_FILES[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"console.css", "text/css; charset=utf-8"},
    {"console.js", "text/javascript; charset=utf-8"},
};

/* send_file: path as the answer, typed type; 404 (with what) when it is not a readable file. */
static void send_file(srv_req *r, const char *path, const char *type, const char *what) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        srv_fail(r, 404, "Not found: %s", what);
        return;
    }
    r->status = 200;
    r->kind = SRV_REPLY_FILE;
    r->fd = fd;
    r->fd_size = (uint64_t)st.st_size;
    r->file_type = type;
}

void h_console(srv_req *r) {
    const char *file = r->n_params ? r->params[0] : "index.html";
    if (!r->ctx->web_root) {
        srv_fail(r, 404, "Not found: the console's files (web/) were not found when the server started");
        return;
    }
    for (size_t i = 0; i < sizeof CONSOLE_FILES / sizeof CONSOLE_FILES[0]; i++)
        if (strcmp(file, CONSOLE_FILES[i].name) == 0) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", r->ctx->web_root, file);
            send_file(r, path, CONSOLE_FILES[i].type, file);
            return;
        }
    srv_fail(r, 404, "Not found: /console/%s", file);
}

static const char *media_type(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    if (!strcasecmp(dot, ".png")) return "image/png";
    if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) return "image/jpeg";
    if (!strcasecmp(dot, ".webp")) return "image/webp";
    if (!strcasecmp(dot, ".gif")) return "image/gif";
    return "application/octet-stream";
}

void h_media(srv_req *r) {
    const char *root = r->ctx->media_root;
    if (!root) {
        srv_fail(r, 404, "Not found: media is not served (start the server with --media-root DIR)");
        return;
    }
    /* r->path is "/media/a/b.png", normalised and checked component by component by the router */
    const char *rel = r->path + strlen("/media/");
    char joined[PATH_MAX], real[PATH_MAX];
    if ((size_t)snprintf(joined, sizeof joined, "%s/%s", root, rel) >= sizeof joined || !realpath(joined, real)) {
        srv_fail(r, 404, "Not found: /media/%s", rel);
        return;
    }
    size_t n = strlen(root);
    if (strncmp(real, root, n) != 0 || (real[n] != '/' && !(n == 1 && root[0] == '/'))) {
        srv_fail(r, 403, "Forbidden: /media/%s is outside the media root", rel);
        return;
    }
    send_file(r, real, media_type(real), rel);
}
