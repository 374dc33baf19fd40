/*
 * test_payload_index.c — payload indexes: schema parsing, create/drop, hand-written answers,
 * a differential test (index answer + residual flt_match == naive evaluator, estimates bracket
 * the truth) over random payloads, random index configurations and random adds / updates /
 * removes, allocation-failure injection on every write and on selection, and a large-posting
 * run that would expose quadratic behaviour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/payload_index.h"
#include "filter_naive.h"
#include "test.h"

static json_t *J(const char *s) {
    json_error_t e;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
    if (!j) fprintf(stderr, "bad test JSON: %s: %s\n", s, e.text);
    return j;
}

static void test_type_parse(void) {
    static const struct {
        const char *schema;
        int rc;
        int type;
    } c[] = {
        {"\"keyword\"", 0, PIDX_KEYWORD},
        {"\"integer\"", 0, PIDX_INTEGER},
        {"\"float\"", 0, PIDX_FLOAT},
        {"\"bool\"", 0, PIDX_BOOL},
        {"\"uuid\"", 0, PIDX_UUID},
        {"\"datetime\"", 0, PIDX_DATETIME},
        {"\"text\"", 0, PIDX_TEXT},
        {"{\"type\": \"integer\", \"lookup\": true, \"range\": false, \"is_principal\": null}", 0, PIDX_INTEGER},
        {"{\"type\": \"keyword\", \"is_tenant\": true, \"on_disk\": true}", 0, PIDX_KEYWORD},
        {"{\"type\": \"text\", \"tokenizer\": \"word\", \"lowercase\": true, \"phrase_matching\": true}", 0, PIDX_TEXT},
        {"{\"type\": \"text\", \"tokenizer\": \"prefix\"}", VT_EUNSUPPORTED, 0},
        {"{\"type\": \"text\", \"lowercase\": false}", VT_EUNSUPPORTED, 0},
        {"{\"type\": \"text\", \"min_token_len\": 2}", VT_EUNSUPPORTED, 0},
        {"\"geo\"", VT_EUNSUPPORTED, 0},
        {"\"vector\"", VT_EINVAL, 0},
        {"5", VT_EINVAL, 0},
        {"{\"type\": \"keyword\", \"bogus\": 1}", VT_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        json_t *j = J(c[i].schema);
        pidx_type t = 0;
        vt_error err = {0};
        int rc = pidx_type_parse(j, "field_schema", &t, &err);
        json_decref(j);
        if (rc != c[i].rc) fprintf(stderr, "%s: %d %s\n", c[i].schema, rc, err.message);
        ASSERT_EQ(rc, c[i].rc);
        if (rc == 0) ASSERT_EQ(t, c[i].type);
        else ASSERT_STR_CONTAINS(err.message, "field_schema");
    }
    ASSERT_STR_EQ(pidx_type_name(PIDX_DATETIME), "datetime");
}

static void test_create_drop(void) {
    pidx_set *s;
    vt_error err = {0};
    ASSERT_EQ(pidx_set_new(&s, &err), 0);
    int is_new = -1;
    ASSERT_EQ(pidx_create(s, "a.b", PIDX_KEYWORD, &is_new, &err), 0);
    ASSERT_EQ(is_new, 1);
    ASSERT_EQ(pidx_create(s, "\"a\".b", PIDX_KEYWORD, &is_new, &err), 0); /* same path */
    ASSERT_EQ(is_new, 0);
    ASSERT_EQ(pidx_n_fields(s), 1);
    ASSERT_EQ(pidx_create(s, "a.b", PIDX_INTEGER, &is_new, &err), 0); /* replaced */
    ASSERT_EQ(is_new, 1);
    pidx_field_info fi;
    ASSERT_EQ(pidx_find(s, "a.b", &fi), 1);
    ASSERT_EQ(fi.type, PIDX_INTEGER);
    ASSERT_EQ(pidx_create(s, "a..b", PIDX_INTEGER, &is_new, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "field_name");
    vt_error_clear(&err);
    ASSERT_EQ(pidx_drop(s, "zz", &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "zz");
    ASSERT_EQ(pidx_drop(s, "a.b", &err), 0);
    ASSERT_EQ(pidx_n_fields(s), 0);
    ASSERT_EQ(pidx_field(s, 0, &fi), VT_ENOTFOUND);
    /* slots */
    vt_error_clear(&err);
    ASSERT_EQ(pidx_add(s, UINT32_MAX, NULL, &err), VT_EINVAL);
    ASSERT_EQ(pidx_add(s, 5, NULL, &err), 0);
    ASSERT_EQ(pidx_add(s, 5, NULL, &err), VT_EINVAL);
    ASSERT_EQ(pidx_update(s, 6, NULL, NULL, &err), VT_EINVAL);
    ASSERT_EQ(pidx_n_live(s), 1);
    ASSERT_EQ(pidx_slot_bound(s), 6);
    pidx_remove(s, 5, NULL);
    pidx_remove(s, 5, NULL); /* not live: ignored */
    ASSERT_EQ(pidx_n_live(s), 0);
    pidx_set_free(s);
}

/* ---- helpers for evaluation through the index ---- */

typedef struct world {
    pidx_set *s;          /* the index set */
    json_t **pl;          /* payload per slot (NULL: not live) */
    vt_point_id *ids;     /* id per slot */
    uint32_t n;           /* slots */
} world;

static int id_slot(void *user, const vt_point_id *id, uint32_t *slot) {
    world *w = user;
    for (uint32_t i = 0; i < w->n; i++) {
        if (!w->pl[i] || w->ids[i].is_uuid != id->is_uuid) continue;
        if (id->is_uuid ? !memcmp(w->ids[i].uuid, id->uuid, 16) : w->ids[i].num == id->num) {
            *slot = i;
            return 1;
        }
    }
    return 0;
}

/* check_filter: index answer + residual == naive, estimate brackets the truth. Returns 1 if
 * the answer came entirely from the indexes. */
static int check_filter(world *w, const json_t *fj, int *bad) {
    flt_filter *f;
    vt_error err = {0};
    if (flt_parse(fj, "filter", &f, &err)) {
        fprintf(stderr, "parse: %s\n", err.message);
        *bad = 1;
        return 0;
    }
    pidx_ctx ctx = {id_slot, w};
    pidx_selection sel;
    if (pidx_select(w->s, f, &ctx, &sel, &err)) {
        *bad = 1;
        flt_free(f);
        return 0;
    }
    pidx_card card;
    pidx_estimate(w->s, f, &ctx, &card);
    uint64_t truth = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        int sure = pidx_sel_sure(&sel, i), maybe = pidx_sel_maybe(&sel, i);
        if (!w->pl[i]) {
            if (sure || maybe) {
                fprintf(stderr, "slot %u not live but selected\n", i);
                *bad = 1;
            }
            continue;
        }
        int want = nv_match(fj, &w->ids[i], w->pl[i]);
        int got = sure || (maybe && flt_match(f, &w->ids[i], w->pl[i]));
        truth += (uint64_t)want;
        if (got != want || (sure && maybe) || (sure && !want)) {
            char *a = json_dumps(fj, 0), *b = json_dumps(w->pl[i], 0);
            fprintf(stderr, "MISMATCH slot %u: filter %s payload %s: sure %d maybe %d naive %d\n",
                    i, a, b, sure, maybe, want);
            vt_free(a);
            vt_free(b);
            *bad = 1;
        }
    }
    if (!(card.min <= truth && truth <= card.max && card.min <= card.exp && card.exp <= card.max)) {
        char *a = json_dumps(fj, 0);
        fprintf(stderr, "ESTIMATE %s: min %llu exp %llu max %llu truth %llu\n", a,
                (unsigned long long)card.min, (unsigned long long)card.exp,
                (unsigned long long)card.max, (unsigned long long)truth);
        vt_free(a);
        *bad = 1;
    }
    if (sel.n_maybe == 0 && sel.n_sure != truth) *bad = 1;
    int exact = sel.n_maybe == 0;
    pidx_selection_free(&sel);
    flt_free(f);
    return exact;
}

