/*
 * filter.c — parsing Qdrant's filter language into the compiled form of filter_int.h.
 *
 * The language (Qdrant v1.19 REST schemas Filter, Condition, FieldCondition, Match*, Range,
 * DatetimeRange, ValuesCount, IsEmptyCondition, IsNullCondition, HasIdCondition,
 * HasVectorCondition, NestedCondition, MinShould) and exactly what matches what. The evaluator
 * (filter_eval.c) implements these rules; they follow Qdrant's code
 * (lib/segment/src/payload_storage/query_checker.rs, condition_checker.rs, common/utils.rs,
 * json_path/) except where marked DIFFERS.
 *
 * Clauses. {"must": C, "should": C, "must_not": C, "min_should": {"conditions": [...],
 * "min_count": k}}; each C is one condition or a list of them, null meaning absent. A point
 * passes when every given part holds: must — all hold (an empty list holds); should — at least
 * one holds (an EMPTY should list holds for NO point: check_should returns false for Some([]));
 * must_not — none holds; min_should — at least k hold (k >= 1). An absent part holds. {} and
 * null match everything. A condition may itself be a clause object.
 *
 * Values at a key. The key is a path (filter_util.c): "a.b", "a[].b", "a[0]", "tags[]". The
 * walk yields zero or more values; a leaf array is ONE value. A field condition then asks
 * "does ANY value match", where for match and range a value that is an array is looked into
 * one level ([1, [2]] matches 1 but not 2).
 *
 * Field conditions {"key": K, ...} with at least one of match, range, values_count, is_empty,
 * is_null ("At least one field condition must be specified" otherwise, as Qdrant's 422):
 *   - no value at K: true only for is_empty: true or is_null: false (FieldCondition::check_empty);
 *     match / range / values_count on a missing key are false.
 *   - values_count given: some value v has count(v) within the bounds, count(null) = 0,
 *     count(array) = its length, any other value 1 (so on "a[]" each element counts 1).
 *   - else is_empty: b given: some value v with (v null or []) == b, other values count as
 *     non-empty; is_null: b: some v with (v null or an array holding a null) == b.
 *   - else match or range (if both are given, either may hold): some value (or element of an
 *     array value) x satisfies it:
 *       match value: string == string (bytes), integer == integer (a real 5.0 is not the
 *         integer 5, as serde's as_i64), bool == bool; nothing else matches.
 *       match any [list of strings | list of integers]: x equal to a list member of its type;
 *         an empty list matches nothing.
 *       match except [list]: x a string not in a string list, an integer not in an integer
 *         list; x null: false; any other x (bool, object, array, real, a type the list does
 *         not hold): true. An empty list matches every point that has a non-null value; a
 *         missing key does not match.
 *       match text "words": every word of the query (flt_tokenize) is a word of the point's
 *         strings at K, all of them together (as Qdrant's full-text index, which keeps one word
 *         set per point). DIFFERS: Qdrant without a text index falls back to substring match;
 *         we always match words, so results do not depend on whether an index exists.
 *       match text_any: at least one query word is present (same word sets).
 *       match phrase: the query words appear consecutively in one string value.
 *       A query with no words matches nothing.
 *       range {gt, gte, lt, lte} with numbers: x a number (integer or real, compared as
 *         double) within all given bounds.
 *       range with RFC 3339 strings (DatetimeRange): x a string flt_parse_datetime accepts,
 *         compared in microseconds UTC; bounds and values may carry any offset.
 *     DIFFERS: a range or values_count with no bound is an error here (Qdrant matches every
 *     number / every value). Geo conditions and match prefix are VT_EUNSUPPORTED.
 * {"is_empty": {"key": K}}: every value at K is null or [] — true when K is missing.
 * {"is_null": {"key": K}}: some value at K is null or an array holding a null — false when K
 *   is missing.
 * {"has_id": [ids]}: the point's id (unsigned integer or UUID, any spelling flt_parse_uuid
 *   takes) is in the list; an empty list matches nothing; inside nested, never.
 * {"has_vector": "name"}: the point has that named vector (callback; see filter.h); inside
 *   nested, never.
 * {"nested": {"key": K, "filter": F}}: some element of the array at K (K with [] appended)
 *   that is an object satisfies F on its own, with keys in F relative to the element — so
 *   two conditions in F must hold for the same element. Non-object elements are skipped.
 *
 * Limits: nesting depth FLT_MAX_DEPTH, FLT_MAX_NODES conditions, FLT_MAX_VALUES list items,
 * FLT_MAX_KEY_LEN / FLT_MAX_PATH_PARTS per key, FLT_MAX_TEXT_TOKENS words per text query. The
 * parser recurses once per nesting level, so its depth is capped with the input's. Errors name
 * the spot as a path from `where`: "filter.must[1].match.any[3]: ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/json.h"
#include "db/filter_int.h"

typedef struct parser {
    flt_filter *f;   /* the filter being built */
    vt_error *err;   /* where messages go */
    char where[256]; /* the current location, e.g. "filter.must[2].range" */
    size_t wlen;     /* strlen(where) */
} parser;

