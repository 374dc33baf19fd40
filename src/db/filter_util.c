/*
 * filter_util.c — the small parsers the filter language and the payload index share: key paths,
 * UUIDs, datetimes, and the full-text tokenizer. Keeping them in one place is what makes an
 * index answer and a payload check agree.
 *
 * Key paths (Qdrant's JsonPath, lib/segment/src/json_path/parse.rs):
 *
 *     path   := first rest*
 *     first  := raw | quoted
 *     rest   := "." raw | "." quoted | "[" digits "]" | "[]"
 *     raw    := one or more of [A-Za-z0-9_-] or any byte >= 0x80 (Unicode letters and digits;
 *               Qdrant takes char::is_alphanumeric, we take every non-ASCII character)
 *     quoted := '"' any bytes except '"' and '\' '"'
 *
 * Walking a path (JsonPath::value_get): a key descends into an object, [N] into element N of an
 * array, [] into every element; anything else yields nothing. The value at the end is delivered
 * as it is — an array at the leaf is one value (conditions then look inside it one level).
 *
 * Datetimes (Qdrant's DateTimePayloadType::from_str): RFC 3339 with 'T', 't' or ' ' between date
 * and time, an offset "Z", "+HH:MM", "+HHMM" or "+HH", or no zone at all (then UTC); seconds and
 * the fraction are optional ("YYYY-MM-DD HH:MM"); a bare date is midnight UTC. The result is
 * microseconds since 1970-01-01T00:00:00Z; fractions past microseconds are truncated; a leap
 * second (:60) counts as :59.999999. Days from civil dates by H. Hinnant's days_from_civil.
 *
 * Tokenizer (Qdrant's "word" tokenizer with lowercase: true): maximal runs of Unicode letters,
 * digits and combining marks (utf8proc categories L*, N*, Mn, Mc), lowercased per code point
 * (utf8proc_tolower). Bytes that are not valid UTF-8 separate words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "base/error.h"
#include "db/filter_int.h"

/* ---- key paths ---- */

/* is_raw_char: 1 if byte c may appear in an unquoted key. */
static int is_raw_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c >= 0x80;
}

void flt_path_free(flt_path *p) {
    if (!p) return;
    for (uint32_t i = 0; i < p->n_segs; i++) vt_free(p->segs[i].key);
    vt_free(p->segs);
    vt_free(p->canon);
    vt_free(p);
}

/* path_canon: builds p->canon from the segments. Returns 0 or VT_ENOMEM. */
static int path_canon(flt_path *p) {
    size_t n = 1;
    for (uint32_t i = 0; i < p->n_segs; i++)
        n += p->segs[i].kind == FLT_SEG_KEY ? strlen(p->segs[i].key) + 3 : 12;
    char *c = vt_malloc(n);
    if (!c) return VT_ENOMEM;
    size_t at = 0;
    for (uint32_t i = 0; i < p->n_segs; i++) {
        const flt_seg *s = &p->segs[i];
        if (s->kind == FLT_SEG_KEY) {
            int raw = s->key[0] != 0;
            for (const char *k = s->key; *k; k++) raw &= is_raw_char((unsigned char)*k);
            if (i > 0) c[at++] = '.';
            if (!raw) c[at++] = '"';
            size_t kl = strlen(s->key);
            memcpy(c + at, s->key, kl);
            at += kl;
            if (!raw) c[at++] = '"';
        } else if (s->kind == FLT_SEG_INDEX) {
            at += (size_t)snprintf(c + at, n - at, "[%u]", s->index);
        } else {
            c[at++] = '[';
            c[at++] = ']';
        }
    }
    c[at] = 0;
    p->canon = c;
    return 0;
}

