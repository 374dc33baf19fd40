/*
 * test_hnsw.c — the HNSW index against brute force on seeded data: recall after a parallel
 * build, after 20 % deletes and re-inserts, after vacuum and compaction; int8 against float32 at
 * the same ef; filtered recall at 50 %, 10 %, 1 % and 0.1 %; every metric; exact searches;
 * save/load round trips; corrupt, truncated and mismatched files; allocation failures; searches
 * racing a writer. Sizes are small (8k × 48) so the file runs in seconds.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/pool.h"
#include "index/hnsw.h"
#include "index/hnsw_int.h"
#include "test.h"

#define N 8000
#define DIM 48
#define NQ 100
#define K 10

static uint64_t rng_state;
static double unif(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

/* make_aniso: n vectors of the benchmark's aniso set (BENCHMARKS.md): 50 unit centres plus noise
 * with a power-law spectrum, normalised. Caller frees. */
static float *make_aniso(size_t n, int dim, uint64_t seed) {
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    enum { NC = 50 };
    float *c = malloc(sizeof(float) * NC * dim), *x = malloc(sizeof(float) * n * dim);
    double tot = 0;
    for (int j = 0; j < dim; j++) tot += 1.0 / (j + 1);
    for (int i = 0; i < NC * dim; i++) c[i] = (float)gauss();
    for (int i = 0; i < NC; i++) {
        double s = 0;
        for (int j = 0; j < dim; j++) s += c[i * dim + j] * c[i * dim + j];
        for (int j = 0; j < dim; j++) c[i * dim + j] /= (float)sqrt(s);
    }
    for (size_t i = 0; i < n; i++) {
        int ci = (int)(unif() * NC);
        double s = 0;
        for (int j = 0; j < dim; j++) {
            float v = c[ci * dim + j] + (float)(gauss() * sqrt(1.0 / (j + 1) / tot));
            x[i * dim + j] = v;
            s += (double)v * v;
        }
        for (int j = 0; j < dim; j++) x[i * dim + j] /= (float)sqrt(s);
    }
    free(c);
    return x;
}

/* brute: the true top-k slots of q among vectors[slot] for allowed slots (allowed NULL = all
 * where live[slot]), by the scalar float distance. */
static float ref_dist(int metric, const float *a, const float *b, int dim) {
    double s = 0;
    for (int i = 0; i < dim; i++) {
        double d = (double)a[i] - b[i];
        s += metric == DIST_EUCLID ? d * d : metric == DIST_MANHATTAN ? fabs(d) : (double)a[i] * b[i];
    }
    return metric == DIST_COSINE ? (float)(1 - s) : metric == DIST_DOT ? (float)-s : (float)s;
}

static void brute(int metric, const float *vecs, const uint8_t *ok, size_t n, int dim, const float *q, int k,
                  uint32_t *out, int *n_out) {
    float bd[K];
    int nb = 0;
    for (size_t s = 0; s < n; s++) {
        if (!ok[s]) continue;
        float d = ref_dist(metric, q, vecs + s * dim, dim);
        if (nb < k) nb++;
        else if (d >= bd[k - 1]) continue;
        int j = nb - 1;
        while (j > 0 && bd[j - 1] > d) {
            bd[j] = bd[j - 1];
            out[j] = out[j - 1];
            j--;
        }
        bd[j] = d;
        out[j] = (uint32_t)s;
    }
    *n_out = nb;
}

/* recall: mean recall@K of the index over the queries against brute force on the given slots'
 * vectors (vecs indexed by slot). */
static double recall(hnsw *h, int metric, const float *vecs, const uint8_t *ok, size_t n, const float *queries,
                     const hnsw_search_params *sp) {
    int hit = 0, total = 0;
    for (int i = 0; i < NQ; i++) {
        uint32_t truth[K];
        int nt;
        brute(metric, vecs, ok, n, DIM, queries + i * DIM, K, truth, &nt);
        hnsw_hit hits[K];
        int nh;
        vt_error err = {0};
        if (hnsw_search(h, queries + i * DIM, sp, hits, &nh, &err)) return -1;
        for (int j = 0; j < nh; j++) {
            if (!ok[hits[j].slot]) return -2; /* a deleted or disallowed slot came back */
            for (int t = 0; t < nt; t++) hit += hits[j].slot == truth[t];
        }
        total += nt;
    }
    return total ? (double)hit / total : 1.0;
}

static float *g_data, *g_queries; /* N base vectors, NQ queries (normalised) */
static vt_pool *g_pool;

static hnsw *build(int quant, int metric, const float *data, size_t n, vt_pool *pool) {
    hnsw_params p = hnsw_params_default();
    p.dim = DIM;
    p.metric = metric;
    p.m = 12;
    p.ef_construct = 100;
    p.quant = quant;
    hnsw *h = NULL;
    vt_error err = {0};
    if (hnsw_new(&p, &h, &err)) return NULL;
    if (hnsw_insert_batch(h, pool, n, NULL, data, NULL, &err)) {
        fprintf(stderr, "insert: %s\n", err.message);
        hnsw_free(h);
        return NULL;
    }
    return h;
}

