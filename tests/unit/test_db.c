/*
 * test_db.c — the database API (include/vitrine.h, src/db/): collections and aliases, points
 * and payloads, op ids and versions, scroll / count / search against brute force, persistence
 * across reopen, map growth, snapshots taken during writes, and the allocation-failure loop
 * (fail the 1st, 2nd, … allocation of an upsert and of open: clean error, no leak, nothing
 * half-applied). Each test works in its own folder under /tmp.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"
#include "test.h"
#include "vitrine.h"

static char g_dir[256];

static const char *fresh_dir(const char *tag) {
    snprintf(g_dir, sizeof g_dir, "/tmp/vt_test_db_%d_%s", (int)getpid(), tag);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) return NULL;
    return g_dir;
}

static void rm_dir(void) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'.snap*", g_dir, g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
}

static vt_point_id pid(uint64_t n) {
    vt_point_id id = {0, n, {0}};
    return id;
}

static vt_db *open_db(const char *dir) {
    vt_db_opts o = vt_db_opts_default();
    o.no_sync = 1;
    vt_db *db = NULL;
    vt_error err = {0};
    if (vt_db_open(dir, &o, &db, &err) != VT_OK) fprintf(stderr, "open: %s\n", err.message);
    return db;
}

/* make_coll: "c" with an unnamed vector of dim d and the given distance. */
static int make_coll(vt_db *db, const char *name, uint32_t d, int dist) {
    vt_vector_params v = vt_vector_params_default("", d, dist);
    vt_collection_config c = {1, &v};
    vt_error err = {0};
    int rc = vt_collection_create(db, name, &c, &err);
    if (rc) fprintf(stderr, "create: %s\n", err.message);
    return rc;
}

/* upsert_n: points first..first+n-1, vector v_i[j] = sin(i*7+j), payload {"i":i,"even":bool}. */
static int upsert_n(vt_db *db, const char *coll, uint64_t first, size_t n, uint32_t d) {
    vt_point_in *p = calloc(n, sizeof *p);
    vt_named_vector *nv = calloc(n, sizeof *nv);
    float *x = calloc(n * d, sizeof *x);
    char (*pl)[64] = calloc(n, 64);
    for (size_t i = 0; i < n; i++) {
        uint64_t id = first + i;
        for (uint32_t j = 0; j < d; j++) x[i * d + j] = (float)sin((double)(id * 7 + j));
        nv[i] = (vt_named_vector){"", x + i * d, d};
        snprintf(pl[i], 64, "{\"i\":%llu,\"even\":%s}", (unsigned long long)id, id % 2 ? "false" : "true");
        p[i] = (vt_point_in){pid(id), 1, &nv[i], pl[i]};
    }
    vt_error err = {0};
    int rc = vt_points_upsert(db, coll, p, n, NULL, &err);
    if (rc) fprintf(stderr, "upsert: %s\n", err.message);
    free(p), free(nv), free(x), free(pl);
    return rc;
}