int flt_path_parse(const char *s, size_t len, const char *where, flt_path **out, vt_error *err) {
    *out = NULL;
    if (len == 0) return vt_fail(err, VT_EINVAL, "%s: empty key", where);
    if (len > FLT_MAX_KEY_LEN)
        return vt_fail(err, VT_ELIMIT, "%s: key is %zu bytes, more than %d", where, len,
                       FLT_MAX_KEY_LEN);
    if (memchr(s, 0, len)) return vt_fail(err, VT_EINVAL, "%s: key contains a NUL byte", where);
    flt_path *p = vt_calloc(1, sizeof *p);
    flt_seg *segs = vt_calloc(FLT_MAX_PATH_PARTS + 2, sizeof *segs);
    if (!p || !segs) {
        vt_free(p);
        vt_free(segs);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
    }
    p->segs = segs;
    int rc = 0;
    size_t i = 0;
    while (i < len) {
        if (p->n_segs > FLT_MAX_PATH_PARTS) {
            rc = vt_fail(err, VT_ELIMIT, "%s: key \"%.*s\" has more than %d parts", where, (int)len,
                         s, FLT_MAX_PATH_PARTS);
            goto fail;
        }
        flt_seg *g = &segs[p->n_segs];
        int first = p->n_segs == 0;
        if (!first && s[i] == '[') {
            if (i + 1 < len && s[i + 1] == ']') {
                g->kind = FLT_SEG_WILD;
                i += 2;
            } else {
                size_t j = i + 1;
                uint64_t v = 0;
                while (j < len && s[j] >= '0' && s[j] <= '9' && v <= 0xffffffffu) {
                    v = v * 10 + (uint64_t)(s[j] - '0');
                    j++;
                }
                if (j == i + 1 || j >= len || s[j] != ']' || v > 0xffffffffu) {
                    rc = vt_fail(err, VT_EINVAL, "%s: invalid key path \"%.*s\": bad array index "
                                 "at byte %zu", where, (int)len, s, i);
                    goto fail;
                }
                g->kind = FLT_SEG_INDEX;
                g->index = (uint32_t)v;
                i = j + 1;
            }
            p->n_segs++;
            continue;
        }
        if (!first) {
            if (s[i] != '.') {
                rc = vt_fail(err, VT_EINVAL, "%s: invalid key path \"%.*s\": unexpected '%c' at "
                             "byte %zu", where, (int)len, s, s[i], i);
                goto fail;
            }
            i++;
        }
        size_t start, end;
        if (i < len && s[i] == '"') {
            start = ++i;
            while (i < len && s[i] != '"' && s[i] != '\\') i++;
            if (i >= len || s[i] != '"') {
                rc = vt_fail(err, VT_EINVAL, "%s: invalid key path \"%.*s\": unterminated quoted "
                             "key", where, (int)len, s);
                goto fail;
            }
            end = i++;
        } else {
            start = i;
            while (i < len && is_raw_char((unsigned char)s[i])) i++;
            end = i;
            if (end == start) {
                rc = vt_fail(err, VT_EINVAL, "%s: invalid key path \"%.*s\": expected a key at "
                             "byte %zu", where, (int)len, s, start);
                goto fail;
            }
        }
        g->kind = FLT_SEG_KEY;
        g->key = vt_strndup(s + start, end - start);
        if (!g->key) {
            rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
            goto fail;
        }
        p->n_segs++;
    }
    if (path_canon(p) != 0) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
        goto fail;
    }
    *out = p;
    return 0;
fail:
    flt_path_free(p);
    return rc;
}

flt_path *flt_path_array_key(const flt_path *p) {
    flt_path *q = vt_calloc(1, sizeof *q);
    if (!q) return NULL;
    q->segs = vt_calloc(p->n_segs + 1, sizeof *q->segs);
    if (!q->segs) goto fail;
    for (uint32_t i = 0; i < p->n_segs; i++) {
        q->segs[i] = p->segs[i];
        q->segs[i].key = NULL;
        q->n_segs++;
        if (p->segs[i].key && !(q->segs[i].key = vt_strdup(p->segs[i].key))) goto fail;
    }
    if (p->segs[p->n_segs - 1].kind != FLT_SEG_WILD) q->segs[q->n_segs++].kind = FLT_SEG_WILD;
    if (path_canon(q) != 0) goto fail;
    return q;
fail:
    flt_path_free(q);
    return NULL;
}

/* walk: value_get over segs[i..n) starting at v. */
static int walk(const flt_seg *segs, uint32_t i, uint32_t n, const json_t *v, flt_value_fn fn,
                void *user) {
    if (i == n) return fn(user, v);
    const flt_seg *g = &segs[i];
    if (g->kind == FLT_SEG_KEY) {
        if (!json_is_object(v)) return 0;
        const json_t *c = json_object_get(v, g->key);
        return c ? walk(segs, i + 1, n, c, fn, user) : 0;
    }
    if (!json_is_array(v)) return 0;
    if (g->kind == FLT_SEG_INDEX) {
        const json_t *c = json_array_get(v, g->index);
        return c ? walk(segs, i + 1, n, c, fn, user) : 0;
    }
    size_t k, m = json_array_size(v);
    for (k = 0; k < m; k++) {
        int r = walk(segs, i + 1, n, json_array_get(v, k), fn, user);
        if (r) return r;
    }
    return 0;
}

int flt_path_walk(const flt_path *p, const json_t *obj, flt_value_fn fn, void *user) {
    if (!p || !json_is_object(obj)) return 0;
    return walk(p->segs, 0, p->n_segs, obj, fn, user);
}

