/*
 * fuzz_payload.c — libFuzzer harness for payload indexing: any bytes are parsed as a payload
 * (JSON), indexed in every index type at once (add, update to and from a fixed payload,
 * remove), and after each step a fixed set of filters is answered through the indexes and
 * checked against flt_match on the payloads (abort on disagreement). At the end no slot may
 * remain in any index.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/payload_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *filters[] = {
    "{\"must\": [{\"key\": \"a\", \"match\": {\"value\": \"red\"}}]}",
    "{\"must\": [{\"key\": \"a\", \"match\": {\"except\": [\"red\", \"\"]}}]}",
    "{\"must_not\": [{\"key\": \"a\", \"match\": {\"any\": [\"x\", \"y\"]}}]}",
    "{\"must\": [{\"key\": \"b\", \"range\": {\"gte\": 0, \"lt\": 10.5}}]}",
    "{\"must\": [{\"key\": \"b\", \"match\": {\"except\": [1, 2]}}]}",
    "{\"should\": [{\"key\": \"b\", \"match\": {\"any\": [3, -7]}}, {\"key\": \"d\", \"match\": {\"value\": true}}]}",
    "{\"must\": [{\"key\": \"c\", \"range\": {\"gt\": -1e300}}]}",
    "{\"must\": [{\"key\": \"e\", \"range\": {\"gte\": \"2020-01-01T00:00:00+02:00\"}}]}",
    "{\"must\": [{\"key\": \"f\", \"match\": {\"value\": \"550e8400-e29b-41d4-a716-446655440000\"}}]}",
    "{\"must\": [{\"key\": \"f\", \"match\": {\"except\": [\"550e8400-e29b-41d4-a716-446655440000\"]}}]}",
    "{\"must\": [{\"key\": \"t\", \"match\": {\"text\": \"red shoe\"}}]}",
    "{\"must\": [{\"key\": \"t\", \"match\": {\"text_any\": \"blue cher\"}}]}",
    "{\"must\": [{\"key\": \"t\", \"match\": {\"phrase\": \"red shoe\"}}]}",
    "{\"must\": [{\"is_empty\": {\"key\": \"a\"}}, {\"key\": \"x.y[].z\", \"range\": {\"lte\": 1}}]}",
    "{\"min_should\": {\"conditions\": [{\"key\": \"a\", \"match\": {\"value\": \"\"}}, {\"key\": \"d\", \"match\": {\"value\": false}}, {\"is_null\": {\"key\": \"c\"}}], \"min_count\": 2}}",
    "{\"must\": [{\"nested\": {\"key\": \"x.y\", \"filter\": {\"must\": [{\"key\": \"z\", \"match\": {\"value\": 2}}]}}}]}",
};
#define N_F (sizeof filters / sizeof filters[0])

static const struct {
    const char *key;
    pidx_type type;
} fields[] = {
    {"a", PIDX_KEYWORD}, {"b", PIDX_INTEGER}, {"c", PIDX_FLOAT}, {"d", PIDX_BOOL},
    {"e", PIDX_DATETIME}, {"f", PIDX_UUID}, {"t", PIDX_TEXT}, {"x.y[].z", PIDX_INTEGER},
    {"a[]", PIDX_TEXT},
};

static flt_filter *fl[N_F];
static json_t *fixed;

static void setup(void) {
    vt_json_init();
    for (size_t i = 0; i < N_F; i++) flt_parse_str(filters[i], strlen(filters[i]), "f", &fl[i], NULL);
    const char *fx = "{\"a\": \"red\", \"b\": [3, 4.5], \"t\": \"Red shoe\", \"x\": {\"y\": [{\"z\": 2}]}}";
    vt_json_parse(fx, strlen(fx), "fixed", &fixed, NULL);
}

/* check: every filter's index answer agrees with flt_match on the live slots. */
static void check(pidx_set *ix, json_t **pl, uint32_t n) {
    for (size_t k = 0; k < N_F; k++) {
        pidx_selection sel;
        if (!fl[k] || pidx_select(ix, fl[k], NULL, &sel, NULL) != VT_OK) continue;
        for (uint32_t i = 0; i < n; i++) {
            int s = pidx_sel_sure(&sel, i), mb = pidx_sel_maybe(&sel, i);
            if (!pl[i]) {
                if (s || mb) abort();
                continue;
            }
            int m = flt_match(fl[k], NULL, pl[i]);
            if ((s && !m) || (!s && !mb && m)) abort();
        }
        pidx_selection_free(&sel);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!fixed) setup();
    if (size > 65536) return 0;
    json_t *p = NULL;
    if (vt_json_parse((const char *)data, size, "payload", &p, NULL) != VT_OK) return 0;
    pidx_set *ix = NULL;
    if (pidx_set_new(&ix, NULL) != VT_OK) goto out;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        pidx_create(ix, fields[i].key, fields[i].type, NULL, NULL);
    json_t *pl[2] = {NULL, NULL};
    if (pidx_add(ix, 0, p, NULL) == VT_OK) pl[0] = p;
    if (pidx_add(ix, 1, fixed, NULL) == VT_OK) pl[1] = fixed;
    check(ix, pl, 2);
    if (pl[0] && pl[1] && pidx_update(ix, 0, p, fixed, NULL) == VT_OK && /* swap the payloads */
        pidx_update(ix, 1, fixed, p, NULL) == VT_OK) {
        pl[0] = fixed;
        pl[1] = p;
        check(ix, pl, 2);
    }
    for (uint32_t i = 0; i < 2; i++)
        if (pl[i]) pidx_remove(ix, i, pl[i]);
    if (pidx_n_live(ix) != 0) abort();
    for (uint32_t i = 0; i < pidx_n_fields(ix); i++) {
        pidx_field_info fi;
        pidx_field(ix, i, &fi);
        if (fi.n_points != 0) abort();
    }
    pidx_set_free(ix);
out:
    json_decref(p);
    return 0;
}
