/*
 * utf8.c — validating UTF-8 (see utf8.h). A lead byte fixes the sequence's length (C2..DF: 2,
 * E0..EF: 3, F0..F4: 4; C0, C1 and F5..FF never start one); the continuation bytes must be
 * 10xxxxxx; and the decoded code point must need that length (no overlongs), lie outside the
 * surrogates and not pass U+10FFFF.
 */
#include "utf8.h"

size_t vt_utf8_sequence(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1fu;
    else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07u;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
    if (cp >= 0xd800 && cp <= 0xdfff) return 0;
    return len;
}

int vt_utf8_valid(const uint8_t *s, size_t n, size_t *bad) {
    for (size_t i = 0; i < n;) {
        size_t len = vt_utf8_sequence(s + i, n - i);
        if (!len) {
            if (bad) *bad = i;
            return 0;
        }
        i += len;
    }
    return 1;
}
