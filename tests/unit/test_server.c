/*
 * test_server.c — the server's pieces without sockets: path normalisation, the route table,
 * API-key checks (constant-time comparison, bearer form, read-only key), the nesting check,
 * base64, and whole requests through srv_dispatch against a database in a temporary folder —
 * envelopes, Qdrant's status codes and messages, point id and vector conversions, payload
 * selectors by JSON path, lookup_from, alias names, snapshot checksums (SHA-256) and file://
 * locations, limit clamping. The HTTP
 * layer itself (bodies, size limit, shutdown) is covered end to end by tests/server/e2e.mjs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/sha256.h"
#include "server/server_int.h"
#include "test.h"

static srv_ctx g_ctx;
static srv_req g_req;
static char g_dir[256];

/* run: one request through the router; returns the request (valid until the next run). */
static srv_req *run(const char *method, const char *path, const char *body) {
    srv_req_fini(&g_req);
    srv_req_init(&g_req, &g_ctx, method, path);
    char *q = strchr(path, '?');
    static char qbuf[256];
    if (q) {
        snprintf(qbuf, sizeof qbuf, "%s", q + 1);
        char *eq = strchr(qbuf, '=');
        g_req.query_keys[0] = qbuf;
        g_req.query_vals[0] = eq ? eq + 1 : NULL;
        if (eq) *eq = '\0';
        g_req.n_query = 1;
    }
    g_req.body = body ? body : "";
    g_req.body_len = body ? strlen(body) : 0;
    srv_dispatch(&g_req);
    return &g_req;
}

/* body_text: the response body as JSON text (static buffer). */
static const char *body_text(srv_req *r) {
    static char buf[8192];
    json_t *e = srv_envelope(r, 0.0);
    if (!e) return r->text ? r->text : "";
    char *s = srv_dumps(e, NULL);
    json_decref(e);
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    vt_free(s);
    return buf;
}

