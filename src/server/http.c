/*
 * http.c — the HTTP side of `vitrine serve`: libmicrohttpd, request bodies, limits, responses,
 * start-up and shutdown. Nothing else in src/server includes microhttpd.h.
 *
 * Threads: libmicrohttpd runs an internal thread pool (srv_opts.n_threads, epoll/poll); each
 * request's handler runs on the pool thread that read it. The server context is shared
 * read-only; the metrics are atomics.
 *
 * A request's body is accumulated in a growing buffer capped at max_body (default 32 MiB, as
 * Qdrant's max_request_size_mb). Past the cap the rest is read and dropped (so the client sees
 * the answer rather than a reset) and the answer is Qdrant's 400 "Payload error: JSON payload
 * (N bytes) is larger than allowed (limit: M bytes)." A Content-Length over the cap is refused
 * the same way without reading more than it needs to drain.
 *
 * A snapshot upload (POST /collections/{c}/snapshots/upload, multipart field `snapshot`, or a
 * raw body) is not held in memory: once its key is checked it streams to a temporary file under
 * DATA/snapshots/ (libmicrohttpd's post processor parses the multipart), removed when the
 * request completes. It has no size cap beyond the disk.
 *
 * Shutdown: SIGINT and SIGTERM are blocked in every thread (the pool inherits the mask) and
 * taken by sigwait in srv_run. The daemon is then quiesced (the listening socket closed, no new
 * connections), in-flight requests are waited for (up to 30 s) and the daemon stopped; srv_run
 * returns and the caller closes the db. Every write a client saw acknowledged had committed
 * before its response was queued, so nothing acknowledged is lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "server/server_int.h"

#define DRAIN_TIMEOUT_S 30      /* how long shutdown waits for in-flight requests */
#define CONNECTION_TIMEOUT_S 60 /* an idle or stalled connection is closed after this */

/* One request's state across libmicrohttpd's calls of the access handler. */
typedef struct conn_state {
    char *buf;          /* the body so far (vt_malloc) */
    int upload_fd;      /* a snapshot upload streamed to upload_path (-1: none) */
    char upload_path[4096];
    uint64_t upload_bytes;
    struct MHD_PostProcessor *pp; /* multipart parser of an upload (NULL: raw body) */
    size_t len, cap;
    uint64_t received;  /* body bytes seen, kept or not */
    int too_large;      /* 1: over max_body; the body is being drained */
    double t0;          /* monotonic start */
} conn_state;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

srv_opts srv_opts_default(void) {
    srv_opts o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = 6333;
    o.max_request_bytes = SRV_DEFAULT_MAX_BODY;
    o.n_threads = 8;
    return o;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    srv_req *r = cls;
    if (r->n_query < SRV_MAX_QUERY_ARGS) {
        r->query_keys[r->n_query] = key;
        r->query_vals[r->n_query] = value;
        r->n_query++;
    }
    return MHD_YES;
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, const char *type, char *body,
                             size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body, vt_free);
    if (!resp) {
        vt_free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* respond: turns what the handler left in r into the response. */
static enum MHD_Result respond(struct MHD_Connection *c, srv_req *r, double seconds) {
    if (r->kind == SRV_REPLY_TEXT) {
        char *t = r->text;
        r->text = NULL;
        return queue(c, r->status, r->text_type ? r->text_type : "text/plain", t, r->text_len);
    }
    if (r->kind == SRV_REPLY_FILE) {
        struct MHD_Response *resp = MHD_create_response_from_fd64(r->fd_size, r->fd);
        if (!resp) return MHD_NO;
        r->fd = -1; /* libmicrohttpd closes it */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->file_type ? r->file_type : "application/octet-stream");
        enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    json_t *body = srv_envelope(r, seconds);
    size_t len = 0;
    char *s = body ? srv_dumps(body, &len) : NULL;
    json_decref(body);
    if (!s) {
        static const char oom[] = "{\"status\":{\"error\":\"Service internal error: out of memory\"},\"time\":0.0}";
        s = vt_strdup(oom);
        if (!s) return MHD_NO;
        len = strlen(s);
        r->status = 500;
    }
    return queue(c, r->status ? r->status : 500, "application/json", s, len);
}

static void record(srv_ctx *ctx, int route, int status, double seconds) {
    int i = route >= 0 && route < SRV_MAX_ROUTES ? route : SRV_MAX_ROUTES;
    atomic_fetch_add(&ctx->metrics.requests[i], 1);
    if (status >= 400) atomic_fetch_add(&ctx->metrics.errors[i], 1);
    atomic_fetch_add(&ctx->metrics.micros[i], (uint64_t)(seconds * 1e6));
    for (int b = 0; b < SRV_N_BUCKETS; b++)
        if (seconds <= SRV_BUCKETS[b]) atomic_fetch_add(&ctx->metrics.buckets[i][b], 1);
}

/* post_iter: writes the multipart field `snapshot` of an upload to its file. */
static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size) {
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding, (void)off;
    conn_state *st = cls;
    if (!key || strcmp(key, "snapshot") != 0 || size == 0) return MHD_YES;
    for (size_t done = 0; done < size;) {
        ssize_t w = write(st->upload_fd, data + done, size - done);
        if (w <= 0) return MHD_NO;
        done += (size_t)w;
    }
    st->upload_bytes += size;
    return MHD_YES;
}

