/*
 * json_write.c — JSON text from jansson values, numbers written so that they read back exactly.
 *
 * jansson's json_dumps prints every real with one fixed precision: 17 digits turn 0.15 into
 * 0.14999999999999999, and the 9 the server once used cut payload numbers such as a timestamp
 * 1700000000.123 to 1.7e9 — data lost on the way to storage. vt_json_dump writes jansson's compact
 * form (insertion order, UTF-8 as is, the same escapes) except that a real is the shortest of
 * %.15g, %.16g, %.17g that strtod reads back as the same double, as serde_json and Python's repr
 * write it (a real that looks integral gets ".0", so it stays a real when read back).
 *
 * Vectors and scores are float32. Written as doubles they would print as 0.15000000596046448;
 * vt_json_f32 turns a float into the double of its shortest decimal (the smallest of %.6g …
 * %.9g that strtof reads back as the same float; %.6g already gives any shorter one, since %g
 * drops trailing zeros and a float is far closer to its short decimal than half a unit of the
 * sixth digit; subnormals, with fewer bits, start from one digit), so that it prints as 0.15,
 * as Qdrant prints an f32.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"

typedef struct dump_buf {
    char *buf;
    size_t len, cap;
    int oom;
} dump_buf;

static void put(dump_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *nb = vt_realloc(b->buf, cap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void put_string(dump_buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c < 0x20) {
            snprintf(u, sizeof u, "\\u%04X", c);
            esc = u;
        }
        if (!esc) continue;
        put(b, s + run, i - run);
        put(b, esc, strlen(esc));
        run = i + 1;
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

static void put_real(dump_buf *b, double d) {
    char tmp[40];
    if (!isfinite(d)) { /* jansson refuses these; JSON has no spelling for them */
        put(b, "null", 4);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) break;
    }
    if (!strpbrk(tmp, ".eE")) strcat(tmp, ".0");
    put(b, tmp, strlen(tmp));
}

static void put_value(dump_buf *b, const json_t *v) {
    char tmp[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        put(b, "{", 1);
        json_object_foreach((json_t *)v, k, x) {
            if (!first) put(b, ",", 1);
            first = 0;
            put_string(b, k, strlen(k));
            put(b, ":", 1);
            put_value(b, x);
        }
        put(b, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        put(b, "[", 1);
        json_array_foreach(v, i, x) {
            if (i) put(b, ",", 1);
            put_value(b, x);
        }
        put(b, "]", 1);
        break;
    }
    case JSON_STRING: put_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(b, tmp, strlen(tmp));
        break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: put(b, "true", 4); break;
    case JSON_FALSE: put(b, "false", 5); break;
    case JSON_NULL: put(b, "null", 4); break;
    }
}

char *vt_json_dump(const json_t *v, size_t *len) {
    dump_buf b = {0};
    if (v) put_value(&b, v);
    if (b.oom || !b.buf) {
        vt_free(b.buf);
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = b.len;
    return b.buf;
}

double vt_json_f32(float f) {
    char buf[32];
    if (!isfinite(f)) return (double)f;
    /* a subnormal has fewer significant bits, so its shortest decimal may have fewer digits
     * than %.6g rounds to */
    for (int prec = fabsf(f) < FLT_MIN ? 1 : 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if (strtof(buf, NULL) == f) return strtod(buf, NULL);
    }
    return (double)f;
}
