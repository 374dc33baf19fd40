/*
 * utf8.h — validating UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF),
 * nothing past U+10FFFF. One definition for every reader of outside text: the JSON reader, the
 * tokenizers, manifests, the server's messages.
 */
#ifndef VT_BASE_UTF8_H
#define VT_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* vt_utf8_sequence: the length (1..4) of the valid sequence starting at s, of which n bytes are
 * available; 0 if those bytes do not start one. n must be at least 1. */
size_t vt_utf8_sequence(const uint8_t *s, size_t n);

/* vt_utf8_valid: 1 if s[0..n) is valid UTF-8; else 0, with the offset of the first bad sequence
 * in *bad (when bad is not NULL). */
int vt_utf8_valid(const uint8_t *s, size_t n, size_t *bad);

#endif