static void test_hand(void) {
    world w = {0};
    ASSERT_EQ(pidx_set_new(&w.s, NULL), 0);
    ASSERT_EQ(pidx_create(w.s, "color", PIDX_KEYWORD, NULL, NULL), 0);
    ASSERT_EQ(pidx_create(w.s, "price", PIDX_INTEGER, NULL, NULL), 0);
    ASSERT_EQ(pidx_create(w.s, "desc", PIDX_TEXT, NULL, NULL), 0);
    static const char *pls[] = {
        "{\"color\": \"red\", \"price\": 10, \"desc\": \"Red shoe\"}",
        "{\"color\": [\"red\", \"blue\"], \"price\": 25, \"desc\": \"blue dress\"}",
        "{\"color\": \"green\", \"price\": 2.5}",
        "{\"price\": \"cheap\", \"size\": 3}",
        "{}",
    };
    json_t *pl[5];
    vt_point_id ids[5];
    for (int i = 0; i < 5; i++) {
        pl[i] = J(pls[i]);
        ids[i] = nv_id(i);
        ASSERT_EQ(pidx_add(w.s, (uint32_t)i, pl[i], NULL), 0);
    }
    w.pl = pl;
    w.ids = ids;
    w.n = 5;
    pidx_field_info fi;
    ASSERT_EQ(pidx_find(w.s, "color", &fi), 1);
    ASSERT_EQ(fi.n_points, 3);
    static const struct {
        const char *f;
        int exact;
        int n_sure;
    } c[] = {
        {"{\"must\": [{\"key\": \"color\", \"match\": {\"value\": \"red\"}}]}", 1, 2},
        {"{\"must\": [{\"key\": \"color\", \"match\": {\"any\": [\"blue\", \"green\"]}}]}", 1, 2},
        {"{\"must\": [{\"key\": \"color\", \"match\": {\"except\": [\"red\"]}}]}", 1, 2},
        {"{\"must_not\": [{\"key\": \"color\", \"match\": {\"value\": \"red\"}}]}", 1, 3},
        {"{\"must\": [{\"key\": \"price\", \"range\": {\"gte\": 10}}]}", 0, 2}, /* 2.5, "cheap": maybe */
        {"{\"must\": [{\"key\": \"price\", \"range\": {\"lt\": 5}}]}", 0, 0}, /* 2.5 is a real: maybe */
        {"{\"must\": [{\"key\": \"price\", \"match\": {\"except\": [10]}}]}", 1, 3},
        {"{\"must\": [{\"key\": \"size\", \"match\": {\"value\": 3}}]}", 0, 0}, /* unindexed */
        {"{\"must\": [{\"key\": \"desc\", \"match\": {\"text\": \"RED shoe\"}}]}", 1, 1},
        {"{\"must\": [{\"key\": \"desc\", \"match\": {\"text\": \"red purple\"}}]}", 1, 0},
        {"{\"must\": [{\"has_id\": [0, 1]}]}", 1, 2},
        {"{\"should\": []}", 1, 0},
        {"{}", 1, 5},
        {"{\"min_should\": {\"conditions\": [{\"key\": \"color\", \"match\": {\"value\": \"red\"}}, {\"key\": \"price\", \"range\": {\"gt\": 20}}], \"min_count\": 2}}", 1, 1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        json_t *fj = J(c[i].f);
        int bad = 0;
        int exact = check_filter(&w, fj, &bad);
        ASSERT_EQ(bad, 0);
        if (exact != c[i].exact) fprintf(stderr, "case %zu: exact %d\n", i, exact);
        ASSERT_EQ(exact, c[i].exact);
        flt_filter *f;
        ASSERT_EQ(flt_parse(fj, "filter", &f, NULL), 0);
        pidx_ctx ctx = {id_slot, &w};
        pidx_selection sel;
        ASSERT_EQ(pidx_select(w.s, f, &ctx, &sel, NULL), 0);
        if (c[i].exact || c[i].n_sure) ASSERT_EQ(sel.n_sure, c[i].n_sure);
        pidx_card card;
        pidx_estimate(w.s, f, &ctx, &card);
        if (c[i].exact && i == 0) { /* one match value: the estimate is exact */
            ASSERT_EQ(card.min, (uint64_t)c[i].n_sure);
            ASSERT_EQ(card.max, (uint64_t)c[i].n_sure);
        }
        pidx_selection_free(&sel);
        flt_free(f);
        json_decref(fj);
    }
    /* update and remove keep the answers right */
    json_t *np = J("{\"color\": \"red\", \"price\": 7}");
    ASSERT_EQ(pidx_update(w.s, 2, pl[2], np, NULL), 0);
    json_decref(pl[2]);
    pl[2] = np;
    pidx_remove(w.s, 0, pl[0]);
    json_decref(pl[0]);
    pl[0] = NULL;
    json_t *fj = J("{\"must\": [{\"key\": \"color\", \"match\": {\"value\": \"red\"}}]}");
    int bad = 0;
    ASSERT_EQ(check_filter(&w, fj, &bad), 1);
    ASSERT_EQ(bad, 0);
    json_decref(fj);
    for (int i = 0; i < 5; i++) json_decref(pl[i]);
    pidx_set_free(w.s);
}

static const char *paths[] = {"k", "n", "f", "b", "d", "u", "t", "o.p", "arr[].x", "arr[].y", "tags[]", "tags"};
static const int natural[] = {PIDX_KEYWORD, PIDX_INTEGER, PIDX_FLOAT, PIDX_BOOL, PIDX_DATETIME, PIDX_UUID,
                              PIDX_TEXT, PIDX_INTEGER, PIDX_INTEGER, PIDX_KEYWORD, PIDX_KEYWORD, PIDX_KEYWORD};
#define N_PATHS 12

static void make_indexes(world *w, int backfill) {
    for (int i = 0; i < N_PATHS; i++) {
        int r = nv_rand(10);
        if (r < 3) continue; /* unindexed */
        int t = r < 8 ? natural[i] : 1 + nv_rand(7);
        int is_new = 0;
        vt_error err = {0};
        if (pidx_create(w->s, paths[i], (pidx_type)t, &is_new, &err)) {
            fprintf(stderr, "create: %s\n", err.message);
            continue;
        }
        if (backfill && is_new)
            for (uint32_t s = 0; s < w->n; s++)
                if (w->pl[s] && pidx_backfill(w->s, paths[i], s, w->pl[s], &err))
                    fprintf(stderr, "backfill: %s\n", err.message);
    }
}

/* The differential test through the indexes. */
static void test_differential(void) {
    enum { ROUNDS = 8, SLOTS = 150, OPS = 400, FILTERS = 400 };
    long checks = 0, exact = 0, filters = 0;
    int bad = 0;
    nv_rng = 777;
    for (int round = 0; round < ROUNDS && !bad; round++) {
        world w = {0};
        ASSERT_EQ(pidx_set_new(&w.s, NULL), 0);
        w.n = SLOTS;
        w.pl = calloc(SLOTS, sizeof *w.pl);
        w.ids = calloc(SLOTS, sizeof *w.ids);
        for (uint32_t i = 0; i < SLOTS; i++) w.ids[i] = nv_id((int)i);
        int late = round % 2; /* odd rounds: indexes created after the data (backfill) */
        if (!late) make_indexes(&w, 0);
        for (int op = 0; op < OPS; op++) {
            uint32_t s = (uint32_t)nv_rand(SLOTS);
            vt_error err = {0};
            if (!w.pl[s]) {
                json_t *p = nv_rand(10) ? nv_payload() : NULL;
                ASSERT_EQ(pidx_add(w.s, s, p, &err), 0);
                w.pl[s] = p ? p : json_object();
            } else if (nv_rand(3)) {
                json_t *p = nv_payload();
                ASSERT_EQ(pidx_update(w.s, s, w.pl[s], p, &err), 0);
                json_decref(w.pl[s]);
                w.pl[s] = p;
            } else {
                pidx_remove(w.s, s, w.pl[s]);
                json_decref(w.pl[s]);
                w.pl[s] = NULL;
            }
        }
        if (late) make_indexes(&w, 1);
        for (int k = 0; k < FILTERS && !bad; k++) {
            json_t *fj = nv_filter(0);
            exact += check_filter(&w, fj, &bad);
            filters++;
            checks += SLOTS;
            json_decref(fj);
        }
        for (uint32_t i = 0; i < SLOTS; i++) json_decref(w.pl[i]);
        free(w.pl);
        free(w.ids);
        pidx_set_free(w.s);
    }
    printf("differential: %ld filters x slots = %ld checks, %ld filters answered by indexes alone\n",
           filters, checks, exact);
    ASSERT_EQ(bad, 0);
    ASSERT_TRUE(exact > filters / 10);
}

/* Allocation failures on add / update / create+backfill / select: clean error, the set keeps its
 * answers, no leak. */
static void test_oom(void) {
    nv_rng = 4242;
    int64_t base = vt_alloc_live_bytes();
    world w = {0};
    ASSERT_EQ(pidx_set_new(&w.s, NULL), 0);
    w.n = 40;
    w.pl = calloc(w.n, sizeof *w.pl);
    w.ids = calloc(w.n, sizeof *w.ids);
    for (uint32_t i = 0; i < w.n; i++) w.ids[i] = nv_id((int)i);
    for (int i = 0; i < N_PATHS; i++) ASSERT_EQ(pidx_create(w.s, paths[i], (pidx_type)natural[i], NULL, NULL), 0);
    json_t *probe[20];
    for (int k = 0; k < 20; k++) probe[k] = nv_filter(0);
    int injected_total = 0, bad = 0;
    for (uint32_t s = 0; s < w.n; s++) {
        json_t *p = nv_payload();
        int done = 0;
        for (int n = 1; n < 400 && !done; n++) {
            vt_error err = {0};
            vt_alloc_fail_at(n);
            int rc = w.pl[s] ? pidx_update(w.s, s, w.pl[s], p, &err) : pidx_add(w.s, s, p, &err);
            int inj = vt_alloc_injected() > 0;
            vt_alloc_fail_at(0);
            if (rc == 0) {
                done = 1;
                if (w.pl[s]) json_decref(w.pl[s]);
                w.pl[s] = p;
            } else {
                ASSERT_EQ(rc, VT_ENOMEM);
                ASSERT_TRUE(inj);
                injected_total++;
                ASSERT_STR_CONTAINS(err.message, "out of memory");
            }
            for (int k = 0; k < 20; k += 7) check_filter(&w, probe[k], &bad); /* unchanged answers */
            ASSERT_EQ(bad, 0);
        }
        ASSERT_TRUE(done);
        if (s >= w.n / 2) { /* update the first half again */
            uint32_t t = s - w.n / 2;
            json_t *q = nv_payload();
            for (int n = 1; n < 400; n++) {
                vt_alloc_fail_at(n);
                int rc = pidx_update(w.s, t, w.pl[t], q, NULL);
                vt_alloc_fail_at(0);
                if (rc == 0) {
                    json_decref(w.pl[t]);
                    w.pl[t] = q;
                    break;
                }
                ASSERT_EQ(rc, VT_ENOMEM);
                check_filter(&w, probe[n % 20], &bad);
                ASSERT_EQ(bad, 0);
            }
        }
    }
    /* select under allocation failure */
    for (int n = 1; n < 50; n++) {
        flt_filter *f;
        ASSERT_EQ(flt_parse(probe[3], "filter", &f, NULL), 0);
        pidx_selection sel;
        vt_alloc_fail_at(n);
        int rc = pidx_select(w.s, f, NULL, &sel, NULL);
        vt_alloc_fail_at(0);
        if (rc == 0) pidx_selection_free(&sel);
        else ASSERT_EQ(rc, VT_ENOMEM);
        flt_free(f);
        if (rc == 0) break;
    }
    /* create + backfill under failure */
    for (int n = 1; n < 200; n++) {
        vt_alloc_fail_at(n);
        int rc = pidx_create(w.s, "o", PIDX_KEYWORD, NULL, NULL);
        vt_alloc_fail_at(0);
        if (rc == 0) break;
        ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_EQ(pidx_find(w.s, "o", NULL), 0);
    }
    for (int k = 0; k < 20; k++) {
        check_filter(&w, probe[k], &bad);
        json_decref(probe[k]);
    }
    ASSERT_EQ(bad, 0);
    for (uint32_t i = 0; i < w.n; i++) {
        pidx_remove(w.s, i, w.pl[i]);
        json_decref(w.pl[i]);
    }
    ASSERT_EQ(pidx_n_live(w.s), 0);
    for (uint32_t i = 0; i < pidx_n_fields(w.s); i++) {
        pidx_field_info fi;
        pidx_field(w.s, i, &fi);
        ASSERT_EQ(fi.n_points, 0);
    }
    pidx_set_free(w.s);
    free(w.pl);
    free(w.ids);
    ASSERT_EQ(vt_alloc_live_bytes(), base);
    ASSERT_TRUE(injected_total > 100);
}

/* 200,000 points in few values: adds and removes in random order must stay fast (a sorted-array
 * posting would memmove ~n per operation: 2e10 bytes). */
static void test_large(void) {
    enum { N = 200000 };
    pidx_set *s;
    ASSERT_EQ(pidx_set_new(&s, NULL), 0);
    ASSERT_EQ(pidx_create(s, "c", PIDX_KEYWORD, NULL, NULL), 0);
    ASSERT_EQ(pidx_create(s, "v", PIDX_INTEGER, NULL, NULL), 0);
    json_t **pl = calloc(N, sizeof *pl);
    uint32_t *order = malloc(N * sizeof *order);
    static const char *cs[3] = {"red", "green", "blue"};
    clock_t t0 = clock();
    for (uint32_t i = 0; i < N; i++) order[i] = i;
    nv_rng = 99;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(nv_next() % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = order[k];
        pl[i] = json_pack("{s:s,s:i}", "c", cs[i % 3], "v", (int)(nv_next() % 1000));
        ASSERT_EQ(pidx_add(s, i, pl[i], NULL), 0);
    }
    flt_filter *f;
    const char *fs = "{\"must\": [{\"key\": \"c\", \"match\": {\"value\": \"red\"}}, {\"key\": \"v\", \"range\": {\"lt\": 10}}]}";
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    pidx_selection sel;
    ASSERT_EQ(pidx_select(s, f, NULL, &sel, NULL), 0);
    ASSERT_EQ(sel.n_maybe, 0);
    uint64_t truth = 0;
    for (uint32_t i = 0; i < N; i++)
        truth += i % 3 == 0 && json_integer_value(json_object_get(pl[i], "v")) < 10;
    ASSERT_EQ(sel.n_sure, truth);
    pidx_card card;
    pidx_estimate(s, f, NULL, &card);
    ASSERT_TRUE(card.min <= truth && truth <= card.max);
    pidx_selection_free(&sel);
    flt_free(f);
    uint64_t mem = pidx_mem_bytes(s);
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = order[(k * 7919u) % N];
        pidx_remove(s, i, pl[i]);
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("large: %d adds + removes + one select in %.2f s, %.1f MB indexed\n", N, secs, mem / 1e6);
    ASSERT_EQ(pidx_n_live(s), 0);
    ASSERT_TRUE(secs < 20);
    for (uint32_t i = 0; i < N; i++) json_decref(pl[i]);
    free(pl);
    free(order);
    pidx_set_free(s);
}

static void test_sample(void) {
    pidx_set *s;
    ASSERT_EQ(pidx_set_new(&s, NULL), 0);
    uint64_t rng = 1;
    uint32_t out[64];
    ASSERT_EQ(pidx_sample_live(s, &rng, out, 64), 0);
    for (uint32_t i = 0; i < 10000; i += 1000) ASSERT_EQ(pidx_add(s, i, NULL, NULL), 0); /* sparse */
    ASSERT_EQ(pidx_sample_live(s, &rng, out, 64), 64);
    int seen[10] = {0};
    for (int i = 0; i < 64; i++) {
        ASSERT_TRUE(pidx_is_live(s, out[i]));
        seen[out[i] / 1000] = 1;
    }
    int distinct = 0;
    for (int i = 0; i < 10; i++) distinct += seen[i];
    ASSERT_TRUE(distinct >= 5);
    pidx_set_free(s);
}

int main(void) {
    vt_json_init();
    RUN(test_type_parse);
    RUN(test_create_drop);
    RUN(test_hand);
    RUN(test_differential);
    RUN(test_oom);
    RUN(test_large);
    RUN(test_sample);
    TEST_END();
}
