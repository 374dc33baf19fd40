/*
 * json_read.c — the JSON reader behind vt_json_parse: RFC 8259 text into jansson values.
 *
 * Why not jansson's json_loadb: its lexer copies every token into a buffer, and for every number
 * calls localeconv() and strtod and allocates through a general path. A search request carrying
 * a 512-d query vector spent 190 µs in json_loadb, more than the search it asked for. This reader
 * is a plain recursive descent over the bytes that builds the same jansson values: strings without
 * escapes go to jansson straight from the input, and numbers are converted by json_number below.
 *
 * It accepts what json_loadb accepted with JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL:
 *   - one object or array, with only whitespace around it;
 *   - strings of valid UTF-8 (RFC 3629: no overlongs, no surrogates) with the JSON escapes;
 *     \u0000 is allowed in values (read them with json_string_length) but not in object keys;
 *   - numbers in JSON's grammar: without fraction or exponent they are integers and must fit
 *     int64 ("too big integer"), otherwise doubles, and one that overflows to infinity is an
 *     error ("real number overflow");
 *   - duplicate object keys are an error; nesting is at most READ_MAX_DEPTH (jansson's 2048).
 * An error names the line and column (1-based, columns in bytes) of the byte where it was seen.
 *
 * Numbers (json_number). The significant digits go into a uint64 w (up to 19 of them) and a
 * decimal exponent e, so that the value is w × 10^e. Then, in the first case that applies:
 *   1. w <= 2^53 and |e| <= 22: w and 10^|e| are exact doubles, so the one multiplication or
 *      division rounds once and gives the correctly rounded result [Clinger 1990];
 *   2. |e| <= 27 and long double is x87's (64-bit significand): w and 10^|e| are exact long
 *      doubles, so one operation rounds once, to 64 bits. Rounding that to double (53 bits) gives
 *      the correctly rounded double unless the 11 bits it drops are within one unit of the
 *      half-way pattern 0x400: the exact value is within half a unit of what was computed, so
 *      only then could it lie on the other side of a half-way point. That is the case the
 *      17-digit decimals JSON.stringify and Python's repr write almost always take;
 *   3. anything else (more than 19 digits, larger exponents, near half-way): strtod_l in the C
 *      locale, correctly rounded by glibc.
 * So the result is always strtod's. tests/test_json_read.c checks that on millions of strings.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "utf8.h"

#define READ_MAX_DEPTH 2048
#define KEY_INLINE 64 /* object keys up to this long are held on the stack while their value is read */

typedef struct reader {
    const unsigned char *start, *p, *end;
    const unsigned char *err_at; /* where the first error was seen */
    char why[160];
    int oom;
    char *scratch; /* unescaped strings (vt_malloc) */
    size_t scratch_cap;
} reader;

