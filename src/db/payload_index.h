/*
 * payload_index.h — per-collection payload indexes over internal uint32 slots, kept up to date on
 * every write, and filter evaluation from them: a cardinality estimate (for the planner) and the
 * set of matching slots (for exact search and for HNSW's filter predicate).
 *
 * A collection owns one pidx_set. Its owner (src/db's collection code) calls:
 *
 *     pidx_set *ix; pidx_set_new(&ix, &err);
 *     pidx_create(ix, "color", PIDX_KEYWORD, &is_new, &err);     // user: PUT /index
 *     if (is_new) for each live point: pidx_backfill(ix, "color", slot, payload, &err);
 *     pidx_add(ix, slot, payload, &err);                         // insert of a new point
 *     pidx_update(ix, slot, old_payload, new_payload, &err);     // payload changed
 *     pidx_remove(ix, slot, old_payload);                        // delete
 *
 * EVERY live point must be added (also one with no payload: pass NULL), because the set keeps the
 * set of live slots: it is the universe for must_not and the n_live of estimates. Indexes are
 * derived data: nothing here is saved; on open the owner re-creates the fields from the
 * collection's saved schema and adds every point again.
 *
 * Query side:
 *     pidx_card c; pidx_estimate(ix, filter, &ctx, &c);           // no payload read, no malloc
 *     pidx_selection sel; pidx_select(ix, filter, &ctx, &sel, &err);
 *     slot s matches  <=>  pidx_sel_sure(&sel, s) ||
 *                          (pidx_sel_maybe(&sel, s) && flt_match(filter, id(s), payload(s)))
 * `sure` slots match for certain; `maybe` slots (conditions on unindexed fields, values the index
 * could not hold, nested conditions) need the payload check; every other slot does not match.
 * When sel.n_maybe == 0 the filter was answered entirely from the indexes.
 *
 * Key paths are the filter's ("a.b", "a[].b", "tags[]"); a condition uses an index when its key
 * path is the index's (after normalising: `a."b"` is `a.b`). Which conditions each type answers:
 *   keyword   match value/any/except with strings
 *   integer   match value/any/except with integers, range
 *   float     range
 *   bool      match value true/false
 *   uuid      match value/any/except with strings that are canonical lowercase hyphenated UUIDs
 *   datetime  range with datetime bounds (values: strings flt_parse_datetime accepts)
 *   text      match text / text_any (words, flt_tokenize; per point, the words of all its strings
 *             at the path together); match phrase narrowed to points having all its words
 * A value of another type at an indexed path (e.g. 3.5 under an integer index, or null) is
 * remembered per slot, so answers stay exact: such slots come back as `maybe`.
 *
 * Thread safety: writers (pidx_create/drop/backfill/add/update/remove) need exclusive access;
 * readers (estimate, select, sample, info) may run together under a shared lock.
 * Memory: about 2-4 bytes per (value, point) in postings (Roaring containers), 16 bytes per
 * numeric (value, point) entry, plus each distinct keyword/word once. Every update is
 * O(log n + 4096) per value: no operation grows with the size of a posting list except reading it.
 */
#ifndef VT_DB_PAYLOAD_INDEX_H
#define VT_DB_PAYLOAD_INDEX_H

#include <jansson.h>
#include <stdint.h>

#include "db/filter.h"
#include "vitrine.h"

#define PIDX_MAX_FIELDS 1024          /* indexed fields per collection (VT_ELIMIT past it) */
#define PIDX_MAX_VALUES_PER_POINT 4096 /* values (or words) of one point indexed per field; past
                                          it the slot is marked "maybe" for that field instead */

/* The index types of Qdrant's PayloadSchemaType (geo is not supported). Values never change. */
typedef enum pidx_type {
    PIDX_KEYWORD = 1,
    PIDX_INTEGER = 2,
    PIDX_FLOAT = 3,
    PIDX_BOOL = 4,
    PIDX_UUID = 5,
    PIDX_DATETIME = 6,
    PIDX_TEXT = 7,
} pidx_type;

