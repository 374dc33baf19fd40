/*
 * fetch.h — downloading one image URL with libcurl, bounded in every way a hostile or broken
 * server could stretch it: connect and total timeouts, a size cap (checked against
 * Content-Length up front and against the bytes as they arrive), a redirect limit, and http/https
 * only (also for redirects, so a server cannot bounce us to file:// or gopher://). A failure
 * returns one message naming the URL and the reason, for the ingest log and its per-reason counts.
 * Thread-safe: each call has its own curl handle; libcurl's global init runs once.
 */
#ifndef VT_PIPELINE_FETCH_H
#define VT_PIPELINE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct fetch_opts {
    long connect_timeout_ms; /* default 5000 */
    long total_timeout_ms;   /* default 15000 */
    size_t max_bytes;        /* default 32 MiB */
    long max_redirects;      /* default 5 */
} fetch_opts;

/* Why a fetch failed, for counting (fetch_reason_name gives "timeout", "http_status", ...). */
typedef enum fetch_reason {
    FETCH_OK = 0,
    FETCH_BAD_URL,       /* not http(s), malformed */
    FETCH_CONNECT,       /* DNS, refused, TLS */
    FETCH_TIMEOUT,
    FETCH_HTTP_STATUS,   /* a status other than 2xx */
    FETCH_TOO_LARGE,
    FETCH_TOO_MANY_REDIRECTS,
    FETCH_OTHER,
} fetch_reason;

fetch_opts fetch_opts_default(void);

/* fetch_url: GETs url into *data (*len bytes; caller vt_free). On failure returns VT_EIO (or
 * VT_EINVAL for a bad URL, VT_ELIMIT past max_bytes, VT_ENOMEM), sets *reason (may be NULL) and
 * a message "URL: why". */
int fetch_url(const char *url, const fetch_opts *opts, uint8_t **data, size_t *len, fetch_reason *reason,
              vt_error *err);

/* fetch_reason_name: a short stable name for r ("timeout"). Static storage. */
const char *fetch_reason_name(fetch_reason r);

#endif
