/*
 * test_filter.c — Qdrant's filter language: parse errors, hand-written semantics per condition
 * kind, the shared parsers (UUID, datetime, tokenizer, key paths), a differential test of the
 * compiled evaluator against the naive one (filter_naive.h) on random payloads and filters, and
 * allocation-failure injection on parsing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/filter_int.h"
#include "filter_naive.h"
#include "test.h"

static json_t *J(const char *s) {
    json_error_t e;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
    if (!j) fprintf(stderr, "bad test JSON: %s: %s\n", s, e.text);
    return j;
}

typedef struct err_case {
    const char *filter; /* filter JSON */
    int code;           /* expected error */
    const char *msg;    /* expected substring of the message */
} err_case;

static void test_parse_errors(void) {
    static const err_case cases[] = {
        {"[]", VT_EINVAL, "filter: a filter must be an object"},
        {"{\"must\": 3}", VT_EINVAL, "filter.must: expected a condition or a list"},
        {"{\"musts\": []}", VT_EINVAL, "unknown key \"musts\""},
        {"{\"must\": [{\"key\": \"a\"}]}", VT_EINVAL, "At least one field condition must be specified"},
        {"{\"must\": [{\"key\": 5, \"match\": {\"value\": 1}}]}", VT_EINVAL, "filter.must[0].key: expected a string"},
        {"{\"must\": [{\"key\": \"a..b\", \"match\": {\"value\": 1}}]}", VT_EINVAL, "invalid key path"},
        {"{\"must\": [{\"key\": \"\", \"match\": {\"value\": 1}}]}", VT_EINVAL, "empty key"},
        {"{\"must\": [{\"key\": \"a[x]\", \"match\": {\"value\": 1}}]}", VT_EINVAL, "bad array index"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"value\": 1.5}}]}", VT_EINVAL, "match.value: expected a string, an integer or a boolean"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"any\": [1, \"x\"]}}]}", VT_EINVAL, "match.any[1]: expected an integer"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"any\": [true]}}]}", VT_EINVAL, "match.any[0]: expected a string"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"value\": 1, \"any\": [1]}}]}", VT_EINVAL, "expected one of"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"foo\": 1}}]}", VT_EINVAL, "unknown match kind"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"prefix\": \"ab\"}}]}", VT_EUNSUPPORTED, "prefix"},
        {"{\"must\": [{\"key\": \"a\", \"range\": {}}]}", VT_EINVAL, "filter.must[0].range: no bound"},
        {"{\"must\": [{\"key\": \"a\", \"range\": {\"gt\": null}}]}", VT_EINVAL, "no bound"},
        {"{\"must\": [{\"key\": \"a\", \"range\": {\"gt\": 1, \"lt\": \"2020-01-01T00:00:00Z\"}}]}", VT_EINVAL, "mixes numbers and datetimes"},
        {"{\"must\": [{\"key\": \"a\", \"range\": {\"gt\": \"yesterday\"}}]}", VT_EINVAL, "range.gt: \"yesterday\" is not an RFC 3339 datetime"},
        {"{\"must\": [{\"key\": \"a\", \"range\": {\"between\": 1}}]}", VT_EINVAL, "unknown key \"between\""},
        {"{\"must\": [{\"key\": \"a\", \"range\": {\"gt\": true}}]}", VT_EINVAL, "range.gt: expected a number"},
        {"{\"must\": [{\"key\": \"a\", \"values_count\": {\"gt\": -1}}]}", VT_EINVAL, "values_count.gt: expected an integer >= 0"},
        {"{\"must\": [{\"key\": \"a\", \"values_count\": {}}]}", VT_EINVAL, "values_count: no bound"},
        {"{\"must\": [{\"key\": \"a\", \"is_empty\": 1}]}", VT_EINVAL, "is_empty: expected true or false"},
        {"{\"must\": [{\"key\": \"a\", \"geo_radius\": {\"center\": {}, \"radius\": 1}}]}", VT_EUNSUPPORTED, "geo filters are not supported"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"value\": 1}, \"extra\": 1}]}", VT_EINVAL, "unknown key \"extra\" in a field condition"},
        {"{\"must\": [{\"has_id\": [1, -2]}]}", VT_EINVAL, "has_id[1]: expected an unsigned integer or a UUID"},
        {"{\"must\": [{\"has_id\": [\"zzz\"]}]}", VT_EINVAL, "has_id[0]: \"zzz\" is not a UUID"},
        {"{\"must\": [{\"has_id\": 1}]}", VT_EINVAL, "has_id: expected a list of ids"},
        {"{\"must\": [{\"is_empty\": {\"key\": \"a\"}, \"must\": []}]}", VT_EINVAL, "takes no other keys"},
        {"{\"must\": [{\"is_null\": \"a\"}]}", VT_EINVAL, "is_null: expected {\"key\""},
        {"{\"must\": [{\"nested\": {\"key\": \"a\"}}]}", VT_EINVAL, "nested: expected {\"key\""},
        {"{\"must\": [{\"nested\": {\"key\": \"a\", \"filter\": {\"x\": 1}}}]}", VT_EINVAL, "nested.filter: unknown key \"x\""},
        {"{\"must\": [{\"has_vector\": 3}]}", VT_EINVAL, "has_vector: expected a vector name"},
        {"{\"min_should\": {\"conditions\": [], \"min_count\": 0}}", VT_EINVAL, "min_should.min_count: expected an integer >= 1"},
        {"{\"min_should\": {\"conditions\": {}, \"min_count\": 1}}", VT_EINVAL, "min_should.conditions: expected a list"},
        {"{\"min_should\": {\"conditions\": [], \"min_count\": 1, \"x\": 2}}", VT_EINVAL, "unknown key \"x\""},
        {"{\"should\": [1]}", VT_EINVAL, "filter.should[0]: expected a condition object"},
        {"{\"must\": [{\"key\": \"a\", \"match\": {\"text\": 5}}]}", VT_EINVAL, "match.text: expected a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = J(cases[i].filter);
        ASSERT_TRUE(j != NULL);
        flt_filter *f = (flt_filter *)1;
        vt_error err = {0};
        int rc = flt_parse(j, "filter", &f, &err);
        json_decref(j);
        if (rc != cases[i].code) fprintf(stderr, "case %zu: %s: rc %d (%s)\n", i, cases[i].filter, rc, err.message);
        ASSERT_EQ(rc, cases[i].code);
        ASSERT_TRUE(f == NULL);
        ASSERT_STR_CONTAINS(err.message, cases[i].msg);
    }
}

static void test_parse_limits(void) {
    /* nesting deeper than FLT_MAX_DEPTH */
    char buf[8192] = "";
    for (int i = 0; i < FLT_MAX_DEPTH + 1; i++) strcat(buf, "{\"must\": [");
    strcat(buf, "{\"key\": \"a\", \"match\": {\"value\": 1}}");
    for (int i = 0; i < FLT_MAX_DEPTH + 1; i++) strcat(buf, "]}");
    flt_filter *f;
    vt_error err = {0};
    ASSERT_EQ(flt_parse_str(buf, strlen(buf), "filter", &f, &err), VT_ELIMIT);
    ASSERT_STR_CONTAINS(err.message, "deeper than 32");
    /* exactly FLT_MAX_DEPTH is fine */
    buf[0] = 0;
    for (int i = 0; i < FLT_MAX_DEPTH - 1; i++) strcat(buf, "{\"must\": [");
    strcat(buf, "{\"key\": \"a\", \"match\": {\"value\": 1}}");
    for (int i = 0; i < FLT_MAX_DEPTH - 1; i++) strcat(buf, "]}");
    vt_error_clear(&err);
    ASSERT_EQ(flt_parse_str(buf, strlen(buf), "filter", &f, &err), 0);
    flt_free(f);
    /* too many conditions */
    json_t *l = json_array();
    for (int i = 0; i < FLT_MAX_NODES + 1; i++)
        json_array_append_new(l, json_pack("{s:s,s:{s:i}}", "key", "a", "match", "value", i));
    json_t *j = json_pack("{s:o}", "should", l);
    vt_error_clear(&err);
    ASSERT_EQ(flt_parse(j, "filter", &f, &err), VT_ELIMIT);
    ASSERT_STR_CONTAINS(err.message, "more than 10000 conditions");
    json_decref(j);
    /* too many list values */
    l = json_array();
    for (int i = 0; i < FLT_MAX_VALUES + 1; i++) json_array_append_new(l, json_integer(i));
    j = json_pack("{s:{s:s,s:{s:o}}}", "must", "key", "a", "match", "any", l);
    vt_error_clear(&err);
    ASSERT_EQ(flt_parse(j, "filter", &f, &err), VT_ELIMIT);
    json_decref(j);
    /* key too long */
    char key[FLT_MAX_KEY_LEN + 2];
    memset(key, 'a', sizeof key - 1);
    key[sizeof key - 1] = 0;
    j = json_pack("{s:{s:s,s:{s:i}}}", "must", "key", key, "match", "value", 1);
    vt_error_clear(&err);
    ASSERT_EQ(flt_parse(j, "filter", &f, &err), VT_ELIMIT);
    json_decref(j);
    /* malformed JSON text */
    vt_error_clear(&err);
    ASSERT_EQ(flt_parse_str("{\"must\": [", 10, "filter", &f, &err), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err.message, "filter");
}

typedef struct sem_case {
    const char *payload; /* payload JSON */
    const char *filter;  /* filter JSON */
    int expect;          /* flt_match result */
} sem_case;

static void run_sem(const sem_case *cases, size_t n, const vt_point_id *id) {
    for (size_t i = 0; i < n; i++) {
        json_t *p = J(cases[i].payload), *fj = J(cases[i].filter);
        ASSERT_TRUE(p && fj);
        flt_filter *f;
        vt_error err = {0};
        int rc = flt_parse(fj, "filter", &f, &err);
        if (rc) fprintf(stderr, "case %zu: %s\n", i, err.message);
        ASSERT_EQ(rc, 0);
        int got = flt_match(f, id, p), naive = nv_match(fj, id, p);
        if (got != cases[i].expect || naive != cases[i].expect)
            fprintf(stderr, "case %zu: payload %s filter %s: got %d naive %d want %d\n", i,
                    cases[i].payload, cases[i].filter, got, naive, cases[i].expect);
        ASSERT_EQ(got, cases[i].expect);
        ASSERT_EQ(naive, cases[i].expect);
        flt_free(f);
        json_decref(p);
        json_decref(fj);
    }
}

#define M(k, m) "{\"must\": [{\"key\": \"" k "\", \"match\": " m "}]}"
#define R(k, r) "{\"must\": [{\"key\": \"" k "\", \"range\": " r "}]}"

static void test_semantics(void) {
    static const sem_case c[] = {
        /* match value */
        {"{\"c\": \"red\"}", M("c", "{\"value\": \"red\"}"), 1},
        {"{\"c\": \"Red\"}", M("c", "{\"value\": \"red\"}"), 0},
        {"{\"c\": [\"blue\", \"red\"]}", M("c", "{\"value\": \"red\"}"), 1},
        {"{\"c\": [[\"red\"]]}", M("c", "{\"value\": \"red\"}"), 0}, /* one level only */
        {"{\"n\": 5}", M("n", "{\"value\": 5}"), 1},
        {"{\"n\": 5.0}", M("n", "{\"value\": 5}"), 0}, /* a real is not an integer */
        {"{\"n\": \"5\"}", M("n", "{\"value\": 5}"), 0},
        {"{\"b\": true}", M("b", "{\"value\": true}"), 1},
        {"{\"b\": 1}", M("b", "{\"value\": true}"), 0},
        {"{}", M("c", "{\"value\": \"red\"}"), 0},
        {"{\"c\": null}", M("c", "{\"value\": \"red\"}"), 0},
        /* key paths */
        {"{\"a\": {\"b\": 1}}", M("a.b", "{\"value\": 1}"), 1},
        {"{\"a\": [{\"b\": 1}]}", M("a.b", "{\"value\": 1}"), 0}, /* no implicit flattening */
        {"{\"a\": [{\"b\": 2}, {\"b\": 1}]}", M("a[].b", "{\"value\": 1}"), 1},
        {"{\"a\": [{\"b\": [3, 1]}]}", M("a[].b", "{\"value\": 1}"), 1},
        {"{\"a\": [{\"b\": 2}, {\"b\": 1}]}", M("a[1].b", "{\"value\": 1}"), 1},
        {"{\"a\": [{\"b\": 2}, {\"b\": 1}]}", M("a[0].b", "{\"value\": 1}"), 0},
        {"{\"a.b\": 1}", M("\\\"a.b\\\"", "{\"value\": 1}"), 1}, /* quoted key with a dot */
        {"{\"t\": [1, 2]}", M("t[]", "{\"value\": 2}"), 1},
        /* any / except */
        {"{\"c\": \"red\"}", M("c", "{\"any\": [\"blue\", \"red\"]}"), 1},
        {"{\"c\": \"red\"}", M("c", "{\"any\": []}"), 0},
        {"{\"n\": 3}", M("n", "{\"any\": [1, 3]}"), 1},
        {"{\"n\": 3.0}", M("n", "{\"any\": [1, 3]}"), 0},
        {"{\"c\": \"red\"}", M("c", "{\"except\": [\"red\"]}"), 0},
        {"{\"c\": [\"red\", \"blue\"]}", M("c", "{\"except\": [\"red\"]}"), 1},
        {"{\"c\": \"red\"}", M("c", "{\"except\": []}"), 1},
        {"{}", M("c", "{\"except\": [\"red\"]}"), 0},      /* missing key: false (Qdrant) */
        {"{\"c\": null}", M("c", "{\"except\": [\"red\"]}"), 0},
        {"{\"c\": []}", M("c", "{\"except\": [\"red\"]}"), 0},
        {"{\"c\": 5}", M("c", "{\"except\": [\"red\"]}"), 1}, /* other types: true */
        {"{\"n\": 2.5}", M("n", "{\"except\": [1]}"), 1},
        {"{\"n\": 1}", M("n", "{\"except\": [1]}"), 0},
        {"{\"n\": null}", M("n", "{\"except\": [1]}"), 0},
        {"{\"n\": [null, 1]}", M("n", "{\"except\": [1]}"), 0},
        {"{\"n\": [null, 2]}", M("n", "{\"except\": [1]}"), 1},
        {"{\"c\": [[\"red\"]]}", M("c", "{\"except\": [\"red\"]}"), 1},
        /* text */
        {"{\"d\": \"A Red, shiny SHOE!\"}", M("d", "{\"text\": \"shoe red\"}"), 1},
        {"{\"d\": \"A Red, shiny SHOE!\"}", M("d", "{\"text\": \"sho\"}"), 0}, /* words, not substrings */
        {"{\"d\": [\"red dress\", \"green shoe\"]}", M("d", "{\"text\": \"red shoe\"}"), 1},
        {"{\"d\": \"red\"}", M("d", "{\"text\": \"red blue\"}"), 0},
        {"{\"d\": \"red\"}", M("d", "{\"text_any\": \"red blue\"}"), 1},
        {"{\"d\": \"red\"}", M("d", "{\"text\": \"  ,\"}"), 0},
        {"{\"d\": \"big red shoe\"}", M("d", "{\"phrase\": \"red shoe\"}"), 1},
        {"{\"d\": \"red big shoe\"}", M("d", "{\"phrase\": \"red shoe\"}"), 0},
        {"{\"d\": \"Ça coûte CHER\"}", M("d", "{\"text\": \"ça cher\"}"), 1},
        /* range */
        {"{\"p\": 10}", R("p", "{\"gte\": 10, \"lt\": 20}"), 1},
        {"{\"p\": 20}", R("p", "{\"gte\": 10, \"lt\": 20}"), 0},
        {"{\"p\": 10.5}", R("p", "{\"gt\": 10}"), 1},
        {"{\"p\": [1, 15]}", R("p", "{\"gt\": 10}"), 1},
        {"{\"p\": \"15\"}", R("p", "{\"gt\": 10}"), 0},
        {"{\"p\": 5}", R("p", "{\"lte\": 5.0}"), 1},
        /* datetime range with time zones */
        {"{\"t\": \"2020-01-01T01:00:00+01:00\"}", R("t", "{\"gte\": \"2020-01-01T00:00:00Z\", \"lte\": \"2020-01-01T00:00:00Z\"}"), 1},
        {"{\"t\": \"2020-01-01T00:30:00-00:30\"}", R("t", "{\"gt\": \"2020-01-01T00:59:59Z\"}"), 1},
        {"{\"t\": \"2020-01-01 00:00\"}", R("t", "{\"lt\": \"2020-01-01T00:00:01Z\"}"), 1},
        {"{\"t\": \"2020-01-01\"}", R("t", "{\"gte\": \"2019-12-31T23:00:00-01:00\"}"), 1},
        {"{\"t\": \"garbage\"}", R("t", "{\"gte\": \"2019-12-31T23:00:00Z\"}"), 0},
        {"{\"t\": 1577836800}", R("t", "{\"gte\": \"2019-12-31T23:00:00Z\"}"), 0},
        /* values_count */
        {"{\"r\": [3, 7, 9, 9]}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"lt\": 5}}]}", 1},
        {"{\"r\": [3, 7, 9, 9]}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"gte\": 10}}]}", 0},
        {"{\"r\": 3}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"lte\": 1, \"gte\": 1}}]}", 1},
        {"{\"r\": null}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"lt\": 1}}]}", 1},
        {"{}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"lt\": 1}}]}", 0}, /* missing: false */
        {"{\"r\": [{\"c\": 1}, {\"c\": 2}]}", "{\"must\": [{\"key\": \"r\", \"values_count\": {\"gt\": 1}}]}", 1},
        /* is_empty / is_null conditions */
        {"{}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 1},
        {"{\"a\": null}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 1},
        {"{\"a\": []}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 1},
        {"{\"a\": [null]}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": 0}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": \"\"}", "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": null}", "{\"must\": [{\"is_null\": {\"key\": \"a\"}}]}", 1},
        {"{}", "{\"must\": [{\"is_null\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": []}", "{\"must\": [{\"is_null\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": [null, 1]}", "{\"must\": [{\"is_null\": {\"key\": \"a\"}}]}", 1},
        {"{\"a\": [true]}", "{\"must\": [{\"is_null\": {\"key\": \"a\"}}]}", 0},
        {"{\"a\": [{\"b\": 1}, {\"b\": null}]}", "{\"must\": [{\"is_null\": {\"key\": \"a[].b\"}}]}", 1},
        /* field-level is_empty / is_null */
        {"{}", "{\"must\": [{\"key\": \"a\", \"is_empty\": true}]}", 1},
        {"{}", "{\"must\": [{\"key\": \"a\", \"is_empty\": false}]}", 0},
        {"{\"a\": [1]}", "{\"must\": [{\"key\": \"a\", \"is_empty\": false}]}", 1},
        {"{}", "{\"must\": [{\"key\": \"a\", \"is_null\": false}]}", 1},
        {"{\"a\": null}", "{\"must\": [{\"key\": \"a\", \"is_null\": true}]}", 1},
        /* clauses */
        {"{\"a\": 1}", "{}", 1},
        {"{\"a\": 1}", "null", 1},
        {"{\"a\": 1}", "{\"must\": []}", 1},
        {"{\"a\": 1}", "{\"should\": []}", 0}, /* Qdrant: an empty should matches nothing */
        {"{\"a\": 1}", "{\"must_not\": []}", 1},
        {"{\"a\": 1}", "{\"should\": null}", 1},
        {"{\"a\": 1}", "{\"must\": {\"key\": \"a\", \"match\": {\"value\": 1}}}", 1}, /* one condition */
        {"{\"a\": 1}", "{\"must_not\": [{\"key\": \"a\", \"match\": {\"value\": 1}}]}", 0},
        {"{\"a\": 1}", "{\"should\": [{\"key\": \"a\", \"match\": {\"value\": 2}}, {\"key\": \"a\", \"match\": {\"value\": 1}}]}", 1},
        {"{\"a\": 1, \"b\": 2}", "{\"min_should\": {\"conditions\": [{\"key\": \"a\", \"match\": {\"value\": 1}}, {\"key\": \"b\", \"match\": {\"value\": 3}}, {\"key\": \"b\", \"match\": {\"value\": 2}}], \"min_count\": 2}}", 1},
        {"{\"a\": 1, \"b\": 2}", "{\"min_should\": {\"conditions\": [{\"key\": \"a\", \"match\": {\"value\": 1}}, {\"key\": \"b\", \"match\": {\"value\": 3}}], \"min_count\": 2}}", 0},
        {"{\"a\": 1}", "{\"min_should\": {\"conditions\": [{\"key\": \"a\", \"match\": {\"value\": 1}}], \"min_count\": 3}}", 0},
        {"{\"a\": 1}", "{\"must\": [{\"must_not\": [{\"key\": \"a\", \"match\": {\"value\": 2}}]}]}", 1}, /* clause as condition */
        /* field condition with both match and range: either */
        {"{\"a\": 7}", "{\"must\": [{\"key\": \"a\", \"match\": {\"value\": 1}, \"range\": {\"gt\": 5}}]}", 1},
        /* nested objects: both conditions on the same element */
        {"{\"c\": [{\"x\": 1, \"y\": \"a\"}, {\"x\": 2, \"y\": \"b\"}]}",
         "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {\"must\": [{\"key\": \"x\", \"match\": {\"value\": 1}}, {\"key\": \"y\", \"match\": {\"value\": \"b\"}}]}}}]}", 0},
        {"{\"c\": [{\"x\": 1, \"y\": \"a\"}, {\"x\": 2, \"y\": \"b\"}]}",
         "{\"must\": [{\"key\": \"c[].x\", \"match\": {\"value\": 1}}, {\"key\": \"c[].y\", \"match\": {\"value\": \"b\"}}]}", 1},
        {"{\"c\": [{\"x\": 2, \"y\": \"b\"}]}",
         "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {\"must\": [{\"key\": \"x\", \"match\": {\"value\": 2}}, {\"key\": \"y\", \"match\": {\"value\": \"b\"}}]}}}]}", 1},
        {"{\"c\": [{\"x\": 2}]}", "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {\"must_not\": [{\"is_empty\": {\"key\": \"y\"}}]}}}]}", 0},
        {"{\"c\": {\"x\": 2}}", "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {}}}]}", 0}, /* not an array */
        {"{\"c\": [1, {\"x\": 2}]}", "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {}}}]}", 1},
        {"{\"o\": {\"c\": [{\"d\": [{\"e\": 1}]}]}}",
         "{\"must\": [{\"nested\": {\"key\": \"o.c\", \"filter\": {\"must\": [{\"nested\": {\"key\": \"d\", \"filter\": {\"must\": [{\"key\": \"e\", \"match\": {\"value\": 1}}]}}}]}}}]}", 1},
        {"{\"c\": [{\"x\": 2}]}", "{\"must\": [{\"nested\": {\"key\": \"c\", \"filter\": {\"must\": [{\"has_id\": [7]}]}}}]}", 0},
        /* has_vector without a callback: present */
        {"{}", "{\"must\": [{\"has_vector\": \"image\"}]}", 1},
    };
    vt_point_id id = {0, 7, {0}};
    run_sem(c, sizeof c / sizeof c[0], &id);
}

static void test_has_id(void) {
    vt_point_id n7 = {0, 7, {0}}, u = {1, 0, {0}};
    flt_parse_uuid("550e8400-e29b-41d4-a716-446655440000", 36, u.uuid);
    const char *fs = "{\"must\": [{\"has_id\": [1, 7, \"550E8400E29B41D4A716446655440000\"]}]}";
    flt_filter *f;
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    ASSERT_EQ(flt_match(f, &n7, NULL), 1);
    ASSERT_EQ(flt_match(f, &u, NULL), 1);
    vt_point_id n8 = {0, 8, {0}};
    ASSERT_EQ(flt_match(f, &n8, NULL), 0);
    ASSERT_EQ(flt_match(f, NULL, NULL), 0);
    flt_free(f);
    fs = "{\"must_not\": [{\"has_id\": [1, 2, 3]}]}";
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    ASSERT_EQ(flt_match(f, &n7, NULL), 1);
    vt_point_id n2 = {0, 2, {0}};
    ASSERT_EQ(flt_match(f, &n2, NULL), 0);
    flt_free(f);
    fs = "{\"must\": [{\"has_id\": []}]}";
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    ASSERT_EQ(flt_match(f, &n7, NULL), 0);
    flt_free(f);
}

static int hv_cb(void *user, const char *name) {
    (void)user;
    return !strcmp(name, "image");
}

static void test_has_vector(void) {
    flt_filter *f;
    const char *fs = "{\"must\": [{\"has_vector\": \"text\"}]}";
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    flt_point p = {NULL, NULL, hv_cb, NULL};
    ASSERT_EQ(flt_match_point(f, &p), 0);
    flt_free(f);
    fs = "{\"must\": [{\"has_vector\": \"image\"}]}";
    ASSERT_EQ(flt_parse_str(fs, strlen(fs), "filter", &f, NULL), 0);
    ASSERT_EQ(flt_match_point(f, &p), 1);
    flt_free(f);
}

static void test_uuid_parse(void) {
    uint8_t a[16], b[16];
    ASSERT_EQ(flt_parse_uuid("550e8400-e29b-41d4-a716-446655440000", 36, a), 1);
    ASSERT_EQ(a[0], 0x55);
    ASSERT_EQ(a[15], 0x00);
    ASSERT_EQ(flt_parse_uuid("550E8400E29B41D4A716446655440000", 32, b), 1);
    ASSERT_TRUE(memcmp(a, b, 16) == 0);
    ASSERT_EQ(flt_parse_uuid("{550e8400-e29b-41d4-a716-446655440000}", 38, b), 1);
    ASSERT_EQ(flt_parse_uuid("urn:uuid:550e8400-e29b-41d4-a716-446655440000", 45, b), 1);
    ASSERT_TRUE(memcmp(a, b, 16) == 0);
    ASSERT_EQ(flt_parse_uuid("550e8400-e29b-41d4-a716-44665544000", 35, b), 0);
    ASSERT_EQ(flt_parse_uuid("550e8400xe29b-41d4-a716-446655440000", 36, b), 0);
    ASSERT_EQ(flt_parse_uuid("g50e8400-e29b-41d4-a716-446655440000", 36, b), 0);
    ASSERT_EQ(flt_is_canonical_uuid("550e8400-e29b-41d4-a716-446655440000", 36), 1);
    ASSERT_EQ(flt_is_canonical_uuid("550E8400-e29b-41d4-a716-446655440000", 36), 0);
}

static void test_datetime_parse(void) {
    int64_t t;
    ASSERT_EQ(flt_parse_datetime("1970-01-01T00:00:00Z", 20, &t), 1);
    ASSERT_EQ(t, 0);
    for (int i = 0; i < NV_N_DT; i++) { /* the generator's table */
        int ok = flt_parse_datetime(nv_dts[i].s, strlen(nv_dts[i].s), &t);
        if (ok != nv_dts[i].ok || (ok && t != nv_dts[i].us))
            fprintf(stderr, "%s: ok %d t %lld\n", nv_dts[i].s, ok, (long long)t);
        ASSERT_EQ(ok, nv_dts[i].ok);
        if (ok) ASSERT_EQ(t, nv_dts[i].us);
    }
    ASSERT_EQ(flt_parse_datetime("1969-12-31T23:59:59Z", 20, &t), 1);
    ASSERT_EQ(t, -1000000);
    ASSERT_EQ(flt_parse_datetime("2000-02-29T00:00:00z", 20, &t), 1);
    ASSERT_EQ(flt_parse_datetime("1900-02-29", 10, &t), 0);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T24:00:00Z", 20, &t), 0);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T00:00:00+25:00", 25, &t), 0);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T00:00:00Zjunk", 24, &t), 0);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T00:00:00.", 20, &t), 0);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T00:00:00.1234567Z", 28, &t), 1);
    ASSERT_EQ(t, 1577836800123456ll);
    ASSERT_EQ(flt_parse_datetime("2020-01-01T00:00:00+05", 22, &t), 1);
    ASSERT_EQ(t, 1577836800000000ll - 5 * 3600 * 1000000ll);
    ASSERT_EQ(flt_parse_datetime("", 0, &t), 0);
}

