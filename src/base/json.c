/*
 * json.c — JSON file loading and typed field reads (see json.h).
 */
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "file.h"
#include "json.h"

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

/* jansson's allocations are counted, but exempt from injected failures: jansson 2.14 hits
 * assert(0) in lex_scan_string when an allocation fails mid-token, so injecting there would test
 * jansson's abort, not our handling. A real out-of-memory still reaches vt_json_parse's check. */
static void json_setup(void) { json_set_alloc_funcs(vt_malloc_exempt, vt_free); }

void vt_json_init(void) { pthread_once(&json_once, json_setup); }

int vt_json_parse(const char *data, size_t len, const char *name, json_t **out, vt_error *err) {
    vt_json_init();
    vt_json_read_error e;
    int rc = vt_json_read(data, len, out, &e);
    if (rc == VT_ENOMEM) return vt_fail(err, VT_ENOMEM, "%s: out of memory parsing JSON", name);
    if (rc) return vt_fail(err, VT_ECORRUPT, "%s: invalid JSON at line %d column %d: %s", name, e.line, e.column, e.why);
    return VT_OK;
}

int vt_json_load_file(const char *path, size_t max_bytes, json_t **out, vt_error *err) {
    *out = NULL;
    uint8_t *data;
    size_t len;
    int rc = vt_file_read(path, max_bytes, &data, &len, err);
    if (rc) return rc;
    rc = vt_json_parse((const char *)data, len, path, out, err);
    vt_free(data);
    return rc;
}

int vt_json_int(const json_t *obj, const char *key, int def, int lo, int hi, const char *file,
                const char *where, int *out, vt_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (def == VT_JSON_REQUIRED) return vt_fail(err, VT_ECORRUPT, "%s: %s%s is missing", file, where, key);
        *out = def;
        return VT_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return vt_fail(err, VT_ECORRUPT, "%s: %s%s must be an integer in [%d, %d]", file, where, key, lo, hi);
    *out = (int)json_integer_value(v);
    return VT_OK;
}

int vt_json_float(const json_t *obj, const char *key, double def, const char *file,
                  const char *where, double *out, vt_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return VT_OK;
    }
    if (!json_is_number(v)) return vt_fail(err, VT_ECORRUPT, "%s: %s%s must be a number", file, where, key);
    *out = json_number_value(v);
    return VT_OK;
}

int vt_json_bool(const json_t *obj, const char *key, int def, const char *file, const char *where,
                 int *out, vt_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return VT_OK;
    }
    if (!json_is_boolean(v)) return vt_fail(err, VT_ECORRUPT, "%s: %s%s must be true or false", file, where, key);
    *out = json_is_true(v);
    return VT_OK;
}

int vt_json_str(const json_t *obj, const char *key, const char *def, const char *file,
                const char *where, const char **out, vt_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return VT_OK;
    }
    if (!json_is_string(v)) return vt_fail(err, VT_ECORRUPT, "%s: %s%s must be a string", file, where, key);
    *out = json_string_value(v);
    return VT_OK;
}