static void test_build_recall(void) {
    hnsw *h = build(HNSW_QUANT_NONE, DIST_COSINE, g_data, N, g_pool);
    ASSERT_TRUE(h);
    ASSERT_EQ(hnsw_count(h), N);
    uint8_t *ok = malloc(N);
    memset(ok, 1, N);
    hnsw_search_params sp = hnsw_search_params_default();
    sp.k = K;
    sp.ef = 64;
    double r = recall(h, DIST_COSINE, g_data, ok, N, g_queries, &sp);
    printf("     recall@10 ef=64 after a 2-thread build: %.4f\n", r);
    ASSERT_TRUE(r >= 0.97);
    sp.ef = 10;
    double r10 = recall(h, DIST_COSINE, g_data, ok, N, g_queries, &sp);
    ASSERT_TRUE(r10 <= r + 1e-9 && r10 > 0.5);
    /* labels default to slots; hits are sorted */
    hnsw_hit hits[K];
    int nh;
    sp.ef = 64;
    ASSERT_EQ(hnsw_search(h, g_queries, &sp, hits, &nh, NULL), 0);
    ASSERT_EQ(nh, K);
    for (int i = 1; i < nh; i++) ASSERT_TRUE(hits[i - 1].dist <= hits[i].dist);
    ASSERT_EQ(hits[0].label, hits[0].slot);
    /* a stored vector finds itself first at distance ~0 */
    ASSERT_EQ(hnsw_search(h, g_data + 1234 * DIM, &sp, hits, &nh, NULL), 0);
    ASSERT_EQ(hits[0].slot, 1234);
    ASSERT_NEAR(hits[0].dist, 0.0, 1e-5);
    hnsw_stats st;
    hnsw_stats_get(h, &st);
    ASSERT_EQ(st.n_live, N);
    ASSERT_TRUE(st.max_level >= 1);
    ASSERT_TRUE(st.ram_bytes > (size_t)N * DIM * 4);
    free(ok);
    hnsw_free(h);
}

/* check_no_dangling: no live node links to a slot that is not in use (after a vacuum). */
static int dangling_links(const hnsw *h) {
    uint32_t ns = atomic_load(&h->n_slots);
    int bad = 0;
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = hnsw_meta(h, s);
        if (!(meta & HNSW_META_USED)) continue;
        for (int l = 0; l <= (int)(meta & HNSW_META_LEVEL); l++) {
            const uint32_t *list = hnsw_list(h, s, l);
            for (uint32_t i = 0; i < list[0]; i++) {
                uint32_t t = list[1 + i];
                uint32_t tm = hnsw_meta(h, t);
                bad += !(tm & HNSW_META_USED) || (tm & HNSW_META_DELETED) || (int)(tm & HNSW_META_LEVEL) < l;
            }
        }
    }
    return bad;
}