/* wpush: appends a location part (printf-style); returns the previous length for wpop. Cannot
 * fail: a location that does not fit is cut with "...". */
static size_t wpush(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t wpush(parser *p, const char *fmt, ...) {
    size_t old = p->wlen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->where + p->wlen, sizeof p->where - p->wlen, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof p->where - p->wlen) {
        memcpy(p->where + sizeof p->where - 4, "...", 4);
        p->wlen = sizeof p->where - 1;
    } else {
        p->wlen += (size_t)n;
    }
    return old;
}

static void wpop(parser *p, size_t old) {
    p->wlen = old;
    p->where[old] = 0;
}

/* grow: makes room for one more element in *arr (elements of `sz` bytes, *n used, *cap
 * allocated), up to `max` elements. Returns 0, VT_ELIMIT or VT_ENOMEM. */
static int grow(void **arr, uint32_t n, uint32_t *cap, size_t sz, uint32_t max) {
    if (n < *cap) return 0;
    if (n >= max) return VT_ELIMIT;
    uint32_t nc = *cap ? *cap * 2 : 8;
    if (nc > max) nc = max;
    void *a = vt_realloc(*arr, (size_t)nc * sz);
    if (!a) return VT_ENOMEM;
    *arr = a;
    *cap = nc;
    return 0;
}

static int oom(parser *p) { return vt_fail(p->err, VT_ENOMEM, "%s: out of memory", p->where); }

/* own: records a block for flt_free. On failure frees it and returns VT_ENOMEM. */
static int own(parser *p, void *blk) {
    flt_filter *f = p->f;
    if (grow((void **)&f->owned, f->n_owned, &f->cap_owned, sizeof(void *), UINT32_MAX / 2)) {
        vt_free(blk);
        return oom(p);
    }
    f->owned[f->n_owned++] = blk;
    return 0;
}

