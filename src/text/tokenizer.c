/*
 * tokenizer.c — encoding with a loaded tokenizer (tok_encode) and the handle's accessors.
 * Loading is tok_load.c.
 *
 * tok_encode is the `tokenizers` Tokenizer::encode of one sequence with special tokens:
 *  1. the raw text is checked (valid UTF-8, at most TOK_MAX_INPUT bytes), and lowercased first
 *     when the handle says so (sentence-transformers' do_lower_case, applied before the
 *     tokenizer sees the text);
 *  2. added tokens whose is_normalized is 0 (CLIP's <|startoftext|> and <|endoftext|>, BERT's
 *     [CLS] [SEP] [UNK] …) are found in the raw text, leftmost then longest, and become their
 *     ids; the segments between them go to the kind's segment encoder (clip_encode_segment or
 *     wp_encode_segment: normalizer, added tokens flagged normalized, pre-tokenizer, model),
 *     each segment on its own;
 *  3. the post-processor puts BOS first and EOS last (RobertaProcessing / TemplateProcessing for
 *     a single sequence: <|startoftext|> … <|endoftext|>, [CLS] … [SEP], <s> … </s>);
 *     with max_length > 0 the content is first cut to max_length minus the special tokens, so
 *     EOS stays last (truncation "longest_first", direction right, as transformers does).
 * Since truncation keeps a prefix of the content, encoders stop early once they have produced
 * that many ids: a long text costs only what the first max_length tokens need.
 *
 * Threads: the handle is never written after loading; each call has its own tok_scratch.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/text_int.h"

int text_grow(void **buf, size_t *cap, size_t need, size_t elem, size_t limit) {
    if (need <= *cap) return VT_OK;
    if (need > limit) return VT_ELIMIT;
    size_t c = *cap ? *cap : 64;
    while (c < need) c = c > limit / 2 ? limit : c * 2;
    if (c > SIZE_MAX / elem) return VT_ELIMIT;
    void *p = vt_realloc(*buf, c * elem);
    if (!p) return VT_ENOMEM;
    *buf = p;
    *cap = c;
    return VT_OK;
}

int tok_ids_push(tok_ids *ids, int32_t id, vt_error *err) {
    if (ids->n == ids->cap) {
        int rc = text_grow((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v, TOK_MAX_WORK);
        if (rc) return vt_fail(err, rc, "tokenizer: more than %zu tokens", ids->cap);
    }
    ids->v[ids->n++] = id;
    return VT_OK;
}

/* added_cmp: orders added tokens by (is_normalized, first byte); qsort comparator. */
static int added_cmp(const void *x, const void *y) {
    const tok_added *a = x, *b = y;
    if (a->is_normalized != b->is_normalized) return a->is_normalized - b->is_normalized;
    return (int)(uint8_t)a->content[0] - (int)(uint8_t)b->content[0];
}

void tok_index_added(tokenizer *t) {
    if (t->n_added) qsort(t->added, t->n_added, sizeof *t->added, added_cmp);
    memset(t->added_first, 0, sizeof t->added_first);
    t->has_norm_added = 0;
    /* count per (flag, byte) into slot byte + 1, then prefix sums over both flags in order */
    uint32_t count[2][256] = {{0}};
    for (size_t i = 0; i < t->n_added; i++) {
        int f = t->added[i].is_normalized ? 1 : 0;
        count[f][(uint8_t)t->added[i].content[0]]++;
        if (f) t->has_norm_added = 1;
    }
    uint32_t at = 0;
    for (int f = 0; f < 2; f++) {
        for (int b = 0; b < 256; b++) {
            t->added_first[f][b] = at;
            at += count[f][b];
        }
        t->added_first[f][256] = at;
    }
}

long tok_match_added(const tokenizer *t, const uint8_t *s, size_t n, int normalized, size_t *at) {
    const uint32_t *first = t->added_first[normalized ? 1 : 0];
    if (first[0] == first[256]) return -1;
    for (size_t p = 0; p < n; p++) {
        uint32_t lo = first[s[p]], hi = first[s[p] + 1];
        long best = -1;
        size_t best_len = 0;
        for (uint32_t i = lo; i < hi; i++) {
            const tok_added *a = &t->added[i];
            if (a->len <= n - p && a->len > best_len && memcmp(s + p, a->content, a->len) == 0) {
                best = (long)i;
                best_len = a->len;
            }
        }
        if (best >= 0) {
            *at = p;
            return best;
        }
    }
    return -1;
}

