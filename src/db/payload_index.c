/*
 * payload_index.c — the payload index set: fields, keeping them up to date on writes, schema
 * parsing and introspection. Query-side code is in payload_index_query.c, containers in
 * payload_index_posting.c.
 *
 * What a field stores. For each live point the field's key path is walked (flt_path_walk, the
 * filter's own walk) and every value found — or, for a value that is an array, every element
 * (one level, as match and range look) — is classified by the index type:
 *
 *   type      stored (value -> slot)                 "other" (remembered per slot)
 *   keyword   strings (bytes)                        non-null non-strings
 *   integer   JSON integers (int64)                  non-null non-integers (reals: range;
 *                                                      everything: match except)
 *   float     numbers (order-preserving double bits)  —
 *   bool      true / false                           —
 *   uuid      lowercase hyphenated UUID strings       non-null values not stored
 *   datetime  strings flt_parse_datetime accepts (us) —
 *   text      the words of every string (flt_tokenize) —
 *
 * "other" slots are those whose answer the stored values cannot settle for some condition this
 * index answers (e.g. 3.5 under an integer index for a range; true under a keyword index for
 * match except, which every non-string matches); query code turns them into "maybe" or "sure"
 * per condition. Values that can never satisfy an answered condition (null for everything, a
 * string under a float index) need no record. `has` holds slots with a stored value (text: with
 * a string), for is_empty and the payload_schema point counts. A point with more than
 * PIDX_MAX_VALUES_PER_POINT values (or PIDX_MAX_SCRATCH key bytes) keeps the first ones and is
 * put in `overflow`: every answer for it becomes "maybe", so results stay exact.
 *
 * Updates are all-or-nothing: pass 1 extracts the new values of every field and reserves room
 * for them (may allocate, may fail: the set is then unchanged in meaning — at most some empty
 * postings and spare capacity were added); pass 2 re-extracts and applies the difference old ->
 * new, which allocates nothing. Extraction scratch (va, vb) only grows, so re-extracting a
 * payload that was extracted before never allocates — this is why pidx_remove cannot fail as
 * long as it is given the payload that was added.
 *
 * Locking: none inside. Writers need exclusive access; readers (const functions) may share.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "db/payload_index_int.h"

/* ---- extraction ---- */

static void vals_reset(pidx_vals *v) {
    v->n = v->n_chars = 0;
    v->has = v->other = v->overflow = 0;
}

static void vals_free(pidx_vals *v) {
    vt_free(v->chars);
    vt_free(v->keys);
    vt_free(v->nums);
    memset(v, 0, sizeof *v);
}

/* vals_room: room for one more value. 0, 1 (full: overflow) or VT_ENOMEM. */
static int vals_room(pidx_vals *v) {
    if (v->n >= PIDX_MAX_VALUES_PER_POINT) return 1;
    if (v->n < v->cap) return 0;
    uint32_t nc = v->cap ? v->cap * 2 : 16;
    if (nc > PIDX_MAX_VALUES_PER_POINT) nc = PIDX_MAX_VALUES_PER_POINT;
    pidx_kref *k = vt_realloc(v->keys, (size_t)nc * sizeof *k);
    if (!k) return VT_ENOMEM;
    v->keys = k;
    int64_t *n = vt_realloc(v->nums, (size_t)nc * sizeof *n);
    if (!n) return VT_ENOMEM;
    v->nums = n;
    v->cap = nc;
    return 0;
}

static int add_key(pidx_vals *v, const char *s, uint32_t len) {
    int r = vals_room(v);
    if (r == 0 && (uint64_t)v->n_chars + len > PIDX_MAX_SCRATCH) r = 1;
    if (r == 0 && (v->n_chars + len > v->cap_chars || !v->chars)) {
        uint64_t nc = v->cap_chars ? v->cap_chars : 256;
        while (nc < (uint64_t)v->n_chars + len) nc *= 2;
        if (nc > PIDX_MAX_SCRATCH) nc = PIDX_MAX_SCRATCH;
        char *c = vt_realloc(v->chars, nc);
        if (!c) return VT_ENOMEM;
        v->chars = c;
        v->cap_chars = (uint32_t)nc;
    }
    if (r == 1) {
        v->overflow = 1;
        return 0;
    }
    if (r) return r;
    if (len) memcpy(v->chars + v->n_chars, s, len);
    v->keys[v->n].off = v->n_chars;
    v->keys[v->n].len = len;
    v->n_chars += len;
    v->n++;
    return 0;
}

