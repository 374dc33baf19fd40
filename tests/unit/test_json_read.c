/*
 * test_json_read.c — the JSON reader (src/base/json_read.c) against its two references:
 *   - every number it converts is bit-identical to glibc's strtod, over ~1.5 million strings:
 *     %.17g and %.9g of random doubles and floats (what JSON.stringify and Python's repr
 *     write), random digit strings with random exponents, and decimals within a hair of the
 *     half-way point between two doubles (the case its fast path must hand to strtod);
 *   - on random documents and on mutations of them, it accepts exactly what jansson's
 *     json_loadb (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) accepts, and builds equal values;
 * plus the edge cases by name (int64 bounds, escapes, surrogates, NUL, depth, error positions)
 * and allocation failure at every step.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "test.h"

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

/* ---- numbers against strtod ---- */

typedef struct numbuf {
    char *text;      /* "[n0,n1,…]" */
    size_t len, cap;
    char **items;    /* each number's text */
    size_t n, max;
} numbuf;

static void nb_add(numbuf *b, const char *s) {
    size_t k = strlen(s);
    if (b->len + k + 3 > b->cap) {
        b->cap = (b->len + k + 3) * 2;
        b->text = realloc(b->text, b->cap);
    }
    if (b->n == b->max) {
        b->max = b->max ? b->max * 2 : 1024;
        b->items = realloc(b->items, b->max * sizeof *b->items);
    }
    b->text[b->len++] = b->n ? ',' : '[';
    memcpy(b->text + b->len, s, k);
    b->len += k;
    b->items[b->n++] = strdup(s);
}

/* nb_check: parses the batch and compares every element with strtod, bit for bit. Returns the
 * number of mismatches (printing the first few). */
static int nb_check(numbuf *b) {
    b->text[b->len++] = ']';
    json_t *a = NULL;
    vt_error err = {0};
    int bad = 0;
    if (vt_json_parse(b->text, b->len, "numbers", &a, &err)) {
        fprintf(stderr, "batch did not parse: %s\n", err.message);
        bad = 1;
    } else {
        for (size_t i = 0; i < b->n; i++) {
            json_t *v = json_array_get(a, i);
            double want = strtod(b->items[i], NULL);
            double got = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
            int integral = !strpbrk(b->items[i], ".eE"); /* JSON reads these as integers */
            if (json_is_integer(v) != integral || memcmp(&want, &got, sizeof want) != 0) {
                if (bad++ < 5) fprintf(stderr, "%s: reader %.17g, strtod %.17g\n", b->items[i], got, want);
            }
        }
    }
    json_decref(a);
    for (size_t i = 0; i < b->n; i++) free(b->items[i]);
    b->n = 0;
    b->len = 0;
    return bad;
}

static double random_double(void) {
    for (;;) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d)) return d;
    }
}

static void test_numbers_match_strtod(void) {
    numbuf b = {0};
    char s[128];
    int bad = 0;
    for (int round = 0; round < 150; round++) {
        for (int i = 0; i < 10000; i++) {
            switch (i % 8) {
            case 0: snprintf(s, sizeof s, "%.17g", random_double()); break;
            case 1: snprintf(s, sizeof s, "%.17g", (double)(float)((double)(rnd() >> 11) / 9007199254740992.0 * 2 - 1)); break;
            case 2: snprintf(s, sizeof s, "%.9g", (double)(float)((double)(rnd() >> 11) / 9007199254740992.0 * 200 - 100)); break;
            case 3: snprintf(s, sizeof s, "%.16g", (double)(rnd() >> 11) / 9007199254740992.0 * 2 - 1); break;
            case 4: { /* random digits, a decimal point somewhere, a random exponent */
                int nd = 1 + rnd_int(24), point = rnd_int(nd + 1), k = 0;
                if (rnd_int(2)) s[k++] = '-';
                for (int d = 0; d < nd; d++) {
                    if (d == point && d > 0) s[k++] = '.';
                    s[k++] = (char)('0' + (d == 0 && nd > 1 ? 1 + rnd_int(9) : rnd_int(10)));
                }
                if (rnd_int(2)) k += snprintf(s + k, sizeof s - (size_t)k, "e%d", rnd_int(90) - 45);
                s[k] = '\0';
                if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL) strcat(s, ".0");
                break;
            }
            case 5: { /* near the half-way point between a double and the next */
                double d = fabs(random_double());
                if (d < 1e-300 || d > 1e300) d = 1.0 + (double)(rnd() >> 11) / 9007199254740992.0;
                long double mid = ((long double)d + (long double)nextafter(d, INFINITY)) / 2;
                snprintf(s, sizeof s, "%.*Le", 15 + rnd_int(8), mid);
                break;
            }
            case 6: { /* 17 significant digits around 1, the common case, below and above 2^53 */
                uint64_t w = 10000000000000000ull + rnd() % 90000000000000000ull;
                snprintf(s, sizeof s, "0.%017llu", (unsigned long long)w);
                break;
            }
            default: { /* short decimals: the Clinger fast path */
                snprintf(s, sizeof s, "%lld.%03de%d", (long long)(rnd() % 100000) - 50000, rnd_int(1000), rnd_int(40) - 20);
                break;
            }
            }
            nb_add(&b, s);
        }
        bad += nb_check(&b);
    }
    /* and by name: exact powers, 2^53 ± 1 (a half-way case), extremes, signed zeros */
    static const char *named[] = {"9007199254740993.0", "9007199254740992.0", "9007199254740995e0", "1e22", "1e23",
                                  "1.7976931348623157e308", "4.9406564584124654e-324", "2.2250738585072014e-308",
                                  "-0.0", "0.0e5", "1e-400", "123456789012345678901234567890.5", "0.1", "0.30000000000000004",
                                  "1.00000000000000011102230246251565404236316680908203125",
                                  "1.00000000000000011102230246251565404236316680908203124", "7.2057594037927933e16"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) nb_add(&b, named[i]);
    bad += nb_check(&b);
    free(b.text);
    free(b.items);
    ASSERT_EQ(bad, 0);
}