static void test_collections_and_aliases(void) {
    vt_db *db = open_db(fresh_dir("coll"));
    ASSERT_TRUE(db);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "b", 4, VT_DISTANCE_COSINE), VT_OK);
    vt_vector_params vs[2] = {vt_vector_params_default("image", 3, VT_DISTANCE_DOT),
                              vt_vector_params_default("text", 5, VT_DISTANCE_EUCLID)};
    vs[1].quant_int8 = 1;
    vt_collection_config cc = {2, vs};
    ASSERT_EQ(vt_collection_create(db, "a", &cc, &err), VT_OK);
    ASSERT_EQ(vt_collection_create(db, "a", &cc, &err), VT_EEXIST);
    ASSERT_STR_CONTAINS(err.message, "Collection `a` already exists!");
    vt_error_clear(&err);
    vs[0].size = 65537;
    ASSERT_EQ(vt_collection_create(db, "z", &cc, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "must be from 1 to 65536");
    vt_error_clear(&err);
    vs[0].size = 3;
    vs[1].name = "image";
    ASSERT_EQ(vt_collection_create(db, "z", &cc, &err), VT_EINVAL);
    vt_error_clear(&err);
    ASSERT_EQ(vt_collection_create(db, "a/b", &cc, &err), VT_EINVAL);
    vt_error_clear(&err);
    char **names;
    size_t n;
    ASSERT_EQ(vt_collection_list(db, &names, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(names[0], "a");
    ASSERT_STR_EQ(names[1], "b");
    vt_mem_free(names);
    vt_collection_info info;
    ASSERT_EQ(vt_collection_info_get(db, "a", &info, &err), VT_OK);
    ASSERT_EQ(info.n_vectors, 2);
    ASSERT_STR_EQ(info.vectors[1].name, "text");
    ASSERT_EQ(info.vectors[1].params.size, 5);
    ASSERT_EQ(info.vectors[1].params.quant_int8, 1);
    ASSERT_EQ(info.vectors[0].params.distance, VT_DISTANCE_DOT);
    ASSERT_EQ(info.vectors[0].params.hnsw_m, 16);
    /* aliases */
    ASSERT_EQ(vt_alias_create(db, "al", "a", &err), VT_OK);
    ASSERT_EQ(vt_alias_create(db, "al", "b", &err), VT_EEXIST);
    vt_error_clear(&err);
    ASSERT_EQ(vt_alias_create(db, "b", "a", &err), VT_EEXIST);
    vt_error_clear(&err);
    ASSERT_EQ(vt_alias_create(db, "x", "nope", &err), VT_ENOTFOUND);
    vt_error_clear(&err);
    ASSERT_EQ(make_coll(db, "al", 4, VT_DISTANCE_COSINE), VT_EEXIST);
    ASSERT_EQ(vt_collection_info_get(db, "al", &info, &err), VT_OK);
    ASSERT_STR_EQ(info.name, "a");
    ASSERT_EQ(vt_alias_rename(db, "al", "al2", &err), VT_OK);
    int ex;
    ASSERT_EQ(vt_collection_exists(db, "al", &ex, &err), VT_OK);
    ASSERT_EQ(ex, 0);
    ASSERT_EQ(vt_collection_exists(db, "al2", &ex, &err), VT_OK);
    ASSERT_EQ(ex, 1);
    char **pairs;
    ASSERT_EQ(vt_alias_list(db, NULL, &pairs, &n, &err), VT_OK);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(pairs[0], "al2");
    ASSERT_STR_EQ(pairs[1], "a");
    vt_mem_free(pairs);
    /* update params */
    vt_vector_params up = vt_vector_params_default("text", 5, VT_DISTANCE_EUCLID);
    up.hnsw_m = 32;
    ASSERT_EQ(vt_collection_update(db, "a", &up, 1, &err), VT_OK);
    up.size = 6;
    ASSERT_EQ(vt_collection_update(db, "a", &up, 1, &err), VT_EINVAL);
    vt_error_clear(&err);
    ASSERT_EQ(vt_collection_info_get(db, "a", &info, &err), VT_OK);
    ASSERT_EQ(info.vectors[1].params.hnsw_m, 32);
    /* delete: its aliases go, a missing one is no error; recreating starts empty */
    ASSERT_EQ(upsert_n(db, "b", 1, 5, 4), VT_OK);
    ASSERT_EQ(vt_collection_delete(db, "a", &ex, &err), VT_OK);
    ASSERT_EQ(ex, 1);
    ASSERT_EQ(vt_collection_delete(db, "a", &ex, &err), VT_OK);
    ASSERT_EQ(ex, 0);
    ASSERT_EQ(vt_collection_exists(db, "al2", &ex, &err), VT_OK);
    ASSERT_EQ(ex, 0);
    ASSERT_EQ(vt_collection_delete(db, "b", &ex, &err), VT_OK);
    ASSERT_EQ(make_coll(db, "b", 4, VT_DISTANCE_COSINE), VT_OK);
    uint64_t cnt = 99;
    ASSERT_EQ(vt_points_count(db, "b", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 0);
    ASSERT_EQ(vt_collection_info_get(db, "nope", &info, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "Collection `nope` doesn't exist!");
    vt_db_close(db);
    rm_dir();
}

static void test_points_payload_versions(void) {
    vt_db *db = open_db(fresh_dir("pts"));
    ASSERT_TRUE(db);
    vt_error err = {0};
    vt_vector_params vs[2] = {vt_vector_params_default("image", 3, VT_DISTANCE_COSINE),
                              vt_vector_params_default("text", 2, VT_DISTANCE_DOT)};
    vt_collection_config cc = {2, vs};
    ASSERT_EQ(vt_collection_create(db, "c", &cc, &err), VT_OK);
    float a[3] = {3, 0, 4}, t[2] = {1, 2};
    vt_named_vector v1[2] = {{"image", a, 3}, {"text", t, 2}};
    vt_point_id u;
    ASSERT_EQ(vt_point_id_parse("550E8400-e29b-41d4-a716-446655440000", 36, &u, &err), VT_OK);
    vt_point_in pts[3] = {{pid(1), 2, v1, "{\"color\":\"red\",\"n\":1}"},
                          {u, 1, v1 + 1, NULL},          /* lacks "image" */
                          {pid(2), 1, v1, "{\"color\":\"blue\"}"}};
    uint64_t op = 0;
    ASSERT_EQ(vt_points_upsert(db, "c", pts, 3, &op, &err), VT_OK);
    ASSERT_EQ(op, 1);
    /* a batch with one wrong dimension writes nothing */
    float bad[4] = {1, 2, 3, 4};
    vt_named_vector vb = {"image", bad, 4};
    vt_point_in b2[2] = {{pid(10), 1, v1, NULL}, {pid(11), 1, &vb, NULL}};
    ASSERT_EQ(vt_points_upsert(db, "c", b2, 2, &op, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "point 11: vector \"image\": Vector dimension error: expected dim: 3, got 4");
    vt_error_clear(&err);
    vt_named_vector vu = {"nope", a, 3};
    b2[1].vectors = &vu;
    ASSERT_EQ(vt_points_upsert(db, "c", b2, 2, &op, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "Not existing vector name error: nope");
    vt_error_clear(&err);
    b2[1] = (vt_point_in){pid(11), 1, v1, "[1,2]"};
    ASSERT_EQ(vt_points_upsert(db, "c", b2, 2, &op, &err), VT_EINVAL);
    vt_error_clear(&err);
    b2[1].payload_json = "{\"a\":";
    ASSERT_EQ(vt_points_upsert(db, "c", b2, 2, &op, &err), VT_EINVAL);
    vt_error_clear(&err);
    float nanv[3] = {1, NAN, 0};
    vt_named_vector vn = {"image", nanv, 3};
    b2[1] = (vt_point_in){pid(11), 1, &vn, NULL};
    ASSERT_EQ(vt_points_upsert(db, "c", b2, 2, &op, &err), VT_EINVAL);
    vt_error_clear(&err);
    uint64_t cnt;
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 3);
    vt_collection_info info;
    ASSERT_EQ(vt_collection_info_get(db, "c", &info, &err), VT_OK);
    ASSERT_EQ(info.last_op_id, 1);
    ASSERT_EQ(info.vectors[0].points_count, 2);
    ASSERT_EQ(info.vectors[1].points_count, 2);
    /* get: order of ids, missing skipped, vectors (cosine normalised) and payload */
    vt_point_id ids[4] = {pid(2), pid(99), u, pid(1)};
    vt_result *r;
    ASSERT_EQ(vt_points_get(db, "c", ids, 4, 1, 1, &r, &err), VT_OK);
    ASSERT_EQ(vt_result_count(r), 3);
    ASSERT_EQ(vt_result_id(r, 0)->num, 2);
    ASSERT_EQ(vt_result_id(r, 1)->is_uuid, 1);
    char buf[VT_POINT_ID_BUF];
    ASSERT_STR_EQ(vt_point_id_format(vt_result_id(r, 1), buf), "550e8400-e29b-41d4-a716-446655440000");
    ASSERT_STR_EQ(vt_result_payload(r, 1), "{}");
    ASSERT_EQ(vt_result_version(r, 2), 1);
    ASSERT_EQ(vt_result_n_vectors(r, 2), 2);
    const char *nm;
    const float *d;
    uint32_t dim;
    ASSERT_EQ(vt_result_vector(r, 2, 0, &nm, &d, &dim), VT_OK);
    ASSERT_STR_EQ(nm, "image");
    ASSERT_EQ(dim, 3);
    ASSERT_NEAR(d[0], 0.6, 1e-6);
    ASSERT_NEAR(d[2], 0.8, 1e-6);
    ASSERT_EQ(vt_result_vector(r, 2, 1, &nm, &d, &dim), VT_OK);
    ASSERT_STR_EQ(nm, "text");
    ASSERT_NEAR(d[1], 2, 0);
    vt_result_free(r);
    /* payload operations */
    vt_selector s1 = {ids + 3, 1, NULL};
    ASSERT_EQ(vt_payload_set(db, "c", &s1, "{\"n\":5,\"k\":[1,2]}", &op, &err), VT_OK);
    ASSERT_EQ(op, 2);
    ASSERT_EQ(vt_points_get(db, "c", ids + 3, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_EQ(vt_result_payload(r, 0), "{\"color\":\"red\",\"n\":5,\"k\":[1,2]}");
    ASSERT_EQ(vt_result_version(r, 0), 2);
    ASSERT_EQ(vt_result_n_vectors(r, 0), 0);
    vt_result_free(r);
    const char *keys[2] = {"color", "zz"};
    ASSERT_EQ(vt_payload_delete_keys(db, "c", &s1, keys, 2, &op, &err), VT_OK);
    ASSERT_EQ(vt_points_get(db, "c", ids + 3, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_EQ(vt_result_payload(r, 0), "{\"n\":5,\"k\":[1,2]}");
    vt_result_free(r);
    vt_selector sf = {NULL, 0, "{\"must\":[{\"key\":\"color\",\"match\":{\"value\":\"blue\"}}]}"};
    ASSERT_EQ(vt_payload_overwrite(db, "c", &sf, "{\"color\":\"green\"}", &op, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", "{\"must\":[{\"key\":\"color\",\"match\":{\"value\":\"green\"}}]}", &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 1);
    ASSERT_EQ(vt_payload_clear(db, "c", &s1, &op, &err), VT_OK);
    ASSERT_EQ(vt_points_get(db, "c", ids + 3, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_EQ(vt_result_payload(r, 0), "{}");
    vt_result_free(r);
    ASSERT_EQ(vt_payload_set(db, "c", &s1, "[1]", &op, &err), VT_EINVAL);
    vt_error_clear(&err);
    /* vectors: update keeps the others, delete removes one; missing point refused */
    float a2[3] = {0, 2, 0};
    vt_named_vector vv = {"image", a2, 3};
    vt_point_in up[1] = {{u, 1, &vv, NULL}};
    ASSERT_EQ(vt_vectors_update(db, "c", up, 1, &op, &err), VT_OK);
    up[0].id = pid(77);
    ASSERT_EQ(vt_vectors_update(db, "c", up, 1, &op, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "No point with id 77 found");
    vt_error_clear(&err);
    ASSERT_EQ(vt_points_get(db, "c", &u, 1, 1, 1, &r, &err), VT_OK);
    ASSERT_EQ(vt_result_n_vectors(r, 0), 2);
    vt_result_free(r);
    const char *vn_text = "text";
    vt_selector su = {&u, 1, NULL};
    ASSERT_EQ(vt_vectors_delete(db, "c", &su, &vn_text, 1, &op, &err), VT_OK);
    ASSERT_EQ(vt_points_get(db, "c", &u, 1, 1, 1, &r, &err), VT_OK);
    ASSERT_EQ(vt_result_n_vectors(r, 0), 1);
    ASSERT_EQ(vt_result_vector(r, 0, 0, &nm, &d, &dim), VT_OK);
    ASSERT_STR_EQ(nm, "image");
    ASSERT_NEAR(d[1], 1, 1e-6);
    vt_result_free(r);
    ASSERT_EQ(vt_collection_info_get(db, "c", &info, &err), VT_OK);
    ASSERT_EQ(info.vectors[0].points_count, 3);
    ASSERT_EQ(info.vectors[1].points_count, 1);
    /* has_vector filter */
    ASSERT_EQ(vt_points_count(db, "c", "{\"must\":[{\"has_vector\":\"text\"}]}", &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 1);
    /* delete by ids and by filter */
    vt_selector sd = {ids, 2, NULL}; /* 2 and a missing 99 */
    ASSERT_EQ(vt_points_delete(db, "c", &sd, &op, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 2);
    vt_selector sdf = {NULL, 0, "{\"must\":[{\"has_id\":[1]}]}"};
    ASSERT_EQ(vt_points_delete(db, "c", &sdf, &op, &err), VT_OK);
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 1);
    ASSERT_EQ(vt_collection_info_get(db, "c", &info, &err), VT_OK);
    ASSERT_EQ(info.last_op_id, op);
    ASSERT_EQ(info.vectors[0].points_count, 1);
    ASSERT_EQ(info.vectors[1].points_count, 0);
    ASSERT_EQ(vt_points_count(db, "c", "{\"must\":[{\"bogus\":1}]}", &cnt, &err), VT_EINVAL);
    vt_db_close(db);
    rm_dir();
}

static void test_scroll_count_reopen(void) {
    const char *dir = fresh_dir("scroll");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "c", 4, VT_DISTANCE_EUCLID), VT_OK);
    ASSERT_EQ(upsert_n(db, "c", 1, 25, 4), VT_OK);
    ASSERT_EQ(upsert_n(db, "c", 1000, 5, 4), VT_OK);
    vt_db_close(db);
    db = open_db(dir); /* everything survived a reopen */
    ASSERT_TRUE(db);
    uint64_t cnt;
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 30);
    ASSERT_EQ(vt_points_count(db, "c", "{\"must\":[{\"key\":\"even\",\"match\":{\"value\":true}}]}", &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 12 + 3);
    /* pages of 7 over the even points, by id */
    vt_scroll_req q = vt_scroll_req_default();
    q.limit = 7;
    q.filter_json = "{\"must\":[{\"key\":\"even\",\"match\":{\"value\":true}}]}";
    vt_point_id off;
    uint64_t seen = 0, last = 0, pages = 0;
    for (;;) {
        vt_result *r;
        ASSERT_EQ(vt_points_scroll(db, "c", &q, &r, &err), VT_OK);
        for (size_t i = 0; i < vt_result_count(r); i++) {
            uint64_t id = vt_result_id(r, i)->num;
            ASSERT_TRUE(id % 2 == 0 && id > last);
            last = id;
            seen++;
        }
        pages++;
        int more = vt_result_next_offset(r, &off);
        vt_result_free(r);
        if (!more) break;
        q.offset = &off;
    }
    ASSERT_EQ(seen, 15);
    ASSERT_EQ(pages, 3);
    /* order_by descending, limit 3 */
    vt_scroll_req o = vt_scroll_req_default();
    o.order_by = "i";
    o.order_desc = 1;
    o.limit = 3;
    vt_result *r;
    ASSERT_EQ(vt_points_scroll(db, "c", &o, &r, &err), VT_OK);
    ASSERT_EQ(vt_result_count(r), 3);
    ASSERT_EQ(vt_result_id(r, 0)->num, 1004);
    ASSERT_EQ(vt_result_id(r, 2)->num, 1002);
    ASSERT_EQ(vt_result_next_offset(r, &off), 0);
    vt_result_free(r);
    vt_db_close(db);
    rm_dir();
}

/* brute-force reference: best k ids by distance for query q over points 1..n of upsert_n */
static void test_search_vs_brute_force(void) {
    vt_db *db = open_db(fresh_dir("search"));
    ASSERT_TRUE(db);
    vt_error err = {0};
    const char *names[4] = {"cos", "dot", "euc", "man"};
    const uint32_t d = 8;
    const size_t n = 300;
    for (int dist = 0; dist < 4; dist++) {
        ASSERT_EQ(make_coll(db, names[dist], d, dist), VT_OK);
        ASSERT_EQ(upsert_n(db, names[dist], 1, n, d), VT_OK);
        float q[8];
        for (uint32_t j = 0; j < d; j++) q[j] = (float)cos(j * 1.3 + dist);
        /* reference scores */
        double best[300];
        double qn = 0;
        for (uint32_t j = 0; j < d; j++) qn += q[j] * q[j];
        for (size_t i = 0; i < n; i++) {
            double dot = 0, l2 = 0, l1 = 0, xn = 0;
            for (uint32_t j = 0; j < d; j++) {
                double x = sin((double)((i + 1) * 7 + j));
                dot += x * q[j];
                l2 += (x - q[j]) * (x - q[j]);
                l1 += fabs(x - q[j]);
                xn += x * x;
            }
            best[i] = dist == 0 ? dot / sqrt(xn * qn) : dist == 1 ? dot : dist == 2 ? sqrt(l2) : l1;
        }
        int higher = dist < 2;
        vt_search_req s = vt_search_req_default();
        s.vector = q;
        s.dim = d;
        s.limit = 5;
        s.offset = 2;
        s.with_payload = 1;
        s.filter_json = "{\"must_not\":[{\"key\":\"even\",\"match\":{\"value\":true}}]}";
        vt_result *r;
        ASSERT_EQ(vt_points_search(db, names[dist], &s, &r, &err), VT_OK);
        ASSERT_EQ(vt_result_count(r), 5);
        /* the reference order among odd ids */
        size_t order[300], m = 0;
        for (size_t i = 0; i < n; i++)
            if ((i + 1) % 2 == 1) order[m++] = i;
        for (size_t a = 1; a < m; a++)
            for (size_t b = a; b > 0; b--) {
                double x = best[order[b]], y = best[order[b - 1]];
                if (higher ? x > y : x < y) {
                    size_t t = order[b];
                    order[b] = order[b - 1];
                    order[b - 1] = t;
                } else break;
            }
        for (size_t i = 0; i < 5; i++) {
            ASSERT_EQ(vt_result_id(r, i)->num, order[i + 2] + 1);
            ASSERT_NEAR(vt_result_score(r, i), best[order[i + 2]], 1e-4);
            ASSERT_TRUE(vt_result_payload(r, i) != NULL);
        }
        /* score_threshold cuts */
        s.offset = 0;
        s.limit = 50;
        s.has_score_threshold = 1;
        s.score_threshold = (float)best[order[3]];
        vt_result *r2;
        ASSERT_EQ(vt_points_search(db, names[dist], &s, &r2, &err), VT_OK);
        ASSERT_TRUE(vt_result_count(r2) >= 3 && vt_result_count(r2) <= 5);
        vt_result_free(r2);
        vt_result_free(r);
    }
    vt_search_req s = vt_search_req_default();
    float q[3] = {1, 2, 3};
    s.vector = q;
    s.dim = 3;
    vt_result *r;
    ASSERT_EQ(vt_points_search(db, "cos", &s, &r, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "expected dim: 8, got 3");
    vt_error_clear(&err);
    s.using = "img";
    ASSERT_EQ(vt_points_search(db, "cos", &s, &r, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "Not existing vector name error: img");
    vt_db_close(db);
    rm_dir();
}

static void test_map_grows(void) {
    const char *dir = fresh_dir("grow");
    vt_db_opts o = vt_db_opts_default();
    o.no_sync = 1;
    o.map_size = 1 << 20;
    vt_db *db = NULL;
    vt_error err = {0};
    ASSERT_EQ(vt_db_open(dir, &o, &db, &err), VT_OK);
    ASSERT_EQ(make_coll(db, "c", 256, VT_DISTANCE_DOT), VT_OK);
    for (int b = 0; b < 6; b++) ASSERT_EQ(upsert_n(db, "c", 1 + b * 500, 500, 256), VT_OK); /* ~3 MB */
    uint64_t cnt;
    ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
    ASSERT_EQ(cnt, 3000);
    vt_db_close(db);
    rm_dir();
}

typedef struct writer_arg {
    vt_db *db;
    volatile int stop;
    int n;
} writer_arg;

static void *writer(void *p) {
    writer_arg *w = p;
    while (!w->stop) {
        if (upsert_n(w->db, "c", 10000 + (uint64_t)w->n * 10, 10, 4) != VT_OK) break;
        w->n++;
    }
    return NULL;
}

static void test_snapshot_during_writes(void) {
    const char *dir = fresh_dir("snap");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "c", 4, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_n(db, "c", 1, 100, 4), VT_OK);
    writer_arg w = {db, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, writer, &w);
    while (w.n < 3) usleep(1000);
    char path[400];
    snprintf(path, sizeof path, "%s.snap", dir);
    int rc = vt_collection_snapshot(db, "c", path, &err);
    w.stop = 1;
    pthread_join(th, NULL);
    ASSERT_EQ(rc, VT_OK);
    ASSERT_EQ(vt_collection_snapshot(db, "c", path, &err), VT_EEXIST);
    vt_error_clear(&err);
    ASSERT_EQ(vt_collection_restore(db, path, "c2", &err), VT_OK);
    ASSERT_EQ(vt_collection_restore(db, path, "c2", &err), VT_EEXIST);
    vt_error_clear(&err);
    uint64_t n2;
    ASSERT_EQ(vt_points_count(db, "c2", NULL, &n2, &err), VT_OK);
    /* a consistent cut: 100 + whole batches of 10 */
    ASSERT_TRUE(n2 >= 100 && (n2 - 100) % 10 == 0 && n2 <= 100 + (uint64_t)w.n * 10);
    vt_point_id ids[2] = {pid(7), pid(8)};
    vt_result *a, *b;
    ASSERT_EQ(vt_points_get(db, "c", ids, 2, 1, 1, &a, &err), VT_OK);
    ASSERT_EQ(vt_points_get(db, "c2", ids, 2, 1, 1, &b, &err), VT_OK);
    ASSERT_EQ(vt_result_count(b), 2);
    ASSERT_STR_EQ(vt_result_payload(a, 1), vt_result_payload(b, 1));
    ASSERT_EQ(vt_result_version(a, 1), vt_result_version(b, 1));
    vt_result_free(a);
    vt_result_free(b);
    /* the restored collection takes writes with later op ids */
    uint64_t op;
    vt_selector s = {ids, 1, NULL};
    ASSERT_EQ(vt_points_delete(db, "c2", &s, &op, &err), VT_OK);
    vt_collection_info info;
    ASSERT_EQ(vt_collection_info_get(db, "c2", &info, &err), VT_OK);
    ASSERT_EQ(info.points_count, n2 - 1);
    ASSERT_EQ(info.last_op_id, op);
    /* not a snapshot */
    vt_error_clear(&err);
    ASSERT_TRUE(vt_collection_restore(db, "tests/test.h", "c3", &err) != VT_OK);
    ASSERT_TRUE(err.message[0] != '\0');
    int ex3;
    ASSERT_EQ(vt_collection_exists(db, "c3", &ex3, &err), VT_OK);
    ASSERT_EQ(ex3, 0);
    vt_db_close(db);
    rm_dir();
}

static void test_alloc_failures(void) {
    const char *dir = fresh_dir("fault");
    vt_db *db = open_db(dir);
    ASSERT_TRUE(db);
    vt_error err = {0};
    ASSERT_EQ(make_coll(db, "c", 4, VT_DISTANCE_COSINE), VT_OK);
    ASSERT_EQ(upsert_n(db, "c", 1, 10, 4), VT_OK);
    int64_t base = vt_alloc_live_bytes();
    int ok_at = 0;
    for (int k = 1; k < 500 && !ok_at; k++) {
        vt_alloc_fail_at(k);
        int rc = upsert_n(db, "c", 100, 20, 4);
        int64_t inj = vt_alloc_injected();
        vt_alloc_fail_at(0);
        uint64_t cnt;
        ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
        if (inj == 0) {
            ASSERT_EQ(rc, VT_OK);
            ASSERT_EQ(cnt, 30);
            ok_at = k;
            break;
        }
        ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_EQ(cnt, 10); /* nothing of the batch */
        ASSERT_EQ(vt_alloc_live_bytes(), base);
    }
    ASSERT_TRUE(ok_at > 5);
    /* payload set by filter */
    base = vt_alloc_live_bytes();
    for (int k = 1; k < 500; k++) {
        vt_alloc_fail_at(k);
        vt_selector s = {NULL, 0, "{\"must\":[{\"key\":\"even\",\"match\":{\"value\":true}}]}"};
        vt_error e = {0};
        int rc = vt_payload_set(db, "c", &s, "{\"tag\":\"x\"}", NULL, &e);
        int64_t inj = vt_alloc_injected();
        vt_alloc_fail_at(0);
        uint64_t cnt;
        ASSERT_EQ(vt_points_count(db, "c", "{\"must\":[{\"key\":\"tag\",\"match\":{\"value\":\"x\"}}]}", &cnt, &err), VT_OK);
        if (inj == 0) {
            ASSERT_EQ(rc, VT_OK);
            ASSERT_EQ(cnt, 15);
            break;
        }
        ASSERT_TRUE(rc != VT_OK);
        ASSERT_EQ(cnt, 0);
        ASSERT_EQ(vt_alloc_live_bytes(), base);
    }
    vt_db_close(db);
    /* open */
    base = vt_alloc_live_bytes();
    for (int k = 1; k < 200; k++) {
        vt_db_opts o = vt_db_opts_default();
        o.no_sync = 1;
        vt_error e = {0};
        vt_alloc_fail_at(k);
        int rc = vt_db_open(dir, &o, &db, &e);
        int64_t inj = vt_alloc_injected();
        vt_alloc_fail_at(0);
        if (inj == 0) {
            ASSERT_EQ(rc, VT_OK);
            vt_db_close(db);
            break;
        }
        ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_TRUE(db == NULL);
        ASSERT_EQ(vt_alloc_live_bytes(), base);
    }
    ASSERT_EQ(vt_alloc_live_bytes(), base);
    rm_dir();
}

static void test_point_ids(void) {
    vt_point_id id;
    vt_error err = {0};
    char buf[VT_POINT_ID_BUF];
    ASSERT_EQ(vt_point_id_parse("18446744073709551615", 20, &id, &err), VT_OK);
    ASSERT_STR_EQ(vt_point_id_format(&id, buf), "18446744073709551615");
    ASSERT_EQ(vt_point_id_parse("18446744073709551616", 20, &id, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "Can not recognize \"18446744073709551616\" as point id");
    ASSERT_EQ(vt_point_id_parse("{550e8400e29b41d4a716446655440000}", 34, &id, &err), VT_EINVAL);
    ASSERT_EQ(vt_point_id_parse("550e8400e29b41d4a716446655440000", 32, &id, &err), VT_OK);
    ASSERT_STR_EQ(vt_point_id_format(&id, buf), "550e8400-e29b-41d4-a716-446655440000");
    ASSERT_EQ(vt_point_id_parse("-1", 2, &id, &err), VT_EINVAL);
    ASSERT_EQ(vt_point_id_parse("", 0, &id, &err), VT_EINVAL);
}

/* One handle per folder: a second open, in this process or another, is VT_EBUSY naming the
 * holder's pid; the folder is free again after vt_db_close, and after its holder is killed. */
static void test_one_handle_per_folder(void) {
    const char *dir = fresh_dir("lock");
    vt_db *a = open_db(dir), *b = NULL;
    ASSERT_TRUE(a != NULL);
    vt_error err = {0};
    ASSERT_EQ(vt_db_open(dir, NULL, &b, &err), VT_EBUSY);
    ASSERT_TRUE(b == NULL);
    char mine[32];
    snprintf(mine, sizeof mine, "(pid %d)", (int)getpid());
    ASSERT_STR_CONTAINS(err.message, mine);
    ASSERT_STR_CONTAINS(err.message, "in use by another process");
    vt_db_close(a);
    /* a child holds it until it is killed */
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        vt_db *c = open_db(dir);
        if (write(ready[1], c ? "y" : "n", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char ok = 0;
    ASSERT_EQ(read(ready[0], &ok, 1), 1);
    ASSERT_EQ(ok, 'y');
    memset(&err, 0, sizeof err);
    ASSERT_EQ(vt_db_open(dir, NULL, &b, &err), VT_EBUSY);
    snprintf(mine, sizeof mine, "(pid %d)", (int)child);
    ASSERT_STR_CONTAINS(err.message, mine);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    a = open_db(dir);
    ASSERT_TRUE(a != NULL);
    vt_db_close(a);
    rm_dir();
}

int main(void) {
    RUN(test_point_ids);
    RUN(test_one_handle_per_folder);
    RUN(test_collections_and_aliases);
    RUN(test_points_payload_versions);
    RUN(test_scroll_count_reopen);
    RUN(test_search_vs_brute_force);
    RUN(test_map_grows);
    RUN(test_snapshot_during_writes);
    RUN(test_alloc_failures);
    TEST_END();
}
