/*
 * router.c — from method and path to a handler: Qdrant's routes, path normalisation, the key
 * check and the body parse, in that order.
 *
 * Paths are normalised as actix's NormalizePath::trim() does (duplicate and trailing slashes
 * dropped), split on '/', and matched against the table below component by component; "{}"
 * matches any one non-empty component, which the handler reads as r->params[i]. The table is
 * ordered so that literal components win (…/points/scroll before …/points/{}); a method that
 * does not match goes on to later rows. A path component may not be "." or ".." (a snapshot or
 * collection name never is), so nothing built from params can leave its folder.
 *
 * Auth: with keys configured, every route but the health checks and GET / needs a key (plain
 * 401); a read-only key on a row marked write gets Qdrant's 403 JSON.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"

#include "server/server_int.h"

typedef struct route {
    const char *method;
    const char *pattern;
    srv_handler fn;
    int is_write;   /* 1: needs manage access */
    int is_open;    /* 1: no key needed (health checks, GET /) */
    int has_body;   /* 1: the body is parsed as JSON */
} route;

static const route ROUTES[] = {
    {"GET", "/", h_root, 0, 1, 0},
    {"GET", "/console", h_console, 0, 1, 0},
    {"GET", "/console/{}", h_console, 0, 1, 0},
    {"GET", "/healthz", h_healthz, 0, 1, 0},
    {"GET", "/livez", h_healthz, 0, 1, 0},
    {"GET", "/readyz", h_readyz, 0, 1, 0},
    {"GET", "/metrics", h_metrics, 0, 0, 0},
    {"GET", "/telemetry", h_telemetry, 0, 0, 0},
    {"GET", "/collections", h_collections_list, 0, 0, 0},
    {"POST", "/collections/aliases", h_aliases_update, 1, 0, 1},
    {"GET", "/aliases", h_aliases_list, 0, 0, 0},
    {"GET", "/collections/{}", h_collection_get, 0, 0, 0},
    {"PUT", "/collections/{}", h_collection_create, 1, 0, 1},
    {"PATCH", "/collections/{}", h_collection_update, 1, 0, 1},
    {"DELETE", "/collections/{}", h_collection_delete, 1, 0, 0},
    {"GET", "/collections/{}/exists", h_collection_exists, 0, 0, 0},
    {"GET", "/collections/{}/aliases", h_collection_aliases, 0, 0, 0},
    {"PUT", "/collections/{}/points", h_points_upsert, 1, 0, 1},
    {"POST", "/collections/{}/points", h_points_retrieve, 0, 0, 1},
    {"POST", "/collections/{}/points/delete", h_points_delete, 1, 0, 1},
    {"POST", "/collections/{}/points/payload", h_payload_set, 1, 0, 1},
    {"PUT", "/collections/{}/points/payload", h_payload_overwrite, 1, 0, 1},
    {"POST", "/collections/{}/points/payload/delete", h_payload_delete, 1, 0, 1},
    {"POST", "/collections/{}/points/payload/clear", h_payload_clear, 1, 0, 1},
    {"PUT", "/collections/{}/points/vectors", h_vectors_update, 1, 0, 1},
    {"POST", "/collections/{}/points/vectors/delete", h_vectors_delete, 1, 0, 1},
    {"POST", "/collections/{}/points/batch", h_points_batch, 1, 0, 1},
    {"POST", "/collections/{}/points/scroll", h_points_scroll, 0, 0, 1},
    {"POST", "/collections/{}/points/count", h_points_count, 0, 0, 1},
    {"POST", "/collections/{}/points/query", h_query, 0, 0, 1},
    {"POST", "/collections/{}/points/query/batch", h_query_batch, 0, 0, 1},
    {"POST", "/collections/{}/points/query/groups", h_query_groups, 0, 0, 1},
    {"POST", "/collections/{}/points/search", h_search, 0, 0, 1},
    {"POST", "/collections/{}/points/search/batch", h_search_batch, 0, 0, 1},
    {"POST", "/collections/{}/points/search/groups", h_search_groups, 0, 0, 1},
    {"POST", "/collections/{}/points/recommend/groups", h_recommend_groups, 0, 0, 1},
    {"POST", "/collections/{}/points/recommend", h_recommend, 0, 0, 1},
    {"POST", "/collections/{}/points/recommend/batch", h_recommend_batch, 0, 0, 1},
    {"GET", "/collections/{}/points/{}", h_point_get, 0, 0, 0},
    {"PUT", "/collections/{}/index", h_index_create, 1, 0, 1},
    {"DELETE", "/collections/{}/index/{}", h_index_delete, 1, 0, 0},
    {"POST", "/collections/{}/snapshots", h_snapshot_create, 1, 0, 0},
    {"GET", "/collections/{}/snapshots", h_snapshot_list, 0, 0, 0},
    {"PUT", "/collections/{}/snapshots/recover", h_snapshot_recover, 1, 0, 1},
    {"POST", "/collections/{}/snapshots/upload", h_snapshot_upload, 1, 0, 0},
    {"GET", "/collections/{}/snapshots/{}", h_snapshot_get, 0, 0, 0},
    {"DELETE", "/collections/{}/snapshots/{}", h_snapshot_delete, 1, 0, 0},
};
#define N_ROUTES ((int)(sizeof ROUTES / sizeof ROUTES[0]))
_Static_assert(N_ROUTES <= SRV_MAX_ROUTES, "raise SRV_MAX_ROUTES");