static void test_integers(void) {
    json_t *a = NULL;
    vt_error err = {0};
    const char *ok = "[9223372036854775807, -9223372036854775808, 0, -0, 1234567890123456789]";
    ASSERT_EQ(vt_json_parse(ok, strlen(ok), "x", &a, &err), VT_OK);
    ASSERT_TRUE(json_integer_value(json_array_get(a, 0)) == INT64_MAX);
    ASSERT_TRUE(json_integer_value(json_array_get(a, 1)) == INT64_MIN);
    ASSERT_TRUE(json_is_integer(json_array_get(a, 3)) && json_integer_value(json_array_get(a, 3)) == 0);
    ASSERT_TRUE(json_integer_value(json_array_get(a, 4)) == 1234567890123456789ll);
    json_decref(a);
    static const char *big[] = {"[9223372036854775808]", "[-9223372036854775809]", "[12345678901234567890]",
                                "[100000000000000000000000]"};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ(vt_json_parse(big[i], strlen(big[i]), "x", &a, &err), VT_ECORRUPT);
        ASSERT_STR_CONTAINS(err.message, "too big");
    }
}

/* ---- structure and errors ---- */

static void expect_error(const char *doc, size_t len, const char *why, int line, int column) {
    json_t *v = (json_t *)1;
    vt_json_read_error e;
    int rc = vt_json_read(doc, len, &v, &e);
    if (rc != VT_ECORRUPT || v != NULL) {
        fprintf(stderr, "accepted %.*s\n", (int)len, doc);
        t_cur_failed = 1;
        json_decref(v);
        return;
    }
    if (!strstr(e.why, why) || (line && (e.line != line || e.column != column))) {
        fprintf(stderr, "%.*s: got \"%s\" at %d:%d, want \"%s\" at %d:%d\n", (int)len, doc, e.why, e.line, e.column,
                why, line, column);
        t_cur_failed = 1;
    }
}
#define ERR(doc, why, line, col) expect_error(doc, sizeof(doc) - 1, why, line, col)