typedef struct toks {
    char out[256]; /* tokens joined by '|' */
} toks;

static int tok_cat(void *user, const char *t, size_t n) {
    toks *k = user;
    strncat(k->out, t, n);
    strcat(k->out, "|");
    return 0;
}

static void test_tokenize(void) {
    toks k = {""};
    const char *s = "Hello, WORLD! x1-y2  Ärger_über";
    flt_tokenize(s, strlen(s), tok_cat, &k);
    ASSERT_STR_EQ(k.out, "hello|world|x1|y2|ärger|über|");
    toks e = {""};
    flt_tokenize(" ,.;", 4, tok_cat, &e);
    ASSERT_STR_EQ(e.out, "");
    toks bad = {""};
    flt_tokenize("ab\xff" "cd", 5, tok_cat, &bad); /* an invalid byte separates */
    ASSERT_STR_EQ(bad.out, "ab|cd|");
}

static void test_paths(void) {
    flt_path *p;
    vt_error err = {0};
    const char *s = "a.b[].c[3].\"d.e\"";
    ASSERT_EQ(flt_path_parse(s, strlen(s), "key", &p, &err), 0);
    ASSERT_EQ(p->n_segs, 6);
    ASSERT_STR_EQ(p->canon, "a.b[].c[3].\"d.e\"");
    flt_path_free(p);
    s = "\"a\".b";
    ASSERT_EQ(flt_path_parse(s, strlen(s), "key", &p, &err), 0);
    ASSERT_STR_EQ(p->canon, "a.b");
    flt_path *q = flt_path_array_key(p);
    ASSERT_STR_EQ(q->canon, "a.b[]");
    flt_path *r = flt_path_array_key(q);
    ASSERT_STR_EQ(r->canon, "a.b[]");
    flt_path_free(p);
    flt_path_free(q);
    flt_path_free(r);
    static const char *bad[] = {"[0]", "a.", ".a", "a[", "a[]x", "a b", "a.\"b", "a[99999999999]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_error_clear(&err);
        ASSERT_EQ(flt_path_parse(bad[i], strlen(bad[i]), "key", &p, &err), VT_EINVAL);
        ASSERT_STR_CONTAINS(err.message, "key:");
    }
}

