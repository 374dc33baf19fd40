/*
 * test_json_write.c — the JSON writer (src/base/json_write.c):
 *   - every double it writes reads back bit-identical (strtod and our reader), and no shorter
 *     precision would have;
 *   - every float32 through vt_json_f32 prints as its shortest decimal and reads back as the same
 *     float;
 *   - without reals, its text is exactly jansson's compact text (escapes, order, UTF-8);
 *   - the numbers that were cut to 9 digits before (timestamps, money) survive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "test.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* significant_digits: the count of significant digits in a %g-style number ("100.0" has 1). */
static int significant_digits(const char *s) {
    char digits[64];
    int n = 0, started = 0;
    for (; *s && *s != 'e' && *s != 'E' && n < 63; s++) {
        if (*s >= '1' && *s <= '9') started = 1;
        if (started && *s >= '0' && *s <= '9') digits[n++] = *s;
    }
    while (n > 1 && digits[n - 1] == '0') n--;
    return n;
}

static void test_doubles_round_trip_shortest(void) {
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        if (i % 2) d = (double)(rnd() % 100000000) / 1000.0; /* short decimals like money and timestamps */
        json_t *a = json_pack("[f]", d);
        size_t len;
        char *text = vt_json_dump(a, &len);
        json_decref(a);
        /* "[x]" */
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(len - 2), text + 1);
        vt_free(text);
        double back = strtod(num, NULL);
        json_t *r = NULL;
        vt_error err = {0};
        char doc[80];
        snprintf(doc, sizeof doc, "[%s]", num);
        int ok = memcmp(&back, &d, sizeof d) == 0 && vt_json_parse(doc, strlen(doc), "x", &r, &err) == VT_OK &&
                 json_is_real(json_array_get(r, 0)) && json_real_value(json_array_get(r, 0)) == d;
        json_decref(r);
        /* and no shorter precision reads back */
        int digits = significant_digits(num);
        if (ok && digits > 1) {
            char shorter[400];
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, d);
            if (strtod(shorter, NULL) == d) ok = 0;
        }
        if (!ok) {
            bad++;
            fprintf(stderr, "%.17g written as %s\n", d, num);
        }
    }
    ASSERT_EQ(bad, 0);
}

static void test_floats_shortest(void) {
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        uint32_t bits = (uint32_t)rnd();
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f)) continue;
        if (i % 2) f = (float)((double)(rnd() >> 11) / 9007199254740992.0 * 2 - 1);
        json_t *a = json_pack("[f]", vt_json_f32(f));
        char *text = vt_json_dump(a, NULL);
        json_decref(a);
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)strlen(text) - 2, text + 1);
        vt_free(text);
        int ok = strtof(num, NULL) == f;
        int digits = significant_digits(num);
        for (int p = 1; ok && p < digits; p++) {
            char shorter[400];
            snprintf(shorter, sizeof shorter, "%.*g", p, (double)f);
            if (strtof(shorter, NULL) == f) ok = 0;
        }
        if (!ok) {
            bad++;
            fprintf(stderr, "%.9g written as %s\n", (double)f, num);
        }
    }
    ASSERT_EQ(bad, 0);
    char *t;
    json_t *a = json_pack("[f,f,f,f]", vt_json_f32(0.15f), vt_json_f32(0.1f), vt_json_f32(1.0f), vt_json_f32(-3.4028235e38f));
    ASSERT_STR_EQ((t = vt_json_dump(a, NULL)), "[0.15,0.1,1.0,-3.4028235e+38]");
    vt_free(t);
    json_decref(a);
}

static void test_same_text_as_jansson_without_reals(void) {
    const char *docs[] = {
        "{\"a\":1,\"b\":[true,false,null,\"x\\\"y\\\\z\\n\\t\\r\\b\\f\\u0001\\u001f/\"],\"c\":{\"\\u00e9\":\"\\ud83d\\ude00\"}}",
        "[-9223372036854775808,9223372036854775807,0,\"\",{},[]]",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":[1,[2,[3]]],\"b\":\"s p a c e\"}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *v = NULL;
        vt_error err = {0};
        ASSERT_EQ(vt_json_parse(docs[i], strlen(docs[i]), "x", &v, &err), VT_OK);
        char *ours = vt_json_dump(v, NULL), *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        ASSERT_STR_EQ(ours, theirs);
        vt_free(ours);
        vt_free(theirs);
        json_decref(v);
    }
}

static void test_payload_numbers_survive(void) {
    const char *doc = "{\"ts\":1700000000.123,\"price\":19.99,\"tiny\":1e-300,\"big\":1.7976931348623157e+308,\"x\":0.1,"
                      "\"third\":0.3333333333333333,\"r\":100.0}";
    json_t *v = NULL;
    vt_error err = {0};
    ASSERT_EQ(vt_json_parse(doc, strlen(doc), "x", &v, &err), VT_OK);
    char *t = vt_json_dump(v, NULL);
    ASSERT_STR_EQ(t, doc);
    vt_free(t);
    json_decref(v);
}

int main(void) {
    vt_json_init();
    RUN(test_doubles_round_trip_shortest);
    RUN(test_floats_shortest);
    RUN(test_same_text_as_jansson_without_reals);
    RUN(test_payload_numbers_survive);
    TEST_END();
}