/* pidx_type_parse: reads a Qdrant field_schema — a PayloadSchemaType string ("keyword") or a
 * PayloadSchemaParams object ({"type": "integer", "lookup": true, ...}) — into *out. Tuning
 * flags that do not change results (is_tenant, is_principal, on_disk, memory, lookup, range,
 * phrase_matching) are accepted and ignored; text options that would change tokenisation
 * (tokenizer other than "word", lowercase false, min/max_token_len, ascii_folding, stopwords,
 * stemmer) and "geo" are VT_EUNSUPPORTED; anything else malformed is VT_EINVAL. `where` names the
 * input ("field_schema"). */
int pidx_type_parse(const json_t *schema, const char *where, pidx_type *out, vt_error *err);

/* pidx_type_name: "keyword", "integer", ... for t; "unknown" for other values. Cannot fail. */
const char *pidx_type_name(pidx_type t);

typedef struct pidx_set pidx_set;

/* pidx_set_new: an empty set (no fields, no live slots) into *out (caller: pidx_set_free).
 * Errors: VT_ENOMEM. */
int pidx_set_new(pidx_set **out, vt_error *err);

/* pidx_set_free: releases s and everything in it. NULL is accepted. */
void pidx_set_free(pidx_set *s);

/* pidx_create: adds an empty index of `type` on key path `key`. If an index on that path with
 * that type exists, nothing changes and *is_new = 0; if one with another type exists it is
 * replaced (as Qdrant does). When *is_new = 1 the caller must pidx_backfill every live point
 * before the next query. Errors: VT_EINVAL (bad key path, named in the message), VT_ELIMIT
 * (PIDX_MAX_FIELDS), VT_ENOMEM; the set is then unchanged. is_new may be NULL. */
int pidx_create(pidx_set *s, const char *key, pidx_type type, int *is_new, vt_error *err);

/* pidx_drop: removes the index on `key`. VT_ENOTFOUND (with a message) if there is none. */
int pidx_drop(pidx_set *s, const char *key, vt_error *err);

/* pidx_backfill: indexes one live point's payload in the one field `key` (after pidx_create).
 * slot must already be live (pidx_add) and not yet backfilled for this field. Errors:
 * VT_ENOTFOUND (no such field), VT_EINVAL (slot not live), VT_ENOMEM (the set is unchanged). */
int pidx_backfill(pidx_set *s, const char *key, uint32_t slot, const json_t *payload,
                  vt_error *err);

/* pidx_add: makes `slot` live and indexes `payload` (NULL: none) in every field. slot must not be
 * live. Errors: VT_EINVAL (slot already live or slot == UINT32_MAX), VT_ENOMEM; on error the set
 * is unchanged (all memory is reserved before anything is inserted). */
int pidx_add(pidx_set *s, uint32_t slot, const json_t *payload, vt_error *err);

/* pidx_update: replaces live slot's indexed payload old_payload (exactly what was last added)
 * by new_payload. Errors: VT_EINVAL (slot not live), VT_ENOMEM; on error the set still indexes
 * old_payload. */
int pidx_update(pidx_set *s, uint32_t slot, const json_t *old_payload,
                const json_t *new_payload, vt_error *err);

/* pidx_remove: un-indexes `payload` (exactly what was last added for slot) and makes slot not
 * live. A slot that is not live is ignored. Cannot fail; allocates nothing. */
void pidx_remove(pidx_set *s, uint32_t slot, const json_t *payload);

/* pidx_n_live: the number of live slots. Cannot fail. */
uint64_t pidx_n_live(const pidx_set *s);

/* pidx_slot_bound: one past the highest slot ever made live (bitset sizes). Cannot fail. */
uint32_t pidx_slot_bound(const pidx_set *s);

/* pidx_is_live: 1 if slot is live. Cannot fail. */
int pidx_is_live(const pidx_set *s, uint32_t slot);

/* ---- introspection, for CollectionInfo.payload_schema and the collection config ---- */

typedef struct pidx_field_info {
    const char *key;     /* the key path as created (borrowed from the set; valid until the field
                            is dropped or the set freed) */
    pidx_type type;      /* the index type */
    uint64_t n_points;   /* live points with at least one indexed value in this field */
} pidx_field_info;

