/*
 * json.h — loading JSON files and reading typed fields with errors that name file and field.
 *
 * json_read.c does the parsing into jansson values; jansson's allocations are routed through the
 * counting hook (vt_json_init, called by every loader) but are exempt from injected failures
 * (jansson's own code asserts on some). A field read takes the file name for its message: "config.json: text_config.hidden_size is not a positive integer".
 */
#ifndef VT_BASE_JSON_H
#define VT_BASE_JSON_H

#include <jansson.h>

#include "error.h"

/* vt_json_init: routes jansson's allocations through vt_malloc (once per process). */
void vt_json_init(void);

/* vt_json_read: the reader behind vt_json_parse (json_read.c): an object or array of JSON
 * text into *out. VT_OK; VT_ECORRUPT with *e saying where and why; VT_ENOMEM. */
typedef struct vt_json_read_error {
    int line, column; /* 1-based; columns count bytes */
    char why[160];
} vt_json_read_error;
int vt_json_read(const char *data, size_t len, json_t **out, vt_json_read_error *e);

/* vt_json_dump: v as compact JSON text (vt_malloc'd, NUL-terminated; *len its length if len),
 * every real the shortest decimal that reads back as the same double (json_write.c); NULL when
 * memory runs out. Use it for anything stored or sent: json_dumps's fixed precision loses digits
 * or prints noise. */
char *vt_json_dump(const json_t *v, size_t *len);

/* vt_json_f32: the double of f's shortest decimal, so that a float32 (a vector component, a
 * score) is written as 0.15 rather than 0.15000000596046448. */
double vt_json_f32(float f);

/* vt_json_parse: parses len bytes of data (duplicate keys rejected; \u0000 allowed in strings,
 * so read those with json_string_length) into *out (caller:
 * json_decref). name is for messages: "NAME: invalid JSON at line L column C: why"; VT_ENOMEM when
 * memory runs out. */
int vt_json_parse(const char *data, size_t len, const char *name, json_t **out, vt_error *err);

/* vt_json_load_file: parses path (at most max_bytes) into *out (caller: json_decref). Errors name
 * the file, line and column. */
int vt_json_load_file(const char *path, size_t max_bytes, json_t **out, vt_error *err);

/* vt_json_int: *out = obj[key] if present (an integer in [lo, hi]), else def (or an error if def
 * is VT_JSON_REQUIRED). file and where ("text_config.") are for the message. */
#define VT_JSON_REQUIRED (-0x7fffffff)
int vt_json_int(const json_t *obj, const char *key, int def, int lo, int hi, const char *file,
                const char *where, int *out, vt_error *err);

/* vt_json_float: as vt_json_int for a number (integer or real). */
int vt_json_float(const json_t *obj, const char *key, double def, const char *file,
                  const char *where, double *out, vt_error *err);

/* vt_json_bool: as vt_json_int for a boolean. */
int vt_json_bool(const json_t *obj, const char *key, int def, const char *file, const char *where,
                 int *out, vt_error *err);

/* vt_json_str: the string value of obj[key] or def (borrowed from obj, or def). A present value
 * that is not a string is an error. */
int vt_json_str(const json_t *obj, const char *key, const char *def, const char *file,
                const char *where, const char **out, vt_error *err);

#endif
