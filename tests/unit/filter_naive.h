/*
 * filter_naive.h — test support shared by test_filter.c and test_payload_index.c: a naive
 * reference evaluator of Qdrant filters and generators of random payloads and filters.
 *
 * The naive evaluator is written separately from src/db/filter*.c, straight from the rules at
 * the top of filter.c (Qdrant's semantics): it interprets the filter's JSON directly on every
 * call, walks key paths with its own little splitter, tokenises ASCII text itself, and knows
 * datetimes and UUIDs only through the generator's tables (every datetime / UUID string the
 * generator emits comes with its true value), so it shares no parsing code with the engine.
 * Differential tests then mean something: the compiled evaluator and the index-based one must
 * agree with it on every random case.
 */
#ifndef VT_TEST_FILTER_NAIVE_H
#define VT_TEST_FILTER_NAIVE_H

#include <ctype.h>
#include <stdio.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitrine.h"

/* ---- random numbers ---- */

static uint64_t nv_rng = 88172645463325252ull;
static uint64_t nv_next(void) {
    uint64_t z = (nv_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int nv_rand(int n) { return (int)(nv_next() % (uint64_t)n); }

/* ---- generator tables (the naive evaluator's only knowledge of datetimes and UUIDs) ---- */

typedef struct nv_dt {
    const char *s; /* as written in payloads / filters */
    int64_t us;    /* its instant, microseconds since the epoch (0 with ok 0: not a datetime) */
    int ok;        /* 1 if it is a datetime */
} nv_dt;

static const nv_dt nv_dts[] = {
    {"2020-01-01T00:00:00Z", 1577836800000000ll, 1},
    {"2020-01-01T01:00:00+01:00", 1577836800000000ll, 1},
    {"2019-12-31T23:00:00-01:00", 1577836800000000ll, 1},
    {"2020-01-01 00:00:01", 1577836801000000ll, 1},
    {"2020-01-01T00:00:00.5Z", 1577836800500000ll, 1},
    {"2020-02-29", 1582934400000000ll, 1},
    {"2020-03-01T12:30:00+0530", 1583046000000000ll, 1},
    {"2021-06-15T08:00:00Z", 1623744000000000ll, 1},
    {"1999-12-31T23:59:59.999999Z", 946684799999999ll, 1},
    {"2020-01-01 10:00", 1577872800000000ll, 1},
    {"2020-01-01T00:30:00-00:30", 1577840400000000ll, 1},
    {"2020-01-01T00:59:59Z", 1577840399000000ll, 1},
    {"2020-01-01 00:00", 1577836800000000ll, 1},
    {"2020-01-01T00:00:01Z", 1577836801000000ll, 1},
    {"2020-01-01", 1577836800000000ll, 1},
    {"2019-12-31T23:00:00Z", 1577833200000000ll, 1},
    {"garbage", 0, 0},
    {"not a date", 0, 0},
    {"2020-13-01T00:00:00Z", 0, 0},
    {"2021-02-29", 0, 0},
};
#define NV_N_DT ((int)(sizeof nv_dts / sizeof nv_dts[0]))

typedef struct nv_uuid {
    const char *s;     /* as written */
    const char *canon; /* lowercase hyphenated form, NULL if not a UUID */
} nv_uuid;

static const nv_uuid nv_uuids[] = {
    {"550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000"},
    {"550E8400-E29B-41D4-A716-446655440000", "550e8400-e29b-41d4-a716-446655440000"},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
    {"6ba7b8109dad11d180b400c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
    {"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001"},
    {"not-a-uuid", NULL},
};
#define NV_N_UUID ((int)(sizeof nv_uuids / sizeof nv_uuids[0]))

static const char *nv_words[] = {"red", "green", "blue", "shoe", "dress", "Red", "BLUE", "x1"};
#define NV_N_WORDS 8
static const char *nv_kw[] = {"a", "b", "c", "", "A", "long keyword"};
#define NV_N_KW 6

/* nv_dt_of: the table entry for a string, NULL if the generator never made it. */
static const nv_dt *nv_dt_of(const char *s) {
    for (int i = 0; i < NV_N_DT; i++)
        if (!strcmp(nv_dts[i].s, s)) return &nv_dts[i];
    return NULL;
}

static const char *nv_uuid_canon(const char *s) {
    for (int i = 0; i < NV_N_UUID; i++)
        if (!strcmp(nv_uuids[i].s, s)) return nv_uuids[i].canon;
    return NULL;
}

/* ---- random payloads ---- */

static json_t *nv_sentence(void) {
    char buf[128] = "";
    int n = nv_rand(4);
    for (int i = 0; i < n; i++) {
        strcat(buf, nv_words[nv_rand(NV_N_WORDS)]);
        strcat(buf, nv_rand(3) ? " " : ", ");
    }
    return json_string(buf);
}

static json_t *nv_scalar(void) {
    switch (nv_rand(9)) {
    case 0: return json_null();
    case 1: return json_integer(nv_rand(5) - 1);
    case 2: return json_real(nv_rand(9) / 2.0 - 1);
    case 3: return json_boolean(nv_rand(2));
    case 4: return json_string(nv_kw[nv_rand(NV_N_KW)]);
    case 5: return json_string(nv_dts[nv_rand(NV_N_DT)].s);
    case 6: return json_string(nv_uuids[nv_rand(NV_N_UUID)].s);
    case 7: return nv_sentence();
    default: return json_integer(nv_rand(3));
    }
}

/* nv_value: a value biased towards `kind` (0 keyword, 1 int, 2 float, 3 bool, 4 datetime,
 * 5 uuid, 6 text), sometimes an array of those, sometimes anything. */
static json_t *nv_value(int kind, int depth) {
    int r = nv_rand(12);
    if (r == 0) return nv_scalar();
    if (r == 2) return json_null();
    if (r == 1 && depth < 2) {
        json_t *a = json_array();
        int n = nv_rand(4);
        for (int i = 0; i < n; i++) json_array_append_new(a, nv_value(kind, depth + 1));
        return a;
    }
    switch (kind) {
    case 0: return json_string(nv_kw[nv_rand(NV_N_KW)]);
    case 1: return nv_rand(8) ? json_integer(nv_rand(7) - 2) : json_real(nv_rand(7) - 2.5);
    case 2: return nv_rand(2) ? json_real(nv_rand(13) / 4.0 - 1) : json_integer(nv_rand(4));
    case 3: return json_boolean(nv_rand(2));
    case 4: return json_string(nv_dts[nv_rand(NV_N_DT)].s);
    case 5: return json_string(nv_uuids[nv_rand(NV_N_UUID)].s);
    default: return nv_sentence();
    }
}

/* Payload keys: k keyword, n integer, f float, b bool, d datetime, u uuid, t text, o.p int
 * (nested object), arr [{x: int, y: keyword}], tags [keyword] */
static json_t *nv_payload(void) {
    json_t *p = json_object();
    static const char *keys[7] = {"k", "n", "f", "b", "d", "u", "t"};
    for (int i = 0; i < 7; i++)
        if (nv_rand(5)) json_object_set_new(p, keys[i], nv_value(i, 0));
    if (nv_rand(2)) {
        json_t *o = json_object();
        if (nv_rand(4)) json_object_set_new(o, "p", nv_value(1, 0));
        json_object_set_new(p, "o", nv_rand(6) ? o : (json_decref(o), json_null()));
    }
    if (nv_rand(2)) {
        json_t *a = json_array();
        int n = nv_rand(4);
        for (int i = 0; i < n; i++) {
            if (!nv_rand(6)) {
                json_array_append_new(a, nv_scalar());
                continue;
            }
            json_t *e = json_object();
            if (nv_rand(4)) json_object_set_new(e, "x", nv_value(1, 1));
            if (nv_rand(4)) json_object_set_new(e, "y", nv_value(0, 1));
            json_array_append_new(a, e);
        }
        json_object_set_new(p, "arr", a);
    }
    if (nv_rand(2)) {
        json_t *a = json_array();
        int n = nv_rand(4);
        for (int i = 0; i < n; i++) json_array_append_new(a, json_string(nv_kw[nv_rand(NV_N_KW)]));
        json_object_set_new(p, "tags", a);
    }
    return p;
}

/* nv_id: the id of slot i, distinct per i: slots 2, 5 and 8 get the three table UUIDs, every
 * other slot the integer i. */
static vt_point_id nv_id(int i) {
    vt_point_id id = {0};
    if (i == 2 || i == 5 || i == 8) {
        id.is_uuid = 1;
        const char *c = nv_uuids[i == 2 ? 0 : i == 5 ? 2 : 4].canon;
        for (int b = 0, j = 0; b < 16; b++) {
            if (c[j] == '-') j++;
            unsigned v;
            sscanf(c + j, "%2x", &v);
            id.uuid[b] = (uint8_t)v;
            j += 2;
        }
    } else {
        id.num = (uint64_t)i;
    }
    return id;
}

/* ---- random filters ---- */

static const char *nv_field_key(int kind) {
    static const char *k[] = {"k", "n", "f", "b", "d", "u", "t"};
    if (kind == 0 && nv_rand(4) == 0) return nv_rand(2) ? "tags" : "tags[]";
    if (kind == 0 && nv_rand(5) == 0) return "arr[].y";
    if (kind == 1 && nv_rand(4) == 0) return nv_rand(2) ? "o.p" : "arr[].x";
    if (kind == 1 && nv_rand(8) == 0) return "arr[0].x";
    return k[kind];
}

static json_t *nv_str_list(int kind) {
    json_t *a = json_array();
    int n = nv_rand(4);
    for (int i = 0; i < n; i++) {
        if (kind == 5) json_array_append_new(a, json_string(nv_uuids[nv_rand(NV_N_UUID)].s));
        else json_array_append_new(a, json_string(nv_kw[nv_rand(NV_N_KW)]));
    }
    return a;
}

static json_t *nv_int_list(void) {
    json_t *a = json_array();
    int n = 1 + nv_rand(3);
    for (int i = 0; i < n; i++) json_array_append_new(a, json_integer(nv_rand(7) - 2));
    return a;
}

static json_t *nv_bounds(int dt) {
    json_t *r = json_object();
    static const char *b[4] = {"gt", "gte", "lt", "lte"};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        if (nv_rand(3)) continue;
        any = 1;
        if (dt) {
            const nv_dt *d;
            do d = &nv_dts[nv_rand(NV_N_DT)]; while (!d->ok);
            json_object_set_new(r, b[i], json_string(d->s));
        } else {
            json_object_set_new(r, b[i], nv_rand(2) ? json_integer(nv_rand(7) - 2)
                                                    : json_real(nv_rand(13) / 4.0 - 1.5));
        }
    }
    if (!any) json_object_set_new(r, b[nv_rand(4)], dt ? json_string(nv_dts[0].s) : json_integer(1));
    return r;
}

static json_t *nv_field_cond(void) {
    int kind = nv_rand(7);
    json_t *c = json_object();
    json_object_set_new(c, "key", json_string(nv_field_key(kind)));
    int what = nv_rand(12);
    json_t *m = json_object();
    if (what < 7) {
        switch (kind) {
        case 0:
        case 5:
            switch (nv_rand(3)) {
            case 0:
                json_object_set_new(m, "value", kind == 5 ? json_string(nv_uuids[nv_rand(NV_N_UUID)].s)
                                                          : json_string(nv_kw[nv_rand(NV_N_KW)]));
                break;
            case 1: json_object_set_new(m, "any", nv_str_list(kind)); break;
            default: json_object_set_new(m, "except", nv_str_list(kind)); break;
            }
            break;
        case 1:
            switch (nv_rand(4)) {
            case 0: json_object_set_new(m, "value", json_integer(nv_rand(7) - 2)); break;
            case 1: json_object_set_new(m, "any", nv_int_list()); break;
            case 2: json_object_set_new(m, "except", nv_int_list()); break;
            default:
                json_decref(m);
                m = NULL;
                json_object_set_new(c, "range", nv_bounds(0));
            }
            break;
        case 2:
            json_decref(m);
            m = NULL;
            json_object_set_new(c, "range", nv_bounds(0));
            break;
        case 3: json_object_set_new(m, "value", json_boolean(nv_rand(2))); break;
        case 4:
            json_decref(m);
            m = NULL;
            json_object_set_new(c, "range", nv_bounds(1));
            break;
        default: {
            char q[64] = "";
            int n = nv_rand(3) + (nv_rand(8) ? 1 : 0);
            for (int i = 0; i < n; i++) {
                strcat(q, nv_words[nv_rand(NV_N_WORDS)]);
                strcat(q, " ");
            }
            static const char *tk[3] = {"text", "text_any", "phrase"};
            json_object_set_new(m, tk[nv_rand(3)], json_string(q));
        }
        }
        if (m) json_object_set_new(c, "match", m);
    } else {
        json_decref(m);
        if (what < 9) {
            json_t *vc = json_object();
            json_object_set_new(vc, nv_rand(2) ? "gte" : "lt", json_integer(nv_rand(4)));
            json_object_set_new(c, "values_count", vc);
        } else if (what < 10) {
            json_object_set_new(c, "is_empty", json_boolean(nv_rand(2)));
        } else if (what < 11) {
            json_object_set_new(c, "is_null", json_boolean(nv_rand(2)));
        } else {
            json_object_set_new(c, "range", nv_bounds(0)); /* a range on any field */
            if (nv_rand(2)) json_object_set_new(c, "match", json_pack("{s:i}", "value", nv_rand(3)));
        }
    }
    return c;
}

static json_t *nv_filter(int depth);

static json_t *nv_condition(int depth) {
    int r = nv_rand(20);
    if (r < 12) return nv_field_cond();
    static const char *keys[] = {"k", "n", "o", "o.p", "arr", "tags", "t", "u", "zz"};
    if (r < 14) {
        const char *w = r == 12 ? "is_empty" : "is_null";
        return json_pack("{s:{s:s}}", w, "key", keys[nv_rand(9)]);
    }
    if (r < 16) {
        json_t *ids = json_array();
        int n = nv_rand(4);
        for (int i = 0; i < n; i++) {
            if (nv_rand(3)) json_array_append_new(ids, json_integer(nv_rand(12)));
            else json_array_append_new(ids, json_string(nv_uuids[nv_rand(NV_N_UUID - 1)].s));
        }
        return json_pack("{s:o}", "has_id", ids);
    }
    if (r < 18 && depth < 3) {
        json_t *inner = json_object();
        json_t *l = json_array();
        int n = 1 + nv_rand(2);
        for (int i = 0; i < n; i++) {
            json_t *c = json_object();
            int k = nv_rand(3);
            if (k == 0) {
                json_object_set_new(c, "key", json_string("x"));
                json_object_set_new(c, "range", nv_bounds(0));
            } else if (k == 1) {
                json_object_set_new(c, "key", json_string("y"));
                json_object_set_new(c, "match", json_pack("{s:s}", "value", nv_kw[nv_rand(NV_N_KW)]));
            } else {
                json_decref(c);
                c = json_pack("{s:{s:s}}", "is_empty", "key", nv_rand(2) ? "x" : "y");
            }
            json_array_append_new(l, c);
        }
        json_object_set_new(inner, nv_rand(3) ? "must" : "should", l);
        return json_pack("{s:{s:s,s:o}}", "nested", "key", "arr", "filter", inner);
    }
    if (depth < 3) return nv_filter(depth + 1);
    return nv_field_cond();
}

static json_t *nv_list(int depth) {
    json_t *a = json_array();
    int n = nv_rand(4);
    for (int i = 0; i < n; i++) json_array_append_new(a, nv_condition(depth));
    return a;
}

static json_t *nv_filter(int depth) {
    json_t *f = json_object();
    if (nv_rand(2)) json_object_set_new(f, "must", nv_rand(5) ? nv_list(depth) : nv_condition(depth));
    if (nv_rand(3) == 0) json_object_set_new(f, "should", nv_list(depth));
    if (nv_rand(3) == 0) json_object_set_new(f, "must_not", nv_list(depth));
    if (nv_rand(6) == 0) {
        json_t *l = nv_list(depth);
        int mc = 1 + nv_rand(2);
        json_object_set_new(f, "min_should", json_pack("{s:o,s:i}", "conditions", l, "min_count", mc));
    }
    return f;
}

/* ---- the naive evaluator ---- */

typedef struct nv_vals {
    const json_t *v[256]; /* values found */
    int n;                /* how many */
} nv_vals;

/* nv_walk: values at `key` (segments "name", "name[]", "name[3]" joined by '.') under v. */
static void nv_walk(const json_t *v, const char *key, nv_vals *out) {
    if (!*key) {
        if (out->n < 256) out->v[out->n++] = v;
        return;
    }
    char name[64];
    size_t i = 0, o = 0;
    if (key[0] == '"') { /* a quoted key: up to the next quote */
        for (i = 1; key[i] && key[i] != '"' && o < 63; i++) name[o++] = key[i];
        if (key[i] == '"') i++;
    } else {
        while (key[i] && key[i] != '.' && key[i] != '[' && o < 63) name[o++] = key[i++];
    }
    name[o] = 0;
    const json_t *c = json_is_object(v) ? json_object_get(v, name) : NULL;
    if (!c) return;
    const char *rest = key + i;
    while (*rest == '[') {
        if (rest[1] == ']') { /* every element continues with what follows */
            if (!json_is_array(c)) return;
            const char *after = rest + 2;
            for (size_t e = 0; e < json_array_size(c); e++) {
                const json_t *el = json_array_get(c, e);
                if (*after == '[') { /* nested wildcard: not generated */
                    continue;
                }
                if (*after == '.') nv_walk(el, after + 1, out);
                else if (out->n < 256) out->v[out->n++] = el;
            }
            return;
        }
        int idx = atoi(rest + 1);
        if (!json_is_array(c) || (size_t)idx >= json_array_size(c)) return;
        c = json_array_get(c, (size_t)idx);
        rest = strchr(rest, ']') + 1;
    }
    if (*rest == '.') nv_walk(c, rest + 1, out);
    else if (out->n < 256) out->v[out->n++] = c;
}

/* nv_words_of: lowercase ASCII alphanumeric runs of s, into w (up to 64). */
static int nv_words_of(const char *s, char w[][32], int max) {
    int n = 0;
    while (*s && n < max) {
        while (*s && !isalnum((unsigned char)*s)) s++;
        if (!*s) break;
        int l = 0;
        while (*s && isalnum((unsigned char)*s)) {
            if (l < 31) w[n][l++] = (char)tolower((unsigned char)*s);
            s++;
        }
        w[n][l] = 0;
        n++;
    }
    return n;
}

static int nv_in_str_list(const json_t *l, const char *s) {
    for (size_t i = 0; i < json_array_size(l); i++)
        if (json_is_string(json_array_get(l, i)) && !strcmp(json_string_value(json_array_get(l, i)), s))
            return 1;
    return 0;
}

static int nv_in_int_list(const json_t *l, json_int_t v) {
    for (size_t i = 0; i < json_array_size(l); i++)
        if (json_is_integer(json_array_get(l, i)) && json_integer_value(json_array_get(l, i)) == v)
            return 1;
    return 0;
}

/* nv_match_one: a match object against one value x (not looked into). */
static int nv_match_one(const json_t *m, const json_t *x) {
    const json_t *v;
    if ((v = json_object_get(m, "value"))) {
        if (json_is_string(v)) return json_is_string(x) && !strcmp(json_string_value(v), json_string_value(x));
        if (json_is_integer(v)) return json_is_integer(x) && json_integer_value(v) == json_integer_value(x);
        if (json_is_boolean(v)) return json_is_boolean(x) && json_is_true(v) == json_is_true(x);
        return 0;
    }
    if ((v = json_object_get(m, "any"))) {
        int ints = json_array_size(v) && json_is_integer(json_array_get(v, 0));
        if (ints) return json_is_integer(x) && nv_in_int_list(v, json_integer_value(x));
        return json_is_string(x) && nv_in_str_list(v, json_string_value(x));
    }
    if ((v = json_object_get(m, "except"))) {
        int ints = json_array_size(v) && json_is_integer(json_array_get(v, 0));
        if (json_is_null(x)) return 0;
        if (ints) return json_is_integer(x) ? !nv_in_int_list(v, json_integer_value(x)) : 1;
        return json_is_string(x) ? !nv_in_str_list(v, json_string_value(x)) : 1;
    }
    if ((v = json_object_get(m, "phrase"))) {
        if (!json_is_string(x)) return 0;
        char q[64][32], t[64][32];
        int nq = nv_words_of(json_string_value(v), q, 64), nt = nv_words_of(json_string_value(x), t, 64);
        if (nq == 0) return 0;
        for (int s = 0; s + nq <= nt; s++) {
            int ok = 1;
            for (int k = 0; k < nq && ok; k++) ok = !strcmp(q[k], t[s + k]);
            if (ok) return 1;
        }
        return 0;
    }
    return 0; /* text / text_any: per point, below */
}

static int nv_range_one(const json_t *r, const json_t *x) {
    static const char *b[4] = {"gt", "gte", "lt", "lte"};
    int dt = 0;
    for (int i = 0; i < 4; i++) dt |= json_is_string(json_object_get(r, b[i]));
    double d;
    if (dt) {
        if (!json_is_string(x)) return 0;
        const nv_dt *e = nv_dt_of(json_string_value(x));
        if (!e || !e->ok) return 0;
        d = (double)e->us;
    } else {
        if (!json_is_number(x)) return 0;
        d = json_number_value(x);
    }
    for (int i = 0; i < 4; i++) {
        const json_t *bv = json_object_get(r, b[i]);
        if (!bv || json_is_null(bv)) continue;
        double lim = dt ? (double)nv_dt_of(json_string_value(bv))->us : json_number_value(bv);
        int ok = i == 0 ? d > lim : i == 1 ? d >= lim : i == 2 ? d < lim : d <= lim;
        if (!ok) return 0;
    }
    return 1;
}

static int nv_clause(const json_t *f, const json_t *payload, const vt_point_id *id, int nested);

static int nv_field(const json_t *c, const json_t *payload) {
    nv_vals vs = {.n = 0};
    if (json_is_object(payload)) nv_walk(payload, json_string_value(json_object_get(c, "key")), &vs);
    const json_t *m = json_object_get(c, "match"), *r = json_object_get(c, "range"),
                 *vc = json_object_get(c, "values_count"), *ie = json_object_get(c, "is_empty"),
                 *in = json_object_get(c, "is_null");
    if (json_is_null(m)) m = NULL;
    if (json_is_null(r)) r = NULL;
    if (json_is_null(vc)) vc = NULL;
    if (json_is_null(ie)) ie = NULL;
    if (json_is_null(in)) in = NULL;
    if (vs.n == 0) return ie ? json_is_true(ie) : in ? !json_is_true(in) : 0;
    for (int i = 0; i < vs.n; i++) {
        const json_t *v = vs.v[i];
        if (vc) {
            json_int_t cnt = json_is_null(v) ? 0 : json_is_array(v) ? (json_int_t)json_array_size(v) : 1;
            const json_t *b;
            int ok = 1;
            if ((b = json_object_get(vc, "gt")) && !json_is_null(b)) ok &= cnt > json_integer_value(b);
            if ((b = json_object_get(vc, "gte")) && !json_is_null(b)) ok &= cnt >= json_integer_value(b);
            if ((b = json_object_get(vc, "lt")) && !json_is_null(b)) ok &= cnt < json_integer_value(b);
            if ((b = json_object_get(vc, "lte")) && !json_is_null(b)) ok &= cnt <= json_integer_value(b);
            if (ok) return 1;
            continue;
        }
        if (ie) {
            int e = json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
            if (e == json_is_true(ie)) return 1;
            continue;
        }
        if (in) {
            int z = json_is_null(v);
            for (size_t k = 0; json_is_array(v) && k < json_array_size(v); k++)
                z |= json_is_null(json_array_get(v, k));
            if (z == json_is_true(in)) return 1;
            continue;
        }
        size_t ne = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t k = 0; k < ne; k++) {
            const json_t *x = json_is_array(v) ? json_array_get(v, k) : v;
            if ((m && nv_match_one(m, x)) || (r && nv_range_one(r, x))) return 1;
        }
    }
    if (m && !vc && !ie && !in) {
        const json_t *t = json_object_get(m, "text");
        int all = t != NULL;
        if (!t) t = json_object_get(m, "text_any");
        if (t) {
            char q[64][32];
            int nq = nv_words_of(json_string_value(t), q, 64);
            if (nq == 0) return 0;
            int found[64] = {0};
            for (int i = 0; i < vs.n; i++) {
                const json_t *v = vs.v[i];
                size_t ne = json_is_array(v) ? json_array_size(v) : 1;
                for (size_t k = 0; k < ne; k++) {
                    const json_t *x = json_is_array(v) ? json_array_get(v, k) : v;
                    if (!json_is_string(x)) continue;
                    char w[64][32];
                    int nw = nv_words_of(json_string_value(x), w, 64);
                    for (int a = 0; a < nq; a++)
                        for (int b = 0; b < nw; b++) found[a] |= !strcmp(q[a], w[b]);
                }
            }
            int cnt = 0;
            for (int a = 0; a < nq; a++) cnt += found[a];
            return all ? cnt == nq : cnt > 0;
        }
    }
    return 0;
}

static int nv_id_eq(const json_t *x, const vt_point_id *id) {
    if (json_is_integer(x)) return !id->is_uuid && (uint64_t)json_integer_value(x) == id->num;
    const char *c = nv_uuid_canon(json_string_value(x));
    if (!c || !id->is_uuid) return 0;
    char t[37];
    static const char hx[] = "0123456789abcdef";
    for (int b = 0, j = 0; b < 16; b++) {
        if (b == 4 || b == 6 || b == 8 || b == 10) t[j++] = '-';
        t[j++] = hx[id->uuid[b] >> 4];
        t[j++] = hx[id->uuid[b] & 15];
    }
    t[36] = 0;
    return !strcmp(c, t);
}

static int nv_cond(const json_t *c, const json_t *payload, const vt_point_id *id, int nested) {
    const json_t *v;
    if (json_object_get(c, "key")) return nv_field(c, payload);
    if ((v = json_object_get(c, "is_empty")) || (v = json_object_get(c, "is_null"))) {
        int empty = json_object_get(c, "is_empty") != NULL;
        nv_vals vs = {.n = 0};
        if (json_is_object(payload)) nv_walk(payload, json_string_value(json_object_get(v, "key")), &vs);
        for (int i = 0; i < vs.n; i++) {
            const json_t *x = vs.v[i];
            int isnull = json_is_null(x), isemptyarr = json_is_array(x) && json_array_size(x) == 0;
            if (empty && !isnull && !isemptyarr) return 0;
            if (!empty) {
                if (isnull) return 1;
                for (size_t k = 0; json_is_array(x) && k < json_array_size(x); k++)
                    if (json_is_null(json_array_get(x, k))) return 1;
            }
        }
        return empty;
    }
    if ((v = json_object_get(c, "has_id"))) {
        if (nested || !id) return 0;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (nv_id_eq(json_array_get(v, i), id)) return 1;
        return 0;
    }
    if ((v = json_object_get(c, "has_vector"))) return !nested;
    if ((v = json_object_get(c, "nested"))) {
        char key[128];
        snprintf(key, sizeof key, "%s[]", json_string_value(json_object_get(v, "key")));
        nv_vals vs = {.n = 0};
        if (json_is_object(payload)) nv_walk(payload, key, &vs);
        for (int i = 0; i < vs.n; i++)
            if (json_is_object(vs.v[i]) && nv_clause(json_object_get(v, "filter"), vs.v[i], NULL, 1))
                return 1;
        return 0;
    }
    return nv_clause(c, payload, id, nested);
}

static int nv_each(const json_t *l, const json_t *payload, const vt_point_id *id, int nested,
                   int *count) {
    int n = 0;
    if (json_is_object(l)) {
        n = nv_cond(l, payload, id, nested);
        *count = 1;
        return n;
    }
    *count = (int)json_array_size(l);
    for (size_t i = 0; i < json_array_size(l); i++) n += nv_cond(json_array_get(l, i), payload, id, nested);
    return n;
}

static int nv_clause(const json_t *f, const json_t *payload, const vt_point_id *id, int nested) {
    const json_t *l;
    int cnt;
    if ((l = json_object_get(f, "must")) && !json_is_null(l) && nv_each(l, payload, id, nested, &cnt) != cnt)
        return 0;
    if ((l = json_object_get(f, "must_not")) && !json_is_null(l) && nv_each(l, payload, id, nested, &cnt) != 0)
        return 0;
    if ((l = json_object_get(f, "should")) && !json_is_null(l) && nv_each(l, payload, id, nested, &cnt) == 0)
        return 0;
    if ((l = json_object_get(f, "min_should")) && !json_is_null(l) &&
        nv_each(json_object_get(l, "conditions"), payload, id, nested, &cnt) <
            (int)json_integer_value(json_object_get(l, "min_count")))
        return 0;
    return 1;
}

/* nv_match: the reference answer for filter JSON f on (id, payload). */
static int nv_match(const json_t *f, const vt_point_id *id, const json_t *payload) {
    if (!f || json_is_null(f)) return 1;
    return nv_clause(f, payload, id, 0);
}

#endif
