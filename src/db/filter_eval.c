/*
 * filter_eval.c — evaluating a compiled filter against one point (id + payload).
 *
 * The rules are the ones written at the top of filter.c. Evaluation reads the payload in place
 * (jansson objects), allocates nothing and cannot fail; it recurses once per clause or nested
 * level (at most FLT_MAX_DEPTH, enforced by the parser) plus once per key-path segment (at most
 * FLT_MAX_PATH_PARTS + 1). Word matching tokenises the payload strings on the fly, comparing each
 * word with the query words, so a text condition costs O(query words x text length).
 *
 * Thread safety: the filter is read-only; any number of threads may evaluate at once.
 */
#include <string.h>

#include "db/filter_int.h"

typedef struct ectx {
    const vt_point_id *id;        /* the point's id, NULL inside nested or when unknown */
    flt_has_vector_fn has_vector; /* has_vector callback or NULL */
    void *user;                   /* for has_vector */
    int nested;                   /* 1 inside a nested condition: has_id / has_vector are false */
} ectx;

static int eval_node(const flt_filter *f, uint32_t idx, const json_t *payload, const ectx *c);

/* bounds_ok_d: d within the flagged float bounds b[gt, gte, lt, lte]. */
static int bounds_ok_d(uint8_t fl, const double *b, double d) {
    return (!(fl & FLT_B_GT) || d > b[0]) && (!(fl & FLT_B_GTE) || d >= b[1]) &&
           (!(fl & FLT_B_LT) || d < b[2]) && (!(fl & FLT_B_LTE) || d <= b[3]);
}

static int bounds_ok_i(uint8_t fl, const int64_t *b, int64_t d) {
    return (!(fl & FLT_B_GT) || d > b[0]) && (!(fl & FLT_B_GTE) || d >= b[1]) &&
           (!(fl & FLT_B_LT) || d < b[2]) && (!(fl & FLT_B_LTE) || d <= b[3]);
}

static int bounds_ok_u(uint8_t fl, const uint64_t *b, uint64_t d) {
    return (!(fl & FLT_B_GT) || d > b[0]) && (!(fl & FLT_B_GTE) || d >= b[1]) &&
           (!(fl & FLT_B_LT) || d < b[2]) && (!(fl & FLT_B_LTE) || d <= b[3]);
}

/* ---- words ---- */

typedef struct word_find {
    const flt_str *w; /* the word looked for */
} word_find;

static int find_word(void *user, const char *tok, size_t len) {
    const flt_str *w = ((word_find *)user)->w;
    return len == w->len && memcmp(tok, w->s, len) == 0;
}

/* string_has_word: 1 if string value s has word w. */
static int string_has_word(const json_t *s, const flt_str *w) {
    word_find wf = {w};
    return flt_tokenize(json_string_value(s), json_string_length(s), find_word, &wf) != 0;
}

typedef struct word_walk {
    const flt_str *w; /* the word looked for in every string at the path */
} word_walk;

static int value_has_word(void *user, const json_t *v) {
    const flt_str *w = ((word_walk *)user)->w;
    if (json_is_string(v)) return string_has_word(v, w);
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (json_is_string(e) && string_has_word(e, w)) return 1;
        }
    }
    return 0;
}

/* text_match: match text (all words) / text_any (any word) over the point's strings at the
 * node's path, together. No words: no match. */
static int text_match(const flt_filter *f, const flt_node *n, const json_t *payload) {
    if (n->n_list == 0) return 0;
    int want_all = n->match == FLT_M_TEXT;
    for (uint32_t i = 0; i < n->n_list; i++) {
        word_walk ww = {&f->strs[n->list_at + i]};
        int has = flt_path_walk(n->path, payload, value_has_word, &ww) != 0;
        if (want_all && !has) return 0;
        if (!want_all && has) return 1;
    }
    return want_all;
}

typedef struct phrase_state {
    const flt_str *q;   /* the phrase words */
    uint32_t n;         /* how many (1 .. FLT_MAX_TEXT_TOKENS) */
    uint64_t act[(FLT_MAX_TEXT_TOKENS + 64) / 64]; /* bit k: the last k words matched q[0..k) */
} phrase_state;

