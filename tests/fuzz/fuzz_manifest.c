/*
 * fuzz_manifest.c — libFuzzer harness for manifests (outside files) and caption cleaning. The
 * first byte picks the format (even: JSONL, odd: CSV); the rest is written to a scratch file in
 * /dev/shm (or /tmp) and read to the end. Every record must come back as an item or as one
 * VT_EINVAL naming the file and line; every caption must clean into valid UTF-8 no longer than
 * 3·n + 1 bytes; nothing may leak. A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "pipeline/caption.h"
#include "pipeline/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_manifest: %s:%d: %s\n", __FILE__, __LINE__, #c);               \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    char path[64];
    snprintf(path, sizeof path, "%s/vt-fuzz-manifest-%d.%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (int)getpid(), data[0] & 1 ? "csv" : "jsonl");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data + 1, 1, size - 1, f) == size - 1);
    CHECK(fclose(f) == 0);

    int64_t live = vt_alloc_live_bytes();
    mf_reader *r = NULL;
    vt_error err = {0};
    int rc = mf_open(path, &r, &err);
    if (rc == VT_OK) {
        int eof = 0;
        for (int guard = 0; !eof; guard++) {
            CHECK(guard <= (int)size + 1); /* every call consumes at least one line */
            mf_item it;
            vt_error_clear(&err);
            rc = mf_next(r, &it, &eof, &err);
            if (rc == VT_EINVAL) {
                CHECK(strstr(err.message, path) != NULL);
                continue;
            }
            CHECK(rc == VT_OK);
            if (eof) break;
            CHECK(it.image || it.caption);
            CHECK(json_is_object(it.payload));
            if (it.caption) {
                char *clean = NULL;
                size_t n = strlen(it.caption);
                CHECK(caption_clean(it.caption, n, &clean, &err) == VT_OK);
                CHECK(strlen(clean) <= 3 * n);
                json_t *s = json_string(clean); /* jansson validates UTF-8 */
                CHECK(s != NULL);
                json_decref(s);
                vt_free(clean);
            }
            mf_item_clear(&it);
        }
        mf_close(r);
    } else {
        CHECK(rc == VT_EINVAL && err.message[0]);
    }
    CHECK(vt_alloc_live_bytes() == live);
    unlink(path);
    return 0;
}
