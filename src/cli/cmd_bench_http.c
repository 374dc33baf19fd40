/*
 * cmd_bench_http.c — `vitrine bench http`: the server under load, beside the same searches
 * in-process, printing one JSON object.
 *
 *   vitrine bench http [--n 100000] [--dim 512] [--clients 1,8,64] [--requests 2000] [--threads T]
 *
 * 1. starts `vitrine serve` (this executable) on a free loopback port over a scratch folder;
 * 2. creates a Cosine collection of --n random --dim vectors with payload {"group": i % 10} (an
 *    integer payload index on it), upserted over HTTP in batches of 256: points/s, JSON encoding
 *    on the client included;
 * 3. one warm-up search builds the HNSW index (timed on its own);
 * 4. for each client count: that many threads, each with its own keep-alive connection, send
 *    --requests top-10 searches (POST /points/query) in all, without and with a filter matching
 *    10 % of the points: requests/s, p50/p95/p99 latency, errors (non-200 or transport);
 * 5. stops the server (SIGTERM) and runs the same queries in this process on the same folder
 *    (vt_points_search): the p50 difference is what HTTP, JSON and the server add;
 * 6. to keep drift on a shared machine out of that difference, two more rounds of (restart the
 *    server, 1 client over HTTP, stop it, in-process) follow; "server_adds_p50_ms" is the median of
 *    the three rounds' differences (and likewise filtered).
 * Goal (issue): the server adds < 0.3 ms to a search, and 64 concurrent clients see no errors.
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli.h"

#define CMD "bench http"
#define N_QUERIES 256 /* distinct query vectors, cycled */
#define MAX_CLIENT_SETTINGS 8
#define ROUNDS 3      /* HTTP/in-process rounds for the overhead figure */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float rng_float(uint64_t *s) { return (float)((double)(rng_next(s) >> 11) / 9007199254740992.0 * 2 - 1); }

/* ---- a growing text buffer ---- */

typedef struct sbuf {
    char *d;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *d = realloc(b->d, cap);
        if (!d) return -1;
        b->d = d, b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = '\0';
    return 0;
}

static int sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return k < 0 || (size_t)k >= sizeof tmp ? -1 : sb_put(b, tmp, (size_t)k);
}

static void sb_vector(sbuf *b, const float *v, int dim) {
    sb_put(b, "[", 1);
    for (int i = 0; i < dim; i++) sb_printf(b, i ? ",%.6g" : "%.6g", (double)v[i]);
    sb_put(b, "]", 1);
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t s, size_t n, void *ctx) {
    sbuf *b = ctx;
    return sb_put(b, p, s * n) ? 0 : s * n;
}

/* http: one request on handle c (reused: keep-alive); the status, or -1 on a transport error. */
static long http(CURL *c, const char *method, const char *url, const char *body, sbuf *answer) {
    /* No "Expect: 100-continue": libcurl 7.x adds it to bodies over 1 KiB and then waits a
     * round trip for the server's "100 Continue"; the clients people use (Python's httpx,
     * JavaScript's undici) never send it, so it would only measure curl. */
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    answer->n = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

/* ---- the server child ---- */

static pid_t start_server(const char *dir, int threads, int *port) {
    int p[2];
    if (pipe(p)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) _exit(127);
        exe[n] = '\0';
        char th[16];
        snprintf(th, sizeof th, "%d", threads);
        execl(exe, exe, "serve", "--data", dir, "--port", "0", "--threads", th, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char line[512];
    *port = 0;
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "listening on http://");
        const char *colon = at ? strrchr(at, ':') : NULL;
        if (colon) {
            *port = atoi(colon + 1);
            break;
        }
    }
    /* keep reading (and dropping) the server's stderr so it never blocks on a full pipe */
    if (f && fork() == 0) {
        while (fgets(line, sizeof line, f)) {
        }
        _exit(0);
    }
    if (f) fclose(f);
    return *port ? pid : -1;
}

/* ---- the load ---- */

