/*
 * test_db_cli.c — `vitrine db` through the real binary ($VITRINE_BIN): create, upsert from
 * JSONL, count ({"count": N}), get, scroll pages, search (Qdrant's ScoredPoint list with version
 * and score), delete by ids and filter, info, snapshot and restore, and the exit codes and
 * one-line messages of bad input. Every stdout is checked to be one JSON document.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "test.h"

static char dir[256], cmdbuf[8192];

/* run: stdout of `vitrine db ARGS --data DIR` (stderr appended when merge); *status the exit. */
static char *run(const char *args, int merge, int *status) {
    snprintf(cmdbuf, sizeof cmdbuf, "%s db %s --data %s%s", cli_bin(), args, dir, merge ? " 2>&1" : " 2>/dev/null");
    return cli_capture(cmdbuf, status);
}

/* run_json: the one JSON document printed (NULL if not exactly one). */
static json_t *run_json(const char *args, int *status) {
    char *out = run(args, 0, status);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je); /* rejects trailing content */
    if (!j) fprintf(stderr, "not one JSON document: %s\n", out);
    free(out);
    return j;
}

static void test_db_cli(void) {
    snprintf(dir, sizeof dir, "/tmp/vt_test_db_cli_%d", (int)getpid());
    char path[400], snap[400];
    snprintf(path, sizeof path, "%s.jsonl", dir);
    snprintf(snap, sizeof snap, "%s.snap", dir);
    unlink(snap);
    snprintf(cmdbuf, sizeof cmdbuf, "rm -rf %s", dir);
    ASSERT_EQ(system(cmdbuf), 0);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f);
    for (int i = 1; i <= 30; i++)
        fprintf(f, "{\"id\":%d,\"vector\":[%d,1,0,0],\"payload\":{\"n\":%d,\"kind\":\"%s\"}}\n", i, i, i, i % 3 ? "a" : "b");
    fprintf(f, "\n{\"id\":\"550e8400-e29b-41d4-a716-446655440000\",\"vector\":[0,0,1,0]}\n");
    fclose(f);
    int st;
    json_t *j = run_json("create --collection c --size 4 --distance Cosine", &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    char args[1024];
    snprintf(args, sizeof args, "upsert --collection c --file %s --batch 7", path);
    j = run_json(args, &st);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "upserted")), 31);
    ASSERT_EQ(json_integer_value(json_object_get(j, "operation_id")), 5);
    json_decref(j);
    j = run_json("count --collection c", &st);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), 31);
    json_decref(j);
    j = run_json("count --collection c --filter '{\"must\":[{\"key\":\"kind\",\"match\":{\"value\":\"b\"}}]}'", &st);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), 10);
    json_decref(j);
    /* get */
    j = run_json("get --collection c --ids 3,550E8400-E29B-41D4-A716-446655440000,999 --with-vector", &st);
    ASSERT_EQ(st, 0);
    json_t *pts = json_object_get(j, "points");
    ASSERT_EQ(json_array_size(pts), 2);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(pts, 0), "id")), 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(pts, 1), "id")), "550e8400-e29b-41d4-a716-446655440000");
    ASSERT_EQ(json_array_size(json_object_get(json_array_get(pts, 0), "vector")), 4);
    json_decref(j);
    /* scroll: pages of 12 */
    j = run_json("scroll --collection c --limit 12", &st);
    ASSERT_EQ(json_array_size(json_object_get(j, "points")), 12);
    ASSERT_EQ(json_integer_value(json_object_get(j, "next_page_offset")), 13);
    json_decref(j);
    j = run_json("scroll --collection c --limit 12 --offset 25", &st);
    ASSERT_EQ(json_array_size(json_object_get(j, "points")), 7);
    ASSERT_TRUE(json_is_null(json_object_get(j, "next_page_offset")));
    json_decref(j);
    /* search: [30,1,0,0] is nearest to the largest first component */
    j = run_json("search --collection c --vector '[1,0,0,0]' --limit 3 --filter '{\"must\":[{\"key\":\"kind\",\"match\":{\"value\":\"a\"}}]}'", &st);
    ASSERT_EQ(st, 0);
    pts = json_object_get(j, "points");
    ASSERT_EQ(json_array_size(pts), 3);
    json_t *p0 = json_array_get(pts, 0);
    ASSERT_EQ(json_integer_value(json_object_get(p0, "id")), 29);
    ASSERT_TRUE(json_is_integer(json_object_get(p0, "version")));
    ASSERT_NEAR(json_real_value(json_object_get(p0, "score")), 29 / sqrt(29.0 * 29 + 1), 1e-5);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(p0, "payload"), "kind")), "a");
    json_decref(j);
    /* delete by ids and by filter */
    j = run_json("delete --collection c --ids 1,2", &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    j = run_json("delete --collection c --filter '{\"must\":[{\"key\":\"kind\",\"match\":{\"value\":\"b\"}}]}'", &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    j = run_json("count --collection c", &st);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), 19);
    json_decref(j);
    j = run_json("info --collection c", &st);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "points_count")), 19);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(j, "vectors"), ""), "distance")), "Cosine");
    json_decref(j);
    /* snapshot and restore */
    snprintf(args, sizeof args, "snapshot --collection c --out %s", snap);
    j = run_json(args, &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    snprintf(args, sizeof args, "restore --collection c2 --from %s", snap);
    j = run_json(args, &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    j = run_json("count --collection c2", &st);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), 19);
    json_decref(j);
    j = run_json("list", &st);
    ASSERT_EQ(json_array_size(json_object_get(j, "collections")), 2);
    json_decref(j);
    /* bad input: exit 1, one line naming the input */
    f = fopen(path, "w");
    fprintf(f, "{\"id\":40,\"vector\":[1,2,3,4]}\n{\"id\":41,\"vector\":[1,2,3]}\n");
    fclose(f);
    snprintf(args, sizeof args, "upsert --collection c --file %s", path);
    char *out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "Vector dimension error: expected dim: 4, got 3");
    free(out);
    j = run_json("count --collection c", &st);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), 19); /* the batch was refused whole */
    json_decref(j);
    f = fopen(path, "w");
    fprintf(f, "{\"id\":40,\"vector\":[1,2,3,4]}\n{\"id\":41,\"vector\":[1,2,3,\n");
    fclose(f);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, ".jsonl:2: invalid JSON");
    free(out);
    out = run("count --collection nope", 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "Collection `nope` doesn't exist!");
    free(out);
    out = run("create --collection c --size 4", 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "already exists");
    free(out);
    out = run("count --collection c --filter '{\"must\":5}'", 1, &st);
    ASSERT_EQ(st, 1);
    free(out);
    out = run("search --collection c --vector '[1,2]'", 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "expected dim: 4, got 2");
    free(out);
    out = run("frobnicate --collection c", 1, &st);
    ASSERT_EQ(st, 2);
    free(out);
    /* field indexes: create, listed by info with counts, used by count, delete */
    j = run_json("index --collection c --field kind --type keyword", &st);
    ASSERT_EQ(st, 0);
    ASSERT_TRUE(json_is_true(json_object_get(j, "result")));
    json_decref(j);
    j = run_json("info --collection c", &st);
    ASSERT_EQ(st, 0);
    json_t *ps = json_object_get(json_object_get(j, "payload_schema"), "kind");
    ASSERT_STR_EQ(json_string_value(json_object_get(ps, "data_type")), "keyword");
    json_int_t with_kind = json_integer_value(json_object_get(ps, "points"));
    json_decref(j);
    j = run_json("count --collection c --filter '{\"must\":[{\"key\":\"kind\",\"match\":{\"any\":[\"a\",\"b\"]}}]}'", &st);
    ASSERT_EQ(json_integer_value(json_object_get(j, "count")), with_kind);
    ASSERT_TRUE(with_kind > 0);
    json_decref(j);
    out = run("index --collection c --field kind --type geo", 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "geo");
    free(out);
    j = run_json("index --collection c --field kind --delete", &st);
    ASSERT_EQ(st, 0);
    json_decref(j);
    out = run("index --collection c --field kind --delete", 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "no field index on \"kind\"");
    free(out);
    out = run("index --collection c --field kind", 1, &st);
    ASSERT_EQ(st, 2);
    free(out);
    snprintf(cmdbuf, sizeof cmdbuf, "rm -rf %s %s %s %s-lock", dir, path, snap, snap);
    ASSERT_EQ(system(cmdbuf), 0);
}

int main(void) {
    RUN(test_db_cli);
    TEST_END();
}