static void test_churn(void) {
    for (int quant = 0; quant < 2; quant++) {
        hnsw *h = build(quant, DIST_COSINE, g_data, N, g_pool);
        ASSERT_TRUE(h);
        /* vectors by slot: re-inserted vectors land in new or reused slots */
        float *by_slot = malloc(sizeof(float) * 2 * N * DIM);
        uint8_t *ok = calloc(2 * N, 1);
        memcpy(by_slot, g_data, sizeof(float) * N * DIM);
        memset(ok, 1, N);
        rng_state = 99 + quant;
        uint32_t *del = malloc(sizeof(uint32_t) * N);
        int n_del = 0;
        for (uint32_t s = 0; s < N; s++)
            if (unif() < 0.2) del[n_del++] = s;
        for (int i = 0; i < n_del; i++) {
            ASSERT_EQ(hnsw_delete(h, del[i], NULL), 0);
            ok[del[i]] = 0;
        }
        vt_error err = {0};
        ASSERT_EQ(hnsw_delete(h, del[0], &err), VT_ENOTFOUND);
        ASSERT_EQ(hnsw_count(h), N - n_del);
        hnsw_search_params sp = hnsw_search_params_default();
        sp.k = K;
        sp.ef = 64;
        double r_del = recall(h, DIST_COSINE, by_slot, ok, 2 * N, g_queries, &sp);
        /* re-insert the deleted vectors (new slots: tombstones still hold theirs) */
        float *again = malloc(sizeof(float) * n_del * DIM);
        uint32_t *slots = malloc(sizeof(uint32_t) * n_del);
        for (int i = 0; i < n_del; i++) memcpy(again + i * DIM, g_data + del[i] * DIM, sizeof(float) * DIM);
        ASSERT_EQ(hnsw_insert_batch(h, g_pool, n_del, NULL, again, slots, NULL), 0);
        for (int i = 0; i < n_del; i++) {
            ASSERT_TRUE(slots[i] >= N);
            memcpy(by_slot + slots[i] * DIM, again + i * DIM, sizeof(float) * DIM);
            ok[slots[i]] = 1;
        }
        double r_re = recall(h, DIST_COSINE, by_slot, ok, 2 * N, g_queries, &sp);
        ASSERT_EQ(hnsw_vacuum(h, g_pool, NULL), 0);
        hnsw_stats st;
        hnsw_stats_get(h, &st);
        ASSERT_EQ(st.n_deleted, 0);
        ASSERT_EQ(st.n_free, (uint32_t)n_del);
        ASSERT_EQ(dangling_links(h), 0);
        double r_vac = recall(h, DIST_COSINE, by_slot, ok, 2 * N, g_queries, &sp);
        /* a second round: delete the re-inserted ones, insert them again into the freed slots */
        for (int i = 0; i < n_del; i++) {
            ASSERT_EQ(hnsw_delete(h, slots[i], NULL), 0);
            ok[slots[i]] = 0;
        }
        ASSERT_EQ(hnsw_vacuum(h, g_pool, NULL), 0);
        ASSERT_EQ(hnsw_insert_batch(h, g_pool, n_del, NULL, again, slots, NULL), 0);
        for (int i = 0; i < n_del; i++) {
            ASSERT_TRUE(slots[i] < N); /* reused, lowest first */
            ASSERT_EQ(slots[i], del[i]);
            ok[slots[i]] = 1;
        }
        hnsw_stats_get(h, &st);
        ASSERT_EQ(st.n_slots, N + n_del); /* no growth: memory does not decay under churn */
        ASSERT_EQ(dangling_links(h), 0);
        double r_2 = recall(h, DIST_COSINE, by_slot, ok, 2 * N, g_queries, &sp);
        printf("     %s: recall@10 ef=64 after 20%% deletes %.4f, re-inserts %.4f, vacuum %.4f, second round %.4f\n",
               quant ? "int8" : "float32", r_del, r_re, r_vac, r_2);
        ASSERT_TRUE(r_del >= 0.95 && r_re >= 0.95 && r_vac >= 0.95 && r_2 >= 0.95);
        /* compaction renumbers: labels survive, nothing dangles, searches agree */
        hnsw_hit before[K], after[K];
        int nb, na;
        ASSERT_EQ(hnsw_delete(h, 5, NULL), 0);
        ASSERT_EQ(hnsw_search(h, g_queries, &sp, before, &nb, NULL), 0);
        uint32_t *remap = NULL, n_remap = 0;
        ASSERT_EQ(hnsw_compact(h, g_pool, &remap, &n_remap, NULL), 0);
        ASSERT_EQ(n_remap, N + n_del);
        ASSERT_EQ(remap[5], UINT32_MAX);
        ASSERT_EQ(remap[6], 5);
        hnsw_stats_get(h, &st);
        ASSERT_EQ(st.n_slots, N - 1);
        ASSERT_EQ(st.n_free, 0);
        ASSERT_EQ(dangling_links(h), 0);
        ASSERT_EQ(hnsw_search(h, g_queries, &sp, after, &na, NULL), 0);
        ASSERT_EQ(na, nb);
        for (int i = 0; i < na; i++) ASSERT_EQ(after[i].slot, remap[before[i].slot]);
        for (int i = 0; i < na; i++) ASSERT_EQ(after[i].label, before[i].label);
        vt_free(remap);
        free(by_slot);
        free(ok);
        free(del);
        free(again);
        free(slots);
        hnsw_free(h);
    }
}

static void test_update(void) {
    hnsw *h = build(HNSW_QUANT_NONE, DIST_COSINE, g_data, 500, NULL);
    ASSERT_TRUE(h);
    uint32_t ns;
    ASSERT_EQ(hnsw_update(h, 10, g_data + 900 * DIM, &ns, NULL), 0);
    ASSERT_TRUE(ns != 10);
    uint64_t label = 0;
    ASSERT_EQ(hnsw_slot_info(h, ns, &label), HNSW_SLOT_LIVE);
    ASSERT_EQ(label, 10);
    ASSERT_EQ(hnsw_slot_info(h, 10, NULL), HNSW_SLOT_DELETED);
    ASSERT_EQ(hnsw_slot_info(h, 100000, NULL), HNSW_SLOT_UNUSED);
    hnsw_search_params sp = hnsw_search_params_default();
    hnsw_hit hits[K];
    int nh;
    ASSERT_EQ(hnsw_search(h, g_data + 900 * DIM, &sp, hits, &nh, NULL), 0);
    ASSERT_EQ(hits[0].slot, ns);
    ASSERT_EQ(hnsw_update(h, 10, g_data, NULL, NULL), VT_ENOTFOUND);
    float v[DIM];
    ASSERT_EQ(hnsw_get_vector(h, ns, v, NULL), 0);
    ASSERT_NEAR(v[3], g_data[900 * DIM + 3], 1e-6);
    ASSERT_EQ(hnsw_count(h), 500);
    hnsw_free(h);
}