static void test_normalize_path(void) {
    char out[64];
    static const struct { const char *in, *want; } cases[] = {
        {"/", "/"}, {"//", "/"}, {"/collections/", "/collections"},
        {"//collections//a///points/search/", "/collections/a/points/search"},
        {"collections", "/collections"}, {"/a?b=c", "/a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_EQ(srv_normalize_path(cases[i].in, out, sizeof out), 0);
        ASSERT_STR_EQ(out, cases[i].want);
    }
    char small[4];
    ASSERT_EQ(srv_normalize_path("/abcdef", small, sizeof small), -1);
}

static void test_const_eq_and_auth(void) {
    ASSERT_TRUE(srv_const_eq("secret", "secret"));
    ASSERT_TRUE(!srv_const_eq("secret", "secreT"));
    ASSERT_TRUE(!srv_const_eq("secret", "secret2"));
    ASSERT_TRUE(!srv_const_eq("", "x"));
    ASSERT_TRUE(srv_const_eq("", ""));
    srv_ctx c = {0};
    const char *why;
    ASSERT_EQ(srv_auth_check(&c, NULL, NULL, &why), SRV_ACCESS_MANAGE);
    c.api_key = "k1";
    c.ro_key = "r1";
    ASSERT_EQ(srv_auth_check(&c, NULL, NULL, &why), SRV_ACCESS_DENIED);
    ASSERT_STR_EQ(why, "Must provide an API key or an Authorization bearer token");
    ASSERT_EQ(srv_auth_check(&c, "k2", NULL, &why), SRV_ACCESS_DENIED);
    ASSERT_STR_EQ(why, "Invalid API key or JWT");
    ASSERT_EQ(srv_auth_check(&c, "k1", NULL, &why), SRV_ACCESS_MANAGE);
    ASSERT_EQ(srv_auth_check(&c, "r1", NULL, &why), SRV_ACCESS_READ);
    ASSERT_EQ(srv_auth_check(&c, NULL, "Bearer k1", &why), SRV_ACCESS_MANAGE);
    ASSERT_EQ(srv_auth_check(&c, NULL, "bearer r1", &why), SRV_ACCESS_READ);
    ASSERT_EQ(srv_auth_check(&c, NULL, "Basic k1", &why), SRV_ACCESS_DENIED);
}

static void test_json_depth(void) {
    ASSERT_TRUE(srv_json_depth_ok("{\"a\":[[1]]}", 11, 3));
    ASSERT_TRUE(!srv_json_depth_ok("{\"a\":[[1]]}", 11, 2));
    ASSERT_TRUE(srv_json_depth_ok("\"[[[[[[\"", 8, 1));        /* brackets inside a string */
    ASSERT_TRUE(srv_json_depth_ok("\"\\\"[[[[\"", 9, 0));     /* an escaped quote */
    ASSERT_TRUE(!srv_json_depth_ok("[[[[[[[[", 8, 7));
}

static void test_base64(void) {
    uint8_t *out;
    size_t n;
    ASSERT_EQ(srv_base64_decode("aGVsbG8=", 8, &out, &n), 0);
    ASSERT_EQ(n, 5);
    ASSERT_TRUE(memcmp(out, "hello", 5) == 0);
    vt_free(out);
    ASSERT_EQ(srv_base64_decode("aGVs\nbG8", 8, &out, &n), 0); /* no padding, a newline */
    ASSERT_EQ(n, 5);
    vt_free(out);
    ASSERT_EQ(srv_base64_decode("-_8", 3, &out, &n), 0); /* URL-safe alphabet */
    ASSERT_EQ(n, 2);
    ASSERT_EQ(out[0], 0xfb);
    ASSERT_EQ(out[1], 0xff);
    vt_free(out);
    ASSERT_EQ(srv_base64_decode("a$bc", 4, &out, &n), -1);
    ASSERT_EQ(srv_base64_decode("a", 1, &out, &n), -1);
    ASSERT_EQ(srv_base64_decode("ab=c", 4, &out, &n), -1);
}

static void test_routing_and_envelopes(void) {
    srv_req *r = run("GET", "/", NULL);
    ASSERT_EQ(r->status, 200);
    ASSERT_EQ(r->kind, SRV_REPLY_JSON);
    ASSERT_STR_CONTAINS(body_text(r), "\"version\":\"1.19.0\"");
    r = run("GET", "/healthz", NULL);
    ASSERT_EQ(r->kind, SRV_REPLY_TEXT);
    ASSERT_STR_EQ(r->text, "healthz check passed");
    r = run("GET", "/nothing/here", NULL);
    ASSERT_EQ(r->status, 404);
    r = run("DELETE", "/collections/a/points/scroll", NULL);
    ASSERT_EQ(r->status, 405);
    r = run("GET", "/collections/../x", NULL);
    ASSERT_EQ(r->status, 400);
    r = run("GET", "/collections", NULL);
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_EQ(body_text(r), "{\"result\":{\"collections\":[]},\"status\":\"ok\",\"time\":0.0}");
    r = run("GET", "/collections/missing", NULL);
    ASSERT_EQ(r->status, 404);
    ASSERT_STR_EQ(body_text(r), "{\"status\":{\"error\":\"Not found: Collection `missing` doesn't exist!\"},\"time\":0.0}");
    ASSERT_STR_EQ(srv_route_name(r->route), "GET /collections/{}");
    char longpath[400] = "/collections/";
    memset(longpath + 13, 'a', 300);
    longpath[313] = '\0';
    r = run("GET", longpath, NULL);
    ASSERT_EQ(r->status, 422);
    ASSERT_STR_CONTAINS(r->error, "Validation error in path parameters");
    r = run("GET", "/collections/\xff\xfe", NULL);
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "not valid UTF-8");
    /* a parse error quoting invalid UTF-8 still makes a valid envelope */
    r = run("POST", "/collections/c/points/count", "{\"filter\": \xdc\x8c}");
    ASSERT_EQ(r->status, 400);
    json_t *e = srv_envelope(r, 0.0);
    ASSERT_TRUE(e != NULL);
    json_decref(e);
    ASSERT_TRUE(srv_utf8_valid("h\xc3\xa9llo"));
    ASSERT_TRUE(!srv_utf8_valid("\xc0\xaf"));       /* overlong '/' */
    ASSERT_TRUE(!srv_utf8_valid("\xed\xa0\x80"));   /* a surrogate */
}

static void test_bodies(void) {
    srv_req *r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 3, \"distance\": \"Dot\"");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "Format error in JSON body: ");
    r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 3, \"size\": 3, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 400);
    r = run("PUT", "/collections/c", "[]");
    ASSERT_EQ(r->status, 400);
    r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 0, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 422);
    ASSERT_STR_EQ(r->error, "Validation error in JSON body: [vectors.size: value 0 invalid, must be from 1 to 65536]");
    r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 3, \"distance\": \"Dot\"}, \"sparse_vectors\": {\"s\": {}}}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "sparse");
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    r = run("POST", "/collections/c/points/count", deep);
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "recursion limit");
    g_req.content_type = NULL;
}