/* is_upload: POST /collections/{c}/snapshots/upload (after normalisation). */
static int is_upload(const char *method, const char *url) {
    char path[2048];
    if (strcmp(method, "POST") != 0 || srv_normalize_path(url, path, sizeof path) != 0) return 0;
    size_t n = strlen(path);
    static const char tail[] = "/snapshots/upload";
    return strncmp(path, "/collections/", 13) == 0 && n > sizeof tail - 1 + 13 &&
           strcmp(path + n - (sizeof tail - 1), tail) == 0;
}

/* start_upload: an authorised snapshot upload gets a temporary file under DATA/snapshots/. */
static void start_upload(srv_ctx *ctx, struct MHD_Connection *c, conn_state *st) {
    const char *why;
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "api-key");
    if (srv_auth_check(ctx, key, authz, &why) != SRV_ACCESS_MANAGE) return; /* router answers */
    snprintf(st->upload_path, sizeof st->upload_path, "%s/snapshots", ctx->data_dir);
    mkdir(st->upload_path, 0755);
    snprintf(st->upload_path, sizeof st->upload_path, "%s/snapshots/.upload-XXXXXX", ctx->data_dir);
    st->upload_fd = mkstemp(st->upload_path);
    if (st->upload_fd < 0) {
        st->upload_path[0] = '\0';
        return;
    }
    st->pp = MHD_create_post_processor(c, 64 * 1024, post_iter, st); /* NULL: not multipart */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)version;
    srv_ctx *ctx = cls;
    conn_state *st = *con_cls;
    if (!st) {
        st = vt_calloc(1, sizeof *st);
        if (!st) return MHD_NO;
        st->t0 = now_s();
        st->upload_fd = -1;
        *con_cls = st;
        atomic_fetch_add(&ctx->metrics.in_flight, 1);
        if (is_upload(method, url)) {
            start_upload(ctx, c, st);
            return MHD_YES;
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > ctx->max_body) st->too_large = 1;
        return MHD_YES;
    }
    if (*upload_data_size > 0 && st->upload_fd >= 0) { /* a snapshot upload: to its file */
        size_t n = *upload_data_size;
        if (st->pp) {
            if (MHD_post_process(st->pp, upload_data, n) != MHD_YES) return MHD_NO;
        } else {
            if (post_iter(st, MHD_POSTDATA_KIND, "snapshot", NULL, NULL, NULL, upload_data, 0, n) != MHD_YES)
                return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        st->received += n;
        if (!st->too_large && st->len + n > ctx->max_body) {
            st->too_large = 1;
            vt_free(st->buf);
            st->buf = NULL;
            st->len = st->cap = 0;
        }
        if (!st->too_large) {
            if (st->len + n > st->cap) {
                size_t cap = st->cap ? st->cap : 4096;
                while (cap < st->len + n) cap *= 2;
                if (cap > ctx->max_body) cap = ctx->max_body;
                char *nb = vt_realloc(st->buf, cap);
                if (!nb) return MHD_NO;
                st->buf = nb;
                st->cap = cap;
            }
            memcpy(st->buf + st->len, upload_data, n);
            st->len += n;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (strcmp(method, "OPTIONS") == 0) { /* CORS preflight, as Qdrant's enable_cors */
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "*");
        enum MHD_Result ret = MHD_queue_response(c, 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }

    srv_req *r = vt_malloc(sizeof *r);
    if (!r) return MHD_NO;
    srv_req_init(r, ctx, method, url);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, r);
    r->api_key_header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "api-key");
    r->authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    r->content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    r->body = st->buf ? st->buf : "";
    r->body_len = st->len;
    if (st->upload_fd >= 0 && st->upload_bytes > 0) {
        if (st->pp) MHD_destroy_post_processor(st->pp);
        st->pp = NULL;
        snprintf(r->upload_path, sizeof r->upload_path, "%s", st->upload_path);
    }
    if (st->too_large) {
        uint64_t n = st->received;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > n) n = strtoull(cl, NULL, 10);
        srv_fail(r, 400, "Payload error: JSON payload (%llu bytes) is larger than allowed (limit: %zu bytes).",
                 (unsigned long long)n, ctx->max_body);
    } else {
        srv_dispatch(r);
    }
    double seconds = now_s() - st->t0;
    enum MHD_Result ret = respond(c, r, seconds);
    record(ctx, r->route, r->status, seconds);
    srv_req_fini(r);
    vt_free(r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    srv_ctx *ctx = cls;
    conn_state *st = *con_cls;
    if (!st) return;
    if (st->pp) MHD_destroy_post_processor(st->pp);
    if (st->upload_fd >= 0) {
        close(st->upload_fd);
        unlink(st->upload_path);
    }
    vt_free(st->buf);
    vt_free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&ctx->metrics.in_flight, 1);
}

