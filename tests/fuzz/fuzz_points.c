/*
 * fuzz_points.c — libFuzzer harness for a point as the database parses it from JSON
 * (src/db/pointjson.c, the lines of `vitrine db upsert`), then upserts it into a scratch
 * database and reads it back.
 *
 * Invariants checked for any input:
 *   - parsing either succeeds or fails with a message (never a crash);
 *   - a parsed point upserts into a collection with vectors "" (dim 3) and "a" (dim 2), or is
 *     refused with a message (wrong names or dimensions) and then the count is unchanged;
 *   - an accepted point reads back with the same id and a payload that parses as an object;
 *   - nothing leaks (the hook's live bytes are back where they were).
 * The database lives in /tmp for the process's lifetime (created on the first input).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/pointjson.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_points: %s:%d: %s\n", __FILE__, __LINE__, #c);                 \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static vt_db *db; /* process lifetime */

static void cleanup(void) {
    char cmd[128];
    vt_db_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/vt_fuzz_points_%d", (int)getpid());
    if (system(cmd) != 0) fprintf(stderr, "fuzz_points: cleanup failed\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vt_json_init();
    if (!db) {
        char dir[128];
        snprintf(dir, sizeof dir, "/tmp/vt_fuzz_points_%d", (int)getpid());
        vt_db_opts o = vt_db_opts_default();
        o.no_sync = 1;
        vt_error err = {0};
        CHECK(vt_db_open(dir, &o, &db, &err) == VT_OK);
        vt_vector_params v[2] = {vt_vector_params_default("", 3, VT_DISTANCE_COSINE),
                                 vt_vector_params_default("a", 2, VT_DISTANCE_EUCLID)};
        vt_collection_config c = {2, v};
        CHECK(vt_collection_create(db, "c", &c, &err) == VT_OK);
        atexit(cleanup);
    }
    int64_t live = vt_alloc_live_bytes();
    db_point_json p;
    vt_error err = {0};
    int rc = db_point_json_parse((const char *)data, size, "input", &p, &err);
    if (rc != VT_OK) {
        CHECK(err.message[0] != '\0');
    } else {
        uint64_t before, after;
        CHECK(vt_points_count(db, "c", NULL, &before, &err) == VT_OK);
        vt_error uerr = {0};
        rc = vt_points_upsert(db, "c", &p.pt, 1, NULL, &uerr);
        if (rc != VT_OK) {
            CHECK(uerr.message[0] != '\0');
            CHECK(vt_points_count(db, "c", NULL, &after, &err) == VT_OK);
            CHECK(after == before);
        } else {
            vt_result *r;
            CHECK(vt_points_get(db, "c", &p.pt.id, 1, 1, 1, &r, &err) == VT_OK);
            CHECK(vt_result_count(r) == 1);
            CHECK(memcmp(vt_result_id(r, 0), &p.pt.id, sizeof p.pt.id) == 0);
            json_t *pl;
            const char *s = vt_result_payload(r, 0);
            CHECK(vt_json_parse(s, strlen(s), "payload", &pl, &err) == VT_OK && json_is_object(pl));
            json_decref(pl);
            vt_result_free(r);
        }
    }
    db_point_json_clear(&p);
    CHECK(vt_alloc_live_bytes() == live);
    return 0;
}