static int add_num(pidx_vals *v, int64_t k) {
    int r = vals_room(v);
    if (r == 1) {
        v->overflow = 1;
        return 0;
    }
    if (r) return r;
    v->nums[v->n++] = k;
    return 0;
}

typedef struct xctx {
    pidx_type type; /* the field's type */
    pidx_vals *v;   /* where values go */
    int rc;         /* first error */
} xctx;

static int take_word(void *user, const char *tok, size_t len) {
    xctx *x = user;
    x->rc = add_key(x->v, tok, (uint32_t)len);
    return x->rc != 0;
}

/* classify: one scalar (or nested array) x under the field's type. */
static void classify(xctx *x, const json_t *x_) {
    pidx_vals *v = x->v;
    int64_t iv;
    switch (x->type) {
    case PIDX_KEYWORD:
        if (json_is_string(x_)) x->rc = add_key(v, json_string_value(x_), (uint32_t)json_string_length(x_));
        else if (!json_is_null(x_)) v->other = 1;
        break;
    case PIDX_INTEGER:
        if (flt_json_i64(x_, &iv)) x->rc = add_num(v, iv);
        else if (!json_is_null(x_)) v->other = 1;
        break;
    case PIDX_FLOAT:
        if (json_is_number(x_)) x->rc = add_num(v, pidx_key_double(json_number_value(x_)));
        break;
    case PIDX_BOOL:
        if (json_is_boolean(x_)) x->rc = add_key(v, json_is_true(x_) ? "1" : "0", 1);
        break;
    case PIDX_UUID: {
        uint8_t u[16];
        if (json_is_string(x_) &&
            flt_is_canonical_uuid(json_string_value(x_), json_string_length(x_)) &&
            flt_parse_uuid(json_string_value(x_), json_string_length(x_), u))
            x->rc = add_key(v, (const char *)u, 16);
        else if (!json_is_null(x_)) v->other = 1;
        break;
    }
    case PIDX_DATETIME:
        if (json_is_string(x_) &&
            flt_parse_datetime(json_string_value(x_), json_string_length(x_), &iv))
            x->rc = add_num(v, iv);
        break;
    case PIDX_TEXT:
        if (json_is_string(x_)) {
            v->has = 1;
            flt_tokenize(json_string_value(x_), json_string_length(x_), take_word, x);
        }
        break;
    }
}

static int extract_value(void *user, const json_t *val) {
    xctx *x = user;
    if (json_is_array(val)) {
        for (size_t i = 0; i < json_array_size(val) && !x->rc; i++)
            classify(x, json_array_get(val, i));
    } else {
        classify(x, val);
    }
    return x->rc != 0;
}