static void test_int8_vs_float(void) {
    hnsw *hf = build(HNSW_QUANT_NONE, DIST_COSINE, g_data, N, g_pool);
    hnsw *hq = build(HNSW_QUANT_INT8, DIST_COSINE, g_data, N, g_pool);
    ASSERT_TRUE(hf && hq);
    uint8_t *ok = malloc(N);
    memset(ok, 1, N);
    hnsw_search_params sp = hnsw_search_params_default();
    sp.k = K;
    for (int ef = 32; ef <= 128; ef *= 2) {
        sp.ef = ef;
        double rf = recall(hf, DIST_COSINE, g_data, ok, N, g_queries, &sp);
        double rq = recall(hq, DIST_COSINE, g_data, ok, N, g_queries, &sp);
        printf("     ef=%d recall@10 float32 %.4f int8 %.4f\n", ef, rf, rq);
        ASSERT_TRUE(rq >= rf - 0.005);
    }
    hnsw_stats sf, sq;
    hnsw_stats_get(hf, &sf);
    hnsw_stats_get(hq, &sq);
    ASSERT_TRUE(sq.n_quantised == (uint64_t)N * DIM);
    ASSERT_TRUE(sq.n_clipped < sq.n_quantised / 50);
    free(ok);
    hnsw_free(hf);
    hnsw_free(hq);
}

/* the int8 index with its float vectors in a mapped file: RAM shrinks, results agree */
static void test_int8_mapped(void) {
    char path[] = "/tmp/vt_test_hnsw_vecXXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    hnsw_params p = hnsw_params_default();
    p.dim = DIM;
    p.quant = HNSW_QUANT_INT8;
    p.vectors_path = path;
    hnsw *h;
    ASSERT_EQ(hnsw_new(&p, &h, NULL), 0);
    for (int i = 0; i < 300; i++) ASSERT_EQ(hnsw_insert(h, 1000 + i, g_data + i * DIM, NULL, NULL), 0);
    ASSERT_EQ(hnsw_insert_batch(h, NULL, 2000, NULL, g_data + 300 * DIM, NULL, NULL), 0);
    hnsw_stats st, st_ram;
    hnsw_stats_get(h, &st);
    ASSERT_TRUE(st.mapped_bytes >= (size_t)2300 * DIM * 4);
    hnsw *in_ram = build(HNSW_QUANT_INT8, DIST_COSINE, g_data, 2300, NULL);
    hnsw_stats_get(in_ram, &st_ram);
    hnsw_free(in_ram);
    /* the floats are not in RAM: the same index keeping them there holds at least that much more */
    ASSERT_TRUE(st.ram_bytes + (size_t)2300 * DIM * 4 <= st_ram.ram_bytes);
    uint8_t *ok = malloc(2300);
    memset(ok, 1, 2300);
    hnsw_search_params sp = hnsw_search_params_default();
    double r = recall(h, DIST_COSINE, g_data, ok, 2300, g_queries, &sp);
    printf("     int8 + mapped vectors, 300 single inserts then a batch: recall@10 %.4f\n", r);
    ASSERT_TRUE(r >= 0.97);
    free(ok);
    hnsw_free(h);
    unlink(path);
}

static void test_metrics(void) {
    for (int metric = 0; metric < DIST_N_METRICS; metric++)
        for (int quant = 0; quant < 2; quant++) {
            /* not normalised for dot/euclid/manhattan: scale rows */
            size_t n = 3000;
            float *x = malloc(sizeof(float) * n * DIM), *q = malloc(sizeof(float) * NQ * DIM);
            for (size_t i = 0; i < n * DIM; i++) x[i] = g_data[i] * (float)(1 + (i / DIM) % 3);
            memcpy(q, g_queries, sizeof(float) * NQ * DIM);
            hnsw *h = build(quant, metric, x, n, g_pool);
            ASSERT_TRUE(h);
            if (metric == DIST_COSINE) /* the index normalised them */
                memcpy(x, g_data, sizeof(float) * n * DIM);
            uint8_t *ok = malloc(n);
            memset(ok, 1, n);
            hnsw_search_params sp = hnsw_search_params_default();
            sp.ef = 64;
            double r = recall(h, metric, x, ok, n, q, &sp);
            printf("     %s %s recall@10 %.4f\n", dist_metric_name(metric), quant ? "int8" : "float32", r);
            ASSERT_TRUE(r >= 0.93);
            /* exact search is exact */
            sp.exact = 1;
            ASSERT_TRUE(recall(h, metric, x, ok, n, q, &sp) == 1.0);
            free(ok);
            free(x);
            free(q);
            hnsw_free(h);
        }
}

typedef struct {
    int mod;
} cb_ctx;
static int allow_cb(void *ctx, uint32_t slot, uint64_t label) {
    (void)slot;
    return label % (uint64_t)((cb_ctx *)ctx)->mod == 0;
}