/* new_node: appends a zeroed node of `kind`; *idx its index. */
static int new_node(parser *p, uint8_t kind, uint32_t *idx) {
    flt_filter *f = p->f;
    int rc = grow((void **)&f->nodes, f->n_nodes, &f->cap_nodes, sizeof(flt_node), FLT_MAX_NODES);
    if (rc == VT_ELIMIT)
        return vt_fail(p->err, VT_ELIMIT, "%s: more than %d conditions in one filter", p->where,
                       FLT_MAX_NODES);
    if (rc) return oom(p);
    flt_node *n = &f->nodes[f->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->is_empty = n->is_null = -1;
    *idx = f->n_nodes++;
    return 0;
}

/* count_values: charges n list items against FLT_MAX_VALUES. */
static int count_values(parser *p, size_t n) {
    if (n > FLT_MAX_VALUES || p->f->n_values + n > FLT_MAX_VALUES)
        return vt_fail(p->err, VT_ELIMIT, "%s: more than %d values in the filter's lists",
                       p->where, FLT_MAX_VALUES);
    p->f->n_values += (uint32_t)n;
    return 0;
}

/* copy_str: an owned copy of n bytes of s into *out. */
static int copy_str(parser *p, const char *s, size_t n, flt_str *out) {
    char *c = vt_malloc(n + 1);
    if (!c) return oom(p);
    memcpy(c, s, n);
    c[n] = 0;
    if (own(p, c)) return VT_ENOMEM;
    out->s = c;
    out->len = (uint32_t)n;
    return 0;
}

/* parse_key: the path of a "key" member (a string) into *out (caller: store it in a node, which
 * flt_free releases). */
static int parse_key(parser *p, const json_t *v, flt_path **out) {
    size_t old = wpush(p, ".key");
    int rc;
    if (!json_is_string(v)) {
        rc = vt_fail(p->err, VT_EINVAL, "%s: expected a string", p->where);
    } else {
        rc = flt_path_parse(json_string_value(v), json_string_length(v), p->where, out, p->err);
    }
    wpop(p, old);
    return rc;
}

static int parse_clause(parser *p, const json_t *obj, int depth, uint32_t *idx);
static int parse_condition(parser *p, const json_t *c, int depth, uint32_t *idx);

/* parse_list: a clause member (one condition, a list, or null) into kids[*at .. +*n). *given is
 * 1 unless the value is null. */
static int parse_list(parser *p, const json_t *v, int depth, uint32_t *at, uint32_t *n,
                      uint8_t *given) {
    *at = *n = 0;
    *given = !json_is_null(v);
    if (json_is_null(v)) return 0;
    size_t m = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_array(v) && !json_is_object(v))
        return vt_fail(p->err, VT_EINVAL, "%s: expected a condition or a list of conditions",
                       p->where);
    if (m > FLT_MAX_NODES)
        return vt_fail(p->err, VT_ELIMIT, "%s: more than %d conditions in one filter", p->where,
                       FLT_MAX_NODES);
    uint32_t *tmp = vt_malloc((m ? m : 1) * sizeof *tmp);
    if (!tmp) return oom(p);
    int rc = 0;
    for (size_t i = 0; i < m && rc == 0; i++) {
        size_t old = json_is_array(v) ? wpush(p, "[%zu]", i) : p->wlen;
        rc = parse_condition(p, json_is_array(v) ? json_array_get(v, i) : v, depth, &tmp[i]);
        wpop(p, old);
    }
    flt_filter *f = p->f;
    if (rc == 0) {
        *at = f->n_kids;
        for (size_t i = 0; i < m && rc == 0; i++) {
            rc = grow((void **)&f->kids, f->n_kids, &f->cap_kids, sizeof(uint32_t), UINT32_MAX / 2);
            if (rc) rc = oom(p);
            else f->kids[f->n_kids++] = tmp[i];
        }
        *n = (uint32_t)m;
    }
    vt_free(tmp);
    return rc;
}

static int parse_clause(parser *p, const json_t *obj, int depth, uint32_t *idx) {
    if (depth > FLT_MAX_DEPTH)
        return vt_fail(p->err, VT_ELIMIT, "%s: filter nested deeper than %d levels", p->where,
                       FLT_MAX_DEPTH);
    if (!json_is_object(obj)) return vt_fail(p->err, VT_EINVAL, "%s: expected an object", p->where);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcmp(k, "must") && strcmp(k, "should") && strcmp(k, "must_not") &&
            strcmp(k, "min_should"))
            return vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\" (a filter has must, should, "
                           "must_not, min_should)", p->where, k);
    }
    int rc = new_node(p, FLT_N_CLAUSE, idx);
    if (rc) return rc;
    uint32_t at, n;
    uint8_t given;
    size_t old;
    if ((v = json_object_get(obj, "must"))) {
        old = wpush(p, ".must");
        rc = parse_list(p, v, depth, &at, &n, &given);
        wpop(p, old);
        if (rc) return rc;
        p->f->nodes[*idx].must_at = at;
        p->f->nodes[*idx].n_must = n;
    }
    if ((v = json_object_get(obj, "should"))) {
        old = wpush(p, ".should");
        rc = parse_list(p, v, depth, &at, &n, &given);
        wpop(p, old);
        if (rc) return rc;
        p->f->nodes[*idx].should_at = at;
        p->f->nodes[*idx].n_should = n;
        p->f->nodes[*idx].has_should = given;
    }
    if ((v = json_object_get(obj, "must_not"))) {
        old = wpush(p, ".must_not");
        rc = parse_list(p, v, depth, &at, &n, &given);
        wpop(p, old);
        if (rc) return rc;
        p->f->nodes[*idx].not_at = at;
        p->f->nodes[*idx].n_not = n;
    }
    if ((v = json_object_get(obj, "min_should")) && !json_is_null(v)) {
        old = wpush(p, ".min_should");
        if (!json_is_object(v)) {
            rc = vt_fail(p->err, VT_EINVAL, "%s: expected {\"conditions\": [...], \"min_count\": N}",
                         p->where);
        } else {
            json_t *mv;
            json_object_foreach(v, k, mv) {
                if (strcmp(k, "conditions") && strcmp(k, "min_count")) {
                    rc = vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\"", p->where, k);
                    break;
                }
            }
            const json_t *conds = json_object_get(v, "conditions");
            const json_t *mc = json_object_get(v, "min_count");
            if (rc == 0 && !json_is_array(conds))
                rc = vt_fail(p->err, VT_EINVAL, "%s.conditions: expected a list of conditions",
                             p->where);
            if (rc == 0 && (!json_is_integer(mc) || json_integer_value(mc) < 1))
                rc = vt_fail(p->err, VT_EINVAL, "%s.min_count: expected an integer >= 1",
                             p->where);
            if (rc == 0) {
                size_t o2 = wpush(p, ".conditions");
                rc = parse_list(p, conds, depth, &at, &n, &given);
                wpop(p, o2);
            }
            if (rc == 0) {
                flt_node *nd = &p->f->nodes[*idx];
                nd->ms_at = at;
                nd->n_ms = n;
                json_int_t m = json_integer_value(mc);
                nd->ms_min = m > (json_int_t)UINT32_MAX ? UINT32_MAX : (uint32_t)m;
                nd->has_min_should = 1;
            }
        }
        wpop(p, old);
    }
    return rc;
}

