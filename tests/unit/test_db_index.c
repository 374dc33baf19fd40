/*
 * test_db_index.c — the HNSW index behind vt_points_search (src/db/index.c): recall against the
 * exact search on seeded vectors after the build, after deletes and vector updates, after a
 * close and reopen (the index loaded from its file, not rebuilt: vt_vector_info.index_state and
 * index_loads say so), after writes made while closed (caught up from the op log), with a
 * truncated and a corrupted index file (rebuilt from the points, results still right), with
 * filters letting 50 %, 10 % and 1 % of the points through, with opts.no_index, and with
 * searches running in two threads while a third writes (no error, every hit a live point), and
 * the op-log truncation at close (records the index file covers are gone, later ones kept), and
 * an int8-quantised vector (rescored; saved and loaded), and the allocation-failure loop over the
 * first search after an open (build and load): clean VT_ENOMEM, right answers after, no leak.
 * Each test works in its own folder under /tmp.
 */
#include <dirent.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"
#include "test.h"
#include "vitrine.h"

#define DIM 24
#define N 3000
#define NQ 25

static char g_dir[256];

static const char *fresh_dir(const char *tag) {
    snprintf(g_dir, sizeof g_dir, "/tmp/vt_test_dbix_%d_%s", (int)getpid(), tag);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) return NULL;
    return g_dir;
}

static void rm_dir(void) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
}

static uint64_t g_rng;
static float frand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static vt_db *open_db(const char *dir, int no_index) {
    vt_db_opts o = vt_db_opts_default();
    o.no_sync = 1;
    o.no_index = no_index;
    vt_db *db = NULL;
    vt_error err = {0};
    if (vt_db_open(dir, &o, &db, &err) != VT_OK) fprintf(stderr, "open: %s\n", err.message);
    return db;
}

/* make_coll: "c", one unnamed vector, full_scan_threshold 1 KB (10 points of 24-d) so that the
 * index is used. */
static int make_coll(vt_db *db, int dist) {
    vt_vector_params v = vt_vector_params_default("", DIM, dist);
    v.full_scan_threshold = 1;
    vt_collection_config c = {1, &v};
    vt_error err = {0};
    int rc = vt_collection_create(db, "c", &c, &err);
    if (rc) fprintf(stderr, "create: %s\n", err.message);
    return rc;
}

/* upsert_range: points first..first+n-1 with seeded vectors, payload {"g": i % 100}. */
static int upsert_range(vt_db *db, uint64_t first, size_t n, uint64_t seed) {
    g_rng = seed * 2654435761u + 12345;
    float *x = malloc(n * DIM * sizeof *x);
    vt_named_vector *nv = malloc(n * sizeof *nv);
    vt_point_in *p = malloc(n * sizeof *p);
    char (*pl)[32] = malloc(n * sizeof *pl);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < DIM; j++) x[i * DIM + j] = frand();
        nv[i] = (vt_named_vector){"", x + i * DIM, DIM};
        snprintf(pl[i], sizeof pl[i], "{\"g\":%d}", (int)((first + i) % 100));
        p[i] = (vt_point_in){{0, first + i, {0}}, 1, &nv[i], pl[i]};
    }
    vt_error err = {0};
    int rc = vt_points_upsert(db, "c", p, n, NULL, &err);
    if (rc) fprintf(stderr, "upsert: %s\n", err.message);
    free(x);
    free(nv);
    free(p);
    free(pl);
    return rc;
}

