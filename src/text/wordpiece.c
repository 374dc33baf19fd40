/*
 * wordpiece.c — BERT's text pipeline between the added-token split and the ids, as transformers
 * 5.x builds it for BertTokenizer and MPNetTokenizer on the `tokenizers` library:
 *
 *   normalizer     BertNormalizer {clean_text, handle_chinese_chars, strip_accents, lowercase}
 *   pre-tokenizer  BertPreTokenizer: split on white space (removed), then on punctuation (each
 *                  punctuation character is a word of its own)
 *   model          WordPiece, continuing prefix "##", max_input_chars_per_word 100, unk "[UNK]"
 *
 * BertNormalizer, per code point and in this order (tokenizers normalizers/bert.rs):
 *  1. clean_text: NUL, U+FFFD and the "other" characters of text_is_other (controls, format
 *     characters such as the zero-width ones; not unassigned code points) except \t \n \r are
 *     dropped; then white space (\t \n \r and the White_Space property) becomes " ";
 *  2. handle_chinese_chars: a CJK ideograph c becomes " c " (the ranges of is_cjk below; kana and
 *     Hangul are not in them);
 *  3. strip_accents (unset = follow lowercase): NFD, then every Mn character is dropped — the text
 *     stays decomposed (Hangul syllables become jamo, as the reference does);
 *  4. lowercase: Rust's char::to_lowercase per code point (text_lower).
 *
 * WordPiece, one word w (tokenizers models/wordpiece/mod.rs): more than max_chars code points →
 * the unknown token. Otherwise greedy longest-match-first: from start = 0, the longest w[start..end)
 * (spelled with the "##" prefix when start > 0) that is in the vocabulary is the next piece and
 * start moves to end; if no prefix of what is left is in the vocabulary the whole word becomes
 * the unknown token (pieces found before are dropped). Candidate ends longer than the longest
 * vocabulary string cannot match and are skipped, so a word costs O(len × longest) lookups at
 * most instead of O(len²).
 *
 * vocab.txt: one token per line, the id is the line number (0-based), as transformers'
 * load_vocab. The model is read-only after wp_new; any number of threads encode at once, each
 * with its own tok_scratch.
 */
#include <string.h>

#include "base/alloc.h"
#include "text/text_int.h"

struct wp_model {
    strmap *vocab;                   /* token (pieces after the first spelled "##…") → id, owned */
    char prefix[WP_MAX_PREFIX + 1];  /* the continuing subword prefix, NUL-terminated */
    size_t prefix_len;               /* its length in bytes */
    int max_chars;                   /* longer words (in code points) are the unknown token */
    int32_t unk_id;                  /* the unknown token's id */
    size_t max_key;                  /* the longest vocabulary string, in bytes */
    wp_norm_opts norm;               /* the BertNormalizer options */
};

int wp_new(strmap *vocab, const char *prefix, int max_chars, int32_t unk_id, wp_norm_opts no,
           const char *name, wp_model **out, vt_error *err) {
    *out = NULL;
    size_t pl = strlen(prefix);
    if (pl > WP_MAX_PREFIX) {
        strmap_free(vocab);
        return vt_fail(err, VT_ECORRUPT, "%s: continuing_subword_prefix is longer than %d bytes",
                       name, WP_MAX_PREFIX);
    }
    if (max_chars < 1 || max_chars > WP_MAX_CHARS_CAP) {
        strmap_free(vocab);
        return vt_fail(err, VT_ECORRUPT, "%s: max_input_chars_per_word %d is not in [1, %d]",
                       name, max_chars, WP_MAX_CHARS_CAP);
    }
    wp_model *m = vt_calloc(1, sizeof *m);
    if (!m) {
        strmap_free(vocab);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", name);
    }
    m->vocab = vocab;
    memcpy(m->prefix, prefix, pl + 1);
    m->prefix_len = pl;
    m->max_chars = max_chars;
    m->unk_id = unk_id;
    m->max_key = strmap_max_len(vocab);
    m->norm = no;
    *out = m;
    return VT_OK;
}

