/*
 * test_field_index.c — field (payload) indexes wired into the database: the public calls
 * (vt_field_index_create / delete / list), persistence of the definitions (reopen, snapshot and
 * restore, drop with the collection), and above all that results never change because of them.
 *
 * The differential test keeps two collections with identical points and identical writes — one
 * with field indexes of every type, one without — and checks count, scroll (whole and paged) and
 * filtered search (exact and HNSW) on thousands of random filters (filter_naive.h's generator)
 * between rounds of random writes of every kind (upsert, delete by ids and by filter, set /
 * overwrite / delete keys / clear payload, vector updates). Then: an allocation-failure loop over
 * creating an index and an upsert, and filtered-search recall at 50 %, 10 %, 1 % and 0.1 %
 * selectivity through an indexed field.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/json.h"
#include "filter_naive.h"
#include "test.h"
#include "vitrine.h"

static char g_dir[256];

static const char *fresh_dir(const char *tag) {
    snprintf(g_dir, sizeof g_dir, "/tmp/vt_test_fx_%d_%s", (int)getpid(), tag);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'.snap '%s'.snap-lock", g_dir, g_dir, g_dir);
    if (system(cmd) != 0) return NULL;
    return g_dir;
}

static void rm_dir(void) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'.snap '%s'.snap-lock", g_dir, g_dir, g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
}

static vt_db *open_db(const char *dir) {
    vt_db_opts o = vt_db_opts_default();
    o.no_sync = 1;
    vt_db *db = NULL;
    vt_error err = {0};
    if (vt_db_open(dir, &o, &db, &err) != VT_OK) fprintf(stderr, "open: %s\n", err.message);
    return db;
}

/* make_coll: an unnamed vector of dim d (Euclid), full_scan_threshold fst KB (0: default). */
static int make_coll(vt_db *db, const char *name, uint32_t d, uint32_t fst) {
    vt_vector_params v = vt_vector_params_default("", d, VT_DISTANCE_EUCLID);
    if (fst) v.full_scan_threshold = fst;
    vt_collection_config c = {1, &v};
    vt_error err = {0};
    int rc = vt_collection_create(db, name, &c, &err);
    if (rc) fprintf(stderr, "create %s: %s\n", name, err.message);
    return rc;
}

#define DIM 4

static void rand_vec(float *x, uint32_t d) {
    for (uint32_t j = 0; j < d; j++) x[j] = (float)(nv_next() % 2001) / 1000.0f - 1.0f;
}

/* upsert_both: the same n random points (ids nv_id of slots < id_range) into every collection
 * of colls. Returns the first non-OK rc. */
static int upsert_rand(vt_db *db, const char *const *colls, int n_colls, int n, int id_range) {
    vt_point_in *p = calloc((size_t)n, sizeof *p);
    vt_named_vector *nv = calloc((size_t)n, sizeof *nv);
    float *x = calloc((size_t)n * DIM, sizeof *x);
    char **pl = calloc((size_t)n, sizeof *pl);
    for (int i = 0; i < n; i++) {
        rand_vec(x + i * DIM, DIM);
        nv[i] = (vt_named_vector){"", x + i * DIM, DIM};
        json_t *o = nv_payload();
        pl[i] = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        p[i] = (vt_point_in){nv_id(nv_rand(id_range)), 1, &nv[i], pl[i]};
    }
    int rc = VT_OK;
    for (int c = 0; c < n_colls && rc == VT_OK; c++) {
        vt_error err = {0};
        rc = vt_points_upsert(db, colls[c], p, (size_t)n, NULL, &err);
        if (rc) fprintf(stderr, "upsert: %s\n", err.message);
    }
    for (int i = 0; i < n; i++) vt_free(pl[i]);
    free(p), free(nv), free(x), free(pl);
    return rc;
}

static char *rand_filter(void) {
    json_t *f = nv_filter(2);
    char *s = json_dumps(f, JSON_COMPACT);
    json_decref(f);
    return s;
}

/* ids_of: the ids of a result as one comparable string, with scores when with_score. */
static char *ids_of(const vt_result *r, int with_score) {
    size_t n = vt_result_count(r), cap = 64 + n * 64, o = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char b[VT_POINT_ID_BUF];
        vt_point_id_format(vt_result_id(r, i), b);
        o += (size_t)snprintf(s + o, cap - o, with_score ? "%s:%.5f," : "%s,", b, (double)vt_result_score(r, i));
    }
    return s;
}

