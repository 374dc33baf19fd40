/*
 * pointjson.h — one point as JSON (a line of `vitrine db upsert --file`, and Qdrant's
 * PointStruct), parsed into a vt_point_in the db API takes:
 *
 *     {"id": 17 | "uuid", "vector": [f32…] | {"name": [f32…], …}, "payload": {…} | null}
 *
 * Checked: the id (a non-negative integer below 2^64 or a UUID string), vectors (arrays of
 * numbers, at most VT_MAX_NAMED_VECTORS names, at most VT_MAX_DIM numbers each), the payload
 * (an object or null), no other keys. Errors name `where` ("points.jsonl:3") and the field.
 * Fuzzed by tests/fuzz/fuzz_points.c.
 */
#ifndef VT_DB_POINTJSON_H
#define VT_DB_POINTJSON_H

#include <jansson.h>

#include "base/error.h"
#include "vitrine.h"

typedef struct db_point_json {
    vt_point_in pt;                             /* pt.vectors points at vecs below */
    vt_named_vector vecs[VT_MAX_NAMED_VECTORS];
    char *names[VT_MAX_NAMED_VECTORS];          /* vt_malloc'd copies */
    float *data;                                /* all vectors' floats, one vt_malloc block */
    char *payload;                              /* compact JSON text (vt_malloc'd) or NULL */
} db_point_json;

/* db_point_id_from_json: an id from a JSON integer or UUID string. VT_EINVAL names where. */
int db_point_id_from_json(const json_t *v, const char *where, vt_point_id *out, vt_error *err);

/* db_point_json_parse: parses len bytes of text into *out (release with db_point_json_clear,
 * also after an error). */
int db_point_json_parse(const char *text, size_t len, const char *where, db_point_json *out,
                        vt_error *err);

/* db_point_json_from: the same from a parsed object. */
int db_point_json_from(const json_t *obj, const char *where, db_point_json *out, vt_error *err);

void db_point_json_clear(db_point_json *p);

#endif
