/*
 * filter_int.h — the compiled form of a filter, private to src/db (filter*.c and the payload
 * index, which reads the compiled tree to answer conditions from its indexes).
 *
 * A flt_filter is a flat array of nodes; node `root` is a clause. Clause children are runs of
 * node indexes in `kids`. Strings (match values, any/except lists, words of text queries) live in
 * `strs`, integers in `ints`, has_id lists in `id_nums` / `id_uuids`; a node refers to them by
 * (offset, count). All of it is allocated by the parser and freed by flt_free; nothing changes
 * after parsing.
 */
#ifndef VT_DB_FILTER_INT_H
#define VT_DB_FILTER_INT_H

#include <jansson.h>
#include <stdint.h>

#include "db/filter.h"

/* ---- key paths ---- */

enum { FLT_SEG_KEY = 1, FLT_SEG_INDEX = 2, FLT_SEG_WILD = 3 };

typedef struct flt_seg {
    uint8_t kind;   /* FLT_SEG_KEY (.name), FLT_SEG_INDEX ([N]), FLT_SEG_WILD ([]) */
    uint32_t index; /* N for FLT_SEG_INDEX */
    char *key;      /* the object key, NUL-terminated (FLT_SEG_KEY); owned by the path */
} flt_seg;

typedef struct flt_path {
    flt_seg *segs;   /* n_segs segments; segs[0] is always a key */
    uint32_t n_segs; /* 1 .. FLT_MAX_PATH_PARTS + 1 */
    char *canon;     /* canonical text (keys quoted only where needed), NUL-terminated */
} flt_path;

/* flt_path_parse: parses key path text s[0..len) into *out (caller: flt_path_free). Returns 0, or
 * VT_EINVAL / VT_ELIMIT / VT_ENOMEM with a message naming `where` and the path. */
int flt_path_parse(const char *s, size_t len, const char *where, flt_path **out, vt_error *err);

/* flt_path_append_wild: a copy of p with a trailing [] added unless p already ends with one
 * (Qdrant's array_key()). NULL on allocation failure. */
flt_path *flt_path_array_key(const flt_path *p);

/* flt_path_free: releases p; NULL is accepted. */
void flt_path_free(flt_path *p);

/* flt_value_fn: receives one value found at a path; a non-zero return stops the walk and is
 * returned by flt_path_walk. */
typedef int (*flt_value_fn)(void *user, const json_t *v);

/* flt_path_walk: calls fn for every value at path p in object `obj` (Qdrant's JsonPath::value_get:
 * keys descend into objects, [N] into arrays, [] into every element; a leaf array is delivered
 * whole, not flattened). obj NULL or not an object: no values. Returns the first non-zero fn
 * result, else 0. Recursion depth is bounded by p->n_segs. Allocates nothing. */
int flt_path_walk(const flt_path *p, const json_t *obj, flt_value_fn fn, void *user);

/* flt_is_canonical_uuid: 1 if s[0..len) is a lowercase hyphenated UUID (the only spelling the
 * uuid payload index stores, so that string equality and UUID equality agree). */
int flt_is_canonical_uuid(const char *s, size_t len);

/* ---- compiled nodes ---- */

enum {
    FLT_N_CLAUSE = 1,  /* must / should / must_not / min_should */
    FLT_N_FIELD,       /* FieldCondition: key + match / range / values_count / is_empty / is_null */
    FLT_N_IS_EMPTY,    /* {"is_empty": {"key": K}} */
    FLT_N_IS_NULL,     /* {"is_null": {"key": K}} */
    FLT_N_HAS_ID,      /* {"has_id": [ids]} */
    FLT_N_HAS_VECTOR,  /* {"has_vector": "name"} */
    FLT_N_NESTED,      /* {"nested": {"key": K, "filter": F}} */
};

enum {
    FLT_M_NONE = 0,
    FLT_M_STR,        /* match value: string (str) */
    FLT_M_INT,        /* match value: integer (i64) */
    FLT_M_BOOL,       /* match value: boolean (i64 0/1) */
    FLT_M_ANY_STR,    /* match any: strings (list in strs) */
    FLT_M_ANY_INT,    /* match any: integers (sorted list in ints) */
    FLT_M_EXCEPT_STR, /* match except: strings */
    FLT_M_EXCEPT_INT, /* match except: integers */
    FLT_M_TEXT,       /* match text: all words (list of words in strs) */
    FLT_M_TEXT_ANY,   /* match text_any: any word */
    FLT_M_PHRASE,     /* match phrase: the words in a row in one string */
};