/* bound_index: position of a bound name in rf/rd/vc; -1 if k is not one. */
static int bound_index(const char *k) {
    if (!strcmp(k, "gt")) return 0;
    if (!strcmp(k, "gte")) return 1;
    if (!strcmp(k, "lt")) return 2;
    if (!strcmp(k, "lte")) return 3;
    return -1;
}

static int parse_range(parser *p, const json_t *r, flt_node *nd) {
    if (!json_is_object(r))
        return vt_fail(p->err, VT_EINVAL, "%s: expected an object {gt, gte, lt, lte}", p->where);
    int n_num = 0, n_str = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)r, k, v) {
        int b = bound_index(k);
        if (b < 0)
            return vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\" (a range has gt, gte, lt, "
                           "lte)", p->where, k);
        if (json_is_null(v)) continue;
        if (json_is_number(v)) {
            n_num++;
            nd->rf[b] = json_number_value(v);
        } else if (json_is_string(v)) {
            n_str++;
            if (!flt_parse_datetime(json_string_value(v), json_string_length(v), &nd->rd[b]))
                return vt_fail(p->err, VT_EINVAL, "%s.%s: \"%s\" is not an RFC 3339 datetime",
                               p->where, k, json_string_value(v));
        } else {
            return vt_fail(p->err, VT_EINVAL, "%s.%s: expected a number or an RFC 3339 datetime "
                           "string", p->where, k);
        }
        nd->rflags |= (uint8_t)(1u << b);
    }
    if (n_num && n_str)
        return vt_fail(p->err, VT_EINVAL, "%s: mixes numbers and datetimes", p->where);
    if (!n_num && !n_str)
        return vt_fail(p->err, VT_EINVAL, "%s: no bound (gt, gte, lt, lte)", p->where);
    nd->range = n_num ? FLT_R_FLOAT : FLT_R_DATETIME;
    return 0;
}

static int parse_values_count(parser *p, const json_t *r, flt_node *nd) {
    if (!json_is_object(r))
        return vt_fail(p->err, VT_EINVAL, "%s: expected an object {gt, gte, lt, lte}", p->where);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)r, k, v) {
        int b = bound_index(k);
        if (b < 0)
            return vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\" (values_count has gt, gte, "
                           "lt, lte)", p->where, k);
        if (json_is_null(v)) continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return vt_fail(p->err, VT_EINVAL, "%s.%s: expected an integer >= 0", p->where, k);
        nd->vc[b] = (uint64_t)json_integer_value(v);
        nd->vcflags |= (uint8_t)(1u << b);
    }
    if (!nd->vcflags) return vt_fail(p->err, VT_EINVAL, "%s: no bound (gt, gte, lt, lte)", p->where);
    nd->has_vc = 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    const flt_str *x = a, *y = b;
    return flt_str_cmp(x->s, x->len, y->s, y->len);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* parse_any_list: the list of match any / except into strs or ints, sorted and deduplicated.
 * is_int out: 1 for an integer list (an empty list is a string list, as serde picks). */
