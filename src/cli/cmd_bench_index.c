/*
 * cmd_bench_index.c — `vitrine bench index`: build and query throughput, memory and recall of the
 * HNSW index, printing one JSON object (the interface of ../shared/BENCHMARKS.md, which scripts
 * rely on; the peer bench/peers/hnswlib_bench.cpp prints the same object):
 *
 *   vitrine bench index (--base B.fbin --queries Q.fbin [--gt G.ibin]
 *                        | --synthetic aniso|clustered|uniform --n N --dim D [--seed S] [--nq Q])
 *                       [--metric cosine|dot|euclid|manhattan] [--m 16] [--ef-construct 128]
 *                       [--threads 2] [--ef 32,64,128,256] [--k 10] [--quantization int8]
 *                       [--quantile Q] [--oversample O] [--vectors-in-ram]
 *                       [--filter-selectivity S] [--results-prefix P]
 *                       [--write-data PREFIX]
 *
 *   {"bench":"index","engine":"vitrine","n":…,"dim":…,"m":…,"ef_construct":…,"threads":…,
 *    "build_seconds":…,"index_bytes":…,"bytes_per_vector":…,
 *    "search":[{"ef":64,"k":10,"recall":…,"qps_1":…,"qps_n":…,"p50_ms":…,"p99_ms":…}, …], …}
 *
 * Files: .fbin is int32 n, int32 dim, then n × dim float32; .ibin is int32 n, int32 k, then n × k
 * int32 ids (the big-ann-benchmarks formats, little-endian). Without --gt the ground truth is
 * computed by brute force over the pool. --write-data PREFIX writes the synthetic set as
 * PREFIX.base.fbin, PREFIX.queries.fbin and PREFIX.gt.ibin and exits, so bench/index.sh can give
 * the same files to vitrine and to hnswlib.
 *
 * Synthetic sets (deterministic in --seed; the queries are further draws of the same generator):
 * uniform — N(0,1) per dimension, normalised; clustered — 100 random unit centres plus isotropic
 * Gaussian noise of norm ~1, normalised; aniso — the same centres, noise whose dimension j has a
 * standard deviation ∝ 1/sqrt(j+1) (total norm ~1), normalised.
 *
 * Figures: build_seconds is one hnsw_insert_batch over --threads workers. Per ef: qps_1 runs the
 * queries one after another on one thread, qps_n spreads them over --threads workers (one search
 * per query), each the best of 3 rounds; p50/p99 are per-query latencies of the best
 * single-thread round; recall is recall@k against the ground truth. index_bytes is the index's
 * own account of its RAM (hnsw_stats_get: nodes, links, labels, upper layers, scratch — and the
 * float32 vectors unless int8 put them in a mapped file, reported as mapped_bytes).
 *
 * --quantile Q sets the int8 clipping quantile (hnsw_params.quantile, default 1: the whole range)
 * and --oversample O the int8 minimum beam of ceil(k · O) (hnsw_search_params.oversample, default
 * 4), so both can be swept without a rebuild of the program.
 *
 * --filter-selectivity S allows a seeded random S of the points (a bitset with its count) and adds
 * "filter":{…} with, per ef, the recall and mean latency of the filtered search as the index plans
 * it, of the filtered graph traversal alone, of the exact scan of the allowed points, and the
 * unfiltered latency, on one thread — the planner goal is auto ≤ 1.5 × min(exact, unfiltered).
 * It then runs the same subset as a payload filter through the database API with a field index
 * ("db":{…}, cmd_bench_index_db.c): planned, unfiltered and exact latencies measured there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/pool.h"
#include "cli.h"
#include "index/hnsw.h"

#define MAX_EFS 32

/* cmd_bench_index_db.c: the filtered search through the database ("db":{…} in "filter") */
int bench_filtered_db(const float *base, int n, int dim, const float *queries, int nq, int k, int metric, int m,
                      int efc, const uint64_t *allowed, const int32_t *fgt, const int *efs, int n_efs,
                      const double *raw_exact_ms, const double *raw_unfiltered_ms);
#define MAX_THREADS 256

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- data ---- */

