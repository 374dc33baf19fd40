/*
 * payload_select.c — with_payload's include / exclude lists cut a payload by JSON path, as
 * Qdrant's PayloadSelector::process does (lib/segment/src/json_path: JsonPath::value_filter,
 * check_include_pattern, check_exclude_pattern).
 *
 * A pattern is Qdrant's JsonPath (json_path/parse.rs):
 *
 *   path  = key ( "." key | "[" digits "]" | "[]" )*
 *   key   = [A-Za-z0-9_-]+  (and any byte >= 0x80, standing in for Unicode alphanumerics)
 *         | '"' any characters but '"' and '\' '"'
 *
 * The payload is walked depth-first and every value gets a path: its top-level key, then ".key"
 * for an object member and "[]" for each array element. An element is never addressed by its
 * index, so a pattern item [N] matches no element: "a[0]" in include keeps `a` as an empty array
 * and in exclude drops nothing. That is Qdrant's rule, kept. A value is kept when
 *
 *   include: some pattern agrees with the value's path on every item both have (one is a prefix
 *            of the other): "a.b" keeps a (on the way to b), a.b and everything below it;
 *   exclude: no pattern is a prefix of the value's path: "a.b" drops a.b and everything below.
 *
 * A kept object or array is rebuilt from its kept members (so an included "a" whose b and c were
 * cut is {"a": {}}); scalars are shared, not copied. Paths are compared against the pattern text
 * item by item, so nothing is allocated per pattern. The walk keeps at most PSEL_MAX_DEPTH path
 * items; a value nested deeper is kept or dropped whole with its ancestor at that depth (request
 * bodies nest at most SRV_MAX_JSON_DEPTH, below it).
 */
#include <string.h>

#include "server/server_int.h"

#define PSEL_MAX_DEPTH 128 /* > SRV_MAX_JSON_DEPTH, the deepest a stored payload can be */

enum { ITEM_KEY = 1, ITEM_INDEX, ITEM_WILD };

/* One item of a path: a key (pointing into the pattern or the payload), an index or []. */
typedef struct item {
    int kind;        /* ITEM_KEY, ITEM_INDEX, ITEM_WILD */
    const char *key; /* ITEM_KEY: key_len bytes, not NUL-terminated */
    size_t key_len;
    size_t index;    /* ITEM_INDEX */
} item;

static int is_raw_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c >= 0x80;
}

/* read_key: a raw or quoted key at *p into out, advancing *p. 0, or -1 if there is none. */
static int read_key(const char **p, item *out) {
    const char *s = *p;
    out->kind = ITEM_KEY;
    if (*s == '"') {
        const char *e = s + 1;
        while (*e && *e != '"' && *e != '\\') e++;
        if (*e != '"') return -1;
        out->key = s + 1;
        out->key_len = (size_t)(e - s - 1);
        *p = e + 1;
        return 0;
    }
    const char *e = s;
    while (is_raw_char((unsigned char)*e)) e++;
    if (e == s) return -1;
    out->key = s;
    out->key_len = (size_t)(e - s);
    *p = e;
    return 0;
}

/* next_item: the next item of pattern text at *p (the first one when first), advancing *p.
 * Returns 1 with *out set, 0 at the end of the text, -1 on a syntax error. */
static int next_item(const char **p, int first, item *out) {
    const char *s = *p;
    if (first) return read_key(p, out) == 0 ? 1 : -1;
    if (*s == '\0') return 0;
    if (*s == '.') {
        *p = s + 1;
        return read_key(p, out) == 0 ? 1 : -1;
    }
    if (*s != '[') return -1;
    if (s[1] == ']') {
        out->kind = ITEM_WILD;
        *p = s + 2;
        return 1;
    }
    size_t n = 0;
    const char *e = s + 1;
    if (*e < '0' || *e > '9') return -1;
    for (; *e >= '0' && *e <= '9'; e++) {
        if (n > ((size_t)-1 - 9) / 10) return -1; /* does not fit usize */
        n = n * 10 + (size_t)(*e - '0');
    }
    if (*e != ']') return -1;
    out->kind = ITEM_INDEX;
    out->index = n;
    *p = e + 1;
    return 1;
}

int srv_payload_path_valid(const char *pattern) {
    const char *p = pattern;
    item it;
    int rc = next_item(&p, 1, &it);
    while (rc == 1) rc = next_item(&p, 0, &it);
    return rc == 0;
}

static int item_eq(const item *a, const item *b) {
    if (a->kind != b->kind) return 0;
    if (a->kind == ITEM_INDEX) return a->index == b->index;
    if (a->kind == ITEM_WILD) return 1;
    return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/* compare: walks pattern text pat against path[0..n). *agree = every item both have is equal;
 * *pat_within = the pattern has no more items than the path. */
static void compare(const char *pat, const item *path, size_t n, int *agree, int *pat_within) {
    const char *p = pat;
    item it;
    size_t i = 0;
    int rc = next_item(&p, 1, &it);
    *agree = 1;
    for (; rc == 1 && i < n; i++, rc = next_item(&p, 0, &it))
        if (!item_eq(&it, &path[i])) {
            *agree = 0;
            break;
        }
    if (rc < 0) *agree = 0; /* checked at parse time; a bad pattern matches nothing */
    *pat_within = rc == 0;
}

/* keep: whether the value at path[0..n) survives the selector. */
static int keep(const srv_payload_sel *ps, const item *path, size_t n) {
    size_t i;
    json_t *x;
    int agree, within;
    if (ps->include) {
        json_array_foreach(ps->include, i, x) {
            compare(json_string_value(x), path, n, &agree, &within);
            if (agree) return 1;
        }
        return 0;
    }
    json_array_foreach(ps->exclude, i, x) {
        compare(json_string_value(x), path, n, &agree, &within);
        if (agree && within) return 0;
    }
    return 1;
}

/* cut: the kept part of v, whose path is path[0..n) (v itself already kept): a new reference,
 * or NULL when memory runs out. */
static json_t *cut(const srv_payload_sel *ps, const json_t *v, item *path, size_t n) {
    if ((!json_is_object(v) && !json_is_array(v)) || n >= PSEL_MAX_DEPTH) return json_incref((json_t *)v);
    json_t *out = json_is_object(v) ? json_object() : json_array();
    if (!out) return NULL;
    if (json_is_array(v)) {
        path[n] = (item){ITEM_WILD, NULL, 0, 0};
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!keep(ps, path, n + 1)) continue;
            json_t *c = cut(ps, x, path, n + 1);
            if (!c || json_array_append_new(out, c) != 0) goto oom;
        }
        return out;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        path[n] = (item){ITEM_KEY, k, strlen(k), 0};
        if (!keep(ps, path, n + 1)) continue;
        json_t *c = cut(ps, x, path, n + 1);
        if (!c || json_object_set_new(out, k, c) != 0) goto oom;
    }
    return out;
oom:
    json_decref(out);
    return NULL;
}

json_t *srv_payload_cut(const json_t *payload, const srv_payload_sel *ps) {
    if (!ps->include && !ps->exclude) return json_incref((json_t *)payload);
    json_t *out = json_object();
    if (!out) return NULL;
    item path[PSEL_MAX_DEPTH + 1];
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)payload, k, x) {
        path[0] = (item){ITEM_KEY, k, strlen(k), 0};
        if (!keep(ps, path, 1)) continue;
        json_t *c = cut(ps, x, path, 1);
        if (!c || json_object_set_new(out, k, c) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
