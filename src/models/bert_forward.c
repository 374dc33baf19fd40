/*
 * bert_forward.c — BERT / MPNet: token ids in, last hidden states or pooled sentence vectors out.
 *
 * transformers' BertModel / MPNetModel in float32, for a batch packed without padding
 * (encoder.h):
 *   x[t] = word[id_t] + token_type[0] + position[t]          (BERT)
 *   x[t] = word[id_t] + position[p_t]                        (MPNet: p_t counts real tokens from
 *                                                              the padding index, see bert.h)
 *   x = LayerNorm(x)                                         (layer_norm_eps of the config)
 *   x = post-LN layer(x) for every layer                     (MPNet: + the relative bias)
 *   out = pooling of each sequence's rows                    (pooling.c)
 * CLS and last-token pooling read one row per sequence, so the last layer is run only for that
 * row (enc_layer_forward_postln_pick): keys and values still come from every token.
 * The attention mask of transformers' padded batch needs no counterpart: every row of the packed
 * batch is a real token, and a sequence attends only to its own rows. MPNet's relative bias is
 * the model's precomputed table (bert_weights.c), shared by all layers and sequences.
 *
 * Memory: sequences are taken in order into chunks of at most BERT_CHUNK_TOKENS tokens (a longer
 * sequence alone); the scratch (encoder.h) is sized once for the largest chunk, so the layer loop
 * allocates nothing.
 */
#include <string.h>

#include "base/alloc.h"
#include "bert.h"

/* embed: the embeddings of one sequence (ids[0..L)) into x ([L][hidden]), before LayerNorm. */
static void embed(const bert_model *m, const int32_t *ids, int L, float *x) {
    const bert_config *c = &m->cfg;
    size_t D = (size_t)c->hidden;
    int count = 0; /* MPNet: non-pad tokens so far */
    for (int t = 0; t < L; t++) {
        int p = t;
        if (c->arch == BERT_ARCH_MPNET) p = ids[t] == c->pad_token_id ? c->pad_token_id : c->pad_token_id + ++count;
        const float *we = m->word_emb + (size_t)ids[t] * D, *pe = m->pos_emb + (size_t)p * D;
        float *row = x + (size_t)t * D;
        if (m->type_emb)
            for (size_t d = 0; d < D; d++) row[d] = (we[d] + m->type_emb[d]) + pe[d];
        else
            for (size_t d = 0; d < D; d++) row[d] = we[d] + pe[d];
    }
}

/* run: the forward pass; pooled vectors into out (when out) and the packed last hidden states
 * into hidden (when hidden). */
static int run(const bert_model *m, vt_pool *pool, int n, const int32_t *const *ids, const int *len,
               unsigned modes, float *out, float *hidden, vt_error *err) {
    const bert_config *c = &m->cfg;
    int D = c->hidden, max_tokens = bert_max_tokens(c), max_len = 0;
    size_t P = (size_t)pool_count(modes) * (size_t)D, total = 0;
    enc_dims dims = {D, c->intermediate, c->n_heads, c->act, c->ln_eps};
    if (n <= 0) return VT_OK;
    for (int i = 0; i < n; i++) {
        if (len[i] < 1 || len[i] > max_tokens)
            return vt_fail(err, VT_EINVAL, "text %d: %d tokens, the model takes 1 to %d", i, len[i], max_tokens);
        for (int t = 0; t < len[i]; t++)
            if (ids[i][t] < 0 || ids[i][t] >= c->vocab_size)
                return vt_fail(err, VT_EINVAL, "text %d: token id %d is outside the vocabulary of %d", i, ids[i][t],
                               c->vocab_size);
        if (len[i] > max_len) max_len = len[i];
        total += (size_t)len[i];
    }
    int cap = total < BERT_CHUNK_TOKENS ? (int)total : BERT_CHUNK_TOKENS;
    if (cap < max_len) cap = max_len;
    int max_seqs = n < cap ? n : cap;
    enc_scratch s;
    int rc = enc_scratch_alloc(&s, &dims, cap, max_len, vt_pool_size(pool), err);
    if (rc) return rc;
    float *x = vt_malloc((size_t)cap * D * sizeof(float));
    int *offset = vt_malloc((size_t)max_seqs * sizeof(int)), *elen = vt_malloc((size_t)max_seqs * sizeof(int));
    /* CLS or last-token pooling reads one row per sequence: the last layer runs only for it */
    int *pick = NULL, one_row = out && !hidden && c->n_layers > 0 && (modes == POOL_CLS || modes == POOL_LAST);
    if (one_row && !(pick = vt_malloc((size_t)max_seqs * sizeof(int)))) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory for a batch of %d tokens", cap);
        goto done;
    }
    if (!x || !offset || !elen) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory for a batch of %d tokens", cap);
        goto done;
    }
    enc_rel_bias rb = {m->rel_bias, m->rel_span};
    size_t hidden_row = 0;
    for (int first = 0; first < n;) {
        enc_batch b = {0, offset, elen, 0, 0, 0};
        while (first + b.n_seq < n && b.n_seq < max_seqs && b.n_tokens + len[first + b.n_seq] <= cap) {
            int i = b.n_seq, L = len[first + i];
            offset[i] = b.n_tokens;
            elen[i] = L;
            embed(m, ids[first + i], L, x + (size_t)b.n_tokens * D);
            b.n_tokens += L;
            if (L > b.max_len) b.max_len = L;
            b.n_seq++;
        }
        enc_layer_norm_rows(pool, x, x, b.n_tokens, D, m->emb_ln_w, m->emb_ln_b, c->ln_eps);
        int n_full = pick ? c->n_layers - 1 : c->n_layers;
        for (int l = 0; l < n_full; l++)
            enc_layer_forward_postln(&m->layers[l], &dims, pool, x, &b, &s, m->rel_bias ? &rb : NULL);
        if (pick) { /* one pooled row per sequence: the last layer only for it, straight into out */
            for (int i = 0; i < b.n_seq; i++) pick[i] = modes == POOL_CLS ? 0 : elen[i] - 1;
            enc_layer_forward_postln_pick(&m->layers[c->n_layers - 1], &dims, pool, x, &b, pick, &s,
                                          m->rel_bias ? &rb : NULL, out + (size_t)first * P);
        } else if (out) {
            for (int i = 0; i < b.n_seq; i++)
                pool_sequence(modes, x + (size_t)offset[i] * D, elen[i], D, out + (size_t)(first + i) * P);
        }
        if (hidden) {
            memcpy(hidden + hidden_row * D, x, (size_t)b.n_tokens * D * sizeof(float));
            hidden_row += (size_t)b.n_tokens;
        }
        first += b.n_seq;
    }
done:
    vt_free(x);
    vt_free(offset);
    vt_free(elen);
    vt_free(pick);
    enc_scratch_free(&s);
    return rc;
}

int bert_forward(const bert_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                 const int *len, unsigned modes, float *out, vt_error *err) {
    if (!pool_count(modes)) return vt_fail(err, VT_EINVAL, "no pooling mode");
    return run(m, pool, n, ids, len, modes, out, NULL, err);
}

int bert_hidden(const bert_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                const int *len, float *out, vt_error *err) {
    return run(m, pool, n, ids, len, 0, NULL, out, err);
}
