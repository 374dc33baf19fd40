/*
 * clip_text.c — CLIP's text tower: token ids in, projected text embeddings out.
 *
 * transformers' CLIPTextTransformer, in float32:
 *   x = token_embedding[ids] + position_embedding[0..L-1]
 *   x = pre-LN encoder layers with a causal mask
 *   pooled = final_layer_norm(x[p]) where p is the pooling position (below)
 *   out = pooled · text_projectionᵀ
 * The pooling position: with the legacy eos_token_id 2 (openai's configs), p = argmax(ids), the
 * first occurrence of the largest id (EOS, 49407, is the largest in CLIP's vocabulary); otherwise
 * p = the first position whose id equals eos_token_id (0 if none, as torch's argmax of zeros).
 *
 * Under the causal mask, positions after p cannot change x[p], so each sequence is run only up to
 * p + 1 tokens, packed without padding (encoder.h). That skips the padding transformers computes
 * and, for prompts shorter than the batch's longest, part of the prompt too — the results at p
 * are the same.
 */
#include <string.h>

#include "base/alloc.h"
#include "clip.h"
#include "tensor/kernels.h"

#define SEQS_PER_CHUNK 64 /* bounds scratch at 64 × 77 tokens; large enough for full products */

static int pool_position(const clip_tower_config *c, const int32_t *ids, int len) {
    int p = 0;
    if (c->eos_token_id == 2) {
        for (int i = 1; i < len; i++)
            if (ids[i] > ids[p]) p = i;
        return p;
    }
    for (int i = 0; i < len; i++)
        if (ids[i] == c->eos_token_id) return i;
    return 0;
}

int clip_text_forward(const clip_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                      const int *len, float *out, vt_error *err) {
    const clip_tower_config *c = &m->cfg.text;
    int D = c->hidden, P = m->cfg.projection_dim;
    enc_dims dims = {D, c->intermediate, c->n_heads, c->act, c->ln_eps};
    int chunk = n < SEQS_PER_CHUNK ? n : SEQS_PER_CHUNK;
    int max_tokens = chunk * c->max_positions;
    for (int i = 0; i < n; i++) {
        if (len[i] < 1 || len[i] > c->max_positions)
            return vt_fail(err, VT_EINVAL, "text %d: %d tokens, the model takes 1 to %d", i, len[i], c->max_positions);
        for (int t = 0; t < len[i]; t++)
            if (ids[i][t] < 0 || ids[i][t] >= c->vocab_size)
                return vt_fail(err, VT_EINVAL, "text %d: token id %d is outside the vocabulary of %d", i, ids[i][t],
                               c->vocab_size);
    }
    enc_scratch s;
    int rc = enc_scratch_alloc(&s, &dims, max_tokens, c->max_positions, vt_pool_size(pool), err);
    if (rc) return rc;
    float *x = vt_malloc((size_t)max_tokens * D * sizeof(float));
    float *pooled = vt_malloc((size_t)chunk * D * sizeof(float));
    int *offset = vt_malloc((size_t)chunk * sizeof(int)), *elen = vt_malloc((size_t)chunk * sizeof(int));
    int *pick = vt_malloc((size_t)chunk * sizeof(int));
    if (!x || !pooled || !offset || !elen || !pick) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory for a batch of %d texts", chunk);
        goto done;
    }
    for (int first = 0; first < n; first += chunk) {
        int cn = n - first < chunk ? n - first : chunk;
        enc_batch b = {cn, offset, elen, 0, 0, 1};
        for (int i = 0; i < cn; i++) {
            const int32_t *tk = ids[first + i];
            int L = pool_position(c, tk, len[first + i]) + 1;
            offset[i] = b.n_tokens;
            elen[i] = L;
            for (int t = 0; t < L; t++) {
                float *row = x + (size_t)(b.n_tokens + t) * D;
                const float *te = m->tok_emb + (size_t)tk[t] * D, *pe = m->pos_emb_text + (size_t)t * D;
                for (int d = 0; d < D; d++) row[d] = te[d] + pe[d];
            }
            b.n_tokens += L;
            if (L > b.max_len) b.max_len = L;
        }
        /* every layer but the last over all tokens; the last only for the pooled (final) tokens */
        for (int i = 0; i < cn; i++) pick[i] = elen[i] - 1;
        enc_forward_preln_pooled(m->text_layers, c->n_layers, &dims, pool, x, &b, pick, &s, pooled);
        enc_layer_norm_rows(pool, pooled, pooled, cn, D, m->final_ln_w, m->final_ln_b, c->ln_eps);
        gemm_linear(pool, cn, pooled, D, m->text_proj, NULL, out + (size_t)first * P, P, 0);
    }
done:
    vt_free(x);
    vt_free(pooled);
    vt_free(offset);
    vt_free(elen);
    vt_free(pick);
    enc_scratch_free(&s);
    return rc;
}