static void test_filtered(void) {
    hnsw *h = build(HNSW_QUANT_NONE, DIST_COSINE, g_data, N, g_pool);
    ASSERT_TRUE(h);
    static const double sel[] = {0.5, 0.1, 0.01, 0.001};
    uint64_t *bits = calloc((N + 63) / 64, 8);
    uint8_t *ok = malloc(N);
    for (int si = 0; si < 4; si++) {
        memset(bits, 0, (N + 63) / 64 * 8);
        rng_state = 555 + si;
        int64_t n_allowed = 0;
        for (uint32_t s = 0; s < N; s++) {
            ok[s] = unif() < sel[si];
            if (s == (uint32_t)si) ok[s] = 1; /* at least one */
            if (ok[s]) bits[s >> 6] |= (uint64_t)1 << (s & 63), n_allowed++;
        }
        hnsw_filter f = {bits, N, NULL, NULL, n_allowed};
        hnsw_search_params sp = hnsw_search_params_default();
        sp.k = K;
        sp.ef = 64;
        sp.filter = &f;
        double r_auto = recall(h, DIST_COSINE, g_data, ok, N, g_queries, &sp);
        int plan = hnsw_plan_exact(h, &sp);
        f.n_allowed = -1; /* unknown: always the graph */
        double r_graph = recall(h, DIST_COSINE, g_data, ok, N, g_queries, &sp);
        printf("     allowed %.1f%%: recall@10 %.4f (%s), graph only %.4f\n", 100 * sel[si], r_auto,
               plan ? "exact scan" : "graph", r_graph);
        ASSERT_TRUE(r_auto >= 0.95);
        if (sel[si] >= 0.1) ASSERT_TRUE(r_graph >= 0.95);
        /* at 1 % of 8k (80 points) the two-hop graph is sparse: the planner scans instead */
        if (sel[si] >= 0.01) ASSERT_TRUE(r_graph >= 0.5);
        ASSERT_TRUE(r_graph >= 0); /* never a disallowed hit (recall returns -2 then) */
    }
    /* a callback filter on labels, traversal only */
    cb_ctx c = {10};
    hnsw_filter f = {NULL, 0, allow_cb, &c, -1};
    for (uint32_t s = 0; s < N; s++) ok[s] = s % 10 == 0;
    hnsw_search_params sp = hnsw_search_params_default();
    sp.filter = &f;
    double r = recall(h, DIST_COSINE, g_data, ok, N, g_queries, &sp);
    ASSERT_TRUE(r >= 0.95);
    /* exact over a slot list */
    uint32_t slots[] = {7, 7, 100, 2000, 4000, 7999, 123456};
    for (uint32_t s = 0; s < N; s++) ok[s] = s == 7 || s == 100 || s == 2000 || s == 4000 || s == 7999;
    hnsw_hit hits[K];
    int nh;
    ASSERT_EQ(hnsw_search_slots(h, g_queries, K, slots, 7, hits, &nh, NULL), 0);
    ASSERT_EQ(nh, 5);
    uint32_t truth[K];
    int nt;
    brute(DIST_COSINE, g_data, ok, N, DIM, g_queries, K, truth, &nt);
    for (int i = 0; i < nh; i++) ASSERT_EQ(hits[i].slot, truth[i]);
    free(bits);
    free(ok);
    hnsw_free(h);
}

static void test_args(void) {
    hnsw_params p = hnsw_params_default();
    hnsw *h = NULL;
    vt_error err = {0};
    ASSERT_EQ(hnsw_new(&p, &h, &err), VT_EINVAL); /* dim 0 */
    ASSERT_STR_CONTAINS(err.message, "dim");
    p.dim = DIST_MAX_DIM + 1;
    ASSERT_EQ(hnsw_new(&p, &h, NULL), VT_EINVAL);
    p.dim = 4;
    p.m = 1;
    ASSERT_EQ(hnsw_new(&p, &h, NULL), VT_EINVAL);
    p.m = 16;
    p.quant = HNSW_QUANT_INT8;
    p.quantile = 0.2f;
    ASSERT_EQ(hnsw_new(&p, &h, NULL), VT_EINVAL);
    p.quantile = 0.99f;
    p.max_slots = 3;
    ASSERT_EQ(hnsw_new(&p, &h, NULL), 0);
    float v[4] = {1, 2, 3, 4}, bad[4] = {1, NAN, 0, 0};
    hnsw_search_params sp = hnsw_search_params_default();
    hnsw_hit hits[10];
    int nh = 99;
    ASSERT_EQ(hnsw_search(h, v, &sp, hits, &nh, NULL), 0); /* empty */
    ASSERT_EQ(nh, 0);
    vt_error e2 = {0};
    ASSERT_EQ(hnsw_insert(h, 1, bad, NULL, &e2), VT_EINVAL);
    ASSERT_STR_CONTAINS(e2.message, "not finite");
    for (int i = 0; i < 3; i++) ASSERT_EQ(hnsw_insert(h, 1, v, NULL, NULL), 0);
    ASSERT_EQ(hnsw_insert(h, 1, v, NULL, NULL), VT_ELIMIT);
    sp.k = 0;
    ASSERT_EQ(hnsw_search(h, v, &sp, hits, &nh, NULL), VT_EINVAL);
    sp.k = 10;
    ASSERT_EQ(hnsw_search(h, bad, &sp, hits, &nh, NULL), VT_EINVAL);
    ASSERT_EQ(hnsw_search(h, v, &sp, hits, &nh, NULL), 0);
    ASSERT_EQ(nh, 3);
    hnsw_free(h);
    hnsw_free(NULL);
    /* the extreme sizes */
    int dims[] = {1, DIST_MAX_DIM};
    for (int d = 0; d < 2; d++) {
        hnsw_params q = hnsw_params_default();
        q.dim = (uint32_t)dims[d];
        q.metric = DIST_EUCLID;
        ASSERT_EQ(hnsw_new(&q, &h, NULL), 0);
        float *x = malloc(sizeof(float) * 20 * q.dim);
        for (size_t i = 0; i < 20 * (size_t)q.dim; i++) x[i] = (float)((i * 7919) % 101) / 100.0f;
        ASSERT_EQ(hnsw_insert_batch(h, g_pool, 20, NULL, x, NULL, NULL), 0);
        ASSERT_EQ(hnsw_search(h, x + 3 * q.dim, &sp, hits, &nh, NULL), 0);
        ASSERT_EQ(nh, 10);
        ASSERT_NEAR(hits[0].dist, 0, 1e-6);
        free(x);
        hnsw_free(h);
    }
}