static void test_errors(void) {
    ERR("", "premature end", 1, 1);
    ERR("  1", "'[' or '{' expected", 1, 3);
    ERR("\"s\"", "'[' or '{' expected", 1, 1);
    ERR("[1,]", "invalid token", 1, 4);
    ERR("[01]", "']' or ',' expected", 1, 3);
    ERR("[1] x", "end of file expected", 1, 5);
    ERR("{\"a\" 1}", "':' expected", 1, 6);
    ERR("{\"a\":1,\"a\":2}", "duplicate object key", 1, 8);
    ERR("{\"a\":1,}", "string or '}' expected", 1, 8);
    ERR("{1:2}", "string or '}' expected", 1, 2);
    ERR("[1,\n  x]", "invalid token", 2, 3);
    ERR("[tru]", "invalid token", 1, 2);
    ERR("[1e400]", "real number overflow", 1, 2);
    ERR("[-]", "invalid number", 1, 2);
    ERR("[1.]", "invalid number", 1, 2);
    ERR("[1e+]", "invalid number", 1, 2);
    ERR("[.5]", "invalid token", 1, 2);
    ERR("[\"abc]", "premature end of input in string", 1, 2);
    ERR("[\"a\x01\"]", "control character 0x1", 1, 4);
    ERR("[\"\xc3\x28\"]", "invalid UTF-8", 1, 3);
    ERR("[\"\xed\xa0\x80\"]", "invalid UTF-8", 1, 3); /* an encoded surrogate */
    ERR("[\"\xc0\xaf\"]", "invalid UTF-8", 1, 3);     /* an overlong '/' */
    ERR("[\"\\ud800\"]", "invalid Unicode '\\uD800'", 1, 3);
    ERR("[\"\\udc00\"]", "invalid Unicode '\\uDC00'", 1, 3);
    ERR("[\"\\ud800\\u0041\"]", "invalid Unicode", 1, 3);
    ERR("[\"\\x\"]", "invalid escape", 1, 3);
    ERR("[\"\\u12G4\"]", "invalid escape", 1, 3);
    ERR("{\"a\\u0000b\":1}", "NUL byte in object key", 1, 2);
    ERR("[1 2]", "']' or ',' expected", 1, 4);
    ERR("{\"a\":1", "premature end of input", 1, 7);
}

static void test_values(void) {
    json_t *v = NULL;
    vt_error err = {0};
    const char *doc = " {\"s\":\"a\\u0000b\\n\\\"\\/\\u00e9\\ud83d\\ude00\", \"t\":true, \"f\":false, \"n\":null,"
                      " \"r\":-0.0, \"e\":1E+2, \"o\":{}, \"a\":[], \"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"} \n";
    ASSERT_EQ(vt_json_parse(doc, strlen(doc), "x", &v, &err), VT_OK);
    json_t *s = json_object_get(v, "s");
    ASSERT_EQ(json_string_length(s), 12);
    ASSERT_TRUE(memcmp(json_string_value(s), "a\0b\n\"/\xc3\xa9\xf0\x9f\x98\x80", 12) == 0);
    ASSERT_TRUE(json_is_true(json_object_get(v, "t")) && json_is_false(json_object_get(v, "f")));
    ASSERT_TRUE(json_is_null(json_object_get(v, "n")));
    ASSERT_TRUE(json_is_real(json_object_get(v, "r")) && signbit(json_real_value(json_object_get(v, "r"))));
    ASSERT_TRUE(json_is_real(json_object_get(v, "e")) && json_real_value(json_object_get(v, "e")) == 100.0);
    ASSERT_STR_EQ(json_string_value(json_object_get(v, "u")), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    ASSERT_EQ(json_object_size(v), 9);
    json_decref(v);
    /* a key longer than the reader's inline buffer, and an escaped key */
    char big[400];
    snprintf(big, sizeof big, "{\"%0300d\":1, \"k\\u00e9\":[\"\\t\"]}", 7);
    ASSERT_EQ(vt_json_parse(big, strlen(big), "x", &v, &err), VT_OK);
    ASSERT_EQ(json_object_size(v), 2);
    ASSERT_TRUE(json_object_get(v, "k\xc3\xa9") != NULL);
    json_decref(v);
}

static void test_depth(void) {
    char doc[2 * 2100];
    for (int depth = 2048; depth <= 2049; depth++) {
        memset(doc, '[', (size_t)depth);
        memset(doc + depth, ']', (size_t)depth);
        json_t *v = NULL;
        vt_json_read_error e;
        int rc = vt_json_read(doc, 2 * (size_t)depth, &v, &e);
        if (depth == 2048) {
            ASSERT_EQ(rc, VT_OK);
            json_decref(v);
        } else {
            ASSERT_EQ(rc, VT_ECORRUPT);
            ASSERT_STR_CONTAINS(e.why, "maximum parsing depth");
        }
    }
}

/* ---- documents against jansson ---- */

static void gen_string(char *o, size_t *k) {
    static const char *parts[] = {"a", "b", "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9", " ", "\\u0000", "xyz"};
    o[(*k)++] = '"';
    int n = rnd_int(5);
    for (int i = 0; i < n; i++) *k += (size_t)sprintf(o + *k, "%s", parts[rnd_int(10)]);
    o[(*k)++] = '"';
}

