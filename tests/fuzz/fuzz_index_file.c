/*
 * fuzz_index_file.c — libFuzzer harness for the HNSW index file loader (src/index/hnsw_io.c).
 * Any bytes are loaded twice: as a file must be (checksum first), and with the checksum check
 * off, so the fuzzer reaches the structural checks without forging XXH64. Whatever loads must then search, insert, delete,
 * vacuum and save without touching memory outside what the index owns.
 *
 * Build: make fuzz. `make test` replays tests/fuzz/corpus/fuzz_index_file/ (seeds: small valid
 * files, float32 and int8, with tombstones and freed slots).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "index/hnsw.h"
#include "index/hnsw_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(hnsw *h) {
    hnsw_params p = hnsw_params_get(h);
    if (p.dim > 4096) return; /* keep each run cheap */
    float *q = vt_calloc(p.dim, sizeof(float));
    if (!q) return;
    for (uint32_t i = 0; i < p.dim; i++) q[i] = (float)((int)(i % 7) - 3) * 0.25f;
    hnsw_search_params sp = hnsw_search_params_default();
    hnsw_hit hits[10];
    int nh;
    hnsw_search(h, q, &sp, hits, &nh, NULL);
    sp.exact = 1;
    hnsw_search(h, q, &sp, hits, &nh, NULL);
    uint64_t bits[4] = {0x5555555555555555ull, 0x5555555555555555ull, 0, ~0ull};
    hnsw_filter f = {bits, 256, NULL, NULL, -1};
    sp.exact = 0;
    sp.filter = &f;
    hnsw_search(h, q, &sp, hits, &nh, NULL);
    hnsw_delete(h, 0, NULL);
    hnsw_insert(h, 1, q, NULL, NULL);
    hnsw_vacuum(h, NULL, NULL);
    sp.filter = NULL;
    hnsw_search(h, q, &sp, hits, &nh, NULL);
    vt_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* no cap on slots is needed: the size must match n_slots exactly, so memory follows the
     * input's size */
    hnsw *h = NULL;
    uint64_t seq;
    if (hnsw_load_mem(data, size, "fuzz-input", NULL, 1, &h, &seq, NULL) == 0) {
        exercise(h);
        hnsw_free(h);
    }
    if (hnsw_load_mem(data, size, "fuzz-input", NULL, 0, &h, &seq, NULL) == 0) {
        exercise(h);
        hnsw_free(h);
    }
    return 0;
}
