/*
 * body.c — request bodies: content type, nesting depth, JSON parsing.
 *
 * The body arrives whole (http.c caps its size). Before jansson sees it, a linear scan checks
 * that arrays and objects nest at most SRV_MAX_JSON_DEPTH deep (strings, with their escapes,
 * skipped), so a "[[[[…" bomb costs one pass and no recursion. Then vt_json_parse (duplicate
 * keys rejected). Errors are Qdrant's 400 "Format error in JSON body: …". A body is JSON when
 * the Content-Type is absent, application/json or a type ending in +json (parameters ignored);
 * anything else is refused as actix refuses it ("Content type error").
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "server/server_int.h"

int srv_json_depth_ok(const char *s, size_t len, int max_depth) {
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\') i++;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

/* is_json_type: application/json, or a +json suffix, ignoring parameters and case. */
static int is_json_type(const char *ct) {
    size_t n = strcspn(ct, ";");
    while (n > 0 && isspace((unsigned char)ct[n - 1])) n--;
    while (n > 0 && isspace((unsigned char)*ct)) ct++, n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return 1;
    if (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0) return 1;
    return 0;
}

int srv_parse_body(srv_req *r) {
    json_decref(r->json);
    r->json = NULL;
    size_t i = 0;
    while (i < r->body_len && isspace((unsigned char)r->body[i])) i++;
    if (i == r->body_len) return 0;
    if (r->content_type && *r->content_type && !is_json_type(r->content_type)) {
        srv_fail(r, 400, "Format error in JSON body: Content type error");
        return -1;
    }
    if (!srv_json_depth_ok(r->body, r->body_len, SRV_MAX_JSON_DEPTH)) {
        srv_fail(r, 400, "Format error in JSON body: recursion limit exceeded (nesting deeper than %d)",
                 SRV_MAX_JSON_DEPTH);
        return -1;
    }
    vt_error err = {0};
    int rc = vt_json_parse(r->body, r->body_len, "request body", &r->json, &err);
    if (rc == VT_ENOMEM) {
        srv_fail(r, 500, "Service internal error: out of memory parsing the request body");
        return -1;
    }
    if (rc) {
        const char *m = err.message;
        if (strncmp(m, "request body: ", 14) == 0) m += 14;
        srv_fail(r, 400, "Format error in JSON body: %s", m);
        return -1;
    }
    return 0;
}
