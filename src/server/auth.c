/*
 * auth.c — API keys, as Qdrant checks them (src/actix/auth.rs).
 *
 * With --api-key set, a request must carry the key in the `api-key` header or as
 * `Authorization: Bearer <key>`; the read-only key (--read-only-api-key) is accepted for reads
 * only. Missing or wrong keys are a plain-text 401; router.c answers a read-only key on a write
 * with Qdrant's 403 JSON. Keys are compared in constant time (every byte of the longer string is
 * looked at, whatever matches), so response timing does not reveal a prefix.
 */
#include <string.h>
#include <strings.h>

#include "server/server_int.h"

int srv_const_eq(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    unsigned diff = (unsigned)(la ^ lb);
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = i < la ? (unsigned char)a[i] : 0;
        unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
        diff |= (unsigned)(ca ^ cb);
    }
    return diff == 0;
}

int srv_auth_check(const srv_ctx *ctx, const char *api_key_header, const char *authorization,
                   const char **why) {
    *why = NULL;
    if (!ctx->api_key && !ctx->ro_key) return SRV_ACCESS_MANAGE;
    const char *key = api_key_header;
    if (!key && authorization) {
        if (strncasecmp(authorization, "Bearer ", 7) == 0) {
            key = authorization + 7;
            while (*key == ' ') key++;
        }
    }
    if (!key) {
        *why = "Must provide an API key or an Authorization bearer token";
        return SRV_ACCESS_DENIED;
    }
    if (ctx->api_key && srv_const_eq(key, ctx->api_key)) return SRV_ACCESS_MANAGE;
    if (ctx->ro_key && srv_const_eq(key, ctx->ro_key)) return SRV_ACCESS_READ;
    *why = "Invalid API key or JWT";
    return SRV_ACCESS_DENIED;
}
