/*
 * error.c — names and messages of the error codes, and vt_fail (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char *vt_errname(int code) {
    switch (code) {
#define VT_ERR_NAME(name, val, msg) case VT_##name: return #name;
        VT_ERRNO_MAP(VT_ERR_NAME)
#undef VT_ERR_NAME
    default: return "UNKNOWN";
    }
}

const char *vt_errstr(int code) {
    switch (code) {
#define VT_ERR_STR(name, val, msg) case VT_##name: return msg;
        VT_ERRNO_MAP(VT_ERR_STR)
#undef VT_ERR_STR
    default: return "unknown error";
    }
}

int vt_fail(vt_error *err, int code, const char *fmt, ...) {
    if (err && err->message[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void vt_error_clear(vt_error *err) {
    if (err) {
        err->code = 0;
        err->message[0] = '\0';
    }
}
