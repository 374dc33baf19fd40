/*
 * unicode.c — the Unicode the tokenizers need: UTF-8 checking and coding, the character classes
 * of the pre-tokenizer regexes and of BERT's normalizer, NFC, NFD and lowercase, all from
 * utf8proc's tables.
 *
 * What is matched. The reference is the Rust `tokenizers` library: its regexes are Oniguruma's
 * (\s = the White_Space property, \p{L} and \p{N} the general categories), its NFC is the
 * unicode-normalization crate, its Lowercase is Rust's char::to_lowercase applied to each code
 * point (no context, so no final-sigma rule; U+0130 is the one code point that lowercases to
 * two). utf8proc supplies the categories, the simple lowercase mapping and the canonical
 * (de)composition data; where the Unicode versions of the two differ (code points assigned in
 * versions newer than utf8proc's), results can differ on those code points only.
 *
 * BERT's classes (text_is_punct, text_is_other, text_is_mark_nonspacing) are those of the
 * unicode_categories crate the `tokenizers` BertNormalizer and BertPreTokenizer use; its tables
 * are older than utf8proc's and built from UnicodeData.txt lines, which text_is_other reproduces
 * (see text_int.h). NFD (text_nfd_cp, for strip_accents) is the decomposition and ordering half
 * of NFC below, without the composition.
 *
 * NFC is done as utf8proc_map would do it — full canonical decomposition of each code point,
 * canonical ordering of each run of non-starters, canonical composition — but the ordering is a
 * stable counting sort: utf8proc's own is a bubble sort, quadratic in the length of a run of
 * combining marks, which outside input could make as long as the whole text. All buffers come
 * from the vt_malloc hook (utf8proc_map would use malloc).
 *
 * Invariants: UTF-8 given to text_utf8_next and text_nfc has passed vt_utf8_valid; code points
 * are in [0, 0x10FFFF] minus the surrogates.
 */
#include <string.h>

#include <utf8proc.h>

#include "base/alloc.h"
#include "text/text_int.h"

int32_t text_utf8_next(const uint8_t *s, size_t *i) {
    size_t p = *i;
    uint32_t c = s[p];
    if (c < 0x80) {
        *i = p + 1;
        return (int32_t)c;
    }
    if (c < 0xE0) {
        *i = p + 2;
        return (int32_t)((c & 0x1F) << 6 | (s[p + 1] & 0x3Fu));
    }
    if (c < 0xF0) {
        *i = p + 3;
        return (int32_t)((c & 0x0F) << 12 | (s[p + 1] & 0x3Fu) << 6 | (s[p + 2] & 0x3Fu));
    }
    *i = p + 4;
    return (int32_t)((c & 0x07) << 18 | (s[p + 1] & 0x3Fu) << 12 | (s[p + 2] & 0x3Fu) << 6 |
                     (s[p + 3] & 0x3Fu));
}

size_t text_utf8_put(uint8_t *out, int32_t cp) {
    uint32_t c = (uint32_t)cp;
    if (c < 0x80) {
        out[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (uint8_t)(0xC0 | c >> 6);
        out[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (uint8_t)(0xE0 | c >> 12);
        out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | c >> 18);
    out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

int text_is_space(int32_t cp) {
    /* The White_Space property (PropList.txt), stable since Unicode 6.3. */
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85) return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int text_is_letter(int32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return 1;
    default: return 0;
    }
}

int text_is_number(int32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return 1;
    default: return 0;
    }
}

int text_lower(int32_t cp, int32_t out[2]) {
    if (cp < 0x80) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) { /* SpecialCasing.txt: the only unconditional one-to-many lowercase */
        out[0] = 0x69;
        out[1] = 0x307;
        return 2;
    }
    out[0] = utf8proc_tolower(cp);
    return 1;
}

/* ccc: the canonical combining class of cp (0 = starter). Cannot fail. */
static int ccc(int32_t cp) {
    if (cp < 0x300) return 0;
    return utf8proc_get_property(cp)->combining_class;
}

/* order_run: sorts the run of non-starters a[0..n) stably by combining class (canonical
 * ordering, UAX #15), in O(n + 256): insertion sort for short runs, counting sort through
 * tmp (room for n) for long ones. Cannot fail. */
