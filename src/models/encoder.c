/*
 * encoder.c — the shared transformer encoder layer over a packed batch (see encoder.h).
 *
 * Data flow of one pre-LN layer, for a batch of T tokens of width D (F = intermediate):
 *
 *   x [T][D] ──ln1──▶ h [T][D] ──qkv──▶ qkv [T][3D] ──attention──▶ h [T][D] (context)
 *   x += h · Woutᵀ + b                       (the product adds into x: the residual)
 *   x ──ln2──▶ h ──fc1+act──▶ ff [T][F] ──fc2──▶ x += …
 *
 * Attention is split into (sequence, head) tasks over the pool; each worker owns a
 * [max_len][max_len] block of scores in the scratch. The 1/√d scale is applied to the scores
 * (q·kᵀ·scale), which is what transformers computes up to float rounding.
 *
 * The pick variant serves the last layer of a tower that pools one token per sequence: only
 * those query rows go through attention, the output projection and the MLP.
 *
 * One post-LN layer (BERT, MPNet) reads x directly and normalises after each residual:
 *
 *   x [T][D] ──qkv──▶ qkv [T][3D] ──attention (+ relative bias)──▶ h [T][D]
 *   x += h · Woutᵀ + b;  x = ln1(x)
 *   x ──fc1+gelu──▶ ff [T][F] ──fc2──▶ x += …;  x = ln2(x)
 *
 * The relative bias is added to the scaled scores row by row, before the causal mask and the
 * softmax, as transformers' MPNetSelfAttention adds position_bias to q·kᵀ/√d. The post-LN pick
 * variant is the last layer of a model pooled by one token (CLS, last token).
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "encoder.h"
#include "tensor/kernels.h"

int enc_scratch_alloc(enc_scratch *s, const enc_dims *d, int n_tokens, int max_len, int n_workers,
                      vt_error *err) {
    memset(s, 0, sizeof *s);
    size_t t = (size_t)n_tokens;
    s->h = vt_malloc(t * (size_t)d->hidden * sizeof(float));
    s->qkv = vt_malloc(t * 3 * (size_t)d->hidden * sizeof(float));
    s->ff = vt_malloc(t * (size_t)d->intermediate * sizeof(float));
    s->scores = vt_malloc((size_t)n_workers * (size_t)max_len * (size_t)max_len * sizeof(float));
    s->max_len = max_len;
    if (!s->h || !s->qkv || !s->ff || !s->scores) {
        enc_scratch_free(s);
        return vt_fail(err, VT_ENOMEM, "out of memory for a batch of %d tokens", n_tokens);
    }
    return VT_OK;
}

void enc_scratch_free(enc_scratch *s) {
    vt_free(s->h);
    vt_free(s->qkv);
    vt_free(s->ff);
    vt_free(s->scores);
    memset(s, 0, sizeof *s);
}

void enc_layer_free(enc_layer *l) {
    vt_free(l->ln1_w);
    vt_free(l->ln1_b);
    vt_free(l->ln2_w);
    vt_free(l->ln2_b);
    gemm_weights_free(l->qkv);
    gemm_weights_free(l->out);
    gemm_weights_free(l->fc1);
    gemm_weights_free(l->fc2);
    vt_free(l->qkv_b);
    vt_free(l->out_b);
    vt_free(l->fc1_b);
    vt_free(l->fc2_b);
    memset(l, 0, sizeof *l);
}

/* Layer norm over rows, in chunks of ROWS_PER_TASK rows per pool task. */
#define ROWS_PER_TASK 16

typedef struct {
    const float *x;
    float *y;
    int rows, n;
    const float *w, *b;
    float eps;
} ln_job;

static void ln_task(void *ctx, int task, int worker) {
    (void)worker;
    const ln_job *j = ctx;
    int r0 = task * ROWS_PER_TASK, r1 = r0 + ROWS_PER_TASK < j->rows ? r0 + ROWS_PER_TASK : j->rows;
    for (int r = r0; r < r1; r++)
        k_layer_norm(j->x + (size_t)r * j->n, j->y + (size_t)r * j->n, j->n, j->w, j->b, j->eps);
}