void wp_free(wp_model *m) {
    if (!m) return;
    strmap_free(m->vocab);
    vt_free(m);
}

void wp_set_unk_id(wp_model *m, int32_t unk_id) { m->unk_id = unk_id; }

const strmap *wp_vocab(const wp_model *m) { return m->vocab; }

int wp_vocab_from_txt(const uint8_t *data, size_t len, const char *path, strmap **out,
                      vt_error *err) {
    *out = NULL;
    size_t bad = 0, lines = 0;
    if (!vt_utf8_valid(data, len, &bad))
        return vt_fail(err, VT_ECORRUPT, "%s: invalid UTF-8 at byte offset %zu", path, bad);
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    if (len && data[len - 1] != '\n') lines++;
    if (lines > TOK_MAX_VOCAB)
        return vt_fail(err, VT_ELIMIT, "%s: %zu lines is over the limit of %zu tokens", path, lines,
                       (size_t)TOK_MAX_VOCAB);
    strmap *m = strmap_new(lines);
    if (!m) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    const uint8_t *p = data, *end = data + len;
    int32_t id = 0;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)((nl ? nl : end) - p);
        if (ll && p[ll - 1] == '\r') ll--;
        int rc = strmap_put(m, (const char *)p, ll, id++);
        if (rc) {
            strmap_free(m);
            return vt_fail(err, rc, "%s: cannot store the vocabulary", path);
        }
        p = nl ? nl + 1 : end;
    }
    *out = m;
    return VT_OK;
}

/* is_cjk: the CJK ideograph blocks of tokenizers' BertNormalizer (is_chinese_char). */
static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

int wp_normalize(const wp_model *m, const uint8_t *s, size_t n, tok_scratch *sc, size_t *out_len,
                 vt_error *err) {
    const wp_norm_opts *o = &m->norm;
    int strip = o->strip_accents >= 0 ? o->strip_accents : o->lowercase, rc;
    *out_len = 0;
    /* 1, 2: cleaning and CJK spacing; a byte yields at most one code point, tripled by spacing */
    if ((rc = text_grow((void **)&sc->cp, &sc->cp_cap, 3 * n + 1, sizeof *sc->cp, TOK_MAX_WORK)))
        return vt_fail(err, rc, "tokenizer: text too large to normalize");
    size_t k = 0, i = 0;
    while (i < n) {
        int32_t c = text_utf8_next(s, &i);
        if (o->clean_text) {
            if (c == 0 || c == 0xFFFD || (text_is_other(c) && c != '\t' && c != '\n' && c != '\r'))
                continue;
            if (text_is_space(c)) c = ' ';
        }
        if (o->handle_cjk && is_cjk(c)) {
            sc->cp[k++] = ' ';
            sc->cp[k++] = c;
            sc->cp[k++] = ' ';
        } else {
            sc->cp[k++] = c;
        }
    }
    /* 3: strip accents: NFD into cp2, then drop the non-spacing marks in place */
    const int32_t *src = sc->cp;
    if (strip) {
        size_t d = 0, w = 0;
        if ((rc = text_nfd_cp(sc->cp, k, &sc->cp2, &sc->cp2_cap, &d, &sc->tmp, &sc->tmp_cap, err)))
            return rc;
        for (size_t r = 0; r < d; r++)
            if (!text_is_mark_nonspacing(sc->cp2[r])) sc->cp2[w++] = sc->cp2[r];
        src = sc->cp2;
        k = w;
    }
    /* 4: lowercase while writing UTF-8: at most 2 code points of 4 bytes each per code point */
    if ((rc = text_grow((void **)&sc->norm, &sc->norm_cap, 8 * k + 1, 1, 8 * TOK_MAX_WORK)))
        return vt_fail(err, rc, "tokenizer: text too large to normalize");
    size_t o_len = 0;
    for (size_t r = 0; r < k; r++) {
        int32_t low[2];
        int nl = 1;
        low[0] = src[r];
        if (o->lowercase) nl = text_lower(src[r], low);
        for (int j = 0; j < nl; j++) o_len += text_utf8_put(sc->norm + o_len, low[j]);
    }
    *out_len = o_len;
    return VT_OK;
}