static void order_run(int32_t *a, size_t n, int32_t *tmp) {
    if (n <= 32) {
        for (size_t i = 1; i < n; i++) {
            int32_t x = a[i];
            int cx = ccc(x);
            size_t j = i;
            while (j > 0 && ccc(a[j - 1]) > cx) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    size_t start[257] = {0};
    for (size_t i = 0; i < n; i++) start[ccc(a[i]) + 1]++;
    for (int c = 1; c <= 256; c++) start[c] += start[c - 1];
    for (size_t i = 0; i < n; i++) tmp[start[ccc(a[i])]++] = a[i];
    memcpy(a, tmp, n * sizeof *a);
}

int text_nfc(const uint8_t *s, size_t n, int32_t **cp, size_t *cap, size_t *len,
             int32_t **tmp, size_t *tmp_cap, vt_error *err) {
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    size_t k = 0, i = 0, longest_run = 0, run = 0;
    int any_decomposed = 0;
    *len = 0;
    while (i < n) {
        int32_t c = text_utf8_next(s, &i);
        int32_t d[16];
        utf8proc_ssize_t m = 1;
        d[0] = c;
        if (c >= 0xC0) { /* nothing below U+00C0 decomposes */
            int bound = 0;
            m = utf8proc_decompose_char(c, d, 16, opts, &bound);
            if (m < 1 || m > 16)
                return vt_fail(err, VT_EINTERNAL, "tokenizer: utf8proc cannot decompose U+%04X",
                               (unsigned)c);
            any_decomposed = 1;
        }
        if (k + (size_t)m > *cap) {
            int rc = text_grow((void **)cp, cap, k + (size_t)m, sizeof **cp, TOK_MAX_WORK);
            if (rc) return vt_fail(err, rc, "tokenizer: text too large to normalize");
        }
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            (*cp)[k++] = d[j];
            if (ccc(d[j])) {
                if (++run > longest_run) longest_run = run;
            } else {
                run = 0;
            }
        }
    }
    if (!any_decomposed) { /* all below U+00C0: already NFC */
        *len = k;
        return VT_OK;
    }
    if (longest_run > 32 && longest_run > *tmp_cap) {
        int rc = text_grow((void **)tmp, tmp_cap, longest_run, sizeof **tmp, TOK_MAX_WORK);
        if (rc) return vt_fail(err, rc, "tokenizer: text too large to normalize");
    }
    for (size_t a = 0; a < k;) {
        if (!ccc((*cp)[a])) {
            a++;
            continue;
        }
        size_t b = a + 1;
        while (b < k && ccc((*cp)[b])) b++;
        if (b - a > 1) order_run(*cp + a, b - a, *tmp);
        a = b;
    }
    utf8proc_ssize_t r = utf8proc_normalize_utf32(*cp, (utf8proc_ssize_t)k, opts);
    if (r < 0 || (size_t)r > k)
        return vt_fail(err, VT_EINTERNAL, "tokenizer: utf8proc composition failed: %s",
                       utf8proc_errmsg(r));
    *len = (size_t)r;
    return VT_OK;
}

int text_is_punct(int32_t cp) {
    if (cp < 0x80) /* Rust's is_ascii_punctuation: every ASCII symbol, not only category P */
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
               (cp >= 0x7B && cp <= 0x7E);
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: return 1;
    default: return 0;
    }
}

int text_is_other(int32_t cp) {
    if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
    /* private use: only the endpoints of the ranges, which are all UnicodeData.txt lists */
    if (cp == 0xE000 || cp == 0xF8FF || cp == 0xF0000 || cp == 0xFFFFD || cp == 0x100000 || cp == 0x10FFFD)
        return 1;
    /* format characters assigned after the crate's tables (Unicode 10 and later) */
    if (cp == 0x890 || cp == 0x891 || cp == 0x110CD || (cp >= 0x13430 && cp <= 0x1343F)) return 0;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF;
}

int text_is_mark_nonspacing(int32_t cp) {
    return cp >= 0x300 && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN;
}

int text_nfd_cp(const int32_t *in, size_t n, int32_t **out, size_t *cap, size_t *len,
                int32_t **tmp, size_t *tmp_cap, vt_error *err) {
    size_t k = 0, longest_run = 0, run = 0;
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = in[i], d[16];
        utf8proc_ssize_t m = 1;
        d[0] = c;
        if (c >= 0xC0) { /* nothing below U+00C0 decomposes */
            int bound = 0;
            m = utf8proc_decompose_char(c, d, 16, UTF8PROC_DECOMPOSE, &bound);
            if (m < 1 || m > 16)
                return vt_fail(err, VT_EINTERNAL, "tokenizer: utf8proc cannot decompose U+%04X",
                               (unsigned)c);
        }
        if (k + (size_t)m > *cap) {
            int rc = text_grow((void **)out, cap, k + (size_t)m, sizeof **out, TOK_MAX_WORK);
            if (rc) return vt_fail(err, rc, "tokenizer: text too large to normalize");
        }
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            (*out)[k++] = d[j];
            if (ccc(d[j])) {
                if (++run > longest_run) longest_run = run;
            } else {
                run = 0;
            }
        }
    }
    if (longest_run > 32 && longest_run > *tmp_cap) {
        int rc = text_grow((void **)tmp, tmp_cap, longest_run, sizeof **tmp, TOK_MAX_WORK);
        if (rc) return vt_fail(err, rc, "tokenizer: text too large to normalize");
    }
    for (size_t a = 0; a < k;) { /* canonical ordering of each run of non-starters */
        if (!ccc((*out)[a])) {
            a++;
            continue;
        }
        size_t b = a + 1;
        while (b < k && ccc((*out)[b])) b++;
        if (b - a > 1) order_run(*out + a, b - a, *tmp);
        a = b;
    }
    *len = k;
    return VT_OK;
}