/* recall: mean recall@10 of the index search (ef 256) against exact=1 over NQ seeded queries. */
static double recall(vt_db *db, const char *filter, int *n_results) {
    g_rng = 777;
    double sum = 0;
    int n_total = 0;
    for (int qi = 0; qi < NQ; qi++) {
        float q[DIM];
        for (int j = 0; j < DIM; j++) q[j] = frand();
        vt_search_req r = vt_search_req_default();
        r.vector = q;
        r.dim = DIM;
        r.limit = 10;
        r.filter_json = filter;
        r.hnsw_ef = 256;
        vt_result *a = NULL, *b = NULL;
        vt_error err = {0};
        if (vt_points_search(db, "c", &r, &a, &err)) {
            fprintf(stderr, "search: %s\n", err.message);
            return -1;
        }
        r.exact = 1;
        if (vt_points_search(db, "c", &r, &b, &err)) {
            fprintf(stderr, "search: %s\n", err.message);
            vt_result_free(a);
            return -1;
        }
        size_t nb = vt_result_count(b), hit = 0;
        for (size_t i = 0; i < vt_result_count(a); i++)
            for (size_t j = 0; j < nb; j++)
                if (vt_result_id(a, i)->num == vt_result_id(b, j)->num) hit++;
        sum += nb ? (double)hit / (double)nb : 1.0;
        n_total += (int)vt_result_count(a);
        vt_result_free(a);
        vt_result_free(b);
    }
    if (n_results) *n_results = n_total;
    return sum / NQ;
}

static vt_vector_info info0(vt_db *db) {
    vt_collection_info ci;
    vt_error err = {0};
    memset(&ci, 0, sizeof ci);
    if (vt_collection_info_get(db, "c", &ci, &err)) fprintf(stderr, "info: %s\n", err.message);
    return ci.vectors[0];
}

/* index_file: the path of the one .hnsw file under DIR/index (empty if none). */
static void index_file(char *out, size_t cap) {
    char d[300];
    snprintf(d, sizeof d, "%s/index", g_dir);
    out[0] = 0;
    DIR *dh = opendir(d);
    if (!dh) return;
    struct dirent *de;
    while ((de = readdir(dh)))
        if (strstr(de->d_name, ".hnsw") && !strstr(de->d_name, ".tmp")) snprintf(out, cap, "%s/%s", d, de->d_name);
    closedir(dh);
}

static void test_build_recall_updates(void) {
    vt_db *db = open_db(fresh_dir("build"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 1), VT_OK);
    ASSERT_STR_EQ(info0(db).index_state, "none");
    int n = 0;
    double r = recall(db, NULL, &n);
    ASSERT_TRUE(r >= 0.95);
    ASSERT_EQ(n, NQ * 10);
    vt_vector_info vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "built");
    ASSERT_EQ(vi.indexed_count, N);
    ASSERT_TRUE(vi.memory_bytes > (uint64_t)N * DIM * 4);
    ASSERT_EQ(vi.index_builds, 1);
    /* delete 600, move 600 others to new vectors, add 300 */
    vt_point_id ids[600];
    for (int i = 0; i < 600; i++) ids[i] = (vt_point_id){0, (uint64_t)i * 5, {0}};
    vt_selector sel = {ids, 600, NULL};
    vt_error err = {0};
    ASSERT_EQ(vt_points_delete(db, "c", &sel, NULL, &err), VT_OK);
    ASSERT_EQ(upsert_range(db, 1001, 600, 2), VT_OK); /* overlaps deleted ids too: re-inserts */
    ASSERT_EQ(upsert_range(db, N, 300, 3), VT_OK);
    r = recall(db, NULL, NULL);
    ASSERT_TRUE(r >= 0.95);
    vi = info0(db);
    uint64_t want = 0;
    vt_collection_info ci;
    ASSERT_EQ(vt_collection_info_get(db, "c", &ci, &err), VT_OK);
    want = ci.points_count;
    ASSERT_EQ(vi.indexed_count, want);
    ASSERT_EQ(vi.index_seq, ci.last_op_id);
    ASSERT_EQ(vi.index_builds, 1); /* caught up, not rebuilt */
    ASSERT_STR_EQ(ci.status, "green");
    /* vector deletes: the points stay, their vectors leave the index */
    vt_point_id d2[3] = {{0, 1, {0}}, {0, 2, {0}}, {0, 3, {0}}};
    vt_selector s2 = {d2, 3, NULL};
    const char *nm = "";
    ASSERT_EQ(vt_vectors_delete(db, "c", &s2, &nm, 1, NULL, &err), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    ASSERT_EQ(info0(db).indexed_count, want - 3);
    vt_db_close(db);
    rm_dir();
}