void enc_layer_norm_rows(vt_pool *pool, const float *x, float *y, int rows, int n, const float *w,
                         const float *b, float eps) {
    ln_job j = {x, y, rows, n, w, b, eps};
    vt_pool_run(pool, (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK, ln_task, &j);
}

typedef struct {
    const enc_dims *d;
    const enc_batch *b;
    const float *qkv;
    float *ctx;       /* [n_tokens][hidden], or [n_seq][hidden] when pick is set */
    enc_scratch *s;
    const int *pick;  /* NULL: every query row; else only row pick[seq] of each sequence */
    const enc_rel_bias *rb; /* NULL, or the relative position bias added to the scores */
} attn_job;

static void attn_task(void *ctx, int task, int worker) {
    const attn_job *j = ctx;
    const enc_dims *d = j->d;
    int seq = task / d->n_heads, head = task % d->n_heads;
    int D = d->hidden, hd = D / d->n_heads, L = j->b->len[seq];
    const float *base = j->qkv + (size_t)j->b->offset[seq] * 3 * D;
    const float *q = base + head * hd, *k = base + D + head * hd, *v = base + 2 * D + head * hd;
    float *scores = j->s->scores + (size_t)worker * j->s->max_len * j->s->max_len;
    float scale = 1.0f / sqrtf((float)hd);
    int q0 = 0, nq = L;                /* the query rows computed */
    float *out = j->ctx + (size_t)j->b->offset[seq] * D + head * hd;
    if (j->pick) {
        q0 = j->pick[seq];
        nq = 1;
        out = j->ctx + (size_t)seq * D + head * hd;
    }
    gemm_nt(nq, L, hd, scale, q + (size_t)q0 * 3 * D, 3 * D, k, 3 * D, scores, L);
    for (int i = 0; i < nq; i++) {
        float *row = scores + (size_t)i * L;
        if (j->rb) { /* key c of query q0 + i: table[head][c − (q0 + i) + span − 1] */
            const float *bias = j->rb->v + (size_t)head * (2 * (size_t)j->rb->span - 1) + (j->rb->span - 1 - (q0 + i));
            for (int c = 0; c < L; c++) row[c] += bias[c];
        }
        if (j->b->causal)
            for (int c = q0 + i + 1; c < L; c++) row[c] = -INFINITY;
        k_softmax(row, L);
    }
    gemm_nn(nq, hd, L, scores, L, v, 3 * D, out, D);
}

void enc_attention(vt_pool *pool, const enc_dims *d, const enc_batch *b, const float *qkv,
                   float *ctx, enc_scratch *s) {
    enc_attention_rel(pool, d, b, qkv, ctx, s, NULL);
}

void enc_attention_rel(vt_pool *pool, const enc_dims *d, const enc_batch *b, const float *qkv,
                       float *ctx, enc_scratch *s, const enc_rel_bias *rb) {
    attn_job j = {d, b, qkv, ctx, s, NULL, rb};
    vt_pool_run(pool, b->n_seq * d->n_heads, attn_task, &j);
}

void enc_layer_forward_postln(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                              const enc_batch *b, enc_scratch *s, const enc_rel_bias *rb) {
    int T = b->n_tokens, D = d->hidden, F = d->intermediate;
    gemm_linear(pool, T, x, D, l->qkv, l->qkv_b, s->qkv, 3 * D, 0);
    enc_attention_rel(pool, d, b, s->qkv, s->h, s, rb);
    gemm_linear(pool, T, s->h, D, l->out, l->out_b, x, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, x, x, T, D, l->ln1_w, l->ln1_b, d->ln_eps);
    gemm_linear(pool, T, x, D, l->fc1, l->fc1_b, s->ff, F,
                d->act == ENC_ACT_GELU ? GEMM_GELU : GEMM_QUICK_GELU);
    gemm_linear(pool, T, s->ff, F, l->fc2, l->fc2_b, x, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, x, x, T, D, l->ln2_w, l->ln2_b, d->ln_eps);
}

void enc_layer_forward_preln(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                             const enc_batch *b, enc_scratch *s) {
    int T = b->n_tokens, D = d->hidden, F = d->intermediate;
    enc_layer_norm_rows(pool, x, s->h, T, D, l->ln1_w, l->ln1_b, d->ln_eps);
    gemm_linear(pool, T, s->h, D, l->qkv, l->qkv_b, s->qkv, 3 * D, 0);
    enc_attention(pool, d, b, s->qkv, s->h, s);
    gemm_linear(pool, T, s->h, D, l->out, l->out_b, x, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, x, s->h, T, D, l->ln2_w, l->ln2_b, d->ln_eps);
    gemm_linear(pool, T, s->h, D, l->fc1, l->fc1_b, s->ff, F,
                d->act == ENC_ACT_GELU ? GEMM_GELU : GEMM_QUICK_GELU);
    gemm_linear(pool, T, s->ff, F, l->fc2, l->fc2_b, x, D, GEMM_ACCUMULATE);
}

void enc_layer_forward_postln_pick(const enc_layer *l, const enc_dims *d, vt_pool *pool, const float *x,
                                   const enc_batch *b, const int *pick, enc_scratch *s,
                                   const enc_rel_bias *rb, float *out) {
    int T = b->n_tokens, D = d->hidden, F = d->intermediate, n = b->n_seq;
    gemm_linear(pool, T, x, D, l->qkv, l->qkv_b, s->qkv, 3 * D, 0);
    attn_job j = {d, b, s->qkv, s->h, s, pick, rb};
    vt_pool_run(pool, n * d->n_heads, attn_task, &j); /* context of the picked rows → h[0..n) */
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * D, x + (size_t)(b->offset[i] + pick[i]) * D, (size_t)D * sizeof(float));
    gemm_linear(pool, n, s->h, D, l->out, l->out_b, out, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, out, out, n, D, l->ln1_w, l->ln1_b, d->ln_eps);
    gemm_linear(pool, n, out, D, l->fc1, l->fc1_b, s->ff, F,
                d->act == ENC_ACT_GELU ? GEMM_GELU : GEMM_QUICK_GELU);
    gemm_linear(pool, n, s->ff, F, l->fc2, l->fc2_b, out, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, out, out, n, D, l->ln2_w, l->ln2_b, d->ln_eps);
}

