/*
 * fuzz_json_read.c — libFuzzer harness for the JSON reader (src/base/json_read.c), checked
 * against jansson: any bytes are read by both vt_json_read and json_loadb (with the flags
 * vt_json_parse used to pass it, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL); both must accept or
 * both refuse, and what they accept must be json_equal. Every real number must also be
 * bit-identical to jansson's (json_equal compares reals with ==, which takes -0.0 for 0.0).
 * What the reader accepts must also survive the writer: vt_json_dump's text reads back as an
 * equal document with bit-identical reals.
 * One known difference: jansson takes a raw NUL byte outside a string for the end of its input
 * and may accept "[1\0]"; the reader refuses it. Inputs with a raw NUL are only checked for
 * equal values when both accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same_reals: 1 if every real in a has the same bits as its counterpart in b (same shape). */
static int same_reals(json_t *a, json_t *b) {
    if (json_is_real(a)) {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (json_is_array(a)) {
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_reals(json_array_get(a, i), json_array_get(b, i))) return 0;
    } else if (json_is_object(a)) {
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) if (!same_reals(v, json_object_get(b, k))) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vt_json_init();
    json_error_t je;
    json_t *want = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    json_t *got = NULL;
    vt_json_read_error e;
    int rc = vt_json_read((const char *)data, size, &got, &e);
    if (rc == VT_ENOMEM) abort();
    if ((want != NULL) != (rc == VT_OK) && !memchr(data, '\0', size)) abort();
    if (want && got && (!json_equal(want, got) || !same_reals(want, got))) abort();
    if (got) {
        size_t len;
        char *text = vt_json_dump(got, &len);
        if (!text) abort();
        json_t *again = NULL;
        if (vt_json_read(text, len, &again, &e) != VT_OK || !json_equal(got, again) || !same_reals(got, again)) abort();
        json_decref(again);
        vt_free(text);
    }
    json_decref(want);
    json_decref(got);
    return 0;
}