/* The differential test: compiled evaluator == naive evaluator on random cases. */
static void test_differential(void) {
    enum { N_FILTERS = 4000, N_PAYLOADS = 60 };
    json_t *pl[N_PAYLOADS];
    vt_point_id ids[N_PAYLOADS];
    nv_rng = 12345;
    for (int i = 0; i < N_PAYLOADS; i++) {
        pl[i] = nv_payload();
        ids[i] = nv_id(i);
    }
    long checks = 0, matches = 0;
    for (int k = 0; k < N_FILTERS; k++) {
        json_t *fj = nv_filter(0);
        flt_filter *f;
        vt_error err = {0};
        int rc = flt_parse(fj, "filter", &f, &err);
        if (rc) {
            char *d = json_dumps(fj, 0);
            fprintf(stderr, "generated filter rejected: %s: %s\n", d, err.message);
            vt_free(d);
        }
        ASSERT_EQ(rc, 0);
        for (int i = 0; i < N_PAYLOADS; i++) {
            int a = flt_match(f, &ids[i], pl[i]), b = nv_match(fj, &ids[i], pl[i]);
            if (a != b) {
                char *d = json_dumps(fj, 0), *e = json_dumps(pl[i], 0);
                fprintf(stderr, "MISMATCH filter %s\npayload %s\ncompiled %d naive %d\n", d, e, a, b);
                vt_free(d);
                vt_free(e);
            }
            ASSERT_EQ(a, b);
            checks++;
            matches += a;
        }
        flt_free(f);
        json_decref(fj);
    }
    for (int i = 0; i < N_PAYLOADS; i++) json_decref(pl[i]);
    printf("differential: %ld filter x payload checks, %ld matched\n", checks, matches);
    ASSERT_TRUE(matches > checks / 20 && matches < checks - checks / 20); /* not degenerate */
}