/* ---- UUIDs ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int flt_parse_uuid(const char *s, size_t len, uint8_t out[16]) {
    if (len == 45 && strncasecmp(s, "urn:uuid:", 9) == 0) {
        s += 9;
        len -= 9;
    } else if (len == 38 && s[0] == '{' && s[37] == '}') {
        s += 1;
        len -= 2;
    }
    int hyph = len == 36;
    if (!hyph && len != 32) return 0;
    size_t j = 0;
    for (int b = 0; b < 16; b++) {
        if (hyph && (j == 8 || j == 13 || j == 18 || j == 23)) {
            if (s[j] != '-') return 0;
            j++;
        }
        int hi = hexval(s[j]), lo = hexval(s[j + 1]);
        if (hi < 0 || lo < 0) return 0;
        out[b] = (uint8_t)(hi << 4 | lo);
        j += 2;
    }
    return j == len;
}

int flt_is_canonical_uuid(const char *s, size_t len) {
    if (len != 36) return 0;
    for (size_t j = 0; j < 36; j++) {
        if (j == 8 || j == 13 || j == 18 || j == 23) {
            if (s[j] != '-') return 0;
        } else if (!((s[j] >= '0' && s[j] <= '9') || (s[j] >= 'a' && s[j] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* ---- datetimes ---- */

/* digits: reads exactly n decimal digits at s[*i]; -1 if not there. */
static int64_t digits(const char *s, size_t len, size_t *i, int n) {
    int64_t v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    return v;
}

/* days_from_civil: days since 1970-01-01 of y-m-d (proleptic Gregorian) [Hinnant]. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int flt_parse_datetime(const char *s, size_t len, int64_t *out_us) {
    size_t i = 0;
    int64_t y = digits(s, len, &i, 4);
    if (y < 0 || i >= len || s[i++] != '-') return 0;
    int64_t mo = digits(s, len, &i, 2);
    if (mo < 1 || mo > 12 || i >= len || s[i++] != '-') return 0;
    int64_t d = digits(s, len, &i, 2);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return 0;
    int64_t h = 0, mi = 0, sec = 0, us = 0, off_min = 0;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return 0;
        i++;
        h = digits(s, len, &i, 2);
        if (h < 0 || h > 23 || i >= len || s[i++] != ':') return 0;
        mi = digits(s, len, &i, 2);
        if (mi < 0 || mi > 59) return 0;
        if (i < len && s[i] == ':') {
            i++;
            sec = digits(s, len, &i, 2);
            if (sec < 0 || sec > 60) return 0;
            if (i < len && s[i] == '.') {
                i++;
                size_t st = i;
                int64_t scale = 100000;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    us += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == st) return 0;
            }
            if (sec == 60) {
                sec = 59;
                us = 999999;
            }
        }
        if (i < len) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int neg = s[i++] == '-';
                int64_t oh = digits(s, len, &i, 2), om = 0;
                if (oh < 0 || oh > 23) return 0;
                if (i < len) {
                    if (s[i] == ':') i++;
                    om = digits(s, len, &i, 2);
                    if (om < 0 || om > 59) return 0;
                }
                off_min = (neg ? -1 : 1) * (oh * 60 + om);
            } else {
                return 0;
            }
        }
        if (i != len) return 0;
    }
    int64_t t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi - off_min) * 60 + sec;
    *out_us = t * 1000000 + us;
    return 1;
}

/* ---- tokenizer ---- */

int flt_tokenize(const char *s, size_t len, flt_token_fn fn, void *user) {
    char tok[FLT_MAX_TOKEN_LEN + 4]; /* a token plus one code point that may not fit */
    size_t tl = 0, i = 0;
    while (i <= len) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t n = 1;
        int word = 0;
        if (i < len) {
            n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n < 1) {
                n = 1;
                cp = -1;
            }
            if (cp >= 0) {
                utf8proc_category_t c = utf8proc_category(cp);
                word = (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                       (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
                       c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC;
            }
        }
        if (word) {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t el = utf8proc_encode_char(utf8proc_tolower(cp), enc);
            if (tl + (size_t)el <= FLT_MAX_TOKEN_LEN) {
                memcpy(tok + tl, enc, (size_t)el);
                tl += (size_t)el;
            }
        } else if (tl > 0) {
            int r = fn(user, tok, tl);
            if (r) return r;
            tl = 0;
        }
        i += (size_t)n;
    }
    return 0;
}

/* ---- small helpers ---- */

int flt_str_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

int flt_str_in(const flt_str *list, uint32_t n, const char *s, size_t len) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = flt_str_cmp(list[mid].s, list[mid].len, s, len);
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int flt_int_in(const int64_t *list, uint32_t n, int64_t v) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && list[lo] == v;
}

int flt_json_i64(const json_t *v, int64_t *out) {
    if (!json_is_integer(v)) return 0;
    *out = (int64_t)json_integer_value(v);
    return 1;
}