static char route_names[SRV_MAX_ROUTES][96]; /* "METHOD pattern", filled once */
static pthread_once_t route_names_once = PTHREAD_ONCE_INIT;

static void fill_route_names(void) {
    for (int i = 0; i < N_ROUTES; i++)
        snprintf(route_names[i], sizeof route_names[i], "%s %s", ROUTES[i].method, ROUTES[i].pattern);
}

const char *srv_route_name(int i) {
    if (i < 0 || i >= N_ROUTES) return "unrouted";
    pthread_once(&route_names_once, fill_route_names);
    return route_names[i];
}

int srv_route_count(void) { return N_ROUTES; }

int srv_normalize_path(const char *path, char *out, size_t cap) {
    size_t n = 0;
    if (cap < 2) return -1;
    out[n++] = '/';
    for (const char *p = path; *p && *p != '?'; p++) {
        if (*p == '/' && out[n - 1] == '/') continue;
        if (n + 1 >= cap) return -1;
        out[n++] = *p;
    }
    if (n > 1 && out[n - 1] == '/') n--;
    out[n] = '\0';
    return 0;
}

void srv_req_init(srv_req *r, srv_ctx *ctx, const char *method, const char *path) {
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->method = method;
    r->fd = -1;
    r->route = -1;
    if (srv_normalize_path(path, r->path, sizeof r->path) != 0) {
        r->path[0] = '\0';
    }
}

void srv_req_fini(srv_req *r) {
    vt_result_free(r->found);
    r->found = NULL;
    json_decref(r->result);
    r->result = NULL;
    vt_free(r->text);
    r->text = NULL;
    if (r->kind == SRV_REPLY_FILE && r->fd >= 0) close(r->fd);
    r->fd = -1;
    json_decref(r->json);
    r->json = NULL;
}

/* match: 1 if the split path (segs, n) matches pattern; fills r->params. */
static int match(srv_req *r, const char *pattern, char **segs, size_t n) {
    size_t k = 0;
    size_t n_params = 0;
    const char *p = pattern + 1;
    if (!*p) return n == 0;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (k >= n) return 0;
        if (len == 2 && p[0] == '{' && p[1] == '}') {
            if (n_params >= SRV_MAX_PATH_PARAMS) return 0;
            r->params[n_params++] = segs[k];
        } else if (strlen(segs[k]) != len || memcmp(segs[k], p, len) != 0) {
            return 0;
        }
        k++;
        p = end ? end + 1 : p + len;
    }
    if (k != n) return 0;
    r->n_params = n_params;
    return 1;
}

