/*
 * reply.c — how a handler answers: Qdrant's envelopes and its mapping of errors to statuses.
 *
 * A handler calls exactly one of srv_ok / srv_update_ok / srv_fail / srv_fail_vt / srv_text (a
 * later call replaces an earlier one, releasing what it held). http.c adds the "time" (seconds
 * spent, as a float) when it builds the body with srv_envelope:
 *
 *   success   200  {"result": <T>, "status": "ok", "time": 0.0012}
 *   error     4xx  {"status": {"error": "Not found: Collection `x` doesn't exist!"}, "time": …}
 *
 * The error prefixes are Qdrant's StorageError ones (lib/storage/src/content_manager/errors.rs),
 * so clients that match on them keep working.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/utf8.h"
#include "server/server_int.h"

static void reply_reset(srv_req *r) {
    json_decref(r->result);
    r->result = NULL;
    vt_free(r->text);
    r->text = NULL;
    r->text_len = 0;
    if (r->kind == SRV_REPLY_FILE && r->fd >= 0) close(r->fd);
    r->fd = -1;
    r->error[0] = '\0';
}

void srv_ok(srv_req *r, json_t *result) {
    reply_reset(r);
    if (!result) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    r->status = 200;
    r->kind = SRV_REPLY_RESULT;
    r->result = result;
}

int srv_utf8_valid(const char *s) { return vt_utf8_valid((const uint8_t *)s, strlen(s), NULL); }

/* utf8_sanitize: replaces each byte of an invalid sequence with '?', in place, so a message
 * that quotes a client's bytes still makes a valid JSON string. */
static void utf8_sanitize(char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t l = vt_utf8_sequence((const uint8_t *)s + i, n - i);
        if (!l) {
            s[i++] = '?';
            continue;
        }
        i += l;
    }
}

void srv_fail(srv_req *r, int status, const char *fmt, ...) {
    reply_reset(r);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    utf8_sanitize(r->error);
    r->status = status;
    r->kind = SRV_REPLY_ERROR;
}

void srv_fail_vt(srv_req *r, int rc, const vt_error *err) {
    const char *msg = err && err->message[0] ? err->message : vt_errstr(rc);
    if (rc == VT_EINVAL && strstr(msg, "At least one field condition must be specified")) {
        srv_fail(r, 422, "Validation error in JSON body: [%s]", msg);
        return;
    }
    switch (rc) {
    case VT_EINVAL:
    case VT_ECORRUPT:
    case VT_EUNSUPPORTED:
    case VT_ELIMIT: srv_fail(r, 400, "Wrong input: %s", msg); break;
    case VT_ENOTFOUND: srv_fail(r, 404, "Not found: %s", msg); break;
    case VT_EEXIST: srv_fail(r, 409, "Wrong input: %s", msg); break;
    default: srv_fail(r, 500, "Service internal error: %s", msg); break;
    }
}

void srv_text(srv_req *r, int status, const char *type, const char *text, size_t len) {
    reply_reset(r);
    r->text = vt_malloc(len + 1);
    if (!r->text) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return;
    }
    memcpy(r->text, text, len);
    r->text[len] = '\0';
    r->text_len = len;
    r->text_type = type;
    r->status = status;
    r->kind = SRV_REPLY_TEXT;
}

void srv_update_ok(srv_req *r, uint64_t op_id) {
    int wait = srv_query_bool(r, "wait", 0);
    if (wait < 0) return;
    srv_ok(r, json_pack("{s:I, s:s}", "operation_id", (json_int_t)op_id, "status",
                        wait ? "completed" : "acknowledged"));
}

const char *srv_query(const srv_req *r, const char *key) {
    for (size_t i = 0; i < r->n_query; i++)
        if (strcmp(r->query_keys[i], key) == 0) return r->query_vals[i] ? r->query_vals[i] : "";
    return NULL;
}

int srv_query_bool(srv_req *r, const char *key, int def) {
    const char *v = srv_query(r, key);
    if (!v) return def;
    if (strcmp(v, "true") == 0 || strcmp(v, "") == 0) return 1;
    if (strcmp(v, "false") == 0) return 0;
    srv_fail(r, 400, "Deserialize error in query parameters: %s: provided string was not `true` or `false`", key);
    return -1;
}

json_t *srv_envelope(srv_req *r, double seconds) {
    switch (r->kind) {
    case SRV_REPLY_RESULT:
        return json_pack("{s:O, s:s, s:f}", "result", r->result, "status", "ok", "time", seconds);
    case SRV_REPLY_JSON: return json_incref(r->result);
    case SRV_REPLY_ERROR:
        return json_pack("{s:{s:s}, s:f}", "status", "error", r->error, "time", seconds);
    case SRV_REPLY_NONE:
        return json_pack("{s:{s:s}, s:f}", "status", "error", "Service internal error: no answer",
                         "time", seconds);
    default: return NULL;
    }
}

char *srv_dumps(const json_t *v, size_t *len) { return vt_json_dump(v, len); }