/* word: appends the WordPiece ids of one pre-tokenized word w[0..wn) (valid UTF-8, wn >= 1). */
static int word(const wp_model *m, const uint8_t *w, size_t wn, tok_scratch *sc, tok_ids *ids,
                vt_error *err) {
    size_t chars = 0;
    for (size_t i = 0; i < wn && chars <= (size_t)m->max_chars; i++) chars += (w[i] & 0xC0) != 0x80;
    if (chars > (size_t)m->max_chars) return tok_ids_push(ids, m->unk_id, err);
    /* wn <= 4 × max_chars bytes, so the key buffer is bounded by the model's limits */
    int rc = text_grow((void **)&sc->key, &sc->key_cap, m->prefix_len + wn + 1, 1,
                       WP_MAX_PREFIX + 4 * (size_t)WP_MAX_CHARS_CAP + 1);
    if (rc) return vt_fail(err, rc, "tokenizer: out of memory for a word of %zu bytes", wn);
    memcpy(sc->key, m->prefix, m->prefix_len);
    size_t mark = ids->n, start = 0;
    while (start < wn) {
        size_t end = wn;
        if (end - start > m->max_key) { /* longer candidates cannot be in the vocabulary */
            end = start + m->max_key;
            while (end > start && (w[end] & 0xC0) == 0x80) end--;
        }
        int32_t id = -1;
        while (end > start) {
            if (start == 0) {
                id = strmap_get(m->vocab, (const char *)w, end);
            } else {
                memcpy(sc->key + m->prefix_len, w + start, end - start);
                id = strmap_get(m->vocab, (const char *)sc->key, m->prefix_len + end - start);
            }
            if (id >= 0) break;
            do end--;
            while (end > start && (w[end] & 0xC0) == 0x80);
        }
        if (id < 0) { /* no piece fits: the whole word is unknown */
            ids->n = mark;
            return tok_ids_push(ids, m->unk_id, err);
        }
        if ((rc = tok_ids_push(ids, id, err))) return rc;
        start = end;
    }
    return VT_OK;
}

/* pretokenize: BertPreTokenizer over the normalized text s[0..n): white space separates words
 * and is dropped, each punctuation character is a word; every word goes through WordPiece. Stops
 * early once ids holds what the caller wants. */
static int pretokenize(const wp_model *m, const uint8_t *s, size_t n, tok_scratch *sc,
                       tok_ids *ids, vt_error *err) {
    size_t i = 0;
    while (i < n && ids->n < ids->stop) {
        size_t j = i;
        int32_t c = text_utf8_next(s, &j);
        if (text_is_space(c)) {
            i = j;
            continue;
        }
        if (!text_is_punct(c)) {
            while (j < n) {
                size_t q = j;
                int32_t d = text_utf8_next(s, &q);
                if (text_is_space(d) || text_is_punct(d)) break;
                j = q;
            }
        }
        int rc = word(m, s + i, j - i, sc, ids, err);
        if (rc) return rc;
        i = j;
    }
    return VT_OK;
}

int wp_encode_segment(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                      tok_ids *ids, vt_error *err) {
    size_t nl = 0;
    int rc = wp_normalize(t->wp, s, n, sc, &nl, err);
    if (rc) return rc;
    const uint8_t *norm = sc->norm;
    if (!t->has_norm_added) return pretokenize(t->wp, norm, nl, sc, ids, err);
    /* added tokens flagged "normalized" are matched in the normalized text */
    size_t pos = 0;
    while (pos < nl && ids->n < ids->stop) {
        size_t at = 0;
        long a = tok_match_added(t, norm + pos, nl - pos, 1, &at);
        if ((rc = pretokenize(t->wp, norm + pos, a < 0 ? nl - pos : at, sc, ids, err))) return rc;
        if (a < 0) break;
        if ((rc = tok_ids_push(ids, t->added[a].id, err))) return rc;
        pos += at + t->added[a].len;
    }
    return VT_OK;
}