void enc_layer_forward_preln_pick(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                                  const enc_batch *b, const int *pick, enc_scratch *s, float *out) {
    int T = b->n_tokens, D = d->hidden, F = d->intermediate, n = b->n_seq;
    enc_layer_norm_rows(pool, x, s->h, T, D, l->ln1_w, l->ln1_b, d->ln_eps);
    gemm_linear(pool, T, s->h, D, l->qkv, l->qkv_b, s->qkv, 3 * D, 0);
    attn_job j = {d, b, s->qkv, s->h, s, pick, NULL};
    vt_pool_run(pool, n * d->n_heads, attn_task, &j); /* context of the picked rows → h[0..n) */
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * D, x + (size_t)(b->offset[i] + pick[i]) * D, (size_t)D * sizeof(float));
    gemm_linear(pool, n, s->h, D, l->out, l->out_b, out, D, GEMM_ACCUMULATE);
    enc_layer_norm_rows(pool, out, s->h, n, D, l->ln2_w, l->ln2_b, d->ln_eps);
    gemm_linear(pool, n, s->h, D, l->fc1, l->fc1_b, s->ff, F,
                d->act == ENC_ACT_GELU ? GEMM_GELU : GEMM_QUICK_GELU);
    gemm_linear(pool, n, s->ff, F, l->fc2, l->fc2_b, out, D, GEMM_ACCUMULATE);
}

void enc_forward_preln_pooled(const enc_layer *layers, int n_layers, const enc_dims *d, vt_pool *pool,
                              float *x, const enc_batch *b, const int *pick, enc_scratch *s, float *out) {
    for (int l = 0; l + 1 < n_layers; l++) enc_layer_forward_preln(&layers[l], d, pool, x, b, s);
    if (n_layers > 0) {
        enc_layer_forward_preln_pick(&layers[n_layers - 1], d, pool, x, b, pick, s, out);
        return;
    }
    for (int i = 0; i < b->n_seq; i++)
        memcpy(out + (size_t)i * d->hidden, x + (size_t)(b->offset[i] + pick[i]) * d->hidden,
               (size_t)d->hidden * sizeof(float));
}