typedef struct load {
    const char *url;
    char **bodies; /* N_QUERIES request bodies */
    int next;      /* shared request counter */
    int total;
    pthread_mutex_t mu;
    double *lat;   /* total latencies, ms */
    int errors;
} load;

static void *client_main(void *arg) {
    load *l = arg;
    CURL *c = curl_easy_init();
    sbuf ans = {0};
    for (;;) {
        pthread_mutex_lock(&l->mu);
        int i = l->next < l->total ? l->next++ : -1;
        pthread_mutex_unlock(&l->mu);
        if (i < 0) break;
        double t0 = now_s();
        long st = c ? http(c, "POST", l->url, l->bodies[i % N_QUERIES], &ans) : -1;
        double ms = (now_s() - t0) * 1e3;
        pthread_mutex_lock(&l->mu);
        l->lat[i] = ms;
        if (st != 200) l->errors++;
        pthread_mutex_unlock(&l->mu);
    }
    free(ans.d);
    if (c) curl_easy_cleanup(c);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, int n, double p) {
    int i = (int)ceil(p / 100.0 * n) - 1;
    return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* run_load: total requests from `clients` threads; appends {"clients",…} to out (if any) and
 * returns the p50 latency in ms. */
static double run_load(load *l, int clients, sbuf *out) {
    l->next = 0;
    l->errors = 0;
    pthread_t th[256];
    double t0 = now_s();
    for (int i = 0; i < clients; i++) pthread_create(&th[i], NULL, client_main, l);
    for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
    double el = now_s() - t0;
    qsort(l->lat, (size_t)l->total, sizeof *l->lat, cmp_double);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "{\"clients\":%d,\"requests\":%d,\"errors\":%d,\"rps\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,"
                              "\"p99_ms\":%.3f}",
             clients, l->total, l->errors, l->total / el, pct(l->lat, l->total, 50), pct(l->lat, l->total, 95),
             pct(l->lat, l->total, 99));
    if (out) sb_put(out, tmp, strlen(tmp));
    return pct(l->lat, l->total, 50);
}