/* resolve: host:port into a socket address (IPv4 or IPv6). */
static int resolve(const char *host, int port, struct sockaddr_storage *out, socklen_t *len,
                   int *is_v6, vt_error *err) {
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g != 0 || !ai) return vt_fail(err, VT_EINVAL, "--host %s: %s", host, gai_strerror(g));
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    *is_v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return VT_OK;
}

int srv_run(vt_db *db, const srv_opts *opts, vt_error *err) {
    vt_json_init();
    srv_ctx *ctx = vt_calloc(1, sizeof *ctx);
    if (!ctx) return vt_fail(err, VT_ENOMEM, "out of memory");
    ctx->db = db;
    ctx->data_dir = opts->data_dir;
    ctx->api_key = opts->api_key && *opts->api_key ? opts->api_key : NULL;
    ctx->ro_key = opts->read_only_api_key && *opts->read_only_api_key ? opts->read_only_api_key : NULL;
    ctx->max_body = opts->max_request_bytes ? opts->max_request_bytes : SRV_DEFAULT_MAX_BODY;
    ctx->started = now_s();
    ctx->web_root = opts->web_root;
    if (opts->media_root) {
        ctx->media_root = realpath(opts->media_root, NULL);
        if (!ctx->media_root) {
            vt_fail(err, VT_ENOTFOUND, "--media-root %s: %s", opts->media_root, strerror(errno));
            vt_free(ctx);
            return VT_ENOTFOUND;
        }
    }
    int rc = srv_models_load(ctx, opts->model_dirs, opts->n_models, err);
    if (rc) {
        free(ctx->media_root);
        vt_free(ctx);
        return rc;
    }

    struct sockaddr_storage addr;
    socklen_t addr_len;
    int is_v6 = 0;
    rc = resolve(opts->host ? opts->host : "127.0.0.1", opts->port, &addr, &addr_len, &is_v6, err);
    if (rc) goto fail;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (is_v6) flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, ctx,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts->n_threads ? opts->n_threads : 8),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, ctx,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_END);
    if (!d) {
        rc = vt_fail(err, VT_EIO, "cannot listen on %s:%d: %s", opts->host, opts->port, strerror(errno));
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? info->port : opts->port;
    if (!opts->quiet)
        fprintf(stderr, "vitrine serve: listening on http://%s%s%s:%d (%zu model%s, default %s)\n",
                is_v6 ? "[" : "", opts->host, is_v6 ? "]" : "", port, ctx->n_models,
                ctx->n_models == 1 ? "" : "s", ctx->n_models ? ctx->models[0].name : "none");
    fflush(stderr);

    int sig = 0;
    sigwait(&set, &sig);
    if (!opts->quiet) fprintf(stderr, "vitrine serve: %s: finishing in-flight requests\n", strsignal(sig));
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET) close(ls);
    for (int i = 0; i < DRAIN_TIMEOUT_S * 100 && atomic_load(&ctx->metrics.in_flight) > 0; i++)
        usleep(10000);
    MHD_stop_daemon(d);
    if (!opts->quiet) fprintf(stderr, "vitrine serve: stopped\n");
    rc = VT_OK;
fail:
    srv_models_free(ctx);
    free(ctx->media_root);
    vt_free(ctx);
    return rc;
}
