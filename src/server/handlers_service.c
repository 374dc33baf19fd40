/*
 * handlers_service.c — the service endpoints: GET / (title, version, commit; not enveloped, no
 * key needed), the Kubernetes health checks (plain text, as Qdrant), /metrics (Prometheus text
 * format 0.0.4) and /telemetry (a basic subset of Qdrant's shape).
 *
 * /metrics reports, per route: requests, errors (status >= 400) and a latency histogram (bounds
 * SRV_BUCKETS, with _sum and _count); plus the collections and their points, the bytes the
 * allocator holds and the requests in flight.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "server/server_int.h"

/* The build's git commit for GET / (VersionInfo.commit, 40 hex digits; qdrant's own test reads
 * it): -DVT_GIT_COMMIT='"…"' where the build passes it, else zeros, which say "unknown". */
#ifndef VT_GIT_COMMIT
#define VT_GIT_COMMIT "0000000000000000000000000000000000000000"
#endif

void h_root(srv_req *r) {
    json_t *v = json_pack("{s:s, s:s, s:s}", "title", "qdrant - vector search engine", "version", SRV_VERSION,
                          "commit", VT_GIT_COMMIT);
    if (!v) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    r->status = 200;
    r->kind = SRV_REPLY_JSON;
    r->result = v;
}

void h_healthz(srv_req *r) {
    static const char t[] = "healthz check passed";
    srv_text(r, 200, "text/plain; charset=utf-8", t, sizeof t - 1);
}

void h_readyz(srv_req *r) {
    static const char t[] = "all shards are ready";
    srv_text(r, 200, "text/plain; charset=utf-8", t, sizeof t - 1);
}

/* A growing text buffer for /metrics. */
typedef struct tbuf {
    char *s;
    size_t len, cap;
    int oom;
} tbuf;