/* pidx_n_fields: the number of indexed fields. Cannot fail. */
uint32_t pidx_n_fields(const pidx_set *s);

/* pidx_field: fills *out for field i (0 <= i < pidx_n_fields, in creation order). Returns 0, or
 * VT_ENOTFOUND if i is out of range. */
int pidx_field(const pidx_set *s, uint32_t i, pidx_field_info *out);

/* pidx_find: the field on key path `key` into *out; 1 if found, 0 if not. Cannot fail. */
int pidx_find(const pidx_set *s, const char *key, pidx_field_info *out);

/* pidx_mem_bytes: approximate bytes held by the set. Cannot fail. */
uint64_t pidx_mem_bytes(const pidx_set *s);

/* ---- filter evaluation ---- */

/* pidx_ctx: what the index set cannot know itself. May be NULL where a pidx_ctx* is taken. */
typedef struct pidx_ctx {
    /* id_slot: *slot = the live slot of external id `id`; returns 1, or 0 if no live point has
     * it. NULL: has_id conditions are left to flt_match ("maybe"). */
    int (*id_slot)(void *user, const vt_point_id *id, uint32_t *slot);
    void *user; /* passed to id_slot */
} pidx_ctx;

/* pidx_card: Qdrant's CardinalityEstimation — bounds on the number of live points matching a
 * filter: min <= true count <= max always holds; exp is a best guess in [min, max]. */
typedef struct pidx_card {
    uint64_t min; /* at least this many live points match */
    uint64_t exp; /* expected number of matching live points */
    uint64_t max; /* at most this many live points match */
} pidx_card;

/* pidx_estimate: bounds the number of live slots matching f from index statistics only (posting
 * sizes, range counts); conditions no index answers count as "0 to all". Never reads payloads,
 * allocates nothing, cannot fail. f NULL means "match all". */
void pidx_estimate(const pidx_set *s, const flt_filter *f, const pidx_ctx *ctx, pidx_card *out);

/* pidx_selection: the result of pidx_select: two disjoint bitsets over slots [0, n_bits). */
typedef struct pidx_selection {
    uint64_t *sure;   /* bit s set: live slot s matches f (bit s%64 of sure[s/64]) */
    uint64_t *maybe;  /* bit s set: live slot s may match: check flt_match on its payload */
    uint32_t n_bits;  /* slots covered, = pidx_slot_bound at the time of the call */
    uint64_t n_sure;  /* set bits in sure */
    uint64_t n_maybe; /* set bits in maybe (0: f was answered entirely from the indexes) */
} pidx_selection;

/* pidx_select: computes which live slots match f (NULL: all) as far as the indexes tell, into
 * *out (caller: pidx_selection_free). Only live slots are ever set. Errors: VT_ENOMEM (*out is
 * then empty and needs no free). Cost: O(n_bits/64 * nodes of f) plus the postings read. */
int pidx_select(const pidx_set *s, const flt_filter *f, const pidx_ctx *ctx,
                pidx_selection *out, vt_error *err);

/* pidx_selection_free: releases the bitsets of sel and zeroes it. NULL is accepted. */
void pidx_selection_free(pidx_selection *sel);

/* pidx_sel_sure / pidx_sel_maybe: bit tests; slots >= n_bits are in neither. Cannot fail. */
static inline int pidx_sel_sure(const pidx_selection *sel, uint32_t slot) {
    return slot < sel->n_bits && ((sel->sure[slot >> 6] >> (slot & 63)) & 1);
}
static inline int pidx_sel_maybe(const pidx_selection *sel, uint32_t slot) {
    return slot < sel->n_bits && ((sel->maybe[slot >> 6] >> (slot & 63)) & 1);
}

/* pidx_sample_live: writes n live slots drawn uniformly at random (with replacement) into out,
 * using and advancing *rng_state (any seed; 0 is fine). Returns how many were written (0 if no
 * slot is live). For the planner's sampled cardinality check. Cannot fail; allocates nothing. */
uint32_t pidx_sample_live(const pidx_set *s, uint64_t *rng_state, uint32_t *out, uint32_t n);

#endif
