/*
 * fuzz_filter.c — libFuzzer harness for the filter language: any bytes are parsed as JSON, then
 * as a Qdrant filter; a filter that compiles is evaluated against a fixed set of payloads both
 * directly (flt_match) and through payload indexes (pidx_select + flt_match on the "maybe"
 * slots), and the two answers must agree (abort otherwise), and the estimate must bracket the
 * count. Inputs over 64 KiB are skipped (the parser's limits are tested by unit tests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "db/filter.h"
#include "db/payload_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *payloads[] = {
    "{}",
    "{\"a\": \"red\", \"b\": 3, \"c\": 2.5, \"d\": true, \"e\": \"2020-01-01T00:00:00Z\", "
    "\"f\": \"550e8400-e29b-41d4-a716-446655440000\", \"t\": \"Red shoe, blue dress\"}",
    "{\"a\": [\"red\", \"green\", null], \"b\": [1, 2.5, \"x\"], \"c\": null, \"d\": [false, true], "
    "\"e\": \"2021-06-15 08:00\", \"f\": \"550E8400-E29B-41D4-A716-446655440000\", \"t\": [\"red\", 5]}",
    "{\"x\": {\"y\": [{\"z\": 1, \"w\": \"a\"}, {\"z\": 2}], \"q\": []}, \"a\": \"\", \"b\": -7}",
    "{\"arr\": [{\"a\": 1, \"b\": [1, 2]}, {\"a\": \"s\", \"b\": null}, 5], \"t\": \"ça coûte cher\"}",
    "{\"a\": {\"b\": \"c\"}, \"b\": 9007199254740993, \"c\": -0.0, \"e\": \"1969-12-31T23:59:59+01:00\"}",
};
#define N_PL (sizeof payloads / sizeof payloads[0])

static const struct {
    const char *key;
    pidx_type type;
} fields[] = {
    {"a", PIDX_KEYWORD}, {"b", PIDX_INTEGER}, {"c", PIDX_FLOAT}, {"d", PIDX_BOOL},
    {"e", PIDX_DATETIME}, {"f", PIDX_UUID}, {"t", PIDX_TEXT}, {"x.y[].z", PIDX_INTEGER},
    {"arr[].a", PIDX_KEYWORD},
};

static json_t *pl[N_PL];
static pidx_set *ix;

static int id_slot(void *user, const vt_point_id *id, uint32_t *slot) {
    (void)user;
    if (id->is_uuid || id->num >= N_PL) return 0;
    *slot = (uint32_t)id->num;
    return 1;
}

static void setup(void) {
    vt_json_init();
    pidx_set_new(&ix, NULL);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        pidx_create(ix, fields[i].key, fields[i].type, NULL, NULL);
    for (size_t i = 0; i < N_PL; i++) {
        vt_json_parse(payloads[i], strlen(payloads[i]), "payload", &pl[i], NULL);
        pidx_add(ix, (uint32_t)i, pl[i], NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ix) setup();
    if (size > 65536) return 0;
    flt_filter *f = NULL;
    vt_error err = {0};
    if (flt_parse_str((const char *)data, size, "filter", &f, &err) != VT_OK) return 0;
    pidx_ctx ctx = {id_slot, NULL};
    pidx_selection sel;
    uint64_t truth = 0;
    int have_sel = pidx_select(ix, f, &ctx, &sel, NULL) == VT_OK;
    for (size_t i = 0; i < N_PL; i++) {
        vt_point_id id = {0, i, {0}};
        int m = flt_match(f, &id, pl[i]);
        truth += (uint64_t)m;
        if (have_sel) {
            int s = pidx_sel_sure(&sel, (uint32_t)i), mb = pidx_sel_maybe(&sel, (uint32_t)i);
            if ((s && !m) || (!s && !mb && m)) abort(); /* index answer disagrees */
        }
    }
    if (have_sel) pidx_selection_free(&sel);
    pidx_card c;
    pidx_estimate(ix, f, &ctx, &c);
    if (c.min > truth || truth > c.max || c.exp < c.min || c.exp > c.max) abort();
    flt_free(f);
    return 0;
}