static void tb_printf(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(tbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1) cap *= 2;
        char *ns = vt_realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

void h_metrics(srv_req *r) {
    srv_ctx *ctx = r->ctx;
    tbuf b = {0};
    tb_printf(&b, "# HELP app_info information about the server\n# TYPE app_info gauge\n"
                  "app_info{name=\"vitrine\",version=\"%s\",qdrant_api=\"%s\"} 1\n", VT_VERSION, SRV_VERSION);
    char **names = NULL;
    size_t n = 0;
    vt_error err = {0};
    uint64_t total_points = 0;
    if (vt_collection_list(ctx->db, &names, &n, &err) == VT_OK) {
        tb_printf(&b, "# HELP collections_total number of collections\n# TYPE collections_total gauge\n"
                      "collections_total %zu\n", n);
        /* one family at a time, as the text format wants (the console reads memory and index
         * state from here: Qdrant's CollectionInfo has no field for them) */
        static const char *const families[3][2] = {
            {"collection_points", "points per collection"},
            {"collection_memory_bytes", "RAM of the collection's vector indexes and payload indexes"},
            {"collection_indexed_vectors", "vectors in the in-memory HNSW index, per named vector"}};
        for (int f = 0; f < 3; f++) {
            tb_printf(&b, "# HELP %s %s\n# TYPE %s gauge\n", families[f][0], families[f][1], families[f][0]);
            for (size_t i = 0; i < n; i++) {
                vt_collection_info info;
                if (vt_collection_info_get(ctx->db, names[i], &info, NULL) != VT_OK) continue;
                if (f == 0) {
                    total_points += info.points_count;
                    tb_printf(&b, "collection_points{collection=\"%s\"} %llu\n", names[i],
                              (unsigned long long)info.points_count);
                } else if (f == 1) {
                    tb_printf(&b, "collection_memory_bytes{collection=\"%s\"} %llu\n", names[i],
                              (unsigned long long)info.memory_bytes);
                } else {
                    for (size_t v = 0; v < info.n_vectors; v++)
                        tb_printf(&b, "collection_indexed_vectors{collection=\"%s\",vector=\"%s\",state=\"%s\"} %llu\n",
                                  names[i], info.vectors[v].name, info.vectors[v].index_state,
                                  (unsigned long long)info.vectors[v].indexed_count);
                }
            }
        }
        vt_mem_free(names);
    }
    tb_printf(&b, "# HELP collections_vector_total points over all collections\n"
                  "# TYPE collections_vector_total gauge\ncollections_vector_total %llu\n",
              (unsigned long long)total_points);
    tb_printf(&b, "# HELP memory_allocated_bytes bytes held through the allocator\n"
                  "# TYPE memory_allocated_bytes gauge\nmemory_allocated_bytes %lld\n",
              (long long)vt_alloc_live_bytes());
    tb_printf(&b, "# HELP rest_requests_in_flight requests being handled\n"
                  "# TYPE rest_requests_in_flight gauge\nrest_requests_in_flight %llu\n",
              (unsigned long long)atomic_load(&ctx->metrics.in_flight));
    const char *kinds[2] = {"rest_responses_total", "rest_responses_fail_total"};
    const char *help[2] = {"answered requests", "requests answered with status >= 400"};
    const char *type[2] = {"counter", "counter"};
    for (int k = 0; k < 2; k++) {
        tb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", kinds[k], help[k], kinds[k], type[k]);
        for (int i = 0; i <= SRV_MAX_ROUTES; i++) {
            if (i < SRV_MAX_ROUTES && i >= srv_route_count()) continue;
            uint64_t req = atomic_load(&ctx->metrics.requests[i]);
            if (!req) continue;
            uint64_t v = k == 0 ? req : k == 1 ? atomic_load(&ctx->metrics.errors[i]) : 0;
            const char *name = srv_route_name(i < SRV_MAX_ROUTES ? i : -1);
            const char *sp = strchr(name, ' ');
            int mlen = sp ? (int)(sp - name) : 0;
            const char *ep = sp ? sp + 1 : name;
            if (k == 2)
                tb_printf(&b, "%s{method=\"%.*s\",endpoint=\"%s\"} %.6f\n", kinds[k], mlen, name, ep,
                          atomic_load(&ctx->metrics.micros[i]) / 1e6);
            else
                tb_printf(&b, "%s{method=\"%.*s\",endpoint=\"%s\"} %llu\n", kinds[k], mlen, name, ep,
                          (unsigned long long)v);
        }
    }
    tb_printf(&b, "# HELP rest_responses_duration_seconds request handling time\n"
                  "# TYPE rest_responses_duration_seconds histogram\n");
    for (int i = 0; i <= SRV_MAX_ROUTES; i++) {
        if (i < SRV_MAX_ROUTES && i >= srv_route_count()) continue;
        uint64_t req = atomic_load(&ctx->metrics.requests[i]);
        if (!req) continue;
        const char *name = srv_route_name(i < SRV_MAX_ROUTES ? i : -1);
        const char *sp = strchr(name, ' ');
        int mlen = sp ? (int)(sp - name) : 0;
        const char *ep = sp ? sp + 1 : name;
        for (int k = 0; k < SRV_N_BUCKETS; k++)
            tb_printf(&b, "rest_responses_duration_seconds_bucket{method=\"%.*s\",endpoint=\"%s\",le=\"%g\"} %llu\n",
                      mlen, name, ep, SRV_BUCKETS[k], (unsigned long long)atomic_load(&ctx->metrics.buckets[i][k]));
        tb_printf(&b, "rest_responses_duration_seconds_bucket{method=\"%.*s\",endpoint=\"%s\",le=\"+Inf\"} %llu\n"
                      "rest_responses_duration_seconds_sum{method=\"%.*s\",endpoint=\"%s\"} %.6f\n"
                      "rest_responses_duration_seconds_count{method=\"%.*s\",endpoint=\"%s\"} %llu\n",
                  mlen, name, ep, (unsigned long long)req, mlen, name, ep,
                  atomic_load(&ctx->metrics.micros[i]) / 1e6, mlen, name, ep, (unsigned long long)req);
    }
    if (b.oom) {
        vt_free(b.s);
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    srv_text(r, 200, "text/plain; version=0.0.4", b.s ? b.s : "", b.len);
    vt_free(b.s);
}

void h_telemetry(srv_req *r) {
    srv_ctx *ctx = r->ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double uptime = (double)ts.tv_sec + ts.tv_nsec / 1e9 - ctx->started;
    uint64_t reqs = 0;
    for (int i = 0; i <= SRV_MAX_ROUTES; i++) reqs += atomic_load(&ctx->metrics.requests[i]);
    char **names = NULL;
    size_t n = 0;
    vt_error err = {0};
    int rc = vt_collection_list(ctx->db, &names, &n, &err);
    if (rc) {
        srv_fail_vt(r, rc, &err);
        return;
    }
    json_t *models = json_array();
    for (size_t i = 0; i < ctx->n_models; i++)
        json_array_append_new(models, json_pack("{s:s, s:s, s:i}", "name", ctx->models[i].name, "family",
                                                vt_model_family(ctx->models[i].model), "dim",
                                                vt_model_dim(ctx->models[i].model)));
    json_t *res = json_pack("{s:s, s:{s:s, s:f}, s:{s:I}, s:{s:I}, s:o}", "id", "vitrine", "app", "version",
                            SRV_VERSION, "uptime_seconds", uptime, "collections", "number_of_collections",
                            (json_int_t)n, "requests", "total", (json_int_t)reqs, "models", models);
    vt_mem_free(names);
    srv_ok(r, res);
}
