/*
 * fuzz_coll_record.c — libFuzzer harness for a collection config record as the database reads it
 * from LMDB (src/db/store.c db_coll_decode), including the optional field-index section
 * (src/db/field_index_api.c db_fdefs_decode), since a record comes from disk and may be damaged.
 *
 * Invariants checked for any input:
 *   - decoding either succeeds or fails with VT_ECORRUPT and a message (never a crash, never a
 *     read past the value);
 *   - a decoded record's field-index section decodes too (the record decoder checked it), every
 *     key non-empty and every type a known one;
 *   - encoding the decoded record gives back exactly the input bytes (nothing is lost or added:
 *     an update or a snapshot rewrites records this way);
 *   - nothing leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "db/db_int.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_coll_record: %s:%d: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: asan sees any over-read */
    if (!copy) return 0;
    memcpy(copy, data, size);
    MDB_val v = {size, copy};
    db_coll c;
    vt_error err = {0};
    int rc = db_coll_decode(&v, "fuzz", 4, &c, &err);
    if (rc) {
        CHECK(rc == VT_ECORRUPT && err.message[0]);
        free(copy);
        return 0;
    }
    db_fdef *defs = NULL;
    uint32_t n = 0;
    vt_error e2 = {0};
    rc = db_fdefs_decode(&c, &defs, &n, &e2);
    CHECK(rc == VT_OK || rc == VT_ENOMEM);
    for (uint32_t i = 0; rc == VT_OK && i < n; i++) CHECK(defs[i].key[0] && defs[i].type >= 1 && defs[i].type <= 7);
    vt_free(defs);
    uint8_t *out = NULL;
    size_t len = 0;
    if (db_coll_encode(&c, &out, &len, &e2) == VT_OK) {
        CHECK(len == size && memcmp(out, copy, size) == 0);
        vt_free(out);
    }
    free(copy);
    return 0;
}