static int cmp_kref(const void *a, const void *b, void *chars) {
    const pidx_kref *x = a, *y = b;
    const char *c = chars;
    return flt_str_cmp(c + x->off, x->len, c + y->off, y->len);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int is_map_type(pidx_type t) {
    return t == PIDX_KEYWORD || t == PIDX_BOOL || t == PIDX_UUID || t == PIDX_TEXT;
}

/* extract: the values of `payload` for field f into v, sorted and distinct. VT_ENOMEM only when
 * scratch must grow and cannot. */
static int extract(const pidx_fld *f, const json_t *payload, pidx_vals *v) {
    vals_reset(v);
    xctx x = {f->type, v, 0};
    flt_path_walk(f->path, payload, extract_value, &x);
    if (x.rc) return x.rc;
    uint32_t w = 0;
    if (is_map_type(f->type)) {
        if (v->n) qsort_r(v->keys, v->n, sizeof *v->keys, cmp_kref, v->chars);
        for (uint32_t i = 0; i < v->n; i++)
            if (w == 0 || cmp_kref(&v->keys[w - 1], &v->keys[i], v->chars) != 0) v->keys[w++] = v->keys[i];
    } else {
        if (v->n) qsort(v->nums, v->n, sizeof *v->nums, cmp_i64);
        for (uint32_t i = 0; i < v->n; i++)
            if (w == 0 || v->nums[w - 1] != v->nums[i]) v->nums[w++] = v->nums[i];
    }
    v->n = w;
    if (w > 0) v->has = 1;
    return 0;
}

/* ---- applying values ---- */

/* field_reserve: room to add slot with values a to field f (its current contents unchanged in
 * meaning). 0 or VT_ENOMEM. */
static int field_reserve(pidx_fld *f, uint32_t slot, const pidx_vals *a) {
    if (is_map_type(f->type)) {
        for (uint32_t i = 0; i < a->n; i++)
            if (pidx_map_ensure(&f->map, a->chars + a->keys[i].off, a->keys[i].len)) return VT_ENOMEM;
        for (uint32_t i = 0; i < a->n; i++) {
            pidx_mentry *e = pidx_map_get(&f->map, a->chars + a->keys[i].off, a->keys[i].len);
            if (!e || pidx_post_reserve(&e->post, slot)) return VT_ENOMEM;
        }
    } else if (pidx_num_reserve(&f->num, a->n)) {
        return VT_ENOMEM;
    }
    if (a->has && pidx_post_reserve(&f->has, slot)) return VT_ENOMEM;
    if (a->other && pidx_post_reserve(&f->other, slot)) return VT_ENOMEM;
    if (a->overflow && pidx_post_reserve(&f->overflow, slot)) return VT_ENOMEM;
    return 0;
}

static void map_add(pidx_fld *f, uint32_t slot, const pidx_vals *v, uint32_t i) {
    pidx_mentry *e = pidx_map_get(&f->map, v->chars + v->keys[i].off, v->keys[i].len);
    if (e && pidx_post_add(&e->post, slot)) f->n_vals++;
}

static void map_remove(pidx_fld *f, uint32_t slot, const pidx_vals *v, uint32_t i) {
    pidx_mentry *e = pidx_map_get(&f->map, v->chars + v->keys[i].off, v->keys[i].len);
    if (e && pidx_post_remove(&e->post, slot)) {
        f->n_vals--;
        if (e->post.card == 0) pidx_map_delete(&f->map, e);
    }
}

/* kcmp: order of map key i of x and key j of y. */
static int kcmp(const pidx_vals *x, uint32_t i, const pidx_vals *y, uint32_t j) {
    return flt_str_cmp(x->chars + x->keys[i].off, x->keys[i].len, y->chars + y->keys[j].off,
                       y->keys[j].len);
}

static void flag_apply(pidx_post *p, uint32_t slot, int now, int before) {
    if (now && !before) pidx_post_add(p, slot);
    else if (!now && before) pidx_post_remove(p, slot);
}

/* field_apply: changes slot's values in f from b to a (a reserved by field_reserve). Adds
 * first, then removes, so nothing a still needs is freed. Allocates nothing. */
static void field_apply(pidx_fld *f, uint32_t slot, const pidx_vals *a, const pidx_vals *b) {
    uint32_t i, j;
    if (is_map_type(f->type)) {
        for (i = 0, j = 0; i < a->n; i++) { /* a \ b */
            while (j < b->n && kcmp(b, j, a, i) < 0) j++;
            if (j < b->n && kcmp(b, j, a, i) == 0) continue;
            map_add(f, slot, a, i);
        }
        for (j = 0, i = 0; j < b->n; j++) { /* b \ a */
            while (i < a->n && kcmp(a, i, b, j) < 0) i++;
            if (i < a->n && kcmp(a, i, b, j) == 0) continue;
            map_remove(f, slot, b, j);
        }
    } else {
        for (i = 0, j = 0; i < a->n; i++) {
            while (j < b->n && b->nums[j] < a->nums[i]) j++;
            if (j < b->n && b->nums[j] == a->nums[i]) continue;
            pidx_num_insert(&f->num, a->nums[i], slot);
            f->n_vals++;
        }
        for (j = 0, i = 0; j < b->n; j++) {
            while (i < a->n && a->nums[i] < b->nums[j]) i++;
            if (i < a->n && a->nums[i] == b->nums[j]) continue;
            uint64_t before = f->num.n;
            pidx_num_remove(&f->num, b->nums[j], slot);
            if (f->num.n < before) f->n_vals--;
        }
    }
    flag_apply(&f->has, slot, a->has, b->has);
    flag_apply(&f->other, slot, a->other, b->other);
    flag_apply(&f->overflow, slot, a->overflow, b->overflow);
    if (a->n > f->max_vals) f->max_vals = a->n;
}

/* ---- the set ---- */

static void field_free(pidx_fld *f) {
    if (!f) return;
    vt_free(f->key);
    flt_path_free(f->path);
    pidx_map_free(&f->map);
    pidx_num_free(&f->num);
    pidx_post_free(&f->has);
    pidx_post_free(&f->other);
    pidx_post_free(&f->overflow);
    vt_free(f);
}

int pidx_set_new(pidx_set **out, vt_error *err) {
    *out = vt_calloc(1, sizeof **out);
    return *out ? 0 : vt_fail(err, VT_ENOMEM, "payload index: out of memory");
}

void pidx_set_free(pidx_set *s) {
    if (!s) return;
    for (uint32_t i = 0; i < s->n_fields; i++) field_free(s->fields[i]);
    vt_free(s->fields);
    vt_free(s->live);
    vals_free(&s->va);
    vals_free(&s->vb);
    vt_free(s);
}

const char *pidx_type_name(pidx_type t) {
    switch (t) {
    case PIDX_KEYWORD: return "keyword";
    case PIDX_INTEGER: return "integer";
    case PIDX_FLOAT: return "float";
    case PIDX_BOOL: return "bool";
    case PIDX_UUID: return "uuid";
    case PIDX_DATETIME: return "datetime";
    case PIDX_TEXT: return "text";
    }
    return "unknown";
}

static int type_from_name(const char *s, pidx_type *out) {
    for (int t = PIDX_KEYWORD; t <= PIDX_TEXT; t++) {
        if (!strcmp(s, pidx_type_name((pidx_type)t))) {
            *out = (pidx_type)t;
            return 1;
        }
    }
    return 0;
}

int pidx_type_parse(const json_t *schema, const char *where, pidx_type *out, vt_error *err) {
    if (!where) where = "field_schema";
    const char *name = NULL;
    if (json_is_string(schema)) name = json_string_value(schema);
    else if (json_is_object(schema) && json_is_string(json_object_get(schema, "type")))
        name = json_string_value(json_object_get(schema, "type"));
    else
        return vt_fail(err, VT_EINVAL, "%s: expected a type name or {\"type\": ...}", where);
    if (!strcmp(name, "geo"))
        return vt_fail(err, VT_EUNSUPPORTED, "%s: geo indexes are not supported", where);
    if (!type_from_name(name, out))
        return vt_fail(err, VT_EINVAL, "%s: unknown index type \"%s\" (keyword, integer, float, "
                       "bool, uuid, datetime, text)", where, name);
    if (!json_is_object(schema)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)schema, k, v) {
        if (!strcmp(k, "type") || json_is_null(v)) continue;
        /* accepted, no effect on results */
        if (!strcmp(k, "on_disk") || !strcmp(k, "memory") || !strcmp(k, "is_tenant") ||
            !strcmp(k, "is_principal") || !strcmp(k, "lookup") || !strcmp(k, "range") ||
            !strcmp(k, "enable_hnsw") || (*out == PIDX_TEXT && !strcmp(k, "phrase_matching")))
            continue;
        if (*out == PIDX_TEXT) {
            if (!strcmp(k, "tokenizer")) {
                if (json_is_string(v) && !strcmp(json_string_value(v), "word")) continue;
                return vt_fail(err, VT_EUNSUPPORTED, "%s.tokenizer: only \"word\" is supported",
                               where);
            }
            if (!strcmp(k, "lowercase")) {
                if (json_is_true(v)) continue;
                return vt_fail(err, VT_EUNSUPPORTED, "%s.lowercase: only true is supported", where);
            }
            if (!strcmp(k, "ascii_folding")) {
                if (json_is_false(v)) continue;
                return vt_fail(err, VT_EUNSUPPORTED, "%s.ascii_folding: not supported", where);
            }
            if (!strcmp(k, "min_token_len") || !strcmp(k, "max_token_len") ||
                !strcmp(k, "stopwords") || !strcmp(k, "stemmer"))
                return vt_fail(err, VT_EUNSUPPORTED, "%s.%s: not supported", where, k);
        }
        return vt_fail(err, VT_EINVAL, "%s: unknown key \"%s\" for a %s index", where, k, name);
    }
    return 0;
}

