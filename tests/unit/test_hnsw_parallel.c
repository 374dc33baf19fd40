/*
 * test_hnsw_parallel.c — parallel construction into an empty graph leaves every vector
 * reachable. Hundreds of small builds (50–500 vectors, 2–8 workers on however many cores there
 * are, so threads interleave at random) each check, over the finished graph:
 *   - every live node is reachable from the entry point by a BFS over the links of all levels,
 *     and from the node the greedy descent lands on by a BFS over level 0 alone (what a search
 *     can actually reach);
 *   - the entry point has the highest level of any node;
 *   - each vector searched with ef = n finds itself first.
 * A third of the builds are int8 (the walk on the codes, the heuristic on float32).
 * Where a parallel build fails, the serial build of the same data (and seed) should fail too: the
 * heuristic alone strands a node now and then (the pruning of Algorithm 4 may drop a node's only
 * in-link, ~1 build in 500 on this crowded data at m 8), and only the parallel part is this
 * test's business; parallel-only failures must stay at that base rate (≤ 1 %). Before the fix in hnsw_build.c
 * (nodes being inserted at once not seeing each other; a new node's lists overwritten after
 * others had linked into them) about 2 builds in 3 here failed where the serial one passed.
 * Env VT_PARALLEL_BUILDS overrides the number of builds (default 300).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/pool.h"
#include "index/hnsw.h"
#include "index/hnsw_int.h"
#include "test.h"

#define DIM 16

static uint64_t rng_state;
static double unif(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

/* make_data: n clustered vectors (8 centres, noise 0.5), so neighbourhoods are crowded and the
 * lists fill up and get pruned even at these sizes. Caller frees. */
static float *make_data(size_t n, uint64_t seed) {
    rng_state = seed * 0x9e3779b97f4a7c15ull + 7;
    float c[8][DIM];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < DIM; j++) c[i][j] = (float)gauss();
    float *x = malloc(sizeof(float) * n * DIM);
    for (size_t i = 0; i < n; i++) {
        int ci = (int)(unif() * 8);
        for (int j = 0; j < DIM; j++) x[i * DIM + j] = c[ci][j] + 0.5f * (float)gauss();
    }
    return x;
}

/* bfs: marks in seen[] the nodes reachable from start over the links of levels lo .. hi (a
 * node's own levels only). Returns how many. */
static uint32_t bfs(const hnsw *h, uint32_t start, int lo, int hi, uint8_t *seen, uint32_t *queue) {
    uint32_t n = atomic_load(&h->n_slots), head = 0, tail = 0;
    memset(seen, 0, n);
    seen[start] = 1;
    queue[tail++] = start;
    while (head < tail) {
        uint32_t s = queue[head++];
        int top = hnsw_level_of(h, s);
        for (int l = lo; l <= hi && l <= top; l++) {
            const uint32_t *list = hnsw_list(h, s, l);
            uint32_t cnt = list[0];
            for (uint32_t j = 0; j < cnt; j++) {
                uint32_t id = list[1 + j];
                if (id < n && !seen[id]) {
                    seen[id] = 1;
                    queue[tail++] = id;
                }
            }
        }
    }
    return tail;
}

/* check_graph: the invariants above; returns 0 when they hold, else prints what failed. */
static int check_graph(const hnsw *h, const float *x, size_t n, const char *what) {
    uint32_t ns = atomic_load(&h->n_slots);
    uint8_t *seen = malloc(ns);
    uint32_t *queue = malloc(sizeof(uint32_t) * ns);
    int bad = 0;
    uint64_t e = atomic_load(&h->entry);
    uint32_t ep = (uint32_t)e;
    int top = (int)(e >> 32), max_level = 0;
    for (uint32_t s = 0; s < ns; s++)
        if (hnsw_level_of(h, s) > max_level) max_level = hnsw_level_of(h, s);
    if (e == HNSW_ENTRY_NONE || top != hnsw_level_of(h, ep) || top != max_level) {
        fprintf(stderr, "%s: entry %u at level %d, node level %d, max level %d\n", what, ep, top,
                e == HNSW_ENTRY_NONE ? -1 : hnsw_level_of(h, ep), max_level);
        bad = 1;
        goto out;
    }
    uint32_t r = bfs(h, ep, 0, HNSW_MAX_LEVEL, seen, queue);
    if (r != ns) {
        for (uint32_t s = 0; s < ns; s++)
            if (!seen[s]) {
                fprintf(stderr, "%s: slot %u (level %d, %u links on level 0) unreachable from entry %u (%u of %u reached)\n",
                        what, s, hnsw_level_of(h, s), hnsw_list(h, s, 0)[0], ep, r, ns);
                break;
            }
        bad = 1;
    }
    hnsw_search_params sp = hnsw_search_params_default();
    sp.k = 1;
    sp.ef = (int)n;
    for (size_t i = 0; i < n && !bad; i++) {
        /* level 0 from where the descent for vector i lands */
        hnsw_hit hit;
        int nh = 0;
        if (hnsw_search(h, x + i * DIM, &sp, &hit, &nh, NULL) || nh != 1 || hit.slot != (uint32_t)i) {
            fprintf(stderr, "%s: vector %zu finds slot %d (dist %g)\n", what, i, nh ? (int)hit.slot : -1,
                    nh ? hit.dist : 0.0);
            bad = 1;
        }
    }
    if (!bad && bfs(h, ep, 0, 0, seen, queue) != ns) {
        fprintf(stderr, "%s: level 0 is not connected from the entry point\n", what);
        bad = 1;
    }
out:
    free(seen);
    free(queue);
    return bad;
}