static void test_points_roundtrip(void) {
    srv_req *r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 3, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/c", "{\"vectors\": {\"size\": 3, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 409);
    r = run("PUT", "/collections/c/points?wait=true",
            "{\"points\": [{\"id\": 1, \"vector\": [1, 0, 0], \"payload\": {\"a\": 1}},"
            " {\"id\": \"00000000-0000-0000-0000-00000000000A\", \"vector\": [0, 2, 0]}]}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "\"status\":\"completed\"");
    r = run("PUT", "/collections/c/points?wait=maybe", "{\"points\": []}");
    ASSERT_EQ(r->status, 400);
    r = run("PUT", "/collections/c/points", "{\"points\": [{\"id\": \"17\", \"vector\": [1, 0, 0]}]}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_EQ(r->error, "Wrong input: Can not recognize \"17\" as point id");
    r = run("PUT", "/collections/c/points", "{\"points\": [{\"id\": 3, \"vector\": [1, 0]}]}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "dimension");
    r = run("PUT", "/collections/c/points", "{\"points\": [{\"id\": 3, \"vector\": {\"text\": \"hi\"}}]}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "no model is loaded");
    r = run("POST", "/collections/c/points/query", "{\"query\": [0, 1, 0], \"limit\": 1}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "{\"points\":[{\"id\":\"00000000-0000-0000-0000-00000000000a\",\"version\":1,\"score\":2.0}]}");
    r = run("POST", "/collections/c/points/search", "{\"vector\": [1, 0, 0], \"limit\": 1, \"with_payload\": true}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "\"result\":[{\"id\":1,\"version\":1,\"score\":1.0,\"payload\":{\"a\":1}}]");
    r = run("GET", "/collections/c/points/1", NULL);
    ASSERT_STR_CONTAINS(body_text(r), "\"result\":{\"id\":1,\"payload\":{\"a\":1},\"vector\":[1.0,0.0,0.0]}");
    r = run("GET", "/collections/c/points/2", NULL);
    ASSERT_EQ(r->status, 404);
    ASSERT_STR_EQ(r->error, "Not found: Point with id 2 does not exists!");
    r = run("POST", "/collections/c/points/count", "{\"filter\": {\"must\": [{\"key\": \"a\", \"match\": {\"value\": 1}}]}}");
    ASSERT_STR_CONTAINS(body_text(r), "{\"result\":{\"count\":1}");
    r = run("POST", "/collections/c/points/count", "{\"filter\": 3}");
    ASSERT_EQ(r->status, 400);
    r = run("POST", "/collections/c/points/query", "{\"query\": {\"discover\": {}}}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "not supported yet");
    r = run("DELETE", "/collections/c", NULL);
    ASSERT_STR_CONTAINS(body_text(r), "\"result\":true");
    r = run("DELETE", "/collections/c", NULL);
    ASSERT_STR_CONTAINS(body_text(r), "\"result\":false");
}

/* A scroll with order_by gives each Record the value it was sorted by (qdrant-client's
 * Record.order_value): an integer stays an integer, a float a float, the first of an array; the
 * payload is read for it but only returned when asked for. */
static void test_scroll_order_value(void) {
    srv_req *r = run("PUT", "/collections/o", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/o/points?wait=true",
            "{\"points\": [{\"id\": 1, \"vector\": [1, 0], \"payload\": {\"p\": 3, \"n\": {\"q\": [2.5, 9]}}},"
            " {\"id\": 2, \"vector\": [0, 1], \"payload\": {\"p\": 1.5, \"n\": {\"q\": 7}}}]}");
    ASSERT_EQ(r->status, 200);
    r = run("POST", "/collections/o/points/scroll", "{\"order_by\": \"p\", \"with_payload\": false}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "\"points\":[{\"id\":2,\"order_value\":1.5},{\"id\":1,\"order_value\":3}]");
    r = run("POST", "/collections/o/points/scroll", "{\"order_by\": {\"key\": \"n.q\", \"direction\": \"desc\"}}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "{\"id\":2,\"payload\":{\"p\":1.5,\"n\":{\"q\":7}},\"order_value\":7}");
    ASSERT_STR_CONTAINS(body_text(r), "\"order_value\":2.5}");
    r = run("POST", "/collections/o/points/scroll", "{}");
    ASSERT_TRUE(strstr(body_text(r), "order_value") == NULL);
    /* and an order_by query: ScoredPoint.order_value */
    r = run("POST", "/collections/o/points/query", "{\"query\": {\"order_by\": \"p\"}, \"with_payload\": false}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "{\"id\":2,\"version\":");
    ASSERT_STR_CONTAINS(body_text(r), "\"order_value\":1.5}");
    ASSERT_STR_CONTAINS(body_text(r), "\"order_value\":3}");
    r = run("POST", "/collections/o/points/query", "{\"query\": [1, 0]}");
    ASSERT_TRUE(strstr(body_text(r), "order_value") == NULL);
    r = run("DELETE", "/collections/o", NULL);
    ASSERT_EQ(r->status, 200);
}

/* Payload numbers are stored and returned with every digit (they were once cut to 9 significant
 * digits on the way to storage), and filters compare the exact values. */
static void test_payload_numbers_exact(void) {
    srv_req *r = run("PUT", "/collections/n", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/n/points?wait=true",
            "{\"points\": [{\"id\": 1, \"vector\": [0.15, 1], \"payload\": {\"ts\": 1700000000.123, \"p\": 19.99}},"
            " {\"id\": 2, \"vector\": [0, 1], \"payload\": {\"ts\": 1700000000.9}}]}");
    ASSERT_EQ(r->status, 200);
    r = run("GET", "/collections/n/points/1", NULL);
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "\"payload\":{\"ts\":1700000000.123,\"p\":19.99}");
    r = run("POST", "/collections/n/points", "{\"ids\": [1], \"with_vector\": true}");
    ASSERT_STR_CONTAINS(body_text(r), "\"vector\":[0.15,1.0]");
    r = run("POST", "/collections/n/points/count",
            "{\"filter\": {\"must\": [{\"key\": \"ts\", \"range\": {\"gte\": 1700000000.5}}]}, \"exact\": true}");
    ASSERT_STR_CONTAINS(body_text(r), "\"count\":1");
    r = run("DELETE", "/collections/n", NULL);
    ASSERT_EQ(r->status, 200);
}

/* SHA-256 (snapshot checksums) against FIPS 180-2's examples and hashlib at the padding edges
 * (55, 56, 63, 64, 65, 119, 120 bytes), in one piece and as a file. */
static void test_sha256(void) {
    char hex[65];
    vt_sha256_hex("", 0, hex);
    ASSERT_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    vt_sha256_hex("abc", 3, hex);
    ASSERT_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    vt_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    ASSERT_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static const struct { size_t n; const char *want; } edges[] = {
        {55, "16fa57a0a3423a715d594516339f36189d6b5f93754a9714fef202616a9fabfe"},
        {56, "c37b44e5f1b18554b36966f4f8e08bfbf3164c4b6c10374d12d89850892073c5"},
        {63, "bbba992d2c85af960fb2987a1fd05e0aa82a3db3c740dd8982a9e273b75e36a3"},
        {64, "66bd4633ed6f71c4ecfa4763bf7ba1c8ec7612de9aa6c0578a7b675207c71e0b"},
        {65, "9f7dc47107b750a1f3d35db5d9547f24ef40da5b731b9540d4f43710a154f6c9"},
        {119, "a3ed307b730fa77c07531300c6e4a282330011d4d4caf6bb7b63ae05950f4b66"},
        {120, "8e3b15d9fea7472655aa069620b7f8c2e55ee1499f763200a7515fe826e99d20"},
        {1000, "095ecb62e30793ab4b954cd6a0586d0cc91f7ea5b1332694d8da780e98676d78"},
    };
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        vt_sha256_hex(buf, edges[i].n, hex);
        ASSERT_STR_EQ(hex, edges[i].want);
    }
    char path[300];
    snprintf(path, sizeof path, "%s/sha-test", g_dir);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    char as[1000];
    memset(as, 'a', sizeof as);
    for (int i = 0; i < 1000; i++) fwrite(as, 1, sizeof as, f);
    fclose(f);
    ASSERT_EQ(vt_sha256_file(path, hex), 0); /* a million 'a' (FIPS 180-2 B.3), read in chunks */
    ASSERT_STR_EQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    unlink(path);
    ASSERT_EQ(vt_sha256_file(path, hex), -1);
}

/* with_payload include / exclude are JSON paths cut as Qdrant's PayloadSelector (the cases of
 * Qdrant's tests/openapi/test_payload_selector.py, plus [] and [N]): once "country.name" kept or
 * dropped all of country. */
static void test_payload_selector_paths(void) {
    ASSERT_TRUE(srv_payload_path_valid("a"));
    ASSERT_TRUE(srv_payload_path_valid("country.cities[].name"));
    ASSERT_TRUE(srv_payload_path_valid("a[0].b-c_d[12][]"));
    ASSERT_TRUE(srv_payload_path_valid("\"a.b\".c"));
    ASSERT_TRUE(!srv_payload_path_valid(""));
    ASSERT_TRUE(!srv_payload_path_valid("a..b"));
    ASSERT_TRUE(!srv_payload_path_valid("a b"));
    ASSERT_TRUE(!srv_payload_path_valid("a[x]"));
    ASSERT_TRUE(!srv_payload_path_valid("a["));
    ASSERT_TRUE(!srv_payload_path_valid(".a"));
    srv_req *r = run("PUT", "/collections/ps", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/ps/points?wait=true",
            "{\"points\": [{\"id\": 1, \"vector\": [1, 0], \"payload\": {\"country\": {\"name\": \"Germany\", "
            "\"capital\": \"Berlin\", \"cities\": [{\"name\": \"Berlin\", \"population\": 3.7, \"sights\": [\"Gate\"]}, "
            "{\"name\": \"Munich\", \"population\": 1.5}]}, \"a\": [1, 2], \"a.b\": 5}}]}");
    ASSERT_EQ(r->status, 200);
    static const struct { const char *sel, *want; } cases[] = {
        {"{\"include\": [\"country.name\", \"country.capital\"]}",
         "\"payload\":{\"country\":{\"name\":\"Germany\",\"capital\":\"Berlin\"}}"},
        {"{\"include\": [\"country.name\"]}", "\"payload\":{\"country\":{\"name\":\"Germany\"}}"},
        {"{\"include\": [\"country.cities[].name\"]}",
         "\"payload\":{\"country\":{\"cities\":[{\"name\":\"Berlin\"},{\"name\":\"Munich\"}]}}"},
        {"[\"country.cities[].sights\", \"a\"]",
         "\"payload\":{\"country\":{\"cities\":[{\"sights\":[\"Gate\"]},{}]},\"a\":[1,2]}"},
        {"{\"exclude\": [\"country.cities\"]}",
         "\"payload\":{\"country\":{\"name\":\"Germany\",\"capital\":\"Berlin\"},\"a\":[1,2],\"a.b\":5}"},
        {"{\"exclude\": [\"country.name\", \"country.capital\", \"a\", \"\\\"a.b\\\"\"]}",
         "\"payload\":{\"country\":{\"cities\":[{\"name\":\"Berlin\",\"population\":3.7,\"sights\":[\"Gate\"]},"
         "{\"name\":\"Munich\",\"population\":1.5}]}}"},
        {"{\"exclude\": [\"country\", \"a[]\"]}", "\"payload\":{\"a\":[],\"a.b\":5}"},
        {"{\"exclude\": [\"country.cities[].population\", \"country.cities[].sights\", \"country.name\", "
         "\"country.capital\"]}",
         "\"payload\":{\"country\":{\"cities\":[{\"name\":\"Berlin\"},{\"name\":\"Munich\"}]},\"a\":[1,2],\"a.b\":5}"},
        /* Qdrant addresses array elements only as [], so [N] selects none of them */
        {"{\"include\": [\"a[0]\"]}", "\"payload\":{\"a\":[]}"},
        {"{\"exclude\": [\"a[0]\"]}", "\"a\":[1,2]"},
        {"{\"include\": [\"\\\"a.b\\\"\"]}", "\"payload\":{\"a.b\":5}"},
        {"{\"include\": [\"nothing\"]}", "\"payload\":{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"with_payload\": %s}", cases[i].sel);
        r = run("POST", "/collections/ps/points/scroll", body);
        ASSERT_EQ(r->status, 200);
        ASSERT_STR_CONTAINS(body_text(r), cases[i].want);
    }
    /* the same cut on retrieve and query */
    r = run("POST", "/collections/ps/points", "{\"ids\": [1], \"with_payload\": {\"include\": [\"country.capital\"]}}");
    ASSERT_STR_CONTAINS(body_text(r), "\"payload\":{\"country\":{\"capital\":\"Berlin\"}}");
    r = run("POST", "/collections/ps/points/query", "{\"query\": [1, 0], \"with_payload\": {\"exclude\": [\"country\"]}}");
    ASSERT_STR_CONTAINS(body_text(r), "\"payload\":{\"a\":[1,2],\"a.b\":5}");
    r = run("POST", "/collections/ps/points/scroll", "{\"with_payload\": {\"include\": [\"a..b\"]}}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_EQ(r->error, "Format error in JSON body: with_payload: Invalid json path: 'a..b'");
    r = run("DELETE", "/collections/ps", NULL);
    ASSERT_EQ(r->status, 200);
}

/* Recommend whose lookup_from names a missing collection is a 404 even when every example is a
 * raw vector (once 200); likewise in a batch and in a query's recommend. */
static void test_lookup_from_missing(void) {
    srv_req *r = run("PUT", "/collections/lf", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/lf/points?wait=true", "{\"points\": [{\"id\": 1, \"vector\": [1, 0]}]}");
    ASSERT_EQ(r->status, 200);
    r = run("POST", "/collections/lf/points/recommend",
            "{\"positive\": [[0.1, 0.2]], \"limit\": 3, \"lookup_from\": {\"collection\": \"nope\", \"vector\": \"v\"}}");
    ASSERT_EQ(r->status, 404);
    ASSERT_STR_EQ(r->error, "Not found: Collection nope not found");
    r = run("POST", "/collections/lf/points/recommend/batch",
            "{\"searches\": [{\"positive\": [[0.1, 0.2]], \"limit\": 3, \"lookup_from\": {\"collection\": \"nope\"}}]}");
    ASSERT_EQ(r->status, 404);
    ASSERT_STR_EQ(r->error, "Not found: Collection nope not found");
    r = run("POST", "/collections/lf/points/query",
            "{\"query\": {\"recommend\": {\"positive\": [[0.1, 0.2]]}}, \"lookup_from\": {\"collection\": \"nope\"}}");
    ASSERT_EQ(r->status, 404);
    r = run("POST", "/collections/lf/points/recommend",
            "{\"positive\": [[0.1, 0.2]], \"limit\": 3, \"lookup_from\": {\"collection\": \"lf\"}}");
    ASSERT_EQ(r->status, 200);
    ASSERT_STR_CONTAINS(body_text(r), "\"result\":[{\"id\":1,");
    r = run("POST", "/collections/lf/points/recommend", "{\"positive\": [[0.1, 0.2]], \"lookup_from\": {\"collection\": 3}}");
    ASSERT_EQ(r->status, 400);
    r = run("DELETE", "/collections/lf", NULL);
    ASSERT_EQ(r->status, 200);
}

/* A collection cannot take an alias's name: Qdrant's 400 (once our 409); a collection's name
 * stays a 409. */
static void test_create_over_alias(void) {
    srv_req *r = run("PUT", "/collections/base", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("POST", "/collections/aliases",
            "{\"actions\": [{\"create_alias\": {\"collection_name\": \"base\", \"alias_name\": \"nick\"}}]}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/nick", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_EQ(r->error, "Wrong input: Can't create collection with name nick. Alias with the same name already exists");
    r = run("PUT", "/collections/base", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 409);
    r = run("DELETE", "/collections/base", NULL);
    ASSERT_EQ(r->status, 200);
}

/* Snapshots carry the sha256 of their file (kept in a sidecar <name>.checksum, removed with the
 * snapshot); file:// locations are read as Qdrant reads them; a given checksum is checked. */
static void test_snapshot_checksum_and_locations(void) {
    srv_req *r = run("PUT", "/collections/sn", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/sn/points?wait=true", "{\"points\": [{\"id\": 1, \"vector\": [1, 0]}]}");
    ASSERT_EQ(r->status, 200);
    r = run("POST", "/collections/sn/snapshots?wait=true", NULL);
    ASSERT_EQ(r->status, 200);
    char name[300], sum[65], path[800], side[820], hex[65];
    snprintf(name, sizeof name, "%s", json_string_value(json_object_get(r->result, "name")));
    snprintf(sum, sizeof sum, "%s", json_string_value(json_object_get(r->result, "checksum")) ? json_string_value(json_object_get(r->result, "checksum")) : "");
    snprintf(path, sizeof path, "%s/snapshots/sn/%s", g_dir, name);
    snprintf(side, sizeof side, "%s.checksum", path);
    ASSERT_EQ(vt_sha256_file(path, hex), 0);
    ASSERT_STR_EQ(sum, hex);
    ASSERT_EQ(access(side, F_OK), 0);
    r = run("GET", "/collections/sn/snapshots", NULL);
    ASSERT_EQ(r->status, 200);
    ASSERT_EQ(json_array_size(r->result), 1); /* the sidecar is not a snapshot */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(r->result, 0), "checksum")), hex);
    /* a snapshot without a sidecar (an older vitrine) gets one when listed */
    unlink(side);
    r = run("GET", "/collections/sn/snapshots", NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(r->result, 0), "checksum")), hex);
    ASSERT_EQ(access(side, F_OK), 0);

    char body[1200];
    static const struct { const char *loc; const char *err; } bad[] = {
        {"file://otherhost/x.snapshot", "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"},
        {"file://whatever.snapshot", "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"},
        {"file://./etc/passwd", "Bad request: Invalid snapshot URI, file path must be absolute or on localhost"},
        {"file:///whatever.snapshot", "Bad request: Snapshot file \"/whatever.snapshot\" does not exist"},
        {"file://localhost/whatever.snapshot", "Bad request: Snapshot file \"/whatever.snapshot\" does not exist"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "{\"location\": \"%s\"}", bad[i].loc);
        r = run("PUT", "/collections/sn2/snapshots/recover", body);
        ASSERT_EQ(r->status, 400);
        ASSERT_STR_EQ(r->error, bad[i].err);
    }
    r = run("PUT", "/collections/sn2/snapshots/recover", "{\"location\": \"file:///etc/passwd\"}");
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "Bad request: Snapshot file path must be inside the snapshots directory");
    snprintf(body, sizeof body, "{\"location\": \"file://localhost%s\", \"checksum\": \"%064d\"}", path, 3);
    r = run("PUT", "/collections/sn2/snapshots/recover", body);
    ASSERT_EQ(r->status, 400);
    ASSERT_STR_CONTAINS(r->error, "Bad request: Snapshot checksum mismatch");
    r = run("GET", "/collections/sn2", NULL);
    ASSERT_EQ(r->status, 404); /* nothing restored */
    snprintf(body, sizeof body, "{\"location\": \"file://localhost%s\", \"checksum\": \"%s\"}", path, hex);
    r = run("PUT", "/collections/sn2/snapshots/recover", body);
    ASSERT_EQ(r->status, 200);
    r = run("POST", "/collections/sn2/points/count", "{}");
    ASSERT_STR_CONTAINS(body_text(r), "\"count\":1");
    /* percent-escapes in a file URL are decoded */
    char esc[800];
    snprintf(esc, sizeof esc, "%s", path);
    char *slash = strrchr(esc, '/');
    ASSERT_TRUE(slash != NULL);
    slash[1] = '\0';
    snprintf(body, sizeof body, "{\"location\": \"file://%s%%73%s\"}", esc, name + 1); /* %73 = 's' */
    ASSERT_TRUE(name[0] == 's');
    r = run("PUT", "/collections/sn3/snapshots/recover", body);
    ASSERT_EQ(r->status, 200);
    snprintf(body, sizeof body, "/collections/sn/snapshots/%s", name);
    r = run("DELETE", body, NULL);
    ASSERT_EQ(r->status, 200);
    ASSERT_TRUE(access(side, F_OK) != 0);
    ASSERT_TRUE(access(path, F_OK) != 0);
    r = run("DELETE", "/collections/sn", NULL);
    r = run("DELETE", "/collections/sn2", NULL);
    r = run("DELETE", "/collections/sn3", NULL);
    ASSERT_EQ(r->status, 200);
}

/* A limit over our cap is clamped (Qdrant accepts up to u64::MAX); below 1 it is Qdrant's 422,
 * which names the query's limit internal.limit. GET / carries a 40-hex commit. */
static void test_limit_clamp_and_root_commit(void) {
    srv_req *r = run("PUT", "/collections/lim", "{\"vectors\": {\"size\": 2, \"distance\": \"Dot\"}}");
    ASSERT_EQ(r->status, 200);
    r = run("PUT", "/collections/lim/points?wait=true",
            "{\"points\": [{\"id\": 1, \"vector\": [1, 0]}, {\"id\": 2, \"vector\": [0, 1]}]}");
    ASSERT_EQ(r->status, 200);
    static const char *const ok[][2] = {
        {"/collections/lim/points/query", "{\"query\": [1, 0], \"limit\": 9223372036854775807}"},
        {"/collections/lim/points/query", "{\"query\": [1, 0], \"limit\": 1000001}"},
        {"/collections/lim/points/query", "{\"prefetch\": {\"limit\": 9223372036854775807}, \"query\": [1, 0]}"},
        {"/collections/lim/points/search", "{\"vector\": [1, 0], \"limit\": 9223372036854775807}"},
        {"/collections/lim/points/scroll", "{\"limit\": 9223372036854775807}"},
        {"/collections/lim/points/recommend", "{\"positive\": [1], \"limit\": 9223372036854775807}"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        r = run("POST", ok[i][0], ok[i][1]);
        ASSERT_EQ(r->status, 200);
    }
    r = run("POST", "/collections/lim/points/query", "{\"query\": [1, 0], \"limit\": 9223372036854775807}");
    ASSERT_STR_CONTAINS(body_text(r), "{\"points\":[{\"id\":1,");
    ASSERT_STR_CONTAINS(body_text(r), "{\"id\":2,");
    r = run("POST", "/collections/lim/points/query", "{\"query\": [1, 0], \"limit\": 0}");
    ASSERT_EQ(r->status, 422);
    ASSERT_STR_EQ(r->error, "Validation error in JSON body: [internal.limit: value 0 invalid, must be 1 or larger]");
    r = run("POST", "/collections/lim/points/scroll", "{\"limit\": -1}");
    ASSERT_EQ(r->status, 422);
    ASSERT_STR_EQ(r->error, "Validation error in JSON body: [limit: value -1 invalid, must be 1 or larger]");
    r = run("POST", "/collections/lim/points/scroll", "{\"limit\": 2.5}");
    ASSERT_EQ(r->status, 400);
    r = run("DELETE", "/collections/lim", NULL);
    ASSERT_EQ(r->status, 200);
    r = run("GET", "/", NULL);
    json_t *commit = json_object_get(r->result, "commit");
    ASSERT_TRUE(json_is_string(commit));
    ASSERT_EQ(strlen(json_string_value(commit)), 40);
    ASSERT_EQ(strspn(json_string_value(commit), "0123456789abcdef"), 40);
}

static void test_read_only_key(void) {
    g_ctx.api_key = "admin";
    g_ctx.ro_key = "reader";
    srv_req *r = run("GET", "/collections", NULL);
    ASSERT_EQ(r->status, 401);
    ASSERT_EQ(r->kind, SRV_REPLY_TEXT);
    srv_req_fini(&g_req);
    srv_req_init(&g_req, &g_ctx, "PUT", "/collections/x");
    g_req.api_key_header = "reader";
    g_req.body = "{\"vectors\": {\"size\": 3, \"distance\": \"Dot\"}}";
    g_req.body_len = strlen(g_req.body);
    srv_dispatch(&g_req);
    ASSERT_EQ(g_req.status, 403);
    ASSERT_STR_EQ(g_req.error, "Forbidden: Global manage access is required");
    srv_req_fini(&g_req);
    srv_req_init(&g_req, &g_ctx, "GET", "/collections");
    g_req.api_key_header = "reader";
    srv_dispatch(&g_req);
    ASSERT_EQ(g_req.status, 200);
    r = run("GET", "/livez", NULL);
    ASSERT_EQ(r->status, 200);
    g_ctx.api_key = g_ctx.ro_key = NULL;
}

int main(void) {
    vt_json_init();
    snprintf(g_dir, sizeof g_dir, "/tmp/vt_test_server_%d", (int)getpid());
    vt_db_opts o = vt_db_opts_default();
    o.no_sync = 1;
    vt_error err = {0};
    if (vt_db_open(g_dir, &o, &g_ctx.db, &err) != VT_OK) {
        printf("cannot open %s: %s\n0 passed, 1 failed\n", g_dir, err.message);
        return 1;
    }
    g_ctx.data_dir = g_dir;
    g_ctx.max_body = SRV_DEFAULT_MAX_BODY;
    g_req.fd = -1;
    RUN(test_normalize_path);
    RUN(test_const_eq_and_auth);
    RUN(test_json_depth);
    RUN(test_base64);
    RUN(test_routing_and_envelopes);
    RUN(test_bodies);
    RUN(test_points_roundtrip);
    RUN(test_scroll_order_value);
    RUN(test_payload_numbers_exact);
    RUN(test_sha256);
    RUN(test_payload_selector_paths);
    RUN(test_lookup_from_missing);
    RUN(test_create_over_alias);
    RUN(test_snapshot_checksum_and_locations);
    RUN(test_limit_clamp_and_root_commit);
    RUN(test_read_only_key);
    srv_req_fini(&g_req);
    vt_db_close(g_ctx.db);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    TEST_END();
}