static json_t *fail(reader *r, const unsigned char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_t *fail(reader *r, const unsigned char *at, const char *fmt, ...) {
    if (r->err_at || r->oom) return NULL;
    r->err_at = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *out_of_memory(reader *r) {
    r->oom = 1;
    return NULL;
}

static void skip_space(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) r->p++;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* ---- numbers ---- */

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if LDBL_MANT_DIG == 64
static const long double POW10L[28] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
                                       1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
                                       1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#endif

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* strtod_span: strtod of the n bytes at s (a valid JSON number), in the C locale. */
static double strtod_span(const unsigned char *s, size_t n, int *oom) {
    char small[128], *buf = small;
    if (n >= sizeof small && !(buf = vt_malloc(n + 1))) {
        *oom = 1;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    double x = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    if (buf != small) vt_free(buf);
    return x;
}

/* decimal_to_double: w × 10^e10 correctly rounded, when one of the fast cases (see the top)
 * decides it; returns 0 when strtod must. */
static int decimal_to_double(uint64_t w, int e10, double *out) {
    if (w == 0) {
        *out = 0.0;
        return 1;
    }
    if (w <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
        double x = (double)w;
        *out = e10 < 0 ? x / POW10[-e10] : x * POW10[e10];
        return 1;
    }
#if LDBL_MANT_DIG == 64
    if (e10 >= -27 && e10 <= 27) {
        long double x = (long double)w;
        x = e10 < 0 ? x / POW10L[-e10] : x * POW10L[e10];
        union {
            long double ld;
            uint64_t significand; /* x87: the low 8 bytes hold the 64-bit significand */
        } u;
        memset(&u, 0, sizeof u);
        u.ld = x;
        unsigned dropped = (unsigned)(u.significand & 0x7ff);
        if (dropped < 0x3ff || dropped > 0x401) {
            *out = (double)x;
            return 1;
        }
    }
#endif
    return 0;
}

static json_t *json_number(reader *r) {
    const unsigned char *s = r->p, *p = r->p, *end = r->end;
    int negative = 0;
    if (*p == '-') negative = 1, p++;
    if (p == end || !is_digit(*p)) return fail(r, s, "invalid number");
    uint64_t w = 0;
    int digits = 0, too_many = 0, e10 = 0, integer = 1;
    if (*p == '0') {
        p++;
    } else {
        for (; p < end && is_digit(*p); p++) {
            if (digits < 19) w = w * 10 + (uint64_t)(*p - '0'), digits++;
            else too_many = 1;
        }
    }
    if (p < end && *p == '.') {
        integer = 0;
        p++;
        if (p == end || !is_digit(*p)) return fail(r, s, "invalid number");
        for (; p < end && is_digit(*p); p++) {
            if (w == 0 && *p == '0') {
                e10--; /* a leading zero of the fraction: not a significant digit */
            } else if (digits < 19) {
                w = w * 10 + (uint64_t)(*p - '0'), digits++;
                e10--;
            } else {
                too_many = 1;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        int exp_negative = 0;
        if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
        if (p == end || !is_digit(*p)) return fail(r, s, "invalid number");
        int x = 0;
        for (; p < end && is_digit(*p); p++)
            if (x < 100000) x = x * 10 + (*p - '0');
        e10 += exp_negative ? -x : x;
    }
    r->p = p;
    if (integer) {
        /* more than 19 digits, or 19 past int64's range, do not fit */
        if (too_many || w > (uint64_t)INT64_MAX + (uint64_t)negative)
            return fail(r, s, negative ? "too big negative integer" : "too big integer");
        json_int_t v = negative ? (json_int_t)(0 - w) : (json_int_t)w;
        json_t *j = json_integer(v);
        return j ? j : out_of_memory(r);
    }
    double x;
    if (too_many || !decimal_to_double(w, e10, &x)) {
        x = strtod_span(s, (size_t)(p - s), &r->oom);
        if (r->oom) return NULL;
        if (isinf(x)) return fail(r, s, "real number overflow");
    } else if (negative) {
        x = -x;
    }
    json_t *j = json_real(x);
    return j ? j : out_of_memory(r);
}

/* ---- strings ---- */

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *out) {
    if (end - p < 4) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[2] = (char)(0x80 | (cp & 0x3f)), 3;
    o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* read_string: the string at r->p (its opening quote). Returns its bytes and length: a span of
 * the input when it has no escapes (not NUL-terminated), else the unescaped copy in r->scratch
 * (NUL-terminated). NULL on error. */
static const char *read_string(reader *r, size_t *len) {
    const unsigned char *open = r->p, *p = r->p + 1, *end = r->end;
    int has_escape = 0;
    while (p < end && *p != '"') {
        unsigned char c = *p;
        if (c == '\\') {
            has_escape = 1;
            p += 2; /* the escape's validity is checked while unescaping */
        } else if (c < 0x20) {
            return (const char *)fail(r, p, "control character 0x%x in string", c);
        } else if (c < 0x80) {
            p++;
        } else {
            size_t n = vt_utf8_sequence(p, (size_t)(end - p));
            if (!n) return (const char *)fail(r, p, "invalid UTF-8 byte 0x%02x in string", c);
            p += n;
        }
    }
    if (p >= end) return (const char *)fail(r, open, "premature end of input in string");
    r->p = p + 1;
    if (!has_escape) {
        *len = (size_t)(p - open - 1);
        return (const char *)open + 1;
    }
    size_t need = (size_t)(p - open) + 1; /* unescaping never lengthens */
    if (need > r->scratch_cap) {
        char *s = vt_realloc(r->scratch, need);
        if (!s) return (const char *)out_of_memory(r);
        r->scratch = s;
        r->scratch_cap = need;
    }
    char *o = r->scratch;
    for (const unsigned char *q = open + 1; q < p;) {
        if (*q != '\\') {
            *o++ = (char)*q++;
            continue;
        }
        const unsigned char *at = q;
        q++;
        switch (*q++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (!hex4(q, p, &cp)) return (const char *)fail(r, at, "invalid escape");
            q += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) return (const char *)fail(r, at, "invalid Unicode '\\u%04X'", cp);
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4(q + 2, p, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return (const char *)fail(r, at, "invalid Unicode '\\u%04X'", cp);
                q += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            o += put_utf8(o, cp);
            break;
        }
        default: return (const char *)fail(r, at, "invalid escape");
        }
    }
    *o = '\0';
    *len = (size_t)(o - r->scratch);
    return r->scratch;
}

/* ---- values ---- */

static json_t *read_value(reader *r, int depth);

static json_t *read_literal(reader *r, const char *word, size_t n, json_t *value) {
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return fail(r, r->p, "invalid token");
    r->p += n;
    return value;
}

static json_t *read_array(reader *r, int depth) {
    if (depth > READ_MAX_DEPTH) return fail(r, r->p, "maximum parsing depth reached");
    r->p++; /* [ */
    json_t *a = json_array();
    if (!a) return out_of_memory(r);
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        json_t *v = read_value(r, depth);
        if (!v) goto bad;
        if (json_array_append_new(a, v)) {
            out_of_memory(r);
            goto bad;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        fail(r, r->p, r->p < r->end ? "']' or ',' expected" : "premature end of input");
        goto bad;
    }
bad:
    json_decref(a);
    return NULL;
}

static json_t *read_object(reader *r, int depth) {
    if (depth > READ_MAX_DEPTH) return fail(r, r->p, "maximum parsing depth reached");
    r->p++; /* { */
    json_t *obj = json_object();
    if (!obj) return out_of_memory(r);
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return obj;
    }
    for (;;) {
        skip_space(r);
        if (r->p >= r->end || *r->p != '"') {
            fail(r, r->p, r->p < r->end ? "string or '}' expected" : "premature end of input");
            goto bad;
        }
        const unsigned char *key_at = r->p;
        size_t n;
        const char *k = read_string(r, &n);
        if (!k) goto bad;
        if (memchr(k, '\0', n)) {
            fail(r, key_at, "NUL byte in object key not supported");
            goto bad;
        }
        /* the key must outlive reading its value, which may reuse r->scratch */
        char inline_key[KEY_INLINE + 1], *key = inline_key;
        if (n > KEY_INLINE && !(key = vt_malloc(n + 1))) {
            out_of_memory(r);
            goto bad;
        }
        memcpy(key, k, n);
        key[n] = '\0';
        if (json_object_get(obj, key)) {
            fail(r, key_at, "duplicate object key");
        } else {
            skip_space(r);
            if (r->p < r->end && *r->p == ':') {
                r->p++;
                json_t *v = read_value(r, depth);
                if (v && json_object_set_new_nocheck(obj, key, v)) out_of_memory(r);
            } else {
                fail(r, r->p, r->p < r->end ? "':' expected" : "premature end of input");
            }
        }
        if (key != inline_key) vt_free(key);
        if (r->err_at || r->oom) goto bad;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return obj;
        }
        fail(r, r->p, r->p < r->end ? "'}' or ',' expected" : "premature end of input");
        goto bad;
    }
bad:
    json_decref(obj);
    return NULL;
}

static json_t *read_value(reader *r, int depth) {
    skip_space(r);
    if (r->p >= r->end) return fail(r, r->p, "premature end of input");
    switch (*r->p) {
    case '{': return read_object(r, depth + 1);
    case '[': return read_array(r, depth + 1);
    case '"': {
        size_t n;
        const char *s = read_string(r, &n);
        if (!s) return NULL;
        json_t *v = json_stringn_nocheck(s, n);
        return v ? v : out_of_memory(r);
    }
    case 't': return read_literal(r, "true", 4, json_true());
    case 'f': return read_literal(r, "false", 5, json_false());
    case 'n': return read_literal(r, "null", 4, json_null());
    default:
        if (*r->p == '-' || is_digit(*r->p)) return json_number(r);
        return fail(r, r->p, "invalid token");
    }
}

int vt_json_read(const char *data, size_t len, json_t **out, vt_json_read_error *e) {
    reader r;
    memset(&r, 0, sizeof r);
    r.start = r.p = (const unsigned char *)data;
    r.end = r.start + len;
    *out = NULL;
    json_t *v = NULL;
    skip_space(&r);
    if (r.p < r.end && (*r.p == '{' || *r.p == '[')) {
        v = read_value(&r, 0);
        if (v) {
            skip_space(&r);
            if (r.p != r.end) {
                fail(&r, r.p, "end of file expected");
                json_decref(v);
                v = NULL;
            }
        }
    } else {
        fail(&r, r.p, r.p < r.end ? "'[' or '{' expected" : "premature end of input");
    }
    vt_free(r.scratch);
    if (r.oom) {
        json_decref(v);
        return VT_ENOMEM;
    }
    if (!v) {
        e->line = 1, e->column = 1;
        for (const unsigned char *q = r.start; q < r.err_at; q++) {
            if (*q == '\n') e->line++, e->column = 1;
            else e->column++;
        }
        snprintf(e->why, sizeof e->why, "%s", r.why);
        return VT_ECORRUPT;
    }
    *out = v;
    return VT_OK;
}