/* Every allocation of a parse fails in turn: a clean error, no leak, then success. */
static void test_parse_oom(void) {
    const char *fs = "{\"must\": [{\"key\": \"a.b[]\", \"match\": {\"any\": [\"x\", \"y\"]}}, "
                     "{\"nested\": {\"key\": \"c\", \"filter\": {\"should\": [{\"key\": \"d\", \"range\": "
                     "{\"gte\": \"2020-01-01T00:00:00Z\"}}]}}}, {\"has_id\": [1, \"550e8400-e29b-41d4-a716-446655440000\"]}, "
                     "{\"key\": \"t\", \"match\": {\"text\": \"red shoe\"}}], \"min_should\": {\"conditions\": "
                     "[{\"is_empty\": {\"key\": \"e\"}}], \"min_count\": 1}}";
    json_t *j = J(fs);
    int64_t base = vt_alloc_live_bytes();
    int ok = 0, fails = 0;
    for (int n = 1; n < 500 && !ok; n++) {
        flt_filter *f = NULL;
        vt_error err = {0};
        vt_alloc_fail_at(n);
        int rc = flt_parse(j, "filter", &f, &err);
        int injected = vt_alloc_injected() > 0;
        vt_alloc_fail_at(0);
        if (rc == 0) {
            ok = 1;
            ASSERT_TRUE(!injected);
            vt_point_id id = {0, 1, {0}};
            json_t *p = J("{\"a\": {\"b\": [\"y\"]}, \"t\": \"Red Shoe\", \"c\": [{\"d\": \"2021-01-01T00:00:00Z\"}]}");
            ASSERT_EQ(flt_match(f, &id, p), 1);
            json_decref(p);
            flt_free(f);
        } else {
            fails++;
            ASSERT_EQ(rc, VT_ENOMEM);
            ASSERT_TRUE(f == NULL);
            ASSERT_STR_CONTAINS(err.message, "out of memory");
        }
        ASSERT_EQ(vt_alloc_live_bytes(), base);
    }
    ASSERT_TRUE(ok);
    ASSERT_TRUE(fails > 20);
    json_decref(j);
}

int main(void) {
    vt_json_init();
    RUN(test_parse_errors);
    RUN(test_parse_limits);
    RUN(test_semantics);
    RUN(test_has_id);
    RUN(test_has_vector);
    RUN(test_uuid_parse);
    RUN(test_datetime_parse);
    RUN(test_tokenize);
    RUN(test_paths);
    RUN(test_differential);
    RUN(test_parse_oom);
    TEST_END();
}