static int phrase_token(void *user, const char *tok, size_t len) {
    phrase_state *ps = user;
    uint64_t nxt[sizeof ps->act / 8] = {0};
    ps->act[0] |= 1; /* the empty prefix is always matched */
    for (uint32_t k = 0; k < ps->n; k++) {
        if (!((ps->act[k >> 6] >> (k & 63)) & 1)) continue;
        if (ps->q[k].len == len && memcmp(ps->q[k].s, tok, len) == 0) {
            uint32_t k1 = k + 1;
            if (k1 == ps->n) return 1;
            nxt[k1 >> 6] |= 1ull << (k1 & 63);
        }
    }
    memcpy(ps->act, nxt, sizeof nxt);
    return 0;
}

/* phrase_in: 1 if string value s holds the words q[0..n) consecutively. */
static int phrase_in(const json_t *s, const flt_str *q, uint32_t n) {
    if (n == 0) return 0;
    phrase_state ps = {q, n, {0}};
    return flt_tokenize(json_string_value(s), json_string_length(s), phrase_token, &ps) != 0;
}

/* ---- field conditions ---- */

/* match_one: the match of node n holds for the single value x (not looked into). */
static int match_one(const flt_filter *f, const flt_node *n, const json_t *x) {
    int64_t iv;
    switch (n->match) {
    case FLT_M_STR:
        return json_is_string(x) && json_string_length(x) == n->str.len &&
               memcmp(json_string_value(x), n->str.s, n->str.len) == 0;
    case FLT_M_INT:
        return flt_json_i64(x, &iv) && iv == n->i64;
    case FLT_M_BOOL:
        return json_is_boolean(x) && json_is_true(x) == (n->i64 != 0);
    case FLT_M_ANY_STR:
        return json_is_string(x) &&
               flt_str_in(flt_strs(f, n->list_at), n->n_list, json_string_value(x),
                          json_string_length(x));
    case FLT_M_ANY_INT:
        return flt_json_i64(x, &iv) && flt_int_in(flt_ints(f, n->list_at), n->n_list, iv);
    case FLT_M_EXCEPT_STR:
        if (json_is_null(x)) return 0;
        if (!json_is_string(x)) return 1;
        return !flt_str_in(flt_strs(f, n->list_at), n->n_list, json_string_value(x),
                           json_string_length(x));
    case FLT_M_EXCEPT_INT:
        if (json_is_null(x)) return 0;
        if (!flt_json_i64(x, &iv)) return 1;
        return !flt_int_in(flt_ints(f, n->list_at), n->n_list, iv);
    case FLT_M_PHRASE:
        return json_is_string(x) && phrase_in(x, flt_strs(f, n->list_at), n->n_list);
    default:
        return 0; /* FLT_M_NONE; text / text_any are matched per point (text_match) */
    }
}

/* range_one: the range of node n holds for the single value x. */
static int range_one(const flt_node *n, const json_t *x) {
    if (n->range == FLT_R_FLOAT)
        return json_is_number(x) && bounds_ok_d(n->rflags, n->rf, json_number_value(x));
    if (n->range == FLT_R_DATETIME) {
        int64_t t;
        return json_is_string(x) &&
               flt_parse_datetime(json_string_value(x), json_string_length(x), &t) &&
               bounds_ok_i(n->rflags, n->rd, t);
    }
    return 0;
}

typedef struct field_walk {
    const flt_filter *f; /* the filter */
    const flt_node *n;   /* the field node */
    int seen;            /* a value was found at the path */
} field_walk;

/* check_one: FieldCondition::check for one value at the path (Qdrant's priority: values_count,
 * then is_empty, then is_null, then match / range looking one level into arrays). */
static int check_one(void *user, const json_t *v) {
    field_walk *w = user;
    const flt_node *n = w->n;
    w->seen = 1;
    if (n->has_vc) {
        uint64_t cnt = json_is_null(v) ? 0 : json_is_array(v) ? json_array_size(v) : 1;
        return bounds_ok_u(n->vcflags, n->vc, cnt);
    }
    if (n->is_empty >= 0) {
        int e = json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
        return e == n->is_empty;
    }
    if (n->is_null >= 0) {
        int z = json_is_null(v);
        for (size_t i = 0; !z && json_is_array(v) && i < json_array_size(v); i++)
            z = json_is_null(json_array_get(v, i));
        return z == n->is_null;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *x = json_array_get(v, i);
            if (match_one(w->f, n, x) || range_one(n, x)) return 1;
        }
        return 0;
    }
    return match_one(w->f, n, v) || range_one(n, v);
}

