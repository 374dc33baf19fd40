/*
 * clip.c — CLIP's text pipeline between the added-token split and the BPE model, as
 * transformers 5.x builds it (models/clip/tokenization_clip.py) on the `tokenizers` library:
 *
 *   normalizer     Sequence[NFC, Replace(\s+ → " "), Lowercase]
 *   pre-tokenizer  Sequence[Split(CLIP regex, behavior Removed, invert), ByteLevel(use_regex)]
 *   model          BPE, end_of_word_suffix "</w>", no continuing prefix, unk "<|endoftext|>"
 *
 * The CLIP regex, leftmost-first alternation at each position (Oniguruma):
 *     <\|startoftext\|> | <\|endoftext\|> | 's | 't | 're | 've | 'm | 'll | 'd
 *     | [\p{L}]+ | [\p{N}] | [^\s\p{L}\p{N}]+
 * Split(invert, Removed) keeps the matches and drops what lies between (only white space can:
 * every other character is in one of the three classes). It is hand-coded below: at a position,
 * the two literals, then the contractions, then by the class of the character a letter run, one
 * number, or a run of "other" characters — greedy, so "!'s" is "!'" + "s" as in the regex.
 * ByteLevel's own GPT-2 regex then runs on each piece; it leaves every piece whole except the
 * two literals, which it cuts into "<|", the word, "|>" (a literal that survives to here is one
 * the added-token split did not take, e.g. after lowercasing "<|ENDOFTEXT|>"). The bytes of each
 * piece are then one BPE word.
 *
 * The normalizer runs on each segment between added tokens separately, as in `tokenizers`.
 * \s+ → " " runs after NFC and before lowercasing; nothing lowercases to white space, so the
 * pre-tokenizer only ever sees single U+0020 spaces. No ftfy, no HTML unescaping: control and
 * zero-width characters are "other" characters and go to BPE as bytes.
 */
#include <string.h>

#include "text/text_int.h"

int clip_normalize(const uint8_t *s, size_t n, tok_scratch *sc, size_t *out_len, vt_error *err) {
    size_t k = 0;
    int rc = text_nfc(s, n, &sc->cp, &sc->cp_cap, &k, &sc->tmp, &sc->tmp_cap, err);
    if (rc) return rc;
    /* each code point becomes at most 2 (lowercase), of at most 4 bytes each */
    if (8 * k + 1 > sc->norm_cap &&
        (rc = text_grow((void **)&sc->norm, &sc->norm_cap, 8 * k + 1, 1, 8 * TOK_MAX_WORK)))
        return vt_fail(err, rc, "tokenizer: text too large to normalize");
    size_t o = 0;
    int in_space = 0;
    for (size_t i = 0; i < k; i++) {
        int32_t c = sc->cp[i];
        if (text_is_space(c)) {
            if (!in_space) sc->norm[o++] = ' ';
            in_space = 1;
            continue;
        }
        in_space = 0;
        int32_t low[2];
        int m = text_lower(c, low);
        for (int j = 0; j < m; j++) o += text_utf8_put(sc->norm + o, low[j]);
    }
    *out_len = o;
    return VT_OK;
}

/* word: appends the ids of one BPE word s[0..n), n >= 1. */
static int word(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc, tok_ids *ids,
                vt_error *err) {
    return bpe_encode_word(t->bpe, s, n, &sc->bpe, ids, err);
}

/* starts: 1 if s[0..n) starts with the literal lit. */
static int starts(const uint8_t *s, size_t n, const char *lit, size_t lit_len) {
    return n >= lit_len && memcmp(s, lit, lit_len) == 0;
}

/* contraction: the length of the CLIP contraction ('s 't 're 've 'm 'll 'd) at s, or 0. */
static size_t contraction(const uint8_t *s, size_t n) {
    if (n < 2 || s[0] != '\'') return 0;
    switch (s[1]) {
    case 's':
    case 't':
    case 'm':
    case 'd': return 2;
    case 'r':
    case 'v': return n >= 3 && s[2] == 'e' ? 3 : 0;
    case 'l': return n >= 3 && s[2] == 'l' ? 3 : 0;
    default: return 0;
    }
}

/* pretokenize: splits the normalized text s[0..n) into BPE words and encodes them, stopping
 * early once ids holds what the caller wants. */
static int pretokenize(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                       tok_ids *ids, vt_error *err) {
    static const char sot[] = "<|startoftext|>", eot[] = "<|endoftext|>";
    size_t i = 0;
    int rc;
    while (i < n && ids->n < ids->stop) {
        if (s[i] == '<') {
            size_t wl = starts(s + i, n - i, sot, sizeof sot - 1)   ? sizeof sot - 5
                        : starts(s + i, n - i, eot, sizeof eot - 1) ? sizeof eot - 5
                                                                    : 0;
            if (wl) { /* ByteLevel's regex cuts the literal into "<|", the word, "|>" */
                if ((rc = word(t, s + i, 2, sc, ids, err)) ||
                    (rc = word(t, s + i + 2, wl, sc, ids, err)) ||
                    (rc = word(t, s + i + 2 + wl, 2, sc, ids, err)))
                    return rc;
                i += wl + 4;
                continue;
            }
        }
        size_t cl = contraction(s + i, n - i);
        if (cl) {
            if ((rc = word(t, s + i, cl, sc, ids, err))) return rc;
            i += cl;
            continue;
        }
        size_t j = i;
        int32_t c = text_utf8_next(s, &j);
        if (text_is_space(c)) {
            i = j;
            continue;
        }
        if (text_is_letter(c)) {
            while (j < n) {
                size_t q = j;
                if (!text_is_letter(text_utf8_next(s, &q))) break;
                j = q;
            }
        } else if (!text_is_number(c)) { /* a run of "other" characters */
            while (j < n) {
                size_t q = j;
                int32_t d = text_utf8_next(s, &q);
                if (text_is_space(d) || text_is_letter(d) || text_is_number(d)) break;
                j = q;
            }
        }
        if ((rc = word(t, s + i, j - i, sc, ids, err))) return rc;
        i = j;
    }
    return VT_OK;
}

int clip_encode_segment(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                        tok_ids *ids, vt_error *err) {
    size_t nl = 0;
    int rc = clip_normalize(s, n, sc, &nl, err);
    if (rc) return rc;
    const uint8_t *norm = sc->norm;
    if (!t->has_norm_added) return pretokenize(t, norm, nl, sc, ids, err);
    /* added tokens flagged "normalized" are matched in the normalized text */
    size_t pos = 0;
    while (pos < nl && ids->n < ids->stop) {
        size_t at = 0;
        long a = tok_match_added(t, norm + pos, nl - pos, 1, &at);
        if ((rc = pretokenize(t, norm + pos, a < 0 ? nl - pos : at, sc, ids, err))) return rc;
        if (a < 0) break;
        if ((rc = tok_ids_push(ids, t->added[a].id, err))) return rc;
        pos += at + t->added[a].len;
    }
    return VT_OK;
}
