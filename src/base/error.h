/*
 * error.h — vitrine's error codes and the error record that carries their detail.
 *
 * Every fallible function returns an int: 0 (VT_OK) on success, a negative VT_E* code on failure.
 * The codes come from one X-macro list (below) that makes the enum, vt_errname() and vt_errstr(),
 * so a code is never renumbered and never lacks a name [libuv UV_ERRNO_MAP].
 *
 * The detail — which file, which tensor, which byte — goes into a vt_error the caller owns:
 * vt_fail(err, VT_ECORRUPT, "%s: tensor %s: offsets past the end", path, name) fills it and
 * returns the code, so a failing path is one line: `return vt_fail(err, ...)`. err may be NULL
 * (the detail is then dropped, the code still returned). The first failure is the one kept:
 * vt_fail on an error that already holds a message does not overwrite it, so callers further up
 * can call vt_fail with a vaguer message without losing the precise one.
 */
#ifndef VT_BASE_ERROR_H
#define VT_BASE_ERROR_H

#include "vitrine.h"

/* vt_fail: records code and the formatted message in err (if err is non-NULL and holds no
 * message yet) and returns code. Cannot fail. */
int vt_fail(vt_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* vt_error_clear: empties err (NULL is accepted). */
void vt_error_clear(vt_error *err);

#endif