enum { FLT_R_NONE = 0, FLT_R_FLOAT = 1, FLT_R_DATETIME = 2 };

/* Bound flags, shared by range, datetime range and values_count. */
enum { FLT_B_GT = 1, FLT_B_GTE = 2, FLT_B_LT = 4, FLT_B_LTE = 8 };

typedef struct flt_str {
    const char *s; /* bytes, owned by the filter (may contain NUL) */
    uint32_t len;  /* byte length */
} flt_str;

typedef struct flt_node {
    uint8_t kind;          /* FLT_N_* */
    /* clause */
    uint8_t has_should;    /* "should" was given (an empty list then matches nothing) */
    uint8_t has_min_should; /* "min_should" was given */
    uint32_t must_at, n_must;       /* children: kids[must_at .. +n_must) */
    uint32_t should_at, n_should;   /* children of should */
    uint32_t not_at, n_not;         /* children of must_not */
    uint32_t ms_at, n_ms;           /* children of min_should.conditions */
    uint32_t ms_min;                /* min_should.min_count (>= 1) */
    /* field, is_empty, is_null, nested */
    flt_path *path;        /* the key path (nested: the key with [] appended) */
    /* field */
    uint8_t match;         /* FLT_M_* */
    uint8_t range;         /* FLT_R_* */
    uint8_t has_vc;        /* values_count given */
    int8_t is_empty;       /* field-level is_empty: -1 unset, else 0/1 */
    int8_t is_null;        /* field-level is_null: -1 unset, else 0/1 */
    flt_str str;           /* FLT_M_STR value */
    int64_t i64;           /* FLT_M_INT value, FLT_M_BOOL 0/1 */
    uint32_t list_at, n_list; /* any/except/text lists: strs[...] or ints[...] */
    uint8_t rflags;        /* FLT_B_* present in the range */
    double rf[4];          /* float range bounds: [0] gt, [1] gte, [2] lt, [3] lte */
    int64_t rd[4];         /* datetime bounds (microseconds since the epoch, UTC), same order */
    uint8_t vcflags;       /* FLT_B_* present in values_count */
    uint64_t vc[4];        /* values_count bounds, same order */
    /* has_id */
    uint32_t idn_at, n_idn; /* sorted distinct integer ids: id_nums[...] */
    uint32_t idu_at, n_idu; /* sorted distinct UUIDs: id_uuids[...] */
    /* has_vector */
    flt_str name;          /* vector name */
    /* nested */
    uint32_t inner;        /* node index of the nested filter (a clause) */
} flt_node;

struct flt_filter {
    flt_node *nodes;       /* n_nodes nodes */
    uint32_t n_nodes, cap_nodes;
    uint32_t root;         /* index of the top clause */
    uint32_t *kids;        /* clause children (node indexes) */
    uint32_t n_kids, cap_kids;
    flt_str *strs;         /* string lists */
    uint32_t n_strs, cap_strs;
    int64_t *ints;         /* integer lists (sorted per list) */
    uint32_t n_ints, cap_ints;
    uint64_t *id_nums;     /* has_id integer ids (sorted per list) */
    uint32_t n_id_nums, cap_id_nums;
    uint8_t (*id_uuids)[16]; /* has_id UUIDs (sorted per list) */
    uint32_t n_id_uuids, cap_id_uuids;
    void **owned;          /* every string copy and path, freed by flt_free */
    uint32_t n_owned, cap_owned;
    uint32_t n_values;     /* list items so far (FLT_MAX_VALUES) */
};

/* flt_strs / flt_ints: a node's list (NULL when the filter has no list storage at all, so
 * empty lists never do arithmetic on a null pointer). */
static inline const flt_str *flt_strs(const flt_filter *f, uint32_t at) {
    return f->strs ? f->strs + at : NULL;
}
static inline const int64_t *flt_ints(const flt_filter *f, uint32_t at) {
    return f->ints ? f->ints + at : NULL;
}

/* flt_str_cmp: byte order of a[0..alen) and b[0..blen), shorter first on a common prefix:
 * <0, 0, >0. The order of match any / except lists. */
int flt_str_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* flt_str_in: binary search of s in list[0..n), sorted by flt_str_cmp. */
int flt_str_in(const flt_str *list, uint32_t n, const char *s, size_t len);

/* flt_int_in: binary search of sorted list[0..n). */
int flt_int_in(const int64_t *list, uint32_t n, int64_t v);

/* flt_json_i64: 1 and *out if v is a JSON integer (as serde's as_i64: reals never are). */
int flt_json_i64(const json_t *v, int64_t *out);

#endif