static hnsw *build(const float *x, size_t n, int m, vt_pool *pool, uint64_t seed) {
    hnsw_params p = hnsw_params_default();
    p.quant = seed % 3 == 2 ? HNSW_QUANT_INT8 : HNSW_QUANT_NONE; /* int8: the graph walks the codes */
    p.dim = DIM;
    p.metric = DIST_EUCLID;
    p.m = m;
    p.ef_construct = 40;
    p.seed = seed;
    hnsw *h = NULL;
    if (hnsw_new(&p, &h, NULL)) return NULL;
    if (hnsw_insert_batch(h, pool, n, NULL, x, NULL, NULL)) {
        hnsw_free(h);
        return NULL;
    }
    return h;
}

static int n_builds(void) {
    const char *e = getenv("VT_PARALLEL_BUILDS");
    int n = e ? atoi(e) : 300;
    return n > 0 ? n : 300;
}

static void test_parallel_builds_reachable(void) {
    vt_pool *pools[4] = {vt_pool_new(2), vt_pool_new(3), vt_pool_new(4), vt_pool_new(8)};
    for (int i = 0; i < 4; i++) ASSERT_TRUE(pools[i] != NULL);
    int total = n_builds(), failed = 0, failed_serial = 0, parallel_only = 0;
    for (int b = 0; b < total; b++) {
        size_t n = 50 + (size_t)((b * 37) % 451);
        int m = (b & 1) ? 8 : 16; /* m 4 strands nodes even serially on this data */
        float *x = make_data(n, (uint64_t)b + 1);
        char what[96];
        snprintf(what, sizeof what, "build %d (n %zu, m %d, %d workers%s)", b, n, m, vt_pool_size(pools[b & 3]),
                 b % 3 == 2 ? ", int8" : "");
        hnsw *h = build(x, n, m, pools[b & 3], (uint64_t)b);
        if (!h) {
            free(x);
            for (int i = 0; i < 4; i++) vt_pool_free(pools[i]);
            T_FAIL_("%s: build failed", what);
        }
        int bad = check_graph(h, x, n, what);
        hnsw_free(h);
        failed += bad;
        if (bad || b % 10 == 0) {
            /* the serial reference on the same data: the heuristic alone, with nothing racing,
             * strands a node now and then (about 1 build in 500 at m 8 here); a parallel build
             * may fail only where the serial one does */
            snprintf(what, sizeof what, "serial build %d (n %zu, m %d)", b, n, m);
            h = build(x, n, m, NULL, (uint64_t)b);
            int bad_serial = h ? check_graph(h, x, n, what) : 1;
            hnsw_free(h);
            failed_serial += bad_serial;
            parallel_only += bad && !bad_serial;
        }
        free(x);
    }
    for (int i = 0; i < 4; i++) vt_pool_free(pools[i]);
    printf("   %d builds: %d parallel failed (%d where the serial build passed), %d serial checks failed\n", total,
           failed, parallel_only, failed_serial);
    /* A parallel build is another graph than the serial one (another insertion order), so it
     * meets the heuristic's own stranding on other data sets now and then: 0 in 3,000 builds
     * here, 1 in 1,500 under ASan's timing. Before the fix: 109 of 300. */
    ASSERT_TRUE(parallel_only * 100 <= total);
    ASSERT_TRUE(failed * 50 <= total); /* the serial base rate, with margin */
}

int main(void) {
    RUN(test_parallel_builds_reachable);
    TEST_END();
}