static int parse_any_list(parser *p, const json_t *a, int *is_int, uint32_t *at, uint32_t *n) {
    if (!json_is_array(a))
        return vt_fail(p->err, VT_EINVAL, "%s: expected a list of strings or of integers",
                       p->where);
    size_t m = json_array_size(a);
    int rc = count_values(p, m);
    if (rc) return rc;
    *is_int = m > 0 && json_is_integer(json_array_get(a, 0));
    flt_filter *f = p->f;
    for (size_t i = 0; i < m; i++) {
        const json_t *x = json_array_get(a, i);
        if (*is_int ? !json_is_integer(x) : !json_is_string(x))
            return vt_fail(p->err, VT_EINVAL, "%s[%zu]: expected %s like the first item", p->where,
                           i, *is_int ? "an integer" : "a string");
    }
    if (*is_int) {
        *at = f->n_ints;
        for (size_t i = 0; i < m; i++) {
            if (grow((void **)&f->ints, f->n_ints, &f->cap_ints, sizeof(int64_t), UINT32_MAX / 2))
                return oom(p);
            f->ints[f->n_ints++] = (int64_t)json_integer_value(json_array_get(a, i));
        }
        int64_t *l = f->ints ? f->ints + *at : NULL;
        if (m) qsort(l, m, sizeof *l, cmp_i64);
        size_t w = 0;
        for (size_t i = 0; i < m; i++)
            if (w == 0 || l[w - 1] != l[i]) l[w++] = l[i];
        f->n_ints = *at + (uint32_t)w;
        *n = (uint32_t)w;
        return 0;
    }
    *at = f->n_strs;
    for (size_t i = 0; i < m; i++) {
        const json_t *x = json_array_get(a, i);
        if (grow((void **)&f->strs, f->n_strs, &f->cap_strs, sizeof(flt_str), UINT32_MAX / 2))
            return oom(p);
        if ((rc = copy_str(p, json_string_value(x), json_string_length(x), &f->strs[f->n_strs])))
            return rc;
        f->n_strs++;
    }
    flt_str *l = f->strs ? f->strs + *at : NULL;
    if (m) qsort(l, m, sizeof *l, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < m; i++)
        if (w == 0 || cmp_str(&l[w - 1], &l[i]) != 0) l[w++] = l[i];
    f->n_strs = *at + (uint32_t)w;
    *n = (uint32_t)w;
    return 0;
}

typedef struct tok_sink {
    parser *p;   /* the parser (for strs and errors) */
    int rc;      /* first error */
    uint32_t n;  /* words so far */
} tok_sink;

static int take_token(void *user, const char *tok, size_t len) {
    tok_sink *t = user;
    parser *p = t->p;
    flt_filter *f = p->f;
    if (t->n >= FLT_MAX_TEXT_TOKENS) {
        t->rc = vt_fail(p->err, VT_ELIMIT, "%s: more than %d words", p->where, FLT_MAX_TEXT_TOKENS);
        return 1;
    }
    if ((t->rc = count_values(p, 1))) return 1;
    if (grow((void **)&f->strs, f->n_strs, &f->cap_strs, sizeof(flt_str), UINT32_MAX / 2)) {
        t->rc = oom(p);
        return 1;
    }
    if ((t->rc = copy_str(p, tok, len, &f->strs[f->n_strs]))) return 1;
    f->n_strs++;
    t->n++;
    return 0;
}