/* find_field: index of the field whose key (as created or canonical) is `key`; -1 if none. */
static int64_t find_field(const pidx_set *s, const char *key) {
    for (uint32_t i = 0; i < s->n_fields; i++)
        if (!strcmp(s->fields[i]->key, key) || !strcmp(s->fields[i]->path->canon, key)) return i;
    return -1;
}

int pidx_create(pidx_set *s, const char *key, pidx_type type, int *is_new, vt_error *err) {
    int dummy;
    if (!is_new) is_new = &dummy;
    *is_new = 0;
    if (type < PIDX_KEYWORD || type > PIDX_TEXT)
        return vt_fail(err, VT_EINVAL, "field_name %s: unknown index type %d", key, (int)type);
    flt_path *path = NULL;
    int rc = flt_path_parse(key, strlen(key), "field_name", &path, err);
    if (rc) return rc;
    int64_t at = -1;
    for (uint32_t i = 0; i < s->n_fields; i++)
        if (!strcmp(s->fields[i]->path->canon, path->canon)) at = i;
    if (at >= 0 && s->fields[at]->type == type) {
        flt_path_free(path);
        return 0;
    }
    if (at < 0 && s->n_fields >= PIDX_MAX_FIELDS) {
        flt_path_free(path);
        return vt_fail(err, VT_ELIMIT, "field_name %s: more than %d payload indexes", key,
                       PIDX_MAX_FIELDS);
    }
    pidx_fld *f = vt_calloc(1, sizeof *f);
    char *k = vt_strdup(key);
    if (!f || !k) goto oom;
    if (at < 0 && s->n_fields == s->cap_fields) {
        uint32_t nc = s->cap_fields ? s->cap_fields * 2 : 8;
        pidx_fld **fs = vt_realloc(s->fields, (size_t)nc * sizeof *fs);
        if (!fs) goto oom;
        s->fields = fs;
        s->cap_fields = nc;
    }
    f->key = k;
    f->path = path;
    f->type = type;
    if (at >= 0) {
        field_free(s->fields[at]);
        s->fields[at] = f;
    } else {
        s->fields[s->n_fields++] = f;
    }
    *is_new = 1;
    return 0;
oom:
    vt_free(f);
    vt_free(k);
    flt_path_free(path);
    return vt_fail(err, VT_ENOMEM, "field_name %s: out of memory", key);
}