static const char *tmp_path(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/vt_test_hnsw_%d_%s", (int)getpid(), name);
    return buf;
}

static int write_bytes(const char *path, const uint8_t *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static uint8_t *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*n);
    if (fread(d, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return d;
}

static void test_save_load(void) {
    for (int quant = 0; quant < 2; quant++) {
        hnsw *h = build(quant, DIST_COSINE, g_data, 3000, g_pool);
        ASSERT_TRUE(h);
        for (uint32_t s = 0; s < 3000; s += 7) ASSERT_EQ(hnsw_delete(h, s, NULL), 0);
        ASSERT_EQ(hnsw_vacuum(h, NULL, NULL), 0);
        for (uint32_t s = 1; s < 3000; s += 11) hnsw_delete(h, s, NULL); /* tombstones in the file too */
        char path[256];
        snprintf(path, sizeof path, "%s", tmp_path(quant ? "q8.idx" : "f32.idx"));
        vt_error err = {0};
        ASSERT_EQ(hnsw_save(h, path, 0x1122334455667788ull, &err), 0);
        hnsw_params expect = hnsw_params_default();
        expect.dim = DIM;
        expect.m = 12;
        expect.quant = quant;
        hnsw *g = NULL;
        uint64_t seq = 0;
        ASSERT_EQ(hnsw_load(path, &expect, &g, &seq, &err), 0);
        ASSERT_EQ(seq, 0x1122334455667788ull);
        hnsw_stats a, b;
        hnsw_stats_get(h, &a);
        hnsw_stats_get(g, &b);
        ASSERT_EQ(a.n_live, b.n_live);
        ASSERT_EQ(a.n_deleted, b.n_deleted);
        ASSERT_EQ(a.n_free, b.n_free);
        ASSERT_EQ(a.max_level, b.max_level);
        hnsw_search_params sp = hnsw_search_params_default();
        for (int i = 0; i < NQ; i++) {
            hnsw_hit x[K], y[K];
            int nx, ny;
            ASSERT_EQ(hnsw_search(h, g_queries + i * DIM, &sp, x, &nx, NULL), 0);
            ASSERT_EQ(hnsw_search(g, g_queries + i * DIM, &sp, y, &ny, NULL), 0);
            ASSERT_EQ(nx, ny);
            for (int j = 0; j < nx; j++) {
                ASSERT_EQ(x[j].slot, y[j].slot);
                ASSERT_EQ(x[j].label, y[j].label);
                ASSERT_TRUE(x[j].dist == y[j].dist);
            }
        }
        /* the loaded index takes inserts (into the freed slots first) and saves again */
        uint32_t slot;
        ASSERT_EQ(hnsw_insert(g, 77, g_data + 5000 * DIM, &slot, NULL), 0);
        ASSERT_EQ(slot, 0);
        ASSERT_EQ(hnsw_save(g, path, 5, NULL), 0);
        hnsw_free(g);
        ASSERT_EQ(hnsw_load(path, NULL, &g, &seq, NULL), 0);
        ASSERT_EQ(seq, 5);
        hnsw_free(g);
        hnsw_free(h);
        unlink(path);
    }
}

static void test_corrupt_files(void) {
    hnsw *h = build(HNSW_QUANT_INT8, DIST_COSINE, g_data, 400, NULL);
    ASSERT_TRUE(h);
    hnsw_delete(h, 3, NULL);
    const char *path = tmp_path("c.idx");
    ASSERT_EQ(hnsw_save(h, path, 9, NULL), 0);
    size_t n;
    uint8_t *orig = read_bytes(path, &n);
    ASSERT_TRUE(orig && n > 200);
    uint8_t *d = malloc(n);
    hnsw *g = NULL;
    vt_error err = {0};
    /* truncated at many lengths */
    size_t cuts[] = {0, 1, 8, 50, 96, 103, 104, 200, n / 2, n - 9, n - 8, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        ASSERT_EQ(write_bytes(path, orig, cuts[i]), 0);
        vt_error_clear(&err);
        ASSERT_EQ(hnsw_load(path, NULL, &g, NULL, &err), VT_ECORRUPT);
        ASSERT_STR_CONTAINS(err.message, path);
        ASSERT_TRUE(g == NULL);
    }
    /* one flipped bit anywhere: the checksum refuses it */
    for (size_t off = 0; off < n; off += n / 97 + 1) {
        memcpy(d, orig, n);
        d[off] ^= 0x10;
        ASSERT_EQ(write_bytes(path, d, n), 0);
        ASSERT_EQ(hnsw_load(path, NULL, &g, NULL, NULL), VT_ECORRUPT);
    }
    /* structural damage behind a valid checksum (what the fuzzer reaches) */
    static const struct {
        size_t off;
        uint32_t val;
    } pokes[] = {
        {16, 0},          /* dim 0 */
        {16, 70000},      /* dim too large */
        {20, 9},          /* metric */
        {24, 1},          /* m */
        {32, 7},          /* quant */
        {56, 401},        /* n_slots (size disagrees) */
        {60, 5},          /* n_live */
        {68, 400},        /* entry out of range */
        {96 + 8, 0x400},  /* slot 0: unknown meta bit */
        {96 + 12, 1000},  /* slot 0: too many links */
        {96 + 16 * 400, 100000}, /* slot 0's first layer-0 link out of range */
    };
    for (size_t i = 0; i < sizeof pokes / sizeof pokes[0]; i++) {
        memcpy(d, orig, n);
        memcpy(d + pokes[i].off, &pokes[i].val, 4);
        vt_error_clear(&err);
        ASSERT_EQ(hnsw_load_mem(d, n, "poked", NULL, 0, &g, NULL, &err), VT_ECORRUPT);
        ASSERT_STR_CONTAINS(err.message, "poked");
    }
    memcpy(d, orig, n);
    ASSERT_EQ(hnsw_load_mem(d, n, "ok", NULL, 0, &g, NULL, NULL), 0); /* the copy itself loads */
    hnsw_free(g);
    g = NULL;
    /* mismatched expectations */
    ASSERT_EQ(write_bytes(path, orig, n), 0);
    hnsw_params e = hnsw_params_default();
    e.dim = DIM + 1;
    e.quant = HNSW_QUANT_INT8;
    vt_error_clear(&err);
    ASSERT_EQ(hnsw_load(path, &e, &g, NULL, &err), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err.message, "mismatched");
    e.dim = DIM;
    e.quant = HNSW_QUANT_NONE;
    ASSERT_EQ(hnsw_load(path, &e, &g, NULL, NULL), VT_ECORRUPT);
    e.quant = HNSW_QUANT_INT8;
    e.metric = DIST_EUCLID;
    ASSERT_EQ(hnsw_load(path, &e, &g, NULL, NULL), VT_ECORRUPT);
    e.metric = DIST_COSINE;
    e.m = 12;
    ASSERT_EQ(hnsw_load(path, &e, &g, NULL, NULL), 0);
    hnsw_free(g);
    ASSERT_EQ(hnsw_load("/nonexistent/x.idx", NULL, &g, NULL, NULL), VT_ENOTFOUND);
    free(orig);
    free(d);
    unlink(path);
    hnsw_free(h);
}

/* every allocation of an operation fails in turn: a clean error, the index unchanged, no leak */
static void test_alloc_failures(void) {
    int64_t base = vt_alloc_live_bytes();
    int failed_any = 0;
    for (int64_t i = 1; i < 200; i++) {
        hnsw_params p = hnsw_params_default();
        p.dim = DIM;
        p.quant = (int)(i & 1);
        hnsw *h = NULL;
        vt_alloc_fail_at(i);
        int rc = hnsw_new(&p, &h, NULL);
        if (rc == 0) rc = hnsw_insert_batch(h, g_pool, 300, NULL, g_data, NULL, NULL);
        if (rc == 0) rc = hnsw_insert(h, 5, g_data + 400 * DIM, NULL, NULL);
        int injected = vt_alloc_injected() > 0;
        vt_alloc_fail_at(0);
        if (rc) {
            ASSERT_EQ(rc, VT_ENOMEM);
            failed_any = 1;
            if (h) { /* whatever failed left a usable index */
                uint32_t c = hnsw_count(h);
                ASSERT_TRUE(c == 0 || c == 300);
                ASSERT_EQ(hnsw_insert_batch(h, NULL, 10, NULL, g_data + 1000 * DIM, NULL, NULL), 0);
                ASSERT_EQ(hnsw_count(h), c + 10);
            }
        } else {
            ASSERT_TRUE(!injected || hnsw_count(h) == 301);
        }
        hnsw_free(h);
        ASSERT_EQ(vt_alloc_live_bytes(), base);
        if (!injected) break; /* every allocation has had its turn */
    }
    ASSERT_TRUE(failed_any);
    /* search, vacuum, save and load under failures */
    hnsw *h = build(HNSW_QUANT_NONE, DIST_COSINE, g_data, 500, NULL);
    for (uint32_t s = 0; s < 500; s += 5) hnsw_delete(h, s, NULL);
    const char *path = tmp_path("a.idx");
    ASSERT_EQ(hnsw_save(h, path, 1, NULL), 0);
    int64_t mid = vt_alloc_live_bytes();
    for (int64_t i = 1; i < 50; i++) {
        hnsw_search_params sp = hnsw_search_params_default();
        sp.ef = 300 + (int)i; /* a new, larger scratch each time */
        hnsw_hit hits[K];
        int nh;
        vt_alloc_fail_at(i);
        int r1 = hnsw_search(h, g_queries, &sp, hits, &nh, NULL);
        vt_alloc_fail_at(i);
        hnsw *g = NULL;
        int r2 = hnsw_load(path, NULL, &g, NULL, NULL);
        vt_alloc_fail_at(i);
        int r3 = hnsw_save(h, path, 1, NULL);
        vt_alloc_fail_at(0);
        ASSERT_TRUE(r1 == 0 || r1 == VT_ENOMEM);
        ASSERT_TRUE(r2 == 0 || r2 == VT_ENOMEM);
        ASSERT_TRUE(r3 == 0 || r3 == VT_ENOMEM);
        ASSERT_TRUE(r2 != 0 || g != NULL);
        hnsw_free(g);
    }
    for (int64_t i = 1; i < 20; i++) {
        vt_alloc_fail_at(i);
        int rc = hnsw_vacuum(h, g_pool, NULL);
        vt_alloc_fail_at(0);
        ASSERT_TRUE(rc == 0 || rc == VT_ENOMEM);
        ASSERT_EQ(dangling_links(h) == 0 || hnsw_count(h) == 400, 1);
        if (rc == 0) break;
    }
    (void)mid;
    unlink(path);
    hnsw_free(h);
    ASSERT_EQ(vt_alloc_live_bytes(), base);
}

/* searches in two threads while the writer inserts, deletes and vacuums */
typedef struct {
    hnsw *h;
    _Atomic int stop;
    _Atomic int errors;
} race_ctx;

static void *searcher(void *p) {
    race_ctx *c = p;
    hnsw_search_params sp = hnsw_search_params_default();
    int i = 0;
    while (!atomic_load(&c->stop)) {
        hnsw_hit hits[K];
        int nh;
        if (hnsw_search(c->h, g_queries + (i++ % NQ) * DIM, &sp, hits, &nh, NULL)) atomic_fetch_add(&c->errors, 1);
        for (int j = 1; j < nh; j++)
            if (hits[j].dist < hits[j - 1].dist) atomic_fetch_add(&c->errors, 1);
    }
    return NULL;
}

static void test_concurrent(void) {
    hnsw_params p = hnsw_params_default();
    p.dim = DIM;
    race_ctx c = {0};
    ASSERT_EQ(hnsw_new(&p, &c.h, NULL), 0);
    ASSERT_EQ(hnsw_insert_batch(c.h, NULL, 200, NULL, g_data, NULL, NULL), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, searcher, &c);
    for (int round = 0; round < 6; round++) {
        /* growth, single inserts, deletes, vacuum with searches in flight */
        ASSERT_EQ(hnsw_insert_batch(c.h, NULL, 500, NULL, g_data + (200 + round * 500) * DIM, NULL, NULL), 0);
        for (int i = 0; i < 50; i++) hnsw_insert(c.h, 0, g_data + (6000 + round * 50 + i) * DIM, NULL, NULL);
        for (uint32_t s = (uint32_t)round; s < 200 + 550 * (uint32_t)round; s += 9) hnsw_delete(c.h, s, NULL);
        ASSERT_EQ(hnsw_vacuum(c.h, NULL, NULL), 0);
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    ASSERT_EQ(atomic_load(&c.errors), 0);
    ASSERT_EQ(dangling_links(c.h), 0);
    hnsw_free(c.h);
}

int main(void) {
    /* the queries are drawn after the base from the same generator (same centres) */
    float *all = make_aniso(N + NQ, DIM, 1);
    g_data = malloc(sizeof(float) * N * DIM);
    g_queries = malloc(sizeof(float) * NQ * DIM);
    memcpy(g_data, all, sizeof(float) * N * DIM);
    memcpy(g_queries, all + (size_t)N * DIM, sizeof(float) * NQ * DIM);
    free(all);
    g_pool = vt_pool_new(2);
    RUN(test_build_recall);
    RUN(test_churn);
    RUN(test_update);
    RUN(test_int8_vs_float);
    RUN(test_int8_mapped);
    RUN(test_metrics);
    RUN(test_filtered);
    RUN(test_args);
    RUN(test_save_load);
    RUN(test_corrupt_files);
    RUN(test_alloc_failures);
    RUN(test_concurrent);
    vt_pool_free(g_pool);
    free(g_data);
    free(g_queries);
    TEST_END();
}