static void test_reopen_loads(void) {
    vt_db *db = open_db(fresh_dir("reopen"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_EUCLID), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 4), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_db_close(db);
    char path[1024];
    index_file(path, sizeof path);
    ASSERT_TRUE(path[0]);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_vector_info vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "loaded");
    ASSERT_EQ(vi.index_loads, 1);
    ASSERT_EQ(vi.index_builds, 0);
    ASSERT_EQ(vi.indexed_count, N);
    vt_db_close(db);
    /* writes while the index is not in memory: loaded, then caught up from the op log */
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(upsert_range(db, 500, 700, 5), VT_OK);
    vt_point_id ids[100];
    for (int i = 0; i < 100; i++) ids[i] = (vt_point_id){0, (uint64_t)(2000 + i), {0}};
    vt_selector sel = {ids, 100, NULL};
    vt_error err = {0};
    ASSERT_EQ(vt_points_delete(db, "c", &sel, NULL, &err), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "loaded");
    ASSERT_EQ(vi.index_builds, 0);
    ASSERT_EQ(vi.indexed_count, N - 100);
    vt_collection_info ci;
    ASSERT_EQ(vt_collection_info_get(db, "c", &ci, &err), VT_OK);
    ASSERT_EQ(vi.index_seq, ci.last_op_id);
    vt_db_close(db);
    rm_dir();
}

/* damaged: builds and saves the index, damages its file (mode 0: truncate to half, 1: flip
 * bytes in the middle, 2: empty), reopens and checks that the search rebuilt it and is right. */
static void damaged(const char *tag, int mode) {
    vt_db *db = open_db(fresh_dir(tag), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_DOT), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 6), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_db_close(db);
    char path[1024];
    index_file(path, sizeof path);
    ASSERT_TRUE(path[0]);
    struct stat st;
    ASSERT_EQ(stat(path, &st), 0);
    FILE *f = fopen(path, "r+b");
    ASSERT_TRUE(f);
    if (mode == 1) {
        for (long off = st.st_size / 3; off < st.st_size / 3 + 64; off++) {
            fseek(f, off, SEEK_SET);
            int c = fgetc(f);
            fseek(f, off, SEEK_SET);
            fputc(c ^ 0x5a, f);
        }
    }
    fclose(f);
    if (mode == 0) ASSERT_EQ(truncate(path, st.st_size / 2), 0);
    if (mode == 2) ASSERT_EQ(truncate(path, 0), 0);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_vector_info vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "built");
    ASSERT_EQ(vi.index_builds, 1);
    ASSERT_EQ(vi.index_loads, 0);
    ASSERT_EQ(vi.indexed_count, N);
    vt_db_close(db);
    /* the rebuilt index was saved over the damaged file: the next open loads it */
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    ASSERT_STR_EQ(info0(db).index_state, "loaded");
    vt_db_close(db);
    rm_dir();
}

static void test_truncated_file(void) { damaged("trunc", 0); }
static void test_corrupt_file(void) { damaged("corrupt", 1); }
static void test_empty_file(void) { damaged("empty", 2); }