void srv_dispatch(srv_req *r) {
    if (!r->path[0]) {
        srv_fail(r, 400, "Bad request: the path is too long");
        return;
    }
    /* split into components in the scratch buffer */
    char *segs[32];
    size_t n = 0;
    memcpy(r->segs, r->path, sizeof r->segs);
    for (char *s = r->segs + 1; *s;) {
        if (n == 32) {
            srv_fail(r, 404, "Not found: no route for %s %s", r->method, r->path);
            return;
        }
        segs[n++] = s;
        char *slash = strchr(s, '/');
        if (!slash) break;
        *slash = '\0';
        s = slash + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!srv_utf8_valid(segs[i])) {
            srv_fail(r, 400, "Bad request: path component %zu is not valid UTF-8", i + 1);
            return;
        }
        if (strcmp(segs[i], ".") == 0 || strcmp(segs[i], "..") == 0) {
            srv_fail(r, 400, "Bad request: path component \"%s\" is not allowed", segs[i]);
            return;
        }
    }
    /* /media/<any depth>: files under --media-root (handlers_console.c), behind the key */
    if (n >= 2 && strcmp(segs[0], "media") == 0) {
        r->route = -1;
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
            srv_fail(r, 405, "Method %s is not allowed on %s", r->method, r->path);
            return;
        }
        const char *why;
        if (srv_auth_check(r->ctx, r->api_key_header, r->authorization, &why) == SRV_ACCESS_DENIED) {
            srv_text(r, 401, "text/plain; charset=utf-8", why, strlen(why));
            return;
        }
        h_media(r);
        return;
    }
    int found = -1, path_known = 0;
    for (int i = 0; i < N_ROUTES; i++) {
        if (!match(r, ROUTES[i].pattern, segs, n)) continue;
        path_known = 1;
        if (strcmp(ROUTES[i].method, r->method) == 0) {
            found = i;
            break;
        }
    }
    if (found < 0) {
        if (path_known) srv_fail(r, 405, "Method %s is not allowed on %s", r->method, r->path);
        else srv_fail(r, 404, "Not found: no route for %s %s", r->method, r->path);
        return;
    }
    const route *rt = &ROUTES[found];
    r->route = found;
    if (strncmp(rt->pattern, "/collections/{}", 15) == 0 && strlen(r->params[0]) > VT_MAX_NAME_LEN) {
        srv_fail(r, 422, "Validation error in path parameters: [collection_name: length must be between 1 and %d]",
                 VT_MAX_NAME_LEN);
        return;
    }
    if (strncmp(rt->pattern, "/collections/{}", 15) == 0) {
        for (const unsigned char *c = (const unsigned char *)r->params[0]; *c; c++) {
            if (*c < 0x20 || *c == 0x7f) {
                srv_fail(r, 422, "Validation error in path parameters: [collection_name: must not contain control characters]");
                return;
            }
        }
    }
    if (!rt->is_open) {
        const char *why;
        int access = srv_auth_check(r->ctx, r->api_key_header, r->authorization, &why);
        if (access == SRV_ACCESS_DENIED) {
            srv_text(r, 401, "text/plain; charset=utf-8", why, strlen(why));
            return;
        }
        if (access == SRV_ACCESS_READ && rt->is_write) {
            srv_fail(r, 403, "Forbidden: Global manage access is required");
            return;
        }
    }
    /* ?timeout= (seconds, at least 1) is checked on every route that may take it, as Qdrant's
     * query-parameter extractor does, before the body */
    const char *timeout = srv_query(r, "timeout");
    if (timeout) {
        char *end;
        long long t = strtoll(timeout, &end, 10);
        if (!*timeout || *end || timeout[0] == '-') {
            srv_fail(r, 400, "Deserialize error in query parameters: timeout: invalid digit found in string");
            return;
        }
        if (t < 1) {
            srv_fail(r, 422, "Validation error in query parameters: [timeout: value %lld invalid, must be 1 or larger]", t);
            return;
        }
    }
    if (rt->has_body && srv_parse_body(r) != 0) return;
    if (rt->has_body && r->json && !json_is_object(r->json)) {
        srv_fail(r, 400, "Format error in JSON body: expected a JSON object at the top level");
        return;
    }
    rt->fn(r);
    if (r->kind == SRV_REPLY_NONE) srv_fail(r, 500, "Service internal error: the handler gave no answer");
}