static int parse_match(parser *p, const json_t *m, uint32_t idx) {
    if (!json_is_object(m) || json_object_size(m) != 1)
        return vt_fail(p->err, VT_EINVAL, "%s: expected one of {value}, {any}, {except}, {text}, "
                       "{text_any}, {phrase}", p->where);
    void *it = json_object_iter((json_t *)m);
    const char *k = json_object_iter_key(it);
    const json_t *v = json_object_iter_value(it);
    size_t old = wpush(p, ".%s", k ? k : "");
    int rc = 0;
    flt_node *nd = &p->f->nodes[idx];
    if (!strcmp(k, "value")) {
        if (json_is_string(v)) {
            nd->match = FLT_M_STR;
            rc = copy_str(p, json_string_value(v), json_string_length(v), &p->f->nodes[idx].str);
        } else if (json_is_integer(v)) {
            nd->match = FLT_M_INT;
            nd->i64 = (int64_t)json_integer_value(v);
        } else if (json_is_boolean(v)) {
            nd->match = FLT_M_BOOL;
            nd->i64 = json_is_true(v);
        } else {
            rc = vt_fail(p->err, VT_EINVAL, "%s: expected a string, an integer or a boolean",
                         p->where);
        }
    } else if (!strcmp(k, "any") || !strcmp(k, "except")) {
        int is_int = 0;
        uint32_t at = 0, n = 0;
        rc = parse_any_list(p, v, &is_int, &at, &n);
        nd = &p->f->nodes[idx];
        nd->list_at = at;
        nd->n_list = n;
        if (!strcmp(k, "any")) nd->match = is_int ? FLT_M_ANY_INT : FLT_M_ANY_STR;
        else nd->match = is_int ? FLT_M_EXCEPT_INT : FLT_M_EXCEPT_STR;
    } else if (!strcmp(k, "text") || !strcmp(k, "text_any") || !strcmp(k, "phrase")) {
        if (!json_is_string(v)) {
            rc = vt_fail(p->err, VT_EINVAL, "%s: expected a string", p->where);
        } else {
            tok_sink t = {p, 0, 0};
            uint32_t at = p->f->n_strs;
            flt_tokenize(json_string_value(v), json_string_length(v), take_token, &t);
            rc = t.rc;
            nd = &p->f->nodes[idx];
            nd->list_at = at;
            nd->n_list = t.n;
            nd->match = !strcmp(k, "text") ? FLT_M_TEXT
                        : !strcmp(k, "text_any") ? FLT_M_TEXT_ANY : FLT_M_PHRASE;
        }
    } else if (!strcmp(k, "prefix")) {
        rc = vt_fail(p->err, VT_EUNSUPPORTED, "%s: match prefix is not supported", p->where);
    } else {
        rc = vt_fail(p->err, VT_EINVAL, "unknown match kind; %s: expected value, any, except, "
                     "text, text_any or phrase", p->where);
    }
    wpop(p, old);
    return rc;
}

static int parse_field(parser *p, const json_t *c, uint32_t *idx) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)c, k, v) {
        if (!strcmp(k, "geo_bounding_box") || !strcmp(k, "geo_radius") || !strcmp(k, "geo_polygon")) {
            if (!json_is_null(v))
                return vt_fail(p->err, VT_EUNSUPPORTED, "%s.%s: geo filters are not supported",
                               p->where, k);
        } else if (strcmp(k, "key") && strcmp(k, "match") && strcmp(k, "range") &&
                   strcmp(k, "values_count") && strcmp(k, "is_empty") && strcmp(k, "is_null")) {
            return vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\" in a field condition "
                           "(key, match, range, values_count, is_empty, is_null)", p->where, k);
        }
    }
    int rc = new_node(p, FLT_N_FIELD, idx);
    if (rc) return rc;
    flt_path *path = NULL;
    if ((rc = parse_key(p, json_object_get(c, "key"), &path))) return rc;
    p->f->nodes[*idx].path = path;
    int any = 0;
    size_t old;
    if ((v = json_object_get(c, "match")) && !json_is_null(v)) {
        old = wpush(p, ".match");
        rc = parse_match(p, v, *idx);
        wpop(p, old);
        if (rc) return rc;
        any = 1;
    }
    if ((v = json_object_get(c, "range")) && !json_is_null(v)) {
        old = wpush(p, ".range");
        rc = parse_range(p, v, &p->f->nodes[*idx]);
        wpop(p, old);
        if (rc) return rc;
        any = 1;
    }
    if ((v = json_object_get(c, "values_count")) && !json_is_null(v)) {
        old = wpush(p, ".values_count");
        rc = parse_values_count(p, v, &p->f->nodes[*idx]);
        wpop(p, old);
        if (rc) return rc;
        any = 1;
    }
    static const char *flags[2] = {"is_empty", "is_null"};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(c, flags[i])) || json_is_null(v)) continue;
        if (!json_is_boolean(v))
            return vt_fail(p->err, VT_EINVAL, "%s.%s: expected true or false", p->where, flags[i]);
        if (i == 0) p->f->nodes[*idx].is_empty = (int8_t)json_is_true(v);
        else p->f->nodes[*idx].is_null = (int8_t)json_is_true(v);
        any = 1;
    }
    if (!any)
        return vt_fail(p->err, VT_EINVAL, "%s: At least one field condition must be specified "
                       "(match, range, values_count, is_empty, is_null)", p->where);
    return 0;
}