int pidx_drop(pidx_set *s, const char *key, vt_error *err) {
    int64_t at = find_field(s, key);
    if (at < 0) return vt_fail(err, VT_ENOTFOUND, "field_name %s: no payload index on it", key);
    field_free(s->fields[at]);
    memmove(s->fields + at, s->fields + at + 1, (size_t)(s->n_fields - (uint32_t)at - 1) * sizeof *s->fields);
    s->n_fields--;
    return 0;
}

int pidx_is_live(const pidx_set *s, uint32_t slot) {
    return slot < s->bound && ((s->live[slot >> 6] >> (slot & 63)) & 1);
}

int pidx_backfill(pidx_set *s, const char *key, uint32_t slot, const json_t *payload,
                  vt_error *err) {
    int64_t at = find_field(s, key);
    if (at < 0) return vt_fail(err, VT_ENOTFOUND, "field_name %s: no payload index on it", key);
    if (!pidx_is_live(s, slot))
        return vt_fail(err, VT_EINVAL, "payload index %s: slot %u is not live", key, slot);
    pidx_fld *f = s->fields[at];
    if (extract(f, payload, &s->va) || field_reserve(f, slot, &s->va))
        return vt_fail(err, VT_ENOMEM, "payload index %s: out of memory", key);
    vals_reset(&s->vb);
    extract(f, payload, &s->va);
    field_apply(f, slot, &s->va, &s->vb);
    return 0;
}

/* live_reserve: live bitset covers slot. */
static int live_reserve(pidx_set *s, uint32_t slot) {
    uint32_t need = (slot >> 6) + 1;
    if (need <= s->live_words) return 0;
    uint64_t nc = s->live_words ? s->live_words : 16;
    while (nc < need) nc *= 2;
    if (nc > (1u << 26)) nc = 1u << 26; /* 2^32 bits */
    uint64_t *l = vt_realloc(s->live, nc * 8);
    if (!l) return VT_ENOMEM;
    memset(l + s->live_words, 0, (nc - s->live_words) * 8);
    s->live = l;
    s->live_words = (uint32_t)nc;
    return 0;
}

/* update: the shared body of add / update: values old_pl -> new_pl for every field. old_pl is
 * ignored when is_add. */
static int update(pidx_set *s, uint32_t slot, const json_t *old_pl, const json_t *new_pl,
                  int is_add, vt_error *err) {
    if (is_add && live_reserve(s, slot))
        return vt_fail(err, VT_ENOMEM, "payload index: slot %u: out of memory", slot);
    for (uint32_t i = 0; i < s->n_fields; i++) { /* pass 1: reserve */
        pidx_fld *f = s->fields[i];
        if (extract(f, new_pl, &s->va) || field_reserve(f, slot, &s->va) ||
            (!is_add && extract(f, old_pl, &s->vb)))
            return vt_fail(err, VT_ENOMEM, "payload index %s: slot %u: out of memory", f->key,
                           slot);
    }
    for (uint32_t i = 0; i < s->n_fields; i++) { /* pass 2: apply, no allocation */
        pidx_fld *f = s->fields[i];
        extract(f, new_pl, &s->va);
        if (is_add) vals_reset(&s->vb);
        else extract(f, old_pl, &s->vb);
        field_apply(f, slot, &s->va, &s->vb);
    }
    if (is_add) {
        s->live[slot >> 6] |= 1ull << (slot & 63);
        s->n_live++;
        if (slot >= s->bound) s->bound = slot + 1;
    }
    return 0;
}