typedef struct rng {
    uint64_t s;
} rng;
static double rng_unif(rng *r) { /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (double)((r->s * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}
static double rng_gauss(rng *r) {
    double u = rng_unif(r) + 1e-300, v = rng_unif(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* synth: n rows of kind into x (n × dim), continuing generator r (centres fixed by seed). */
static void synth(const char *kind, const float *centres, size_t n, int dim, rng *r, float *x) {
    double tot = 0;
    for (int j = 0; j < dim; j++) tot += 1.0 / (j + 1);
    int aniso = strcmp(kind, "aniso") == 0, uniform = strcmp(kind, "uniform") == 0;
    for (size_t i = 0; i < n; i++) {
        float *v = x + i * (size_t)dim;
        int c = (int)(rng_unif(r) * 100) % 100;
        double s = 0;
        for (int j = 0; j < dim; j++) {
            double g = rng_gauss(r);
            double val = uniform ? g : centres[c * dim + j] + g * (aniso ? sqrt(1.0 / (j + 1) / tot) : 1.0 / sqrt(dim));
            v[j] = (float)val;
            s += val * val;
        }
        float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 1.0f;
        for (int j = 0; j < dim; j++) v[j] *= inv;
    }
}

static float *make_centres(int dim, rng *r) {
    float *c = vt_malloc(sizeof(float) * 100 * (size_t)dim);
    if (!c) return NULL;
    for (int i = 0; i < 100; i++) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
            c[i * dim + j] = (float)rng_gauss(r);
            s += (double)c[i * dim + j] * c[i * dim + j];
        }
        for (int j = 0; j < dim; j++) c[i * dim + j] /= (float)sqrt(s);
    }
    return c;
}

/* A matrix: read from an .fbin/.ibin map, or generated. */
typedef struct mat {
    vt_map map;     /* the file, when read */
    void *own;      /* vt_malloc'd rows, when generated */
    const void *p;  /* rows */
    int32_t n, d;
} mat;

static int read_bin(const char *path, size_t elem, mat *m) {
    vt_error err = {0};
    if (vt_file_map(path, &m->map, &err)) {
        fprintf(stderr, "vitrine bench index: %s\n", err.message);
        return 1;
    }
    if (m->map.len < 8) goto bad;
    memcpy(&m->n, m->map.data, 4);
    memcpy(&m->d, m->map.data + 4, 4);
    if (m->n < 0 || m->d <= 0 || (uint64_t)m->n * (uint64_t)m->d * elem + 8 != m->map.len) goto bad;
    m->p = m->map.data + 8;
    return 0;
bad:
    fprintf(stderr, "vitrine bench index: %s: not a valid file (int32 n, int32 dim, n × dim values)\n", path);
    vt_file_unmap(&m->map);
    return 1;
}

static void mat_free(mat *m) {
    vt_file_unmap(&m->map);
    vt_free(m->own);
}

static int write_bin(const char *path, const void *rows, int32_t n, int32_t d, size_t elem) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "vitrine bench index: cannot write %s\n", path);
        return 1;
    }
    int ok = fwrite(&n, 4, 1, f) == 1 && fwrite(&d, 4, 1, f) == 1 &&
             fwrite(rows, elem, (size_t)n * (size_t)d, f) == (size_t)n * (size_t)d;
    ok = (fclose(f) == 0) && ok;
    if (!ok) fprintf(stderr, "vitrine bench index: cannot write %s\n", path);
    return !ok;
}

/* ---- ground truth by brute force over the pool ---- */

typedef struct gt_ctx {
    int metric, dim, k;
    const float *base, *queries;
    size_t n;
    const uint64_t *allowed; /* NULL = all */
    int32_t *out;            /* nq × k */
} gt_ctx;

static void gt_task(void *p, int task, int worker) {
    (void)worker;
    gt_ctx *g = p;
    const float *q = g->queries + (size_t)task * g->dim;
    float bd[1024]; /* k ≤ 1000 (the --k bound) */
    int32_t *bi = g->out + (size_t)task * g->k;
    int nb = 0;
    float *row = vt_malloc(sizeof(float) * (size_t)g->dim), *qn = vt_malloc(sizeof(float) * (size_t)g->dim);
    if (!row || !qn) { /* leaves the row empty: counted as misses */
        vt_free(row), vt_free(qn);
        for (int j = 0; j < g->k; j++) bi[j] = -1;
        return;
    }
    memcpy(qn, q, sizeof(float) * (size_t)g->dim);
    if (g->metric == DIST_COSINE) dist_normalize(qn, (size_t)g->dim);
    for (size_t s = 0; s < g->n; s++) {
        if (g->allowed && !((g->allowed[s >> 6] >> (s & 63)) & 1u)) continue;
        const float *v = g->base + s * (size_t)g->dim;
        if (g->metric == DIST_COSINE) {
            memcpy(row, v, sizeof(float) * (size_t)g->dim);
            dist_normalize(row, (size_t)g->dim);
            v = row;
        }
        float d = dist_f32(g->metric, qn, v, (size_t)g->dim);
        if (nb == g->k && d >= bd[nb - 1]) continue;
        int j = nb < g->k ? nb++ : nb - 1;
        while (j > 0 && bd[j - 1] > d) {
            bd[j] = bd[j - 1];
            bi[j] = bi[j - 1];
            j--;
        }
        bd[j] = d;
        bi[j] = (int32_t)s;
    }
    for (int j = nb; j < g->k; j++) bi[j] = -1;
    vt_free(row);
    vt_free(qn);
}

