/*
 * fetch.c — fetch_url (fetch.h) over libcurl's easy interface. The body goes into a growing
 * buffer through the write callback, which stops the transfer (returns 0, CURLE_WRITE_ERROR)
 * the moment the cap would be passed; CURLOPT_MAXFILESIZE refuses a declared Content-Length over
 * the cap before any body is read. NOSIGNAL keeps libcurl's timeouts away from signals, which
 * matters in a multi-threaded program.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "fetch.h"

fetch_opts fetch_opts_default(void) {
    fetch_opts o = {5000, 15000, (size_t)32 << 20, 5};
    return o;
}

const char *fetch_reason_name(fetch_reason r) {
    switch (r) {
    case FETCH_OK: return "ok";
    case FETCH_BAD_URL: return "bad_url";
    case FETCH_CONNECT: return "connect";
    case FETCH_TIMEOUT: return "timeout";
    case FETCH_HTTP_STATUS: return "http_status";
    case FETCH_TOO_LARGE: return "too_large";
    case FETCH_TOO_MANY_REDIRECTS: return "too_many_redirects";
    default: return "other";
    }
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct {
    uint8_t *data;
    size_t len, cap, max;
    int too_large, oom;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *ctx) {
    body *b = ctx;
    size_t k = size * n;
    if (b->len + k > b->max) {
        b->too_large = 1;
        return 0;
    }
    if (b->len + k > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + k) cap *= 2;
        if (cap > b->max) cap = b->max;
        uint8_t *d = vt_realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return 0;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

static int fail(vt_error *err, fetch_reason *reason, fetch_reason r, int code, const char *url, const char *why) {
    if (reason) *reason = r;
    return vt_fail(err, code, "%s: %s", url, why);
}

int fetch_url(const char *url, const fetch_opts *opts, uint8_t **data, size_t *len, fetch_reason *reason,
              vt_error *err) {
    fetch_opts o = opts ? *opts : fetch_opts_default();
    *data = NULL;
    *len = 0;
    if (reason) *reason = FETCH_OK;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return fail(err, reason, FETCH_BAD_URL, VT_EINVAL, url, "only http and https URLs are fetched");
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) return fail(err, reason, FETCH_OTHER, VT_EIO, url, "libcurl failed to initialise");
    CURL *c = curl_easy_init();
    if (!c) return fail(err, reason, FETCH_OTHER, VT_ENOMEM, url, "out of memory");
    body b = {NULL, 0, 0, o.max_bytes, 0, 0};
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, o.max_redirects);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.total_timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o.max_bytes);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vitrine");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    int out = VT_OK;
    char why[CURL_ERROR_SIZE + 64];
    if (b.oom) {
        out = fail(err, reason, FETCH_OTHER, VT_ENOMEM, url, "out of memory");
    } else if (b.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(why, sizeof why, "larger than %zu bytes", o.max_bytes);
        out = fail(err, reason, FETCH_TOO_LARGE, VT_ELIMIT, url, why);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, sizeof why, "timed out (%s)", curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
        out = fail(err, reason, FETCH_TIMEOUT, VT_EIO, url, why);
    } else if (rc == CURLE_TOO_MANY_REDIRECTS) {
        snprintf(why, sizeof why, "more than %ld redirects", o.max_redirects);
        out = fail(err, reason, FETCH_TOO_MANY_REDIRECTS, VT_EIO, url, why);
    } else if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
        out = fail(err, reason, FETCH_BAD_URL, VT_EINVAL, url, curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_PEER_FAILED_VERIFICATION) {
        out = fail(err, reason, FETCH_CONNECT, VT_EIO, url, curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
        out = fail(err, reason, FETCH_OTHER, VT_EIO, url, curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
    } else if (status < 200 || status > 299) {
        snprintf(why, sizeof why, "HTTP status %ld", status);
        out = fail(err, reason, FETCH_HTTP_STATUS, VT_EIO, url, why);
    }
    if (out != VT_OK) {
        vt_free(b.data);
        return out;
    }
    *data = b.data;
    *len = b.len;
    return VT_OK;
}