int pidx_add(pidx_set *s, uint32_t slot, const json_t *payload, vt_error *err) {
    if (slot == UINT32_MAX) return vt_fail(err, VT_EINVAL, "payload index: slot %u out of range", slot);
    if (pidx_is_live(s, slot)) return vt_fail(err, VT_EINVAL, "payload index: slot %u is already live", slot);
    return update(s, slot, NULL, payload, 1, err);
}

int pidx_update(pidx_set *s, uint32_t slot, const json_t *old_payload, const json_t *new_payload,
                vt_error *err) {
    if (!pidx_is_live(s, slot)) return vt_fail(err, VT_EINVAL, "payload index: slot %u is not live", slot);
    return update(s, slot, old_payload, new_payload, 0, err);
}

void pidx_remove(pidx_set *s, uint32_t slot, const json_t *payload) {
    if (!pidx_is_live(s, slot)) return;
    for (uint32_t i = 0; i < s->n_fields; i++) {
        pidx_fld *f = s->fields[i];
        extract(f, payload, &s->va); /* grew for this payload when it was added: no allocation */
        vals_reset(&s->vb);
        field_apply(f, slot, &s->vb, &s->va);
    }
    s->live[slot >> 6] &= ~(1ull << (slot & 63));
    s->n_live--;
}

uint64_t pidx_n_live(const pidx_set *s) { return s->n_live; }

uint32_t pidx_slot_bound(const pidx_set *s) { return s->bound; }

uint32_t pidx_n_fields(const pidx_set *s) { return s->n_fields; }

static void fill_info(const pidx_fld *f, pidx_field_info *out) {
    out->key = f->key;
    out->type = f->type;
    out->n_points = f->has.card;
}

int pidx_field(const pidx_set *s, uint32_t i, pidx_field_info *out) {
    if (i >= s->n_fields) return VT_ENOTFOUND;
    fill_info(s->fields[i], out);
    return 0;
}

int pidx_find(const pidx_set *s, const char *key, pidx_field_info *out) {
    int64_t at = find_field(s, key);
    if (at < 0) return 0;
    if (out) fill_info(s->fields[at], out);
    return 1;
}

uint64_t pidx_mem_bytes(const pidx_set *s) {
    uint64_t b = sizeof *s + (uint64_t)s->live_words * 8 + (uint64_t)s->cap_fields * sizeof(void *) +
                 s->va.cap_chars + s->vb.cap_chars + (uint64_t)(s->va.cap + s->vb.cap) * 16;
    for (uint32_t i = 0; i < s->n_fields; i++) {
        const pidx_fld *f = s->fields[i];
        b += sizeof *f + pidx_map_bytes(&f->map) + pidx_num_bytes(&f->num) +
             pidx_post_bytes(&f->has) + pidx_post_bytes(&f->other) + pidx_post_bytes(&f->overflow);
    }
    return b;
}

/* splitmix64 [Steele, Lea, Flood 2014]. */
static uint64_t rng_next(uint64_t *st) {
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t pidx_sample_live(const pidx_set *s, uint64_t *rng_state, uint32_t *out, uint32_t n) {
    if (s->n_live == 0) return 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t slot = UINT32_MAX;
        for (int tries = 0; tries < 64 && slot == UINT32_MAX; tries++) {
            uint32_t c = (uint32_t)(rng_next(rng_state) % s->bound);
            if (pidx_is_live(s, c)) slot = c;
        }
        if (slot == UINT32_MAX) { /* sparse: pick the r-th live slot */
            uint64_t r = rng_next(rng_state) % s->n_live;
            for (uint32_t w = 0; w < s->live_words; w++) {
                uint64_t word = s->live[w];
                uint64_t pc = (uint64_t)__builtin_popcountll(word);
                if (r >= pc) {
                    r -= pc;
                    continue;
                }
                while (r--) word &= word - 1;
                slot = (w << 6) | (uint32_t)__builtin_ctzll(word);
                break;
            }
        }
        out[k] = slot;
    }
    return n;
}