/* ---- timed searches ---- */

typedef struct run_ctx {
    hnsw *h;
    const float *queries;
    int dim, nq;
    hnsw_search_params sp;
    hnsw_hit *hits;  /* nq × k */
    double *lat;     /* nq latencies (s) */
    int failed;
} run_ctx;

static void run_task(void *p, int task, int worker) {
    (void)worker;
    run_ctx *r = p;
    int nh;
    double t0 = now();
    if (hnsw_search(r->h, r->queries + (size_t)task * r->dim, &r->sp, r->hits + (size_t)task * r->sp.k, &nh, NULL))
        r->failed = 1;
    for (int j = nh; j < r->sp.k; j++) r->hits[(size_t)task * r->sp.k + j].label = UINT64_MAX;
    r->lat[task] = now() - t0;
}

/* run: queries/s of one pass (best of rounds), over pool (NULL: one thread); lat keeps the best
 * pass's latencies. */
static double run(run_ctx *r, vt_pool *pool, int rounds) {
    double best = 0;
    double *lat = vt_malloc(sizeof(double) * (size_t)r->nq), *keep = r->lat;
    for (int i = 0; i < rounds; i++) {
        r->lat = lat;
        double t0 = now();
        vt_pool_run(pool, r->nq, run_task, r);
        double qps = r->nq / (now() - t0);
        if (qps > best) {
            best = qps;
            memcpy(keep, lat, sizeof(double) * (size_t)r->nq);
        }
    }
    r->lat = keep;
    vt_free(lat);
    return best;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double recall_of(const hnsw_hit *hits, const int32_t *gt, int gt_k, int nq, int k) {
    long hit = 0, total = 0;
    for (int i = 0; i < nq; i++) {
        const int32_t *g = gt + (size_t)i * gt_k;
        for (int j = 0; j < k; j++) {
            if (g[j] < 0) continue;
            total++;
            for (int t = 0; t < k; t++)
                if (hits[(size_t)i * k + t].label == (uint64_t)g[j]) {
                    hit++;
                    break;
                }
        }
    }
    return total ? (double)hit / (double)total : 1.0;
}

static double mean_ms(const double *lat, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += lat[i];
    return 1e3 * s / n;
}

int bench_index(int argc, char **argv) {
    const char *base_path = NULL, *q_path = NULL, *gt_path = NULL, *synthetic = NULL, *results = NULL,
               *write_data = NULL, *v;
    int n = 0, dim = 0, nq_synth = 1000, m = 16, efc = 128, threads = 2, k = 10, metric = DIST_COSINE, quant = 0;
    int vectors_in_ram = 0, n_efs = 0, efs[MAX_EFS];
    uint64_t seed = 1;
    double selectivity = -1, quantile = 0, oversample = 0;
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--base"))) base_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--queries"))) q_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--gt"))) gt_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--synthetic"))) synthetic = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--n"))) n = cli_int("--n", v, 1, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--dim"))) dim = cli_int("--dim", v, 1, DIST_MAX_DIM);
        else if ((v = cli_flag_value(argc, argv, &i, "--nq"))) nq_synth = cli_int("--nq", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed"))) seed = (uint64_t)cli_int("--seed", v, 0, 1 << 30);
        else if ((v = cli_flag_value(argc, argv, &i, "--metric"))) {
            if (dist_metric_parse(v, &metric)) return cli_usage_error("bench index", "unknown metric %s", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--m"))) m = cli_int("--m", v, 2, HNSW_MAX_M);
        else if ((v = cli_flag_value(argc, argv, &i, "--ef-construct"))) efc = cli_int("--ef-construct", v, 2, HNSW_MAX_EF);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 1, MAX_THREADS);
        else if ((v = cli_flag_value(argc, argv, &i, "--k"))) k = cli_int("--k", v, 1, 1000);
        else if ((v = cli_flag_value(argc, argv, &i, "--ef"))) {
            n_efs = 0;
            for (const char *s = v; *s && n_efs < MAX_EFS;) {
                char *end;
                long e = strtol(s, &end, 10);
                if (end == s || e < 1 || e > HNSW_MAX_EF) return cli_usage_error("bench index", "bad --ef list %s", v);
                efs[n_efs++] = (int)e;
                s = *end == ',' ? end + 1 : end;
                if (*end && *end != ',') return cli_usage_error("bench index", "bad --ef list %s", v);
            }
        } else if ((v = cli_flag_value(argc, argv, &i, "--quantization"))) {
            if (strcmp(v, "int8") == 0) quant = HNSW_QUANT_INT8;
            else if (strcmp(v, "none") != 0) return cli_usage_error("bench index", "unknown quantization %s", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--quantile"))) {
            char *end;
            quantile = strtod(v, &end);
            if (*end || !(quantile > 0.5 && quantile <= 1)) return cli_usage_error("bench index", "--quantile must be in (0.5, 1]");
        } else if ((v = cli_flag_value(argc, argv, &i, "--oversample"))) {
            char *end;
            oversample = strtod(v, &end);
            if (*end || !(oversample >= 1 && oversample <= 100)) return cli_usage_error("bench index", "--oversample must be in [1, 100]");
        } else if (strcmp(argv[i], "--vectors-in-ram") == 0) vectors_in_ram = 1;
        else if ((v = cli_flag_value(argc, argv, &i, "--filter-selectivity"))) {
            char *end;
            selectivity = strtod(v, &end);
            if (*end || !(selectivity > 0 && selectivity <= 1))
                return cli_usage_error("bench index", "--filter-selectivity must be in (0, 1]");
        } else if ((v = cli_flag_value(argc, argv, &i, "--results-prefix"))) results = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--write-data"))) write_data = v;
        else return cli_usage_error("bench index", "unknown option %s", argv[i]);
    }
    if (n_efs == 0) {
        static const int def[] = {32, 64, 128, 256};
        memcpy(efs, def, sizeof def);
        n_efs = 4;
    }
    if (!synthetic && (!base_path || !q_path))
        return cli_usage_error("bench index", "give --base and --queries, or --synthetic KIND --n N --dim D");
    if (synthetic && (strcmp(synthetic, "aniso") && strcmp(synthetic, "clustered") && strcmp(synthetic, "uniform")))
        return cli_usage_error("bench index", "--synthetic must be aniso, clustered or uniform");
    if (synthetic && (n <= 0 || dim <= 0)) return cli_usage_error("bench index", "--synthetic needs --n and --dim");

    int rc = 1;
    mat base = {0}, queries = {0}, gt = {0};
    vt_pool *pool = NULL;
    hnsw *h = NULL;
    hnsw_hit *hits = NULL;
    double *lat = NULL;
    uint64_t *bits = NULL;
    int32_t *fgt = NULL;
    char vec_path[512] = "";
    if (synthetic) {
        rng r = {seed * 0x9E3779B97F4A7C15ull + 0x1234567};
        float *c = make_centres(dim, &r);
        float *b = vt_malloc(sizeof(float) * (size_t)n * (size_t)dim), *q = vt_malloc(sizeof(float) * (size_t)nq_synth * dim);
        if (!c || !b || !q) {
            vt_free(c), vt_free(b), vt_free(q);
            fprintf(stderr, "vitrine bench index: out of memory for %d × %d vectors\n", n, dim);
            return 1;
        }
        synth(synthetic, c, (size_t)n, dim, &r, b);
        synth(synthetic, c, (size_t)nq_synth, dim, &r, q);
        vt_free(c);
        base = (mat){.own = b, .p = b, .n = n, .d = dim};
        queries = (mat){.own = q, .p = q, .n = nq_synth, .d = dim};
    } else {
        if (read_bin(base_path, 4, &base) || read_bin(q_path, 4, &queries)) goto out;
        if (queries.d != base.d) {
            fprintf(stderr, "vitrine bench index: %s has dim %d, %s has %d\n", q_path, queries.d, base_path, base.d);
            goto out;
        }
        if (gt_path && read_bin(gt_path, 4, &gt)) goto out;
        if (gt_path && (gt.n != queries.n || gt.d < k)) {
            fprintf(stderr, "vitrine bench index: %s holds %d × %d ids for %d queries and k %d\n", gt_path, gt.n, gt.d,
                    queries.n, k);
            goto out;
        }
    }
    n = base.n;
    dim = base.d;
    int nq = queries.n;
    pool = vt_pool_new(threads);
    if (!pool) goto oom;
    if (!gt.p) { /* brute force */
        int32_t *g = vt_malloc(sizeof(int32_t) * (size_t)nq * k);
        if (!g) goto oom;
        gt_ctx gc = {metric, dim, k, base.p, queries.p, (size_t)n, NULL, g};
        vt_pool_run(pool, nq, gt_task, &gc);
        gt = (mat){.own = g, .p = g, .n = nq, .d = k};
    }
    if (write_data) {
        char path[1024];
        snprintf(path, sizeof path, "%s.base.fbin", write_data);
        if (write_bin(path, base.p, base.n, base.d, 4)) goto out;
        snprintf(path, sizeof path, "%s.queries.fbin", write_data);
        if (write_bin(path, queries.p, queries.n, queries.d, 4)) goto out;
        snprintf(path, sizeof path, "%s.gt.ibin", write_data);
        if (write_bin(path, gt.p, gt.n, gt.d, 4)) goto out;
        printf("{\"bench\":\"index\",\"written\":\"%s\",\"n\":%d,\"dim\":%d,\"nq\":%d,\"k\":%d}\n", write_data, n, dim, nq,
               gt.d);
        rc = 0;
        goto out;
    }

    /* build */
    hnsw_params p = hnsw_params_default();
    p.dim = (uint32_t)dim;
    p.metric = metric;
    p.m = m;
    p.ef_construct = efc < m ? m : efc;
    p.quant = quant;
    if (quantile > 0) p.quantile = (float)quantile;
    p.capacity = (uint32_t)n;
    if (quant && !vectors_in_ram) {
        snprintf(vec_path, sizeof vec_path, "/tmp/vitrine-bench-vectors-%d.f32", (int)getpid());
        p.vectors_path = vec_path;
    }
    vt_error err = {0};
    if (hnsw_new(&p, &h, &err)) goto fail;
    double t0 = now();
    if (hnsw_insert_batch(h, pool, (size_t)n, NULL, base.p, NULL, &err)) goto fail;
    double build_s = now() - t0;
    hnsw_stats st;

    hits = vt_malloc(sizeof(hnsw_hit) * (size_t)nq * k);
    lat = vt_malloc(sizeof(double) * (size_t)nq);
    if (!hits || !lat) goto oom;
    /* warm the scratch pool for every worker and the largest ef, so that index_bytes is final */
    run_ctx warm = {h, queries.p, dim, nq < 64 ? nq : 64, hnsw_search_params_default(), hits, lat, 0};
    warm.sp.k = k;
    for (int e = 0; e < n_efs; e++)
        if (efs[e] > warm.sp.ef) warm.sp.ef = efs[e];
    run(&warm, pool, 1);
    hnsw_stats_get(h, &st);
    printf("{\"bench\":\"index\",\"engine\":\"vitrine\",\"data\":\"%s\",\"n\":%d,\"dim\":%d,\"nq\":%d,\"metric\":\"%s\","
           "\"quantization\":\"%s\",\"m\":%d,\"ef_construct\":%d,\"threads\":%d,\"kernels\":\"%s\","
           "\"build_seconds\":%.3f,\"index_bytes\":%zu,\"bytes_per_vector\":%.1f,\"mapped_bytes\":%zu,\"search\":[",
           synthetic ? synthetic : base_path, n, dim, nq, dist_metric_name(metric), quant ? "int8" : "none", m,
           p.ef_construct, threads, dist_kernels_get()->name, build_s, st.ram_bytes, (double)st.ram_bytes / n,
           st.mapped_bytes);
    double unfiltered_ms[MAX_EFS];
    for (int e = 0; e < n_efs; e++) {
        run_ctx r = {h, queries.p, dim, nq, hnsw_search_params_default(), hits, lat, 0};
        r.sp.k = k;
        r.sp.ef = efs[e];
        if (oversample > 0) r.sp.oversample = (float)oversample;
        double qps_n = run(&r, pool, 3);
        double qps_1 = run(&r, NULL, 3);
        if (r.failed) goto fail_search;
        double rec = recall_of(hits, gt.p, gt.d, nq, k);
        unfiltered_ms[e] = mean_ms(lat, nq);
        qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
        printf("%s{\"ef\":%d,\"k\":%d,\"recall\":%.4f,\"qps_1\":%.1f,\"qps_n\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f}",
               e ? "," : "", efs[e], k, rec, qps_1, qps_n, 1e3 * lat[nq / 2], 1e3 * lat[(size_t)nq * 99 / 100]);
        if (results) {
            char path[1024];
            snprintf(path, sizeof path, "%s.ef%d.ibin", results, efs[e]);
            int32_t *ids = vt_malloc(sizeof(int32_t) * (size_t)nq * k);
            if (!ids) goto oom;
            for (size_t i = 0; i < (size_t)nq * k; i++)
                ids[i] = hits[i].label == UINT64_MAX ? -1 : (int32_t)hits[i].label;
            int w = write_bin(path, ids, nq, k, 4);
            vt_free(ids);
            if (w) goto out;
        }
    }
    printf("]");
    if (selectivity > 0) {
        /* a seeded random subset of the slots (= rows: the batch filled slots 0 .. n-1) */
        size_t words = ((size_t)n + 63) / 64;
        bits = vt_calloc(words, 8);
        fgt = vt_malloc(sizeof(int32_t) * (size_t)nq * k);
        if (!bits || !fgt) goto oom;
        rng r = {seed + 777};
        int64_t n_allowed = 0;
        for (int s = 0; s < n; s++)
            if (rng_unif(&r) < selectivity) bits[s >> 6] |= (uint64_t)1 << (s & 63), n_allowed++;
        gt_ctx gc = {metric, dim, k, base.p, queries.p, (size_t)n, bits, fgt};
        vt_pool_run(pool, nq, gt_task, &gc);
        hnsw_filter f = {bits, (uint32_t)n, NULL, NULL, n_allowed};
        printf(",\"filter\":{\"selectivity\":%g,\"n_allowed\":%lld,\"search\":[", selectivity, (long long)n_allowed);
        double raw_exact_ms[MAX_EFS];
        for (int e = 0; e < n_efs; e++) {
            run_ctx rr = {h, queries.p, dim, nq, hnsw_search_params_default(), hits, lat, 0};
            rr.sp.k = k;
            rr.sp.ef = efs[e];
            rr.sp.filter = &f;
            f.n_allowed = n_allowed;
            int plan = hnsw_plan_exact(h, &rr.sp);
            run(&rr, NULL, 3);
            double auto_ms = mean_ms(lat, nq), auto_rec = recall_of(hits, fgt, k, nq, k);
            f.n_allowed = -1;
            run(&rr, NULL, 1);
            double graph_ms = mean_ms(lat, nq), graph_rec = recall_of(hits, fgt, k, nq, k);
            rr.sp.exact = 1;
            run(&rr, NULL, 1);
            double exact_ms = mean_ms(lat, nq);
            if (rr.failed) goto fail_search;
            double best = exact_ms < unfiltered_ms[e] ? exact_ms : unfiltered_ms[e];
            raw_exact_ms[e] = exact_ms;
            printf("%s{\"ef\":%d,\"plan\":\"%s\",\"recall\":%.4f,\"ms\":%.4f,\"graph_recall\":%.4f,\"graph_ms\":%.4f,"
                   "\"exact_ms\":%.4f,\"unfiltered_ms\":%.4f,\"ratio_to_best\":%.3f}",
                   e ? "," : "", efs[e], plan ? "exact" : "graph", auto_rec, auto_ms, graph_rec, graph_ms, exact_ms,
                   unfiltered_ms[e], auto_ms / best);
        }
        printf("]");
        /* the same subset as a payload filter through the database and its field index */
        if (bench_filtered_db(base.p, n, dim, queries.p, nq, k, metric, m, p.ef_construct, bits, fgt, efs, n_efs,
                              raw_exact_ms, unfiltered_ms))
            goto out;
        printf("}");
    }
    printf("}\n");
    rc = 0;
    goto out;
fail_search:
    fprintf(stderr, "vitrine bench index: a search failed\n");
    goto out;
oom:
    fprintf(stderr, "vitrine bench index: out of memory\n");
    goto out;
fail:
    fprintf(stderr, "vitrine bench index: %s\n", err.message);
out:
    hnsw_free(h);
    if (vec_path[0]) unlink(vec_path);
    vt_pool_free(pool);
    vt_free(hits);
    vt_free(lat);
    vt_free(bits);
    vt_free(fgt);
    mat_free(&base);
    mat_free(&queries);
    mat_free(&gt);
    return rc;
}
