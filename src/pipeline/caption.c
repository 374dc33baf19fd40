/*
 * caption.c — caption cleaning (caption.h): one pass over the bytes, writing into a buffer that
 * cannot overflow (a decoded reference is never longer than the reference, and each invalid byte
 * becomes the 3-byte U+FFFD, hence the 3·n + 1 bound).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "caption.h"

/* utf8_len: the length of the valid UTF-8 sequence at s[0..n), or 0 if invalid there. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    if (s[0] < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if ((s[0] & 0xe0) == 0xc0) len = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0) len = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0) len = 4, cp = s[0] & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* put_cp: appends code point cp as UTF-8 (surrogates and out-of-range become U+FFFD). */
static size_t put_cp(char *o, uint32_t cp) {
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* space_len: the length of the whitespace character at s (ASCII space/tab/newline/CR/FF/VT,
 * U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), or 0. */
static size_t space_len(const unsigned char *s, size_t n) {
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) return 1;
    if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0) return 2;
    if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) return 3;
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) return 3;
    return 0;
}

static const struct {
    const char *name;
    uint32_t cp;
} named_refs[] = {
    {"amp", '&'},     {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xa0},   {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"lsquo", 0x2018},
    {"rsquo", 0x2019}, {"ldquo", 0x201c}, {"rdquo", 0x201d}, {"copy", 0xa9},    {"reg", 0xae},
    {"trade", 0x2122}, {"deg", 0xb0},    {"times", 0xd7},   {"eacute", 0xe9},  {"euro", 0x20ac},
    {"pound", 0xa3},  {"middot", 0xb7},  {"bull", 0x2022},
};

/* char_ref: decodes the reference at s ('&' ... ';') into *cp and returns its length, or 0 if
 * s does not start a reference we know. */
static size_t char_ref(const char *s, size_t n, uint32_t *cp) {
    size_t end = 1;
    while (end < n && end < 12 && s[end] != ';') end++;
    if (end >= n || s[end] != ';' || end < 2) return 0;
    if (s[1] == '#') {
        int hex = end > 2 && (s[2] == 'x' || s[2] == 'X');
        size_t i = hex ? 3 : 2;
        if (i >= end) return 0;
        uint32_t v = 0;
        for (; i < end; i++) {
            int d = hex && isxdigit((unsigned char)s[i]) ? (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10))
                    : isdigit((unsigned char)s[i]) ? s[i] - '0' : -1;
            if (d < 0) return 0;
            v = v * (hex ? 16 : 10) + (uint32_t)d;
            if (v > 0x10ffff) v = 0x110000; /* saturate: out of range becomes U+FFFD */
        }
        *cp = v;
        return end + 1;
    }
    for (size_t i = 0; i < sizeof named_refs / sizeof named_refs[0]; i++)
        if (strlen(named_refs[i].name) == end - 1 && memcmp(s + 1, named_refs[i].name, end - 1) == 0) {
            *cp = named_refs[i].cp;
            return end + 1;
        }
    return 0;
}

/* tag_len: if s starts a tag ("<b>", "</p>", "<!-- -->", "<?xml ?>", "<br/>"), its length up to and
 * including the '>' (a comment up to "-->"), else 0. An unterminated tag runs to the end. */
static size_t tag_len(const char *s, size_t n) {
    if (n < 2 || !(isalpha((unsigned char)s[1]) || s[1] == '/' || s[1] == '!' || s[1] == '?')) return 0;
    if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
        for (size_t i = 4; i + 2 < n; i++)
            if (memcmp(s + i, "-->", 3) == 0) return i + 3;
        return n;
    }
    const char *gt = memchr(s, '>', n);
    return gt ? (size_t)(gt - s) + 1 : n;
}

/* raw_element_end: for a tag opening <script> or <style>, the offset past its closing tag (or the
 * end); else 0. */
static size_t raw_element_end(const char *s, size_t n, size_t tag) {
    static const char *const names[2] = {"script", "style"};
    for (int k = 0; k < 2; k++) {
        size_t ln = strlen(names[k]);
        if (tag < ln + 2 || strncasecmp(s + 1, names[k], ln) != 0) continue;
        char c = s[1 + ln];
        if (c != '>' && c != ' ' && c != '\t' && c != '\n' && c != '/') continue;
        for (size_t i = tag; i + ln + 2 < n; i++)
            if (s[i] == '<' && s[i + 1] == '/' && strncasecmp(s + i + 2, names[k], ln) == 0) {
                size_t rest = tag_len(s + i, n - i);
                return i + (rest ? rest : ln + 2);
            }
        return n;
    }
    return 0;
}

int caption_clean(const char *in, size_t n, char **out, vt_error *err) {
    char *o = vt_malloc(3 * n + 1);
    if (!o) return vt_fail(err, VT_ENOMEM, "caption: out of memory (%zu bytes)", n);
    size_t len = 0, i = 0;
    int pending_space = 0; /* a space is owed before the next visible character */
    while (i < n) {
        const unsigned char *u = (const unsigned char *)in + i;
        size_t sp, t;
        uint32_t cp = 0;
        char buf[4];
        size_t bl = 0;
        if (in[i] == '<' && (t = tag_len(in + i, n - i))) {
            size_t raw = raw_element_end(in + i, n - i, t);
            i += raw ? raw : t;
            pending_space = 1; /* "<p>a</p><p>b</p>" reads as "a b" */
            continue;
        }
        if ((sp = space_len(u, n - i))) {
            i += sp;
            pending_space = 1;
            continue;
        }
        if (in[i] == '&' && (t = char_ref(in + i, n - i, &cp))) {
            i += t;
            bl = put_cp(buf, cp);
            if (space_len((const unsigned char *)buf, bl)) {
                pending_space = 1;
                continue;
            }
        } else if ((t = utf8_len(u, n - i))) {
            memcpy(buf, in + i, t);
            bl = t;
            i += t;
        } else {
            bl = put_cp(buf, 0xfffd);
            i += 1;
        }
        if (pending_space && len > 0) o[len++] = ' ';
        pending_space = 0;
        memcpy(o + len, buf, bl);
        len += bl;
    }
    o[len] = '\0';
    *out = o;
    return VT_OK;
}

size_t caption_words(const char *s) {
    size_t words = 0;
    int in_word = 0;
    for (; *s; s++) {
        int space = *s == ' ';
        if (!space && !in_word) words++;
        in_word = !space;
    }
    return words;
}
