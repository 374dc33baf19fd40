/*
 * fuzz_http_body.c — libFuzzer harness for the server's request bodies: the first byte picks
 * one of the body-taking routes below, the rest is the body, and the request goes through
 * srv_dispatch (nesting check, JSON parse, the handler's conversions, the db call) against a
 * scratch database with a collection "c" (unnamed vector, dim 3) and no models loaded.
 *
 * Invariants checked for any input:
 *   - the request is answered (never a crash or a hang): a status in 200..599 and a reply kind;
 *   - an error answer has a non-empty message and its envelope builds;
 *   - a 200 JSON answer's envelope builds and serialises.
 * Leaks are LeakSanitizer's business under `make asan` / `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "server/server_int.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_http_body: %s:%d: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static const struct { const char *method, *path; } ROUTES[] = {
    {"PUT", "/collections/d"},
    {"PATCH", "/collections/c"},
    {"PUT", "/collections/c/points"},
    {"POST", "/collections/c/points"},
    {"POST", "/collections/c/points/delete"},
    {"POST", "/collections/c/points/payload"},
    {"PUT", "/collections/c/points/payload"},
    {"POST", "/collections/c/points/payload/delete"},
    {"POST", "/collections/c/points/payload/clear"},
    {"PUT", "/collections/c/points/vectors"},
    {"POST", "/collections/c/points/vectors/delete"},
    {"POST", "/collections/c/points/batch"},
    {"POST", "/collections/c/points/scroll"},
    {"POST", "/collections/c/points/count"},
    {"POST", "/collections/c/points/query"},
    {"POST", "/collections/c/points/query/batch"},
    {"POST", "/collections/c/points/search"},
    {"POST", "/collections/c/points/search/batch"},
    {"POST", "/collections/c/points/recommend"},
    {"POST", "/collections/c/points/recommend/batch"},
    {"POST", "/collections/aliases"},
    {"POST", "/collections/c/points/query/groups"},
    {"POST", "/collections/c/points/search/groups"},
    {"POST", "/collections/c/points/recommend/groups"},
    {"PUT", "/collections/c/index"},
};
#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

static srv_ctx ctx; /* process lifetime */
static char dir[128];

static void cleanup(void) {
    char cmd[160];
    vt_db_close(ctx.db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz_http_body: cleanup failed\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vt_json_init();
    if (!ctx.db) {
        snprintf(dir, sizeof dir, "/tmp/vt_fuzz_http_%d", (int)getpid());
        vt_db_opts o = vt_db_opts_default();
        o.no_sync = 1;
        vt_error err = {0};
        CHECK(vt_db_open(dir, &o, &ctx.db, &err) == VT_OK);
        vt_vector_params v = vt_vector_params_default("", 3, VT_DISTANCE_COSINE);
        vt_collection_config c = {1, &v};
        CHECK(vt_collection_create(ctx.db, "c", &c, &err) == VT_OK);
        ctx.data_dir = dir;
        ctx.max_body = SRV_DEFAULT_MAX_BODY;
        atexit(cleanup);
    }
    if (size < 1) return 0;
    static srv_req r;
    srv_req_init(&r, &ctx, ROUTES[data[0] % N_ROUTES].method, ROUTES[data[0] % N_ROUTES].path);
    r.body = (const char *)data + 1;
    r.body_len = size - 1;
    srv_dispatch(&r);
    CHECK(r.status >= 200 && r.status <= 599);
    CHECK(r.kind != SRV_REPLY_NONE);
    if (r.kind == SRV_REPLY_ERROR) CHECK(r.error[0] != '\0');
    if (r.kind == SRV_REPLY_RESULT || r.kind == SRV_REPLY_ERROR) {
        json_t *e = srv_envelope(&r, 0.001);
        CHECK(e != NULL);
        char *s = srv_dumps(e, NULL);
        CHECK(s != NULL);
        vt_free(s);
        json_decref(e);
    }
    srv_req_fini(&r);
    return 0;
}