/* parse_key_object: {"key": "..."} of is_empty / is_null into a new node of `kind`. */
static int parse_key_object(parser *p, const json_t *o, uint8_t kind, uint32_t *idx) {
    if (!json_is_object(o) || json_object_size(o) != 1 || !json_object_get(o, "key"))
        return vt_fail(p->err, VT_EINVAL, "%s: expected {\"key\": \"...\"}", p->where);
    int rc = new_node(p, kind, idx);
    flt_path *path = NULL;
    if (rc == 0 && (rc = parse_key(p, json_object_get(o, "key"), &path)) == 0)
        p->f->nodes[*idx].path = path;
    return rc;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_uuid(const void *a, const void *b) { return memcmp(a, b, 16); }

static int parse_has_id(parser *p, const json_t *a, uint32_t *idx) {
    if (!json_is_array(a)) return vt_fail(p->err, VT_EINVAL, "%s: expected a list of ids", p->where);
    size_t m = json_array_size(a);
    int rc = count_values(p, m);
    if (rc || (rc = new_node(p, FLT_N_HAS_ID, idx))) return rc;
    flt_filter *f = p->f;
    uint32_t nat = f->n_id_nums, uat = f->n_id_uuids;
    for (size_t i = 0; i < m; i++) {
        const json_t *x = json_array_get(a, i);
        if (json_is_integer(x) && json_integer_value(x) >= 0) {
            if (grow((void **)&f->id_nums, f->n_id_nums, &f->cap_id_nums, 8, UINT32_MAX / 2))
                return oom(p);
            f->id_nums[f->n_id_nums++] = (uint64_t)json_integer_value(x);
        } else if (json_is_string(x)) {
            if (grow((void **)&f->id_uuids, f->n_id_uuids, &f->cap_id_uuids, 16, UINT32_MAX / 2))
                return oom(p);
            if (!flt_parse_uuid(json_string_value(x), json_string_length(x),
                                f->id_uuids[f->n_id_uuids]))
                return vt_fail(p->err, VT_EINVAL, "%s[%zu]: \"%s\" is not a UUID", p->where, i,
                               json_string_value(x));
            f->n_id_uuids++;
        } else {
            return vt_fail(p->err, VT_EINVAL, "%s[%zu]: expected an unsigned integer or a UUID "
                           "string", p->where, i);
        }
    }
    uint32_t nn = f->n_id_nums - nat, nu = f->n_id_uuids - uat, w = 0;
    if (nn) qsort(f->id_nums + nat, nn, 8, cmp_u64);
    for (uint32_t i = 0; i < nn; i++)
        if (w == 0 || f->id_nums[nat + w - 1] != f->id_nums[nat + i])
            f->id_nums[nat + w++] = f->id_nums[nat + i];
    f->n_id_nums = nat + w;
    nn = w;
    if (nu) qsort(f->id_uuids + uat, nu, 16, cmp_uuid);
    w = 0;
    for (uint32_t i = 0; i < nu; i++)
        if (w == 0 || memcmp(f->id_uuids[uat + w - 1], f->id_uuids[uat + i], 16) != 0)
            memmove(f->id_uuids[uat + w++], f->id_uuids[uat + i], 16);
    f->n_id_uuids = uat + w;
    flt_node *nd = &f->nodes[*idx];
    nd->idn_at = nat;
    nd->n_idn = nn;
    nd->idu_at = uat;
    nd->n_idu = w;
    return 0;
}

static int parse_nested(parser *p, const json_t *o, int depth, uint32_t *idx) {
    if (!json_is_object(o) || !json_object_get(o, "key") || !json_object_get(o, "filter"))
        return vt_fail(p->err, VT_EINVAL, "%s: expected {\"key\": \"...\", \"filter\": {...}}",
                       p->where);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (strcmp(k, "key") && strcmp(k, "filter"))
            return vt_fail(p->err, VT_EINVAL, "%s: unknown key \"%s\" (nested has key, filter)",
                           p->where, k);
    }
    int rc = new_node(p, FLT_N_NESTED, idx);
    if (rc) return rc;
    flt_path *key = NULL;
    if ((rc = parse_key(p, json_object_get(o, "key"), &key))) return rc;
    flt_path *ak = flt_path_array_key(key);
    flt_path_free(key);
    if (!ak) return oom(p);
    p->f->nodes[*idx].path = ak;
    uint32_t inner;
    size_t old = wpush(p, ".filter");
    rc = parse_clause(p, json_object_get(o, "filter"), depth + 1, &inner);
    wpop(p, old);
    if (rc == 0) p->f->nodes[*idx].inner = inner;
    return rc;
}