/* encode_segment: the kind's encoder for text between raw-matched added tokens. */
static int encode_segment(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                          tok_ids *ids, vt_error *err) {
    switch (t->kind) {
    case TOK_KIND_CLIP: return clip_encode_segment(t, s, n, sc, ids, err);
    case TOK_KIND_WORDPIECE: return wp_encode_segment(t, s, n, sc, ids, err);
    default: return vt_fail(err, VT_EINTERNAL, "tokenizer: unknown kind %d", t->kind);
    }
}

int tok_encode(const tokenizer *t, const char *text, size_t len, int max_length, int32_t **ids,
               size_t *n, vt_error *err) {
    *ids = NULL;
    *n = 0;
    if (!t || (!text && len)) return vt_fail(err, VT_EINVAL, "tokenizer: no tokenizer or no text");
    if (len > TOK_MAX_INPUT)
        return vt_fail(err, VT_ELIMIT, "tokenizer: text of %zu bytes is over the limit of %zu",
                       len, (size_t)TOK_MAX_INPUT);
    size_t n_special = (t->bos_id >= 0) + (t->eos_id >= 0);
    if (max_length > 0 && (size_t)max_length < n_special)
        return vt_fail(err, VT_EINVAL, "tokenizer: max_length %d leaves no room for the %zu "
                       "special tokens", max_length, n_special);
    const uint8_t *s = (const uint8_t *)text;
    size_t bad = 0;
    if (len && !vt_utf8_valid(s, len, &bad))
        return vt_fail(err, VT_EINVAL, "tokenizer: text: invalid UTF-8 at byte offset %zu", bad);

    tok_ids content = {.stop = max_length > 0 ? (size_t)max_length - n_special : SIZE_MAX};
    tok_scratch sc = {0};
    int rc = VT_OK;
    size_t pos = 0;
    if (t->lower_input && len) { /* sentence-transformers' do_lower_case, before the tokenizer */
        /* a lowercase mapping at most adds a byte to a 2-byte character (U+023A → U+2C65,
         * U+0130 → U+0069 U+0307): 1.5 × len bytes at most */
        if ((rc = text_grow((void **)&sc.lower, &sc.lower_cap, 2 * len + 8, 1, 2 * TOK_MAX_INPUT + 8))) {
            rc = vt_fail(err, rc, "tokenizer: out of memory lowercasing %zu bytes", len);
            goto fail;
        }
        size_t i = 0, o = 0;
        while (i < len) {
            int32_t low[2];
            int m = text_lower(text_utf8_next(s, &i), low);
            for (int j = 0; j < m; j++) o += text_utf8_put(sc.lower + o, low[j]);
        }
        s = sc.lower;
        len = o;
    }
    while (pos < len && content.n < content.stop) {
        size_t at = 0;
        long a = tok_match_added(t, s + pos, len - pos, 0, &at);
        size_t seg = a < 0 ? len - pos : at;
        if (seg && (rc = encode_segment(t, s + pos, seg, &sc, &content, err))) goto fail;
        if (a < 0) break;
        if ((rc = tok_ids_push(&content, t->added[a].id, err))) goto fail;
        pos += at + t->added[a].len;
    }

    size_t nc = content.n < content.stop ? content.n : content.stop;
    int32_t *out = vt_malloc((nc + n_special) * sizeof *out);
    if (!out) {
        rc = vt_fail(err, VT_ENOMEM, "tokenizer: out of memory for %zu ids", nc + n_special);
        goto fail;
    }
    size_t k = 0;
    if (t->bos_id >= 0) out[k++] = t->bos_id;
    if (nc) memcpy(out + k, content.v, nc * sizeof *out);
    k += nc;
    if (t->eos_id >= 0) out[k++] = t->eos_id;
    *ids = out;
    *n = k;
fail:
    vt_free(content.v);
    tok_scratch_fini(&sc);
    return rc;
}

void tok_scratch_fini(tok_scratch *sc) {
    vt_free(sc->cp);
    vt_free(sc->tmp);
    vt_free(sc->norm);
    vt_free(sc->cp2);
    vt_free(sc->key);
    vt_free(sc->lower);
    bpe_scratch_fini(&sc->bpe);
    memset(sc, 0, sizeof *sc);
}

void tok_free(tokenizer *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_added; i++) vt_free(t->added[i].content);
    vt_free(t->added);
    bpe_free(t->bpe);
    wp_free(t->wp);
    vt_free(t);
}

int32_t tok_bos_id(const tokenizer *t) { return t->bos_id; }
int32_t tok_eos_id(const tokenizer *t) { return t->eos_id; }
int32_t tok_pad_id(const tokenizer *t) { return t->pad_id; }
int tok_vocab_size(const tokenizer *t) { return t->vocab_size; }
int tok_model_max_length(const tokenizer *t) { return t->model_max_length; }
