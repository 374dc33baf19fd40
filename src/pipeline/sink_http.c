/*
 * sink_http.c — the REST sink (sink.h): the same points sent to a vitrine or Qdrant server with
 * Qdrant's API, so a pipeline moves from a local folder to a cluster by changing --data to --url.
 *   ensure_collection  GET /collections/{c}; 404 → PUT /collections/{c} with the named vectors
 *   exists             POST /collections/{c}/points {"ids": [...], "with_payload": false}
 *   upsert             PUT /collections/{c}/points?wait=true {"points": [...]}
 * wait=true makes the server answer only after the write is applied, which is what lets ingest
 * count a batch as done. Errors carry the server's own message ({"status": {"error": ...}}).
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "sink.h"

#define HTTP_MAX_RESPONSE (64u << 20)

typedef struct http_sink {
    char *base;    /* without a trailing '/' */
    char *api_key; /* or NULL */
} http_sink;

typedef struct {
    char *data;
    size_t len;
    int too_large;
} resp;

static size_t on_data(char *p, size_t size, size_t n, void *ctx) {
    resp *r = ctx;
    size_t k = size * n;
    if (r->len + k > HTTP_MAX_RESPONSE) return r->too_large = 1, 0;
    char *d = realloc(r->data, r->len + k + 1);
    if (!d) return 0;
    memcpy(d + r->len, p, k);
    r->data = d;
    r->len += k;
    d[r->len] = '\0';
    return k;
}

/* request: method base+path with body (NULL: none); *status and the parsed JSON answer *out
 * (NULL when the body is not JSON). */
static int request(http_sink *h, const char *method, const char *path, const char *body, long *status, json_t **out,
                   vt_error *err) {
    *out = NULL;
    CURL *c = curl_easy_init();
    if (!c) return vt_fail(err, VT_ENOMEM, "%s: out of memory", h->base);
    size_t ul = strlen(h->base) + strlen(path) + 1;
    char *url = vt_malloc(ul);
    char key_header[600];
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (h->api_key) {
        snprintf(key_header, sizeof key_header, "api-key: %s", h->api_key);
        hdr = curl_slist_append(hdr, key_header);
    }
    resp r = {NULL, 0, 0};
    char msg[CURL_ERROR_SIZE] = "";
    if (!url || !hdr) {
        vt_free(url);
        curl_slist_free_all(hdr);
        curl_easy_cleanup(c);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", h->base);
    }
    snprintf(url, ul, "%s%s", h->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, msg);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    int out_rc = VT_OK;
    if (rc != CURLE_OK) {
        out_rc = vt_fail(err, VT_EIO, "%s %s: %s", method, url, msg[0] ? msg : curl_easy_strerror(rc));
    } else if (r.len) {
        json_error_t je;
        *out = json_loadb(r.data, r.len, 0, &je);
    }
    if (out_rc == VT_OK && *status >= 300 && *status != 404) {
        const char *why = json_string_value(json_object_get(json_object_get(*out, "status"), "error"));
        out_rc = vt_fail(err, VT_EIO, "%s %s: HTTP %ld: %s", method, url, *status,
                         why ? why : (r.data ? r.data : "(no body)"));
    }
    free(r.data);
    vt_free(url);
    if (out_rc) {
        json_decref(*out);
        *out = NULL;
    }
    return out_rc;
}

/* coll_path: "/collections/<escaped c><suffix>" (caller vt_free). */
static char *coll_path(const char *coll, const char *suffix) {
    char *esc = curl_easy_escape(NULL, coll, 0);
    if (!esc) return NULL;
    size_t n = strlen(esc) + strlen(suffix) + 16;
    char *p = vt_malloc(n);
    if (p) snprintf(p, n, "/collections/%s%s", esc, suffix);
    curl_free(esc);
    return p;
}

static int http_ensure(void *ctx, const char *coll, uint32_t clip_dim, uint32_t st_dim, vt_error *err) {
    http_sink *h = ctx;
    char *path = coll_path(coll, "");
    if (!path) return vt_fail(err, VT_ENOMEM, "out of memory");
    long status = 0;
    json_t *ans = NULL;
    int rc = request(h, "GET", path, NULL, &status, &ans, err);
    if (rc == VT_OK && status == 404) {
        json_t *vecs = json_pack("{s:{s:i, s:s}, s:{s:i, s:s}}", "image", "size", (int)clip_dim, "distance", "Cosine",
                                 "text", "size", (int)clip_dim, "distance", "Cosine");
        if (st_dim) json_object_set_new(vecs, "text_st", json_pack("{s:i, s:s}", "size", (int)st_dim, "distance", "Cosine"));
        json_t *req = json_pack("{s:o}", "vectors", vecs);
        char *body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        json_decref(ans);
        ans = NULL;
        rc = body ? request(h, "PUT", path, body, &status, &ans, err) : vt_fail(err, VT_ENOMEM, "out of memory");
        vt_free(body);
    } else if (rc == VT_OK) {
        json_t *params = json_object_get(json_object_get(json_object_get(ans, "result"), "config"), "params");
        json_t *v = json_object_get(params, "vectors");
        const char *names[3] = {"image", "text", "text_st"};
        uint32_t dims[3] = {clip_dim, clip_dim, st_dim};
        for (int k = 0; k < (st_dim ? 3 : 2) && rc == VT_OK; k++) {
            json_t *size = json_object_get(json_object_get(v, names[k]), "size");
            if (!json_is_integer(size))
                rc = vt_fail(err, VT_EINVAL, "collection \"%s\" on %s has no vector \"%s\"", coll, h->base, names[k]);
            else if (json_integer_value(size) != dims[k])
                rc = vt_fail(err, VT_EINVAL, "collection \"%s\": vector \"%s\" has size %lld, the model gives %u", coll,
                             names[k], (long long)json_integer_value(size), dims[k]);
        }
    }
    json_decref(ans);
    vt_free(path);
    return rc;
}