static double median3(double a, double b, double c) {
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

/* huge_mb: MiB of transparent huge pages process pid (0: this one) has. The HNSW node array
 * asks for them (hnsw.c advise_huge) and searches are ~1.4x faster with them, so a process that
 * did not get them (fragmented memory) is slower for reasons that are not the server's: the
 * rounds print it beside each figure. -1 when unknown. */
static double huge_mb(pid_t pid) {
    char path[64], line[256];
    if (pid) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    double kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %lf kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

/* in_process: the p50 latency (ms) of the queries through vt_points_search on dir; filtered,
 * query q matches group q % 10, as over HTTP. */
static double in_process(const char *dir, float *qv, int dim, int n_req, int filtered, double *huge) {
    vt_db *db = NULL;
    vt_error err = {0};
    vt_db_opts o = vt_db_opts_default();
    if (vt_db_open(dir, &o, &db, &err)) return -1;
    double *lat = malloc((size_t)n_req * sizeof *lat);
    for (int i = -16; i < n_req; i++) { /* 16 warm-up searches */
        vt_search_req r = vt_search_req_default();
        r.vector = qv + (size_t)((i + 16) % N_QUERIES) * dim;
        r.dim = (uint32_t)dim;
        r.limit = 10;
        char filter[128];
        snprintf(filter, sizeof filter, "{\"must\":[{\"key\":\"group\",\"match\":{\"value\":%d}}]}",
                 ((i + 16) % N_QUERIES) % 10);
        r.filter_json = filtered ? filter : NULL;
        r.with_payload = 1;
        vt_result *res = NULL;
        double t0 = now_s();
        vt_points_search(db, "bench", &r, &res, &err);
        if (i >= 0) lat[i] = (now_s() - t0) * 1e3;
        vt_result_free(res);
    }
    qsort(lat, (size_t)n_req, sizeof *lat, cmp_double);
    double p50 = pct(lat, n_req, 50);
    free(lat);
    *huge = huge_mb(0);
    vt_db_close(db);
    return p50;
}

int bench_http(int argc, char **argv) {
    int n = 100000, dim = 512, n_req = 2000, threads = 8;
    int clients[MAX_CLIENT_SETTINGS] = {1, 8, 64}, n_clients = 3;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--n"))) n = cli_int("--n", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--dim"))) dim = cli_int("--dim", v, 1, 65536);
        else if ((v = cli_flag_value(argc, argv, &i, "--requests"))) n_req = cli_int("--requests", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--clients"))) {
            n_clients = 0;
            for (const char *p = v; *p && n_clients < MAX_CLIENT_SETTINGS;) {
                int c = atoi(p);
                if (c < 1 || c > 256) return cli_usage_error(CMD, "--clients takes counts 1..256, comma-separated");
                clients[n_clients++] = c;
                p = strchr(p, ',');
                if (!p) break;
                p++;
            }
        } else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/vt-bench-http-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("vitrine bench http: mkdtemp");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int port = 0, rc = 1;
    pid_t server = start_server(dir, threads, &port);
    if (server < 0) {
        fprintf(stderr, "vitrine bench http: the server did not start\n");
        return 1;
    }
    char base[128], url[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/collections/bench", port);
    CURL *c = curl_easy_init();
    sbuf ans = {0}, body = {0}, out = {0};
    uint64_t seed = 42;
    float *qv = malloc((size_t)N_QUERIES * dim * sizeof *qv), *v = malloc((size_t)dim * sizeof *v);
    char *bodies[2][N_QUERIES] = {{NULL}};
    double *lat = malloc((size_t)n_req * sizeof *lat);
    double upsert_s = 0, build_s = 0;
    /* the collection and its points */
    sb_printf(&body, "{\"vectors\":{\"size\":%d,\"distance\":\"Cosine\"}}", dim);
    if (!c || !qv || !v || !lat || http(c, "PUT", base, body.d, &ans) != 200) {
        fprintf(stderr, "vitrine bench http: cannot create the collection: %s\n", ans.d ? ans.d : "");
        goto done;
    }
    snprintf(url, sizeof url, "%s/index?wait=true", base);
    if (http(c, "PUT", url, "{\"field_name\":\"group\",\"field_schema\":\"integer\"}", &ans) != 200) {
        fprintf(stderr, "vitrine bench http: cannot create the payload index: %s\n", ans.d);
        goto done;
    }
    snprintf(url, sizeof url, "%s/points?wait=true", base);
    double t0 = now_s();
    for (int first = 0; first < n; first += 256) {
        body.n = 0;
        sb_put(&body, "{\"points\":[", 11);
        for (int i = first; i < n && i < first + 256; i++) {
            for (int d = 0; d < dim; d++) v[d] = rng_float(&seed);
            sb_printf(&body, i > first ? ",{\"id\":%d,\"vector\":" : "{\"id\":%d,\"vector\":", i);
            sb_vector(&body, v, dim);
            sb_printf(&body, ",\"payload\":{\"group\":%d}}", i % 10);
        }
        sb_put(&body, "]}", 2);
        if (http(c, "PUT", url, body.d, &ans) != 200) {
            fprintf(stderr, "vitrine bench http: upsert failed: %.300s\n", ans.d);
            goto done;
        }
    }
    upsert_s = now_s() - t0;
    /* the queries, encoded once */
    for (int q = 0; q < N_QUERIES; q++) {
        for (int d = 0; d < dim; d++) qv[(size_t)q * dim + d] = rng_float(&seed);
        for (int f = 0; f < 2; f++) {
            sbuf b = {0};
            sb_put(&b, "{\"query\":", 9);
            sb_vector(&b, qv + (size_t)q * dim, dim);
            sb_put(&b, ",\"limit\":10,\"with_payload\":true", 31);
            if (f) sb_printf(&b, ",\"filter\":{\"must\":[{\"key\":\"group\",\"match\":{\"value\":%d}}]}", q % 10);
            sb_put(&b, "}", 1);
            bodies[f][q] = b.d;
        }
    }
    snprintf(url, sizeof url, "%s/points/query", base);
    t0 = now_s();
    if (http(c, "POST", url, bodies[0][0], &ans) != 200) {
        fprintf(stderr, "vitrine bench http: search failed: %.300s\n", ans.d);
        goto done;
    }
    build_s = now_s() - t0;
    sb_printf(&out, "{\"bench\":\"http\",\"n\":%d,\"dim\":%d,", n, dim);
    sb_printf(&out, "\"server_threads\":%d,", threads);
    sb_printf(&out, "\"upsert_points_per_s\":%.0f,", n / upsert_s);
    sb_printf(&out, "\"index_build_s\":%.2f,", build_s);
    double round0_p50[2] = {-1, -1};
    for (int f = 0; f < 2; f++) {
        load l = {url, bodies[f], 0, n_req, PTHREAD_MUTEX_INITIALIZER, lat, 0};
        sb_put(&out, f ? ",\"filtered\":[" : "\"search\":[", f ? 13 : 10);
        for (int k = 0; k < n_clients; k++) {
            if (k) sb_put(&out, ",", 1);
            double p50 = run_load(&l, clients[k], &out);
            if (clients[k] == 1) round0_p50[f] = p50;
        }
        sb_put(&out, "]", 1);
        if (round0_p50[f] < 0) { /* no 1-client row asked for: measure one for the comparison */
            load one = {url, bodies[f], 0, n_req, PTHREAD_MUTEX_INITIALIZER, lat, 0};
            round0_p50[f] = run_load(&one, 1, NULL);
        }
    }
    /* rounds of (1 client over HTTP, then in-process on the folder the server wrote); round 0's
     * HTTP figures are the 1-client rows above */
    double adds[ROUNDS][2];
    sb_put(&out, ",\"rounds\":[", 11);
    for (int round = 0; round < ROUNDS; round++) {
        double http_p50[2];
        for (int f = 0; f < 2; f++) {
            if (round == 0) {
                http_p50[f] = round0_p50[f];
                continue;
            }
            load l = {url, bodies[f], 0, n_req, PTHREAD_MUTEX_INITIALIZER, lat, 0};
            http_p50[f] = run_load(&l, 1, NULL);
        }
        double server_huge = huge_mb(server), ip_huge, ipf_huge;
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
        server = -1;
        double ip = in_process(dir, qv, dim, n_req, 0, &ip_huge), ipf = in_process(dir, qv, dim, n_req, 1, &ipf_huge);
        adds[round][0] = http_p50[0] - ip;
        adds[round][1] = http_p50[1] - ipf;
        sb_printf(&out, "%s{\"http_p50_ms\":%.3f,\"in_process_p50_ms\":%.3f,", round ? "," : "", http_p50[0], ip);
        sb_printf(&out, "\"filtered_http_p50_ms\":%.3f,\"filtered_in_process_p50_ms\":%.3f,", http_p50[1], ipf);
        sb_printf(&out, "\"server_huge_mb\":%.0f,\"in_process_huge_mb\":%.0f}", server_huge, ip_huge < ipf_huge ? ip_huge : ipf_huge);
        if (round + 1 < ROUNDS) {
            server = start_server(dir, threads, &port);
            snprintf(url, sizeof url, "http://127.0.0.1:%d/collections/bench/points/query", port);
            if (server < 0 || http(c, "POST", url, bodies[0][0], &ans) != 200) {
                fprintf(stderr, "vitrine bench http: the server did not restart\n");
                goto done;
            }
        }
    }
    sb_printf(&out, "],\"server_adds_p50_ms\":%.3f,", median3(adds[0][0], adds[1][0], adds[2][0]));
    sb_printf(&out, "\"server_adds_filtered_p50_ms\":%.3f}", median3(adds[0][1], adds[1][1], adds[2][1]));
    printf("%s\n", out.d);
    rc = 0;
done:
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    for (int f = 0; f < 2; f++)
        for (int q = 0; q < N_QUERIES; q++) free(bodies[f][q]);
    free(ans.d);
    free(body.d);
    free(out.d);
    free(qv);
    free(v);
    free(lat);
    if (c) curl_easy_cleanup(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "vitrine bench http: could not remove %s\n", dir);
    return rc;
}