static int parse_condition(parser *p, const json_t *c, int depth, uint32_t *idx) {
    if (!json_is_object(c)) return vt_fail(p->err, VT_EINVAL, "%s: expected a condition object",
                                           p->where);
    if (json_object_get(c, "key")) return parse_field(p, c, idx);
    static const char *single[4] = {"is_empty", "is_null", "has_id", "has_vector"};
    for (int i = 0; i < 4; i++) {
        const json_t *v = json_object_get(c, single[i]);
        if (!v) continue;
        if (json_object_size(c) != 1)
            return vt_fail(p->err, VT_EINVAL, "%s: a %s condition takes no other keys", p->where,
                           single[i]);
        size_t old = wpush(p, ".%s", single[i]);
        int rc;
        if (i == 0) rc = parse_key_object(p, v, FLT_N_IS_EMPTY, idx);
        else if (i == 1) rc = parse_key_object(p, v, FLT_N_IS_NULL, idx);
        else if (i == 2) rc = parse_has_id(p, v, idx);
        else if (!json_is_string(v)) rc = vt_fail(p->err, VT_EINVAL, "%s: expected a vector name",
                                                  p->where);
        else if ((rc = new_node(p, FLT_N_HAS_VECTOR, idx)) == 0)
            rc = copy_str(p, json_string_value(v), json_string_length(v), &p->f->nodes[*idx].name);
        wpop(p, old);
        return rc;
    }
    const json_t *n = json_object_get(c, "nested");
    if (n) {
        if (json_object_size(c) != 1)
            return vt_fail(p->err, VT_EINVAL, "%s: a nested condition takes no other keys",
                           p->where);
        size_t old = wpush(p, ".nested");
        int rc = parse_nested(p, n, depth, idx);
        wpop(p, old);
        return rc;
    }
    return parse_clause(p, c, depth + 1, idx);
}

void flt_free(flt_filter *f) {
    if (!f) return;
    for (uint32_t i = 0; i < f->n_nodes; i++) flt_path_free(f->nodes[i].path);
    for (uint32_t i = 0; i < f->n_owned; i++) vt_free(f->owned[i]);
    vt_free(f->owned);
    vt_free(f->nodes);
    vt_free(f->kids);
    vt_free(f->strs);
    vt_free(f->ints);
    vt_free(f->id_nums);
    vt_free(f->id_uuids);
    vt_free(f);
}

int flt_parse(const json_t *json, const char *where, flt_filter **out, vt_error *err) {
    *out = NULL;
    parser p = {.err = err};
    wpush(&p, "%s", where ? where : "filter");
    p.f = vt_calloc(1, sizeof *p.f);
    if (!p.f) return oom(&p);
    int rc;
    if (!json || json_is_null(json)) {
        rc = new_node(&p, FLT_N_CLAUSE, &p.f->root);
    } else if (!json_is_object(json)) {
        rc = vt_fail(err, VT_EINVAL, "%s: a filter must be an object", p.where);
    } else {
        rc = parse_clause(&p, json, 1, &p.f->root);
    }
    if (rc) {
        flt_free(p.f);
        return rc;
    }
    *out = p.f;
    return 0;
}

int flt_parse_str(const char *text, size_t len, const char *where, flt_filter **out,
                  vt_error *err) {
    *out = NULL;
    json_t *j = NULL;
    int rc = vt_json_parse(text, len, where ? where : "filter", &j, err);
    if (rc) return rc;
    rc = flt_parse(j, where, out, err);
    json_decref(j);
    return rc;
}

int flt_is_empty(const flt_filter *f) {
    const flt_node *r = &f->nodes[f->root];
    return !r->has_should && !r->has_min_should && r->n_must == 0 && r->n_not == 0;
}

uint32_t flt_n_nodes(const flt_filter *f) { return f->n_nodes; }