/* scroll_all: every matching id, in pages of `page`, as one string; NULL on error. */
static char *scroll_all(vt_db *db, const char *coll, const char *filter, size_t page) {
    size_t cap = 1 << 16, o = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    vt_point_id off;
    int has_off = 0;
    for (;;) {
        vt_scroll_req rq = vt_scroll_req_default();
        rq.filter_json = filter;
        rq.limit = page;
        rq.with_payload = 0;
        rq.offset = has_off ? &off : NULL;
        vt_result *r;
        vt_error err = {0};
        if (vt_points_scroll(db, coll, &rq, &r, &err) != VT_OK) {
            fprintf(stderr, "scroll: %s\n", err.message);
            free(s);
            return NULL;
        }
        char *part = ids_of(r, 0);
        size_t pl = strlen(part);
        if (o + pl + 1 > cap) {
            cap = (o + pl + 1) * 2;
            s = realloc(s, cap);
        }
        memcpy(s + o, part, pl + 1);
        o += pl;
        free(part);
        has_off = vt_result_next_offset(r, &off);
        vt_result_free(r);
        if (!has_off) break;
    }
    return s;
}

/* search_ids: a filtered search's ids and scores as a string (NULL on error). */
static char *search_ids(vt_db *db, const char *coll, const char *filter, const float *q, int exact, size_t k) {
    vt_search_req rq = vt_search_req_default();
    rq.vector = q;
    rq.dim = DIM;
    rq.limit = k;
    rq.filter_json = filter;
    rq.exact = exact;
    rq.hnsw_ef = 128;
    vt_result *r;
    vt_error err = {0};
    if (vt_points_search(db, coll, &rq, &r, &err) != VT_OK) {
        fprintf(stderr, "search: %s\n", err.message);
        return NULL;
    }
    char *s = ids_of(r, exact);
    vt_result_free(r);
    return s;
}

/* the indexes of the differential test: every type, on plain and nested paths */
static const char *const fx_keys[][2] = {
    {"k", "keyword"}, {"n", "integer"}, {"f", "float"}, {"b", "bool"}, {"d", "datetime"},
    {"u", "uuid"}, {"t", "text"}, {"o.p", "integer"}, {"arr[].x", "integer"}, {"tags", "keyword"},
    {"arr[].y", "keyword"},
};
#define N_FX ((int)(sizeof fx_keys / sizeof fx_keys[0]))

/* random_write: one random write of a random kind, the same on both collections. */
static int random_write(vt_db *db, const char *const *colls) {
    int kind = nv_rand(8);

    vt_point_id ids[8];
    int n_ids = 1 + nv_rand(8);
    for (int i = 0; i < n_ids; i++) ids[i] = nv_id(nv_rand(400));
    char *filter = rand_filter();
    vt_selector by_ids = {ids, (size_t)n_ids, NULL}, by_f = {NULL, 0, filter};
    const vt_selector *sel = nv_rand(2) ? &by_ids : &by_f;
    const vt_selector *del_sel = nv_rand(3) ? &by_ids : sel; /* deletes by filter are rarer */
    json_t *o = nv_payload();
    char *pl = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    static const char *keys[] = {"k", "n", "o", "arr"};
    size_t n_keys = 1 + (size_t)nv_rand(4);
    float vx[DIM];
    rand_vec(vx, DIM);
    int rc = VT_OK;
    if (kind == 0) {
        rc = upsert_rand(db, colls, 2, 1 + nv_rand(20), 400);
    } else {
        for (int c = 0; c < 2 && rc == VT_OK; c++) {
            vt_error err = {0};
            switch (kind) {
            case 1: rc = vt_points_delete(db, colls[c], del_sel, NULL, &err); break;
            case 2: rc = vt_payload_set(db, colls[c], sel, pl, NULL, &err); break;
            case 3: rc = vt_payload_overwrite(db, colls[c], sel, pl, NULL, &err); break;
            case 4: rc = vt_payload_delete_keys(db, colls[c], sel, keys, n_keys, NULL, &err); break;
            case 5: rc = vt_payload_clear(db, colls[c], &by_ids, NULL, &err); break;
            case 6: {
                vt_named_vector nv = {"", vx, DIM};
                vt_point_in p = {ids[0], 1, &nv, NULL};
                rc = vt_vectors_update(db, colls[c], &p, 1, NULL, &err);
                if (rc == VT_ENOTFOUND) rc = VT_OK;
                break;
            }
            default: rc = upsert_rand(db, colls + c, 1, 0, 1); break; /* an empty batch still bumps seq */
            }
            if (rc) fprintf(stderr, "write kind %d: %s\n", kind, err.message);
        }
    }
    vt_free(pl);
    vt_free(filter);
    return rc;
}