static int eval_field(const flt_filter *f, const flt_node *n, const json_t *payload) {
    field_walk w = {f, n, 0};
    if (flt_path_walk(n->path, payload, check_one, &w)) return 1;
    if (!w.seen) return n->is_empty >= 0 ? n->is_empty : n->is_null >= 0 ? !n->is_null : 0;
    if ((n->match == FLT_M_TEXT || n->match == FLT_M_TEXT_ANY) && !n->has_vc && n->is_empty < 0 &&
        n->is_null < 0)
        return text_match(f, n, payload);
    return 0;
}

static int not_empty_value(void *user, const json_t *v) {
    (void)user;
    return !(json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0));
}

static int null_value(void *user, const json_t *v) {
    (void)user;
    if (json_is_null(v)) return 1;
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
        if (json_is_null(json_array_get(v, i))) return 1;
    return 0;
}

/* has_id: binary search of the point's id in the node's sorted lists. */
static int has_id(const flt_filter *f, const flt_node *n, const vt_point_id *id) {
    uint32_t lo = 0, hi;
    if (id->is_uuid) {
        const uint8_t(*l)[16] = f->id_uuids ? f->id_uuids + n->idu_at : NULL;
        hi = n->n_idu;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            int c = memcmp(l[mid], id->uuid, 16);
            if (c == 0) return 1;
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        return 0;
    }
    const uint64_t *l = f->id_nums ? f->id_nums + n->idn_at : NULL;
    hi = n->n_idn;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[mid] == id->num) return 1;
        if (l[mid] < id->num) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

typedef struct nested_walk {
    const flt_filter *f; /* the filter */
    uint32_t inner;      /* the nested clause */
    const ectx *c;       /* the context for elements */
} nested_walk;

static int nested_elem(void *user, const json_t *v) {
    nested_walk *w = user;
    return json_is_object(v) && eval_node(w->f, w->inner, v, w->c);
}

static int eval_clause(const flt_filter *f, const flt_node *n, const json_t *payload,
                       const ectx *c) {
    for (uint32_t i = 0; i < n->n_must; i++)
        if (!eval_node(f, f->kids[n->must_at + i], payload, c)) return 0;
    for (uint32_t i = 0; i < n->n_not; i++)
        if (eval_node(f, f->kids[n->not_at + i], payload, c)) return 0;
    if (n->has_should) {
        int any = 0;
        for (uint32_t i = 0; i < n->n_should && !any; i++)
            any = eval_node(f, f->kids[n->should_at + i], payload, c);
        if (!any) return 0;
    }
    if (n->has_min_should) {
        uint32_t hits = 0;
        for (uint32_t i = 0; i < n->n_ms && hits < n->ms_min; i++)
            hits += (uint32_t)eval_node(f, f->kids[n->ms_at + i], payload, c);
        if (hits < n->ms_min) return 0;
    }
    return 1;
}

static int eval_node(const flt_filter *f, uint32_t idx, const json_t *payload, const ectx *c) {
    const flt_node *n = &f->nodes[idx];
    switch (n->kind) {
    case FLT_N_CLAUSE:
        return eval_clause(f, n, payload, c);
    case FLT_N_FIELD:
        return eval_field(f, n, payload);
    case FLT_N_IS_EMPTY:
        return !flt_path_walk(n->path, payload, not_empty_value, NULL);
    case FLT_N_IS_NULL:
        return flt_path_walk(n->path, payload, null_value, NULL);
    case FLT_N_HAS_ID:
        return !c->nested && c->id && has_id(f, n, c->id);
    case FLT_N_HAS_VECTOR:
        if (c->nested) return 0;
        return c->has_vector ? c->has_vector(c->user, n->name.s) != 0 : 1;
    case FLT_N_NESTED: {
        ectx inner = {NULL, NULL, NULL, 1};
        nested_walk w = {f, n->inner, &inner};
        return flt_path_walk(n->path, payload, nested_elem, &w);
    }
    default:
        return 0;
    }
}

int flt_match_point(const flt_filter *f, const flt_point *p) {
    ectx c = {p->id, p->has_vector, p->user, 0};
    const json_t *pl = json_is_object(p->payload) ? p->payload : NULL;
    return eval_node(f, f->root, pl, &c);
}

int flt_match(const flt_filter *f, const vt_point_id *id, const json_t *payload) {
    flt_point p = {id, payload, NULL, NULL};
    return flt_match_point(f, &p);
}
