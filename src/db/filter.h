/*
 * filter.h — Qdrant's filter language: parse a filter once into an immutable compiled form, then
 * evaluate it against points.
 *
 * A filter arrives as the `filter` member of a request body (a jansson json_t):
 *
 *     {"must": [{"key": "color", "match": {"value": "red"}},
 *               {"key": "price", "range": {"gte": 10, "lt": 20}}],
 *      "must_not": [{"has_id": [1, 2, "550e8400-e29b-41d4-a716-446655440000"]}]}
 *
 *     flt_filter *f;
 *     if ((rc = flt_parse(body_filter, "filter", &f, &err)) != 0) return rc;   // err names the spot
 *     int hit = flt_match(f, &point_id, payload);                             // 0 or 1
 *     flt_free(f);
 *
 * flt_parse validates everything up front (unknown keys, wrong types, a range with no bound,
 * bad key paths, bad ids, bad datetimes, nesting deeper than FLT_MAX_DEPTH, more than
 * FLT_MAX_NODES conditions) so evaluation cannot fail. The semantics (exactly what matches what)
 * are written down at the top of filter.c; docs/ARCHITECTURE.md summarises them.
 *
 * Thread safety: a flt_filter is immutable after flt_parse; any number of threads may evaluate it
 * at once. Evaluation allocates nothing.
 */
#ifndef VT_DB_FILTER_H
#define VT_DB_FILTER_H

#include <jansson.h>
#include <stdint.h>

#include "vitrine.h"

/* Limits on outside input, each an error (VT_ELIMIT) when exceeded. */
#define FLT_MAX_DEPTH 32        /* clause nesting (filter in filter, nested in nested): ample for
                                   hand-written and generated filters, bounds recursion */
#define FLT_MAX_NODES 10000     /* conditions and clauses in one filter, all levels together */
#define FLT_MAX_VALUES 100000   /* values in all match any / except / has_id lists together */
#define FLT_MAX_KEY_LEN 1024    /* bytes in one key path string */
#define FLT_MAX_PATH_PARTS 64   /* segments in one key path ("a.b[].c" has 4) */
#define FLT_MAX_TEXT_TOKENS 256 /* words in one match text / text_any / phrase query */

typedef struct flt_filter flt_filter;

/* flt_parse: compiles the Qdrant filter `json` (an object; JSON null is accepted and compiles
 * to the filter that matches everything) into *out (caller: flt_free). `where` names the input
 * in error messages, e.g. "filter" gives "filter.must[2].range: no bound (gt, gte, lt, lte)".
 * Errors: VT_EINVAL for anything malformed or unknown (unknown keys, wrong types, bad key path,
 * bad UUID, bad RFC 3339 datetime, ...), VT_EUNSUPPORTED for geo conditions and match prefix,
 * VT_ELIMIT past the limits above, VT_ENOMEM. On error *out is NULL. The result does not reference `json` (it may be freed). */
int flt_parse(const json_t *json, const char *where, flt_filter **out, vt_error *err);

/* flt_parse_str: as flt_parse, from `len` bytes of JSON text (for tests, fuzzers and the CLI's
 * --filter). Malformed JSON is vt_json_parse's error (VT_ECORRUPT, with line and column). */
int flt_parse_str(const char *text, size_t len, const char *where, flt_filter **out,
                  vt_error *err);

/* flt_free: releases f. NULL is accepted. */
void flt_free(flt_filter *f);

/* flt_is_empty: 1 if f matches every point by construction (no conditions at all, e.g. `{}` or
 * JSON null), so callers can skip filtering. Cannot fail. */
int flt_is_empty(const flt_filter *f);

/* flt_has_vector_fn: answers a has_vector condition for the point being evaluated: 1 if the
 * point has a vector named `name` ("" = the unnamed default vector), else 0. */
typedef int (*flt_has_vector_fn)(void *user, const char *name);

/* flt_point: one point as the evaluator sees it. */
typedef struct flt_point {
    const vt_point_id *id;         /* the point's external id; NULL: has_id matches nothing */
    const json_t *payload;         /* the payload object; NULL (or a non-object): empty payload */
    flt_has_vector_fn has_vector;  /* NULL: has_vector conditions match (every vector present) */
    void *user;                    /* passed to has_vector */
} flt_point;

/* flt_match: 1 if the point (id, payload) satisfies f, else 0. id may be NULL (has_id then
 * matches nothing); payload may be NULL (the empty payload). has_vector conditions match.
 * Cannot fail; allocates nothing; safe from many threads at once. */
int flt_match(const flt_filter *f, const vt_point_id *id, const json_t *payload);

/* flt_match_point: as flt_match with a has_vector callback. Cannot fail. */
int flt_match_point(const flt_filter *f, const flt_point *p);

/* flt_n_nodes: number of compiled nodes (conditions and clauses); for planner cost guesses and
 * tests. Cannot fail. */
uint32_t flt_n_nodes(const flt_filter *f);

/* ---- helpers shared with the payload index (same rules in both places) ---- */

/* flt_parse_uuid: parses a UUID string of `len` bytes (hyphenated 8-4-4-4-12, 32 plain hex
 * digits, {braced} or urn:uuid:, any case, as Qdrant's uuid crate accepts) into out[16].
 * Returns 1 on success, 0 if s is not a UUID. Cannot fail otherwise. */
int flt_parse_uuid(const char *s, size_t len, uint8_t out[16]);

/* flt_parse_datetime: parses a datetime string of `len` bytes into microseconds since the Unix
 * epoch, UTC. Accepted, as Qdrant does: RFC 3339 ("2024-01-02T03:04:05.123456+02:00", "...Z",
 * 'T' or ' ' between date and time), an offset without colon ("+0200"), and without any zone
 * (then UTC): "YYYY-MM-DDTHH:MM:SS[.frac]", "YYYY-MM-DD HH:MM:SS[.frac]", "YYYY-MM-DD HH:MM",
 * "YYYY-MM-DD". Fractions past microseconds are truncated. Returns 1 on success, 0 if s is not
 * such a datetime. Cannot fail otherwise. */
int flt_parse_datetime(const char *s, size_t len, int64_t *out_us);

/* flt_tokenize: the full-text tokenizer (Qdrant's "word" tokenizer, lowercase): splits
 * s[0..len) into maximal runs of Unicode letters and digits, lowercases them, and calls
 * fn(user, token, token_len) for each in order until fn returns non-zero (then that value is
 * returned). Tokens longer than FLT_MAX_TOKEN_LEN bytes are cut there. Returns 0 when all
 * tokens were delivered. Allocates nothing. */
#define FLT_MAX_TOKEN_LEN 128 /* bytes; longer words are cut (a word index key stays small) */
typedef int (*flt_token_fn)(void *user, const char *tok, size_t tok_len);
int flt_tokenize(const char *s, size_t len, flt_token_fn fn, void *user);

#endif