static json_t *id_json(const vt_point_id *id) {
    char buf[VT_POINT_ID_BUF];
    vt_point_id_format(id, buf);
    return id->is_uuid ? json_string(buf) : json_integer((json_int_t)id->num);
}

static int http_exists(void *ctx, const char *coll, const vt_point_id *ids, size_t n, uint8_t *present, vt_error *err) {
    http_sink *h = ctx;
    memset(present, 0, n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, id_json(&ids[i]));
    json_t *req = json_pack("{s:o, s:b, s:b}", "ids", arr, "with_payload", 0, "with_vector", 0);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *path = coll_path(coll, "/points");
    long status = 0;
    json_t *ans = NULL;
    int rc = body && path ? request(h, "POST", path, body, &status, &ans, err) : vt_fail(err, VT_ENOMEM, "out of memory");
    vt_free(body);
    vt_free(path);
    json_t *res = json_object_get(ans, "result"), *rec;
    size_t j;
    json_array_foreach(res, j, rec) {
        json_t *idj = json_object_get(rec, "id");
        vt_point_id got;
        vt_error e = {0};
        char buf[32];
        int ok = json_is_string(idj) ? vt_point_id_parse(json_string_value(idj), json_string_length(idj), &got, &e)
                                     : (snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(idj)),
                                        vt_point_id_parse(buf, strlen(buf), &got, &e));
        if (ok != VT_OK) continue;
        for (size_t i = 0; i < n; i++)
            if (!present[i] && vt_point_id_cmp(&ids[i], &got) == 0) {
                present[i] = 1;
                break;
            }
    }
    json_decref(ans);
    return rc;
}

static json_t *vec_json(const float *v, uint32_t dim) {
    json_t *a = json_array();
    for (uint32_t i = 0; i < dim; i++) json_array_append_new(a, json_real(vt_json_f32(v[i])));
    return a;
}

static int http_upsert(void *ctx, const char *coll, const sink_point *pts, size_t n, uint32_t clip_dim, uint32_t st_dim,
                       vt_error *err) {
    http_sink *h = ctx;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *vec = json_object();
        if (pts[i].image) json_object_set_new(vec, "image", vec_json(pts[i].image, clip_dim));
        if (pts[i].text) json_object_set_new(vec, "text", vec_json(pts[i].text, clip_dim));
        if (pts[i].text_st) json_object_set_new(vec, "text_st", vec_json(pts[i].text_st, st_dim));
        json_t *p = json_pack("{s:o, s:o, s:O}", "id", id_json(&pts[i].id), "vector", vec, "payload",
                              pts[i].payload ? pts[i].payload : json_object());
        json_array_append_new(arr, p);
    }
    json_t *req = json_pack("{s:o}", "points", arr);
    char *body = req ? vt_json_dump(req, NULL) : NULL;
    json_decref(req);
    char *path = coll_path(coll, "/points?wait=true");
    long status = 0;
    json_t *ans = NULL;
    int rc = body && path ? request(h, "PUT", path, body, &status, &ans, err) : vt_fail(err, VT_ENOMEM, "out of memory");
    if (rc == VT_OK && status == 404) rc = vt_fail(err, VT_ENOTFOUND, "collection \"%s\" vanished on %s", coll, h->base);
    vt_free(body);
    vt_free(path);
    json_decref(ans);
    return rc;
}

static void http_close(void *ctx) {
    http_sink *h = ctx;
    vt_free(h->base);
    vt_free(h->api_key);
    vt_free(h);
}

int sink_http(const char *base_url, const char *api_key, sink *out, vt_error *err) {
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return vt_fail(err, VT_EINVAL, "--url %s: must start with http:// or https://", base_url);
    vt_json_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    http_sink *h = vt_calloc(1, sizeof *h);
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/') n--;
    if (h) h->base = vt_malloc(n + 1);
    if (h && api_key) h->api_key = vt_malloc(strlen(api_key) + 1);
    if (!h || !h->base || (api_key && !h->api_key)) {
        if (h) http_close(h);
        return vt_fail(err, VT_ENOMEM, "out of memory");
    }
    memcpy(h->base, base_url, n);
    h->base[n] = '\0';
    if (api_key) strcpy(h->api_key, api_key);
    *out = (sink){h, http_ensure, http_exists, http_upsert, http_close};
    return VT_OK;
}