static void test_differential(void) {
    const char *dir = fresh_dir("diff");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    const char *colls[2] = {"plain", "ix"};
    /* a small full_scan_threshold (1 KB = 64 points of 4 floats) sends searches to HNSW */
    ASSERT_EQ(make_coll(db, "plain", DIM, 1), VT_OK);
    ASSERT_EQ(make_coll(db, "ix", DIM, 1), VT_OK);
    nv_rng = 12345;
    ASSERT_EQ(upsert_rand(db, colls, 2, 150, 400), VT_OK);
    vt_error err = {0};
    for (int i = 0; i < N_FX; i++) ASSERT_EQ(vt_field_index_create(db, "ix", fx_keys[i][0], fx_keys[i][1], NULL, &err), VT_OK);
    ASSERT_EQ(upsert_rand(db, colls, 2, 150, 400), VT_OK);
    int cases = 0, hnsw_cases = 0;
    double recall_sum = 0;
    for (int round = 0; round < 24; round++) {
        for (int w = 0; w < 4; w++) {
            ASSERT_EQ(random_write(db, colls), VT_OK);
            uint64_t a = 0, b = 0;
            ASSERT_EQ(vt_points_count(db, "plain", NULL, &a, &err), VT_OK);
            ASSERT_EQ(vt_points_count(db, "ix", NULL, &b, &err), VT_OK);
            ASSERT_EQ(a, b);
        }
        if (round == 12) { /* reopen halfway: the indexes are rebuilt from the points */
            vt_db_close(db);
            db = open_db(dir);
            ASSERT_TRUE(db != NULL);
        }
        for (int q = 0; q < 80; q++, cases++) {
            char *f = rand_filter();
            uint64_t c0 = 0, c1 = 0;
            ASSERT_EQ(vt_points_count(db, "plain", f, &c0, &err), VT_OK);
            ASSERT_EQ(vt_points_count(db, "ix", f, &c1, &err), VT_OK);
            if (c0 != c1) fprintf(stderr, "filter %s (round %d)\n", f, round);
            ASSERT_EQ(c0, c1);
            size_t page = q % 3 == 0 ? 7 : 1000;
            char *s0 = scroll_all(db, "plain", f, page), *s1 = scroll_all(db, "ix", f, page);
            ASSERT_TRUE(s0 && s1);
            if (strcmp(s0, s1)) fprintf(stderr, "filter %s\n", f);
            ASSERT_STR_EQ(s0, s1);
            float qv[DIM];
            rand_vec(qv, DIM);
            char *e0 = search_ids(db, "plain", f, qv, 1, 10), *e1 = search_ids(db, "ix", f, qv, 1, 10);
            ASSERT_TRUE(e0 && e1);
            ASSERT_STR_EQ(e0, e1);
            /* approximate: every hit must match (it is in the scroll), recall measured against exact */
            char *h1 = search_ids(db, "ix", f, qv, 0, 10);
            ASSERT_TRUE(h1 != NULL);
            char *tok = h1, *save = NULL;
            int found = 0, total = 0;
            for (char *t = strtok_r(tok, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char needle[64];
                snprintf(needle, sizeof needle, ",%s,", t);
                char *hay = malloc(strlen(s0) + 2);
                hay[0] = ',';
                strcpy(hay + 1, s0);
                ASSERT_TRUE(strstr(hay, needle) != NULL);
                free(hay);
                snprintf(needle, sizeof needle, "%s:", t);
                found += strstr(e0, needle) != NULL;
                total++;
            }
            size_t exact_n = 0;
            for (const char *p = e0; *p; p++) exact_n += *p == ',';
            if (exact_n) {
                recall_sum += (double)found / (double)exact_n;
                hnsw_cases++;
            }
            vt_free(f), free(s0), free(s1), free(e0), free(e1), free(h1);
        }
        uint64_t a = 0, b = 0;
        ASSERT_EQ(vt_points_count(db, "plain", NULL, &a, &err), VT_OK);
        ASSERT_EQ(vt_points_count(db, "ix", NULL, &b, &err), VT_OK);
        ASSERT_EQ(a, b);
    }
    double recall = hnsw_cases ? recall_sum / hnsw_cases : 1;
    printf("differential: %d filter cases, mean recall of filtered HNSW %.4f over %d\n", cases, recall, hnsw_cases);
    ASSERT_TRUE(recall >= 0.95);
    vt_field_index_info *l;
    size_t n;
    ASSERT_EQ(vt_field_index_list(db, "ix", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, N_FX);
    for (int i = 0; i < N_FX; i++) {
        ASSERT_STR_EQ(l[i].key, fx_keys[i][0]);
        ASSERT_STR_EQ(l[i].type, fx_keys[i][1]);
    }
    uint64_t with_k = 0;
    ASSERT_EQ(vt_points_count(db, "plain", "{\"must\":[{\"key\":\"k\",\"match\":{\"any\":[\"a\",\"b\",\"c\",\"\",\"A\",\"long keyword\"]}}]}", &with_k, &err), VT_OK);
    ASSERT_TRUE(l[0].points >= with_k);
    vt_field_index_list_free(l, n);
    vt_db_close(db);
    rm_dir();
}

static const char *F_RED = "{\"must\":[{\"key\":\"color\",\"match\":{\"value\":\"red\"}}]}";

/* upsert_colors: points first .. first+n-1 in one batch: {"color": red every third, else blue,
 * "n": i}. */
static int upsert_colors(vt_db *db, const char *coll, int first, int n) {
    vt_point_in p[64];
    vt_named_vector nv[64];
    float x[64][DIM];
    char pl[64][64];
    for (int j = 0; j < n; j++) {
        int i = first + j;
        x[j][0] = (float)i, x[j][1] = 1, x[j][2] = 2, x[j][3] = 3;
        nv[j] = (vt_named_vector){"", x[j], DIM};
        snprintf(pl[j], sizeof pl[j], "{\"color\":\"%s\",\"n\":%d}", i % 3 ? "blue" : "red", i);
        p[j] = (vt_point_in){{0, (uint64_t)i, {0}}, 1, &nv[j], pl[j]};
    }
    vt_error err = {0};
    return vt_points_upsert(db, coll, p, (size_t)n, NULL, &err);
}

static void test_api_persistence(void) {
    const char *dir = fresh_dir("api");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "c", DIM, 0), VT_OK);
    ASSERT_EQ(upsert_colors(db, "c", 0, 30), VT_OK);
    uint64_t op = 0, op2 = 0;
    ASSERT_EQ(vt_field_index_create(db, "c", "color", "keyword", &op, &err), VT_OK);
    ASSERT_EQ(op, 2);
    ASSERT_EQ(vt_field_index_create(db, "c", "color", "\"keyword\"", &op2, &err), VT_OK); /* no change */
    ASSERT_EQ(op2, 2);
    ASSERT_EQ(vt_field_index_create(db, "c", "n", "{\"type\":\"integer\",\"range\":true}", NULL, &err), VT_OK);
    ASSERT_EQ(vt_field_index_create(db, "c", "g", "geo", NULL, &err), VT_EUNSUPPORTED);
    ASSERT_EQ(vt_field_index_create(db, "c", "x", "nonsense", NULL, &err), VT_EINVAL);
    ASSERT_EQ(vt_field_index_create(db, "c", "a..b", "keyword", NULL, &err), VT_EINVAL);
    ASSERT_EQ(vt_field_index_create(db, "nope", "a", "keyword", NULL, &err), VT_ENOTFOUND);
    vt_error_clear(&err);
    ASSERT_EQ(vt_field_index_delete(db, "c", "zzz", NULL, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "zzz");
    vt_field_index_info *l;
    size_t n;
    ASSERT_EQ(vt_field_index_list(db, "c", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(l[0].key, "color");
    ASSERT_STR_EQ(l[0].type, "keyword");
    ASSERT_EQ(l[0].points, 30);
    ASSERT_STR_EQ(l[1].type, "integer");
    vt_field_index_list_free(l, n);
    uint64_t cnt;
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 10);
    /* reopen: definitions survive, indexes rebuilt on first use */
    vt_db_close(db);
    db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 10);
    ASSERT_EQ(vt_field_index_list(db, "c", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(l[0].points, 30);
    vt_field_index_list_free(l, n);
    /* every write kind keeps them up to date */
    ASSERT_EQ(upsert_colors(db, "c", 30, 3), VT_OK); /* 30 red, 31, 32 blue */
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 11);
    vt_selector blue = {NULL, 0, "{\"must\":[{\"key\":\"color\",\"match\":{\"value\":\"blue\"}},{\"key\":\"n\",\"range\":{\"lt\":6}}]}"};
    ASSERT_EQ(vt_payload_set(db, "c", &blue, "{\"color\":\"red\"}", NULL, &err), VT_OK); /* 1,2,4,5 */
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 15);
    vt_point_id ids[2] = {{0, 0, {0}}, {0, 3, {0}}};
    vt_selector two = {ids, 2, NULL};
    ASSERT_EQ(vt_payload_clear(db, "c", &two, NULL, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 13);
    ASSERT_EQ(vt_payload_overwrite(db, "c", &two, "{\"color\":\"red\"}", NULL, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 15);
    const char *ck[1] = {"color"};
    ASSERT_EQ(vt_payload_delete_keys(db, "c", &two, ck, 1, NULL, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 13);
    vt_selector red = {NULL, 0, F_RED};
    ASSERT_EQ(vt_points_delete(db, "c", &red, NULL, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", F_RED, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 0);
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 20);
    ASSERT_EQ(vt_field_index_list(db, "c", &l, &n, &err), VT_OK);
    ASSERT_EQ(l[0].points, 18); /* 0 and 3 lost their color */
    vt_field_index_list_free(l, n);
    /* snapshot and restore keep the definitions */
    char snap[300];
    snprintf(snap, sizeof snap, "%s.snap", dir);
    ASSERT_EQ(vt_collection_snapshot(db, "c", snap, &err), VT_OK);
    ASSERT_EQ(vt_collection_restore(db, snap, "c2", &err), VT_OK);
    ASSERT_EQ(vt_field_index_list(db, "c2", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(l[0].key, "color");
    ASSERT_EQ(l[0].points, 18);
    vt_field_index_list_free(l, n);
    /* the collection update keeps them; delete drops them */
    vt_vector_params v = vt_vector_params_default("", DIM, VT_DISTANCE_EUCLID);
    v.hnsw_m = 8;
    ASSERT_EQ(vt_collection_update(db, "c2", &v, 1, &err), VT_OK);
    ASSERT_EQ(vt_field_index_list(db, "c2", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    vt_field_index_list_free(l, n);
    ASSERT_EQ(vt_field_index_delete(db, "c2", "color", NULL, &err), VT_OK);
    ASSERT_EQ(vt_field_index_list(db, "c2", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(l[0].key, "n");
    vt_field_index_list_free(l, n);
    int existed;
    ASSERT_EQ(vt_collection_delete(db, "c2", &existed, &err), VT_OK);
    ASSERT_EQ(make_coll(db, "c2", DIM, 0), VT_OK);
    ASSERT_EQ(vt_field_index_list(db, "c2", &l, &n, &err), VT_OK);
    ASSERT_EQ(n, 0);
    vt_field_index_list_free(l, n);
    vt_db_close(db);
    rm_dir();
}

static void test_alloc_failures(void) {
    const char *dir = fresh_dir("alloc");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    vt_error err = {0};
    int done = 0;
    int64_t k_done = 0;
    for (int64_t k = 1; k < 5000 && !done; k++) {
        k_done = k;
        int existed;
        vt_collection_delete(db, "a", &existed, &err);
        vt_collection_delete(db, "b", &existed, &err);
        ASSERT_EQ(make_coll(db, "a", DIM, 0), VT_OK);
        ASSERT_EQ(make_coll(db, "b", DIM, 0), VT_OK);
        ASSERT_EQ(upsert_colors(db, "a", 0, 20), VT_OK);
        ASSERT_EQ(upsert_colors(db, "b", 0, 20), VT_OK);
        ASSERT_EQ(vt_field_index_create(db, "a", "n", "integer", NULL, &err), VT_OK);
        vt_alloc_fail_at(k);
        int rc1 = vt_field_index_create(db, "a", "color", "keyword", NULL, &err);
        int rc2 = upsert_colors(db, "a", 20, 5);
        int64_t inj = vt_alloc_injected();
        vt_alloc_fail_at(0);
        if (rc2 == VT_OK) ASSERT_EQ(upsert_colors(db, "b", 20, 5), VT_OK);
        if (inj == 0) {
            ASSERT_EQ(rc1, VT_OK);
            ASSERT_EQ(rc2, VT_OK);
            done = 1;
        }
        static const char *filters[] = {
            "{\"must\":[{\"key\":\"color\",\"match\":{\"value\":\"red\"}}]}",
            "{\"must\":[{\"key\":\"n\",\"range\":{\"gte\":10}}]}",
            "{\"must_not\":[{\"key\":\"color\",\"match\":{\"value\":\"red\"}}],\"should\":[{\"key\":\"n\",\"range\":{\"lt\":22}}]}",
        };
        for (int i = 0; i < 3; i++) {
            uint64_t ca, cb;
            ASSERT_EQ(vt_points_count(db, "a", filters[i], &ca, &err), VT_OK);
            ASSERT_EQ(vt_points_count(db, "b", filters[i], &cb, &err), VT_OK);
            ASSERT_EQ(ca, cb);
            char *sa = scroll_all(db, "a", filters[i], 1000), *sb = scroll_all(db, "b", filters[i], 1000);
            ASSERT_TRUE(sa && sb);
            ASSERT_STR_EQ(sa, sb);
            free(sa), free(sb);
        }
        /* a later write must still keep the (possibly rebuilt) indexes right */
        ASSERT_EQ(upsert_colors(db, "a", 25, 3), VT_OK);
        ASSERT_EQ(upsert_colors(db, "b", 25, 3), VT_OK);
        uint64_t ca, cb;
        ASSERT_EQ(vt_points_count(db, "a", filters[0], &ca, &err), VT_OK);
        ASSERT_EQ(vt_points_count(db, "b", filters[0], &cb, &err), VT_OK);
        ASSERT_EQ(ca, cb);
    }
    ASSERT_TRUE(done);
    printf("allocation failures: %d injection points, results right after each\n", (int)k_done);
    vt_db_close(db);
    rm_dir();
}

/* recall of filtered search through an integer index at 50 %, 10 %, 1 %, 0.1 % selectivity */
static void test_filtered_recall(void) {
    const char *dir = fresh_dir("recall");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    enum { N = 5000, D = 16 };
    vt_vector_params v = vt_vector_params_default("", D, VT_DISTANCE_COSINE);
    v.full_scan_threshold = 20; /* KB: 320 points of 16 floats */
    vt_collection_config cc = {1, &v};
    vt_error err = {0};
    ASSERT_EQ(vt_collection_create(db, "r", &cc, &err), VT_OK);
    ASSERT_EQ(vt_field_index_create(db, "r", "p", "integer", NULL, &err), VT_OK);
    vt_point_in *p = calloc(N, sizeof *p);
    vt_named_vector *nv = calloc(N, sizeof *nv);
    float *x = calloc((size_t)N * D, sizeof *x);
    char (*pl)[48] = calloc(N, 48);
    nv_rng = 777;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < D; j++) x[i * D + j] = (float)(nv_next() % 20001) / 10000.0f - 1.0f;
        nv[i] = (vt_named_vector){"", x + i * D, D};
        snprintf(pl[i], 48, "{\"p\":%d}", (int)(nv_next() % 1000));
        p[i] = (vt_point_in){{0, (uint64_t)i, {0}}, 1, &nv[i], pl[i]};
    }
    ASSERT_EQ(vt_points_upsert(db, "r", p, N, NULL, &err), VT_OK);
    static const int lim[4] = {500, 100, 10, 1};
    for (int s = 0; s < 4; s++) {
        char f[96];
        snprintf(f, sizeof f, "{\"must\":[{\"key\":\"p\",\"range\":{\"lt\":%d}}]}", lim[s]);
        double rec = 0;
        int nq = 0;
        for (int q = 0; q < 30; q++) {
            float qv[D];
            for (int j = 0; j < D; j++) qv[j] = (float)(nv_next() % 20001) / 10000.0f - 1.0f;
            vt_search_req rq = vt_search_req_default();
            rq.vector = qv;
            rq.dim = D;
            rq.limit = 10;
            rq.filter_json = f;
            vt_result *ex, *ap;
            rq.exact = 1;
            ASSERT_EQ(vt_points_search(db, "r", &rq, &ex, &err), VT_OK);
            rq.exact = 0;
            rq.hnsw_ef = 64;
            ASSERT_EQ(vt_points_search(db, "r", &rq, &ap, &err), VT_OK);
            size_t ne = vt_result_count(ex), hit = 0;
            for (size_t i = 0; i < vt_result_count(ap); i++)
                for (size_t j = 0; j < ne; j++) hit += vt_result_id(ap, i)->num == vt_result_id(ex, j)->num;
            if (ne) {
                rec += (double)hit / (double)ne;
                nq++;
            }
            vt_result_free(ex);
            vt_result_free(ap);
        }
        rec = nq ? rec / nq : 1;
        printf("selectivity %.1f%%: recall@10 %.4f (%d queries)\n", lim[s] / 10.0, rec, nq);
        ASSERT_TRUE(rec >= 0.95);
    }
    free(p), free(nv), free(x), free(pl);
    vt_db_close(db);
    rm_dir();
}

/* ---- readers beside a writer: every answer is one snapshot's ---- */

typedef struct conc_ctx {
    vt_db *db;
    int n;               /* points */
    volatile int stop;
    volatile int written; /* the last value of "v" written */
    int bad, reads;
} conc_ctx;

static void *conc_reader(void *arg) {
    conc_ctx *x = arg;
    while (!x->stop) {
        int t = x->written;
        for (int d = 0; d < 2; d++) {
            char f[128];
            snprintf(f, sizeof f, "{\"must\":[{\"key\":\"v\",\"match\":{\"value\":%d}}]}", t - d);
            uint64_t c = 0;
            vt_error err = {0};
            if (vt_points_count(x->db, "c", f, &c, &err) != VT_OK || (c != 0 && c != (uint64_t)x->n)) x->bad++;
            vt_scroll_req rq = vt_scroll_req_default();
            rq.filter_json = f;
            rq.limit = 1000;
            vt_result *r;
            if (vt_points_scroll(x->db, "c", &rq, &r, &err) != VT_OK) {
                x->bad++;
                continue;
            }
            size_t m = vt_result_count(r);
            if (m != 0 && m != (size_t)x->n) x->bad++;
            vt_result_free(r);
            float q[DIM] = {1, 0, 0, 0};
            vt_search_req sq = vt_search_req_default();
            sq.vector = q;
            sq.dim = DIM;
            sq.limit = (size_t)x->n;
            sq.filter_json = f;
            sq.hnsw_ef = 512;
            if (vt_points_search(x->db, "c", &sq, &r, &err) != VT_OK) {
                x->bad++;
                continue;
            }
            m = vt_result_count(r); /* HNSW may miss a few, never return a non-matching one */
            if (m > (size_t)x->n) x->bad++;
            vt_result_free(r);
            x->reads++;
        }
    }
    return NULL;
}

static void test_concurrent_readers(void) {
    const char *dir = fresh_dir("conc");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db != NULL);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "c", DIM, 1), VT_OK);
    ASSERT_EQ(upsert_colors(db, "c", 0, 60), VT_OK);
    ASSERT_EQ(vt_field_index_create(db, "c", "v", "integer", NULL, &err), VT_OK);
    vt_selector all = {NULL, 0, "{}"};
    ASSERT_EQ(vt_payload_set(db, "c", &all, "{\"v\":0}", NULL, &err), VT_OK);
    conc_ctx x = {db, 60, 0, 0, 0, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, conc_reader, &x);
    for (int t = 1; t <= 150; t++) {
        char pl[32];
        snprintf(pl, sizeof pl, "{\"v\":%d}", t);
        ASSERT_EQ(vt_payload_set(db, "c", &all, pl, NULL, &err), VT_OK);
        x.written = t;
        if (t % 50 == 0) ASSERT_EQ(upsert_colors(db, "c", 0, 60), VT_OK); /* drops v, then set again */
        if (t % 50 == 0) ASSERT_EQ(vt_payload_set(db, "c", &all, pl, NULL, &err), VT_OK);
    }
    x.stop = 1;
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    printf("concurrent: %d reads beside 150 writes, %d inconsistent\n", x.reads, x.bad);
    ASSERT_EQ(x.bad, 0);
    ASSERT_TRUE(x.reads > 0);
    vt_db_close(db);
    rm_dir();
}

int main(void) {
    vt_json_init();
    (void)nv_match; /* filter_naive.h's evaluator: the unindexed collection is the reference here */
    RUN(test_api_persistence);
    RUN(test_differential);
    RUN(test_alloc_failures);
    RUN(test_concurrent_readers);
    RUN(test_filtered_recall);
    TEST_END();
}