static void gen_value(char *o, size_t *k, size_t cap, int depth) {
    if (*k > cap - 200) {
        *k += (size_t)sprintf(o + *k, "0");
        return;
    }
    int kind = depth > 5 ? 3 + rnd_int(5) : rnd_int(8);
    switch (kind) {
    case 0:
    case 1: {
        int n = rnd_int(5);
        o[(*k)++] = '{';
        for (int i = 0; i < n; i++) {
            if (i) o[(*k)++] = ',';
            *k += (size_t)sprintf(o + *k, " \"k%d\" : ", rnd_int(3) ? i : rnd_int(4));
            gen_value(o, k, cap, depth + 1);
        }
        o[(*k)++] = '}';
        break;
    }
    case 2: {
        int n = rnd_int(6);
        o[(*k)++] = '[';
        for (int i = 0; i < n; i++) {
            if (i) o[(*k)++] = ',';
            gen_value(o, k, cap, depth + 1);
        }
        o[(*k)++] = ']';
        break;
    }
    case 3: gen_string(o, k); break;
    case 4: *k += (size_t)sprintf(o + *k, "%lld", (long long)(rnd() >> rnd_int(64)) * (rnd_int(2) ? 1 : -1)); break;
    case 5: *k += (size_t)sprintf(o + *k, "%.*g", 1 + rnd_int(17), random_double()); break;
    case 6: *k += (size_t)sprintf(o + *k, "%s", rnd_int(2) ? "true" : "null"); break;
    default: *k += (size_t)sprintf(o + *k, "%de%d", rnd_int(2000) - 1000, rnd_int(20) - 10); break;
    }
}

static void test_documents_match_jansson(void) {
    static char doc[8192];
    int disagree = 0, accepted = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        size_t k = 0;
        doc[k++] = rnd_int(2) ? '[' : '{';
        int n = rnd_int(4);
        for (int j = 0; j < n; j++) {
            if (j) doc[k++] = ',';
            if (doc[0] == '{') k += (size_t)sprintf(doc + k, "\"f%d\":", rnd_int(4));
            gen_value(doc, &k, sizeof doc - 300, 1);
        }
        doc[k++] = doc[0] == '[' ? ']' : '}';
        if (i % 2) { /* a mutation: a byte changed, dropped or doubled */
            size_t at = (size_t)rnd_int((int)k);
            static const char bytes[] = "{}[],:\"\\0-.eE \x80\xff\x01tu";
            int how = rnd_int(3);
            if (how == 0) doc[at] = bytes[rnd_int((int)sizeof bytes - 1)];
            else if (how == 1) memmove(doc + at, doc + at + 1, k-- - at - 1);
            else if (k < sizeof doc - 1) memmove(doc + at + 1, doc + at, k++ - at);
        }
        json_error_t je;
        json_t *want = json_loadb(doc, k, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je), *got = NULL;
        vt_json_read_error e;
        int rc = vt_json_read(doc, k, &got, &e);
        int same = want ? rc == VT_OK && json_equal(want, got) : rc == VT_ECORRUPT;
        /* jansson's one known difference: it turns integers that overflow into an error but also
         * some 20-digit ones we both refuse; anything else is a bug */
        if (!same && disagree++ < 5)
            fprintf(stderr, "disagree on %.*s\n  jansson: %s; reader: %s\n", (int)k, doc, want ? "ok" : je.text,
                    rc ? e.why : "ok");
        want ? accepted++ : refused++;
        json_decref(want);
        json_decref(got);
    }
    fprintf(stderr, "documents: %d accepted and %d refused by both readers\n", accepted, refused);
    ASSERT_TRUE(accepted > 5000 && refused > 2000);
    ASSERT_EQ(disagree, 0);
}

static void test_out_of_memory(void) {
    /* escaped strings and long keys use the reader's own (injectable) allocations */
    char doc[1024];
    snprintf(doc, sizeof doc, "{\"%0200d\":[\"a\\n%0150d\"], \"b\\t\":{\"%0100d\":\"x\\u00e9\"}}", 1, 2, 3);
    int64_t before = vt_alloc_live_bytes();
    int saw_oom = 0;
    for (int k = 1; k < 50; k++) {
        vt_alloc_fail_at(k);
        json_t *v = NULL;
        vt_error err = {0};
        int rc = vt_json_parse(doc, strlen(doc), "x", &v, &err);
        vt_alloc_fail_at(0);
        ASSERT_TRUE(rc == VT_OK || rc == VT_ENOMEM);
        if (rc == VT_ENOMEM) {
            saw_oom = 1;
            ASSERT_TRUE(v == NULL);
        }
        json_decref(v);
        ASSERT_EQ(vt_alloc_live_bytes(), before);
    }
    ASSERT_TRUE(saw_oom);
}

int main(void) {
    vt_json_init();
    RUN(test_numbers_match_strtod);
    RUN(test_integers);
    RUN(test_errors);
    RUN(test_values);
    RUN(test_depth);
    RUN(test_documents_match_jansson);
    RUN(test_out_of_memory);
    TEST_END();
}