static void test_filters(void) {
    vt_db *db = open_db(fresh_dir("filter"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 7), VT_OK);
    static const char *filters[] = {
        "{\"must\":[{\"key\":\"g\",\"range\":{\"lt\":50}}]}", /* 50 % */
        "{\"must\":[{\"key\":\"g\",\"range\":{\"lt\":10}}]}", /* 10 % */
        "{\"must\":[{\"key\":\"g\",\"match\":{\"value\":7}}]}", /* 1 % */
    };
    for (int i = 0; i < 3; i++) {
        int n = 0;
        double r = recall(db, filters[i], &n);
        if (r < 0.95) fprintf(stderr, "filter %d: recall %.3f\n", i, r);
        ASSERT_TRUE(r >= 0.95);
        ASSERT_EQ(n, NQ * 10);
    }
    ASSERT_STR_EQ(info0(db).index_state, "built");
    vt_db_close(db);
    rm_dir();
}

static void test_no_index(void) {
    vt_db *db = open_db(fresh_dir("noidx"), 1);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, 500, 8), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.999); /* brute force both ways */
    vt_vector_info vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "none");
    ASSERT_EQ(vi.indexed_count, 0);
    vt_db_close(db);
    char path[1024];
    index_file(path, sizeof path);
    ASSERT_EQ(path[0], 0);
    rm_dir();
}

static void test_delete_collection_forgets(void) {
    vt_db *db = open_db(fresh_dir("drop"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, 500, 9), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    char path[1024];
    index_file(path, sizeof path);
    ASSERT_TRUE(path[0]);
    vt_error err = {0};
    ASSERT_EQ(vt_collection_delete(db, "c", NULL, &err), VT_OK);
    index_file(path, sizeof path);
    ASSERT_EQ(path[0], 0);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK); /* a new id: a new index */
    ASSERT_EQ(upsert_range(db, 0, 300, 10), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    ASSERT_EQ(info0(db).indexed_count, 300);
    vt_db_close(db);
    rm_dir();
}

typedef struct conc_ctx {
    vt_db *db;
    int stop;
    int errors;
    int searches;
} conc_ctx;

static void *conc_search(void *arg) {
    conc_ctx *x = arg;
    float q[DIM];
    for (int j = 0; j < DIM; j++) q[j] = (float)(j % 5) - 2.0f;
    while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
        vt_search_req r = vt_search_req_default();
        r.vector = q;
        r.dim = DIM;
        r.limit = 10;
        r.filter_json = (x->searches & 1) ? "{\"must\":[{\"key\":\"g\",\"range\":{\"lt\":30}}]}" : NULL;
        vt_result *res = NULL;
        vt_error err = {0};
        if (vt_points_search(x->db, "c", &r, &res, &err) != VT_OK || vt_result_count(res) != 10)
            __atomic_add_fetch(&x->errors, 1, __ATOMIC_RELAXED);
        vt_result_free(res);
        __atomic_add_fetch(&x->searches, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_concurrent_search_and_writes(void) {
    vt_db *db = open_db(fresh_dir("conc"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, 1500, 11), VT_OK);
    conc_ctx x = {db, 0, 0, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) ASSERT_EQ(pthread_create(&th[i], NULL, conc_search, &x), 0);
    vt_error err = {0};
    int rc = VT_OK;
    for (int round = 0; round < 20 && rc == VT_OK; round++) {
        rc = upsert_range(db, (uint64_t)(1500 + round * 50), 50, (uint64_t)(100 + round));
        vt_point_id ids[20];
        for (int i = 0; i < 20; i++) ids[i] = (vt_point_id){0, (uint64_t)(round * 60 + i), {0}};
        vt_selector sel = {ids, 20, NULL};
        if (rc == VT_OK) rc = vt_points_delete(db, "c", &sel, NULL, &err);
    }
    __atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    ASSERT_EQ(rc, VT_OK);
    ASSERT_EQ(x.errors, 0);
    ASSERT_TRUE(x.searches > 0);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_collection_info ci;
    ASSERT_EQ(vt_collection_info_get(db, "c", &ci, &err), VT_OK);
    ASSERT_EQ(ci.vectors[0].indexed_count, ci.points_count);
    vt_db_close(db);
    rm_dir();
}

/* oplog_range: the number of op-log records in the folder and the lowest seq among them (read
 * with LMDB directly, after vt_db_close). */
static int oplog_range(uint64_t *n, uint64_t *min_seq) {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    *n = 0;
    *min_seq = UINT64_MAX;
    if (mdb_env_create(&env)) return -1;
    mdb_env_set_maxdbs(env, 8);
    int rc = mdb_env_open(env, g_dir, MDB_RDONLY, 0644);
    if (!rc) rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (!rc && !(rc = mdb_dbi_open(txn, "oplog", 0, &dbi)) && !(rc = mdb_cursor_open(txn, dbi, &cur))) {
        while (mdb_cursor_get(cur, &k, &v, *n ? MDB_NEXT : MDB_FIRST) == 0) {
            uint64_t seq = 0;
            for (int b = 0; b < 8; b++) seq = (seq << 8) | ((const uint8_t *)k.mv_data)[8 + b];
            if (seq < *min_seq) *min_seq = seq;
            (*n)++;
        }
        mdb_cursor_close(cur);
    }
    if (!rc) mdb_txn_abort(txn);
    mdb_env_close(env);
    return rc;
}

static void test_oplog_truncated_at_close(void) {
    vt_db *db = open_db(fresh_dir("trunclog"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    for (int i = 0; i < 4; i++) ASSERT_EQ(upsert_range(db, (uint64_t)i * 500, 500, 20 + (uint64_t)i), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95); /* builds and saves: covers ops 1..4 */
    uint64_t covered = info0(db).index_seq;
    ASSERT_EQ(covered, 4);
    for (int i = 0; i < 3; i++) ASSERT_EQ(upsert_range(db, 2000 + (uint64_t)i * 100, 100, 30 + (uint64_t)i), VT_OK);
    vt_db_close(db); /* saves nothing new (the index still covers 4), truncates 1..4 */
    uint64_t n, lo;
    ASSERT_EQ(oplog_range(&n, &lo), 0);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(lo, covered + 1);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    vt_vector_info vi = info0(db);
    ASSERT_STR_EQ(vi.index_state, "loaded");
    ASSERT_EQ(vi.indexed_count, 2300);
    ASSERT_EQ(vi.index_seq, 7);
    vt_db_close(db); /* saved at 7: the whole log goes */
    ASSERT_EQ(oplog_range(&n, &lo), 0);
    ASSERT_EQ(n, 0);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(upsert_range(db, 5000, 10, 40), VT_OK); /* op ids go on from 8 */
    vt_collection_info ci;
    vt_error err = {0};
    ASSERT_EQ(vt_collection_info_get(db, "c", &ci, &err), VT_OK);
    ASSERT_EQ(ci.last_op_id, 8);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    ASSERT_EQ(info0(db).indexed_count, 2310);
    vt_db_close(db);
    rm_dir();
}

/* oplog_range_child: oplog_range run in a child process (LMDB forbids a second handle on an open
 * environment in one process); 0 when it found exactly want_n records starting at want_lo. */
static int oplog_range_child(uint64_t want_n, uint64_t want_lo) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t n, lo;
        int rc = oplog_range(&n, &lo);
        _exit(rc == 0 && n == want_n && (n == 0 || lo == want_lo) ? 0 : 1);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_oplog_truncated_while_running(void) {
    vt_db *db = open_db(fresh_dir("trunclive"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    for (int i = 0; i < 4; i++) ASSERT_EQ(upsert_range(db, (uint64_t)i * 500, 500, 20 + (uint64_t)i), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95); /* builds and saves: covers ops 1..4 */
    ASSERT_EQ(oplog_range_child(4, 1), 0);      /* nothing written since the save */
    ASSERT_EQ(upsert_range(db, 2000, 100, 30), VT_OK); /* op 5; then 1..4 go */
    ASSERT_EQ(oplog_range_child(1, 5), 0);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95); /* caught up from record 5 */
    ASSERT_EQ(info0(db).indexed_count, 2100);
    vt_db_close(db);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    ASSERT_STR_EQ(info0(db).index_state, "loaded");
    ASSERT_EQ(info0(db).indexed_count, 2100);
    vt_db_close(db);
    rm_dir();
}

/* rounds of 20 % deletes and re-inserts: the background repair (vacuum, compaction) keeps recall
 * and memory from decaying */
static void test_deletes_repaired(void) {
    vt_db *db = open_db(fresh_dir("repair"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 1), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95);
    uint64_t mem0 = info0(db).memory_bytes;
    enum { CUT = N / 5 };
    vt_point_id *ids = malloc(CUT * sizeof *ids);
    for (int round = 0; round < 8; round++) {
        uint64_t first = (uint64_t)(round * 7 % 5) * CUT; /* a different fifth each round */
        for (int i = 0; i < CUT; i++) ids[i] = (vt_point_id){0, first + (uint64_t)i, {0}};
        vt_selector sel = {ids, CUT, NULL};
        vt_error err = {0};
        ASSERT_EQ(vt_points_delete(db, "c", &sel, NULL, &err), VT_OK);
        double r = recall(db, NULL, NULL); /* catch-up: 20 % tombstones, then the repair */
        ASSERT_TRUE(r >= 0.95);
        ASSERT_EQ(upsert_range(db, first, CUT, 100 + (uint64_t)round), VT_OK);
        r = recall(db, NULL, NULL);
        ASSERT_TRUE(r >= 0.95);
        ASSERT_EQ(info0(db).indexed_count, N);
    }
    free(ids);
    uint64_t mem1 = info0(db).memory_bytes;
    if (mem1 > mem0 + mem0 / 4) fprintf(stderr, "memory %llu -> %llu\n", (unsigned long long)mem0, (unsigned long long)mem1);
    ASSERT_TRUE(mem1 <= mem0 + mem0 / 4);
    ASSERT_STR_EQ(info0(db).index_state, "built"); /* repaired in place, never rebuilt */
    ASSERT_EQ(info0(db).index_builds, 1);
    ASSERT_TRUE(info0(db).index_vacuums >= 4);
    vt_db_close(db);
    rm_dir();
}

static void test_int8_quantised(void) {
    vt_db *db = open_db(fresh_dir("int8"), 0);
    ASSERT_TRUE(db);
    vt_vector_params v = vt_vector_params_default("", DIM, VT_DISTANCE_COSINE);
    v.full_scan_threshold = 1;
    v.quant_int8 = 1;
    v.quant_quantile = 0.99f;
    vt_collection_config c = {1, &v};
    vt_error err = {0};
    ASSERT_EQ(vt_collection_create(db, "c", &c, &err), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, N, 12), VT_OK);
    ASSERT_TRUE(recall(db, NULL, NULL) >= 0.95); /* rescored with float32 */
    ASSERT_STR_EQ(info0(db).index_state, "built");
    /* the float32 vectors live in a mapped file, not in the index's RAM */
    char f32[400];
    snprintf(f32, sizeof f32, "%s/index/1-0.f32", g_dir);
    ASSERT_EQ(access(f32, F_OK), 0);
    vt_db_close(db);
    db = open_db(g_dir, 0);
    ASSERT_TRUE(db);
    ASSERT_TRUE(recall(db, "{\"must\":[{\"key\":\"g\",\"range\":{\"lt\":10}}]}", NULL) >= 0.95);
    ASSERT_STR_EQ(info0(db).index_state, "loaded");
    ASSERT_EQ(access(f32, F_OK), 0);
    int existed = 0;
    ASSERT_EQ(vt_collection_delete(db, "c", &existed, &err), VT_OK);
    ASSERT_TRUE(access(f32, F_OK) != 0); /* removed with the index files */
    vt_db_close(db);
    rm_dir();
}

/* top10_ok: 1 when the index search (ef 256) and the exact search agree on at least 9 of the
 * top 10 for one query. */
static int top10_ok(vt_db *db) {
    float q[DIM] = {1, 0, 0};
    vt_result *res[2] = {NULL, NULL};
    for (int ex = 0; ex < 2; ex++) {
        vt_search_req r = vt_search_req_default();
        r.vector = q;
        r.dim = DIM;
        r.limit = 10;
        r.hnsw_ef = 256;
        r.exact = ex;
        vt_error err = {0};
        if (vt_points_search(db, "c", &r, &res[ex], &err) != VT_OK) {
            vt_result_free(res[0]);
            return 0;
        }
    }
    size_t hit = 0;
    for (size_t i = 0; i < vt_result_count(res[0]); i++)
        for (size_t j = 0; j < vt_result_count(res[1]); j++)
            hit += vt_result_id(res[0], i)->num == vt_result_id(res[1], j)->num;
    int ok = vt_result_count(res[1]) == 10 && hit >= 9;
    vt_result_free(res[0]);
    vt_result_free(res[1]);
    return ok;
}

/* alloc_faults: fails the 1st, 2nd, ... allocation of the first index search after an open
 * (mode 0: the index is built, its file removed first; mode 1: loaded from its file): each run
 * is VT_OK or a clean VT_ENOMEM, the next search is right, and close returns every byte.
 * Returns the first k that injected nothing (the whole search ran), or a negative step. */
static int alloc_faults(int mode) {
    int ok_at = 0;
    for (int k = 1; k < 5000 && !ok_at; k++) {
        char path[1024];
        index_file(path, sizeof path);
        if (mode == 0 && path[0]) unlink(path);
        int64_t base = vt_alloc_live_bytes();
        vt_db *db = open_db(g_dir, 0);
        if (!db) return -1;
        float q[DIM] = {1, 0, 0};
        vt_search_req r = vt_search_req_default();
        r.vector = q;
        r.dim = DIM;
        r.limit = 10;
        vt_result *res = NULL;
        vt_error err = {0};
        vt_alloc_fail_at(k);
        int rc = vt_points_search(db, "c", &r, &res, &err);
        int64_t inj = vt_alloc_injected();
        vt_alloc_fail_at(0);
        vt_result_free(res);
        if (inj == 0) ok_at = k;
        int step = rc != VT_OK && rc != VT_ENOMEM ? -2 : !top10_ok(db) ? -3 : 0;
        if (!step && strcmp(info0(db).index_state, mode ? "loaded" : "built") != 0) step = -4;
        vt_db_close(db);
        if (!step && vt_alloc_live_bytes() != base) step = -5;
        if (step) {
            fprintf(stderr, "alloc_faults(%d): k=%d rc=%d: step %d (%s)\n", mode, k, rc, step, err.message);
            return step;
        }
    }
    return ok_at;
}

static void test_alloc_failures(void) {
    vt_db *db = open_db(fresh_dir("fault"), 0);
    ASSERT_TRUE(db);
    ASSERT_EQ(make_coll(db, VT_DISTANCE_EUCLID), VT_OK);
    ASSERT_EQ(upsert_range(db, 0, 100, 13), VT_OK);
    vt_db_close(db);
    ASSERT_TRUE(alloc_faults(0) > 5);
    ASSERT_TRUE(alloc_faults(1) > 5);
    rm_dir();
}

int main(void) {
    RUN(test_build_recall_updates);
    RUN(test_reopen_loads);
    RUN(test_truncated_file);
    RUN(test_corrupt_file);
    RUN(test_empty_file);
    RUN(test_filters);
    RUN(test_no_index);
    RUN(test_delete_collection_forgets);
    RUN(test_concurrent_search_and_writes);
    RUN(test_oplog_truncated_at_close);
    RUN(test_oplog_truncated_while_running);
    RUN(test_deletes_repaired);
    RUN(test_int8_quantised);
    RUN(test_alloc_failures);
    TEST_END();
}
