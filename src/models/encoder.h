/*
 * encoder.h — the transformer encoder layer shared by the model families.
 *
 * A batch of sequences is stored packed, without padding: the hidden states of all tokens of all
 * sequences are rows of one [n_tokens][hidden] matrix, sequence s occupying rows
 * offset[s] .. offset[s]+len[s]-1. The Linear layers then run over every token at once (one
 * large product per layer, which is what makes them fast), and attention runs per (sequence,
 * head) with exactly that sequence's length — so no padding is ever computed and no padding mask
 * is needed. A causal batch (CLIP text) lets token i attend to tokens ≤ i.
 *
 * The pre-LN layer (CLIP):   x += out(attn(ln1(x)));     x += fc2(act(fc1(ln2(x)))).
 * The post-LN layer (BERT, MPNet): x = ln1(x + out(attn(x))); x = ln2(x + fc2(act(fc1(x)))).
 * Weights of q, k and v are packed into one [3·hidden][hidden] product at load.
 *
 * Padding. transformers runs a batch padded to its longest sequence and masks the padding with
 * an attention mask (−inf on padded keys); pooling then skips padded rows. A padded key gets
 * probability exactly 0, so a real token's output does not depend on the padding at all: the
 * packed batch computes the same values for the real tokens (up to the float rounding of a
 * softmax over fewer terms) without computing the padding. The mask is the packing.
 *
 * Relative position bias (MPNet): an [n_heads][2·span−1] table added to the attention scores,
 * score(i, j) += table[head][j − i + span − 1], the same for every sequence and layer.
 */
#ifndef VT_MODELS_ENCODER_H
#define VT_MODELS_ENCODER_H

#include "base/error.h"
#include "base/pool.h"
#include "tensor/gemm.h"

enum enc_act { ENC_ACT_QUICK_GELU = 0, ENC_ACT_GELU = 1 };

typedef struct enc_dims {
    int hidden;       /* width of the hidden states */
    int intermediate; /* width of the feed-forward layer */
    int n_heads;      /* attention heads; hidden % n_heads == 0 */
    int act;          /* enum enc_act */
    float ln_eps;     /* layer norm epsilon */
} enc_dims;

typedef struct enc_layer {
    float *ln1_w, *ln1_b;   /* [hidden] each (post-LN: the attention output's LayerNorm) */
    gemm_weights *qkv;      /* [3·hidden][hidden]: q rows, then k, then v */
    float *qkv_b;           /* [3·hidden] */
    gemm_weights *out;      /* [hidden][hidden] */
    float *out_b;           /* [hidden] */
    float *ln2_w, *ln2_b;   /* [hidden] each (post-LN: the layer output's LayerNorm) */
    gemm_weights *fc1;      /* [intermediate][hidden] */
    float *fc1_b;           /* [intermediate] */
    gemm_weights *fc2;      /* [hidden][intermediate] */
    float *fc2_b;           /* [hidden] */
} enc_layer;

typedef struct enc_batch {
    int n_seq;         /* sequences */
    const int *offset; /* [n_seq] first row of each sequence */
    const int *len;    /* [n_seq] tokens of each sequence (≥ 1) */
    int n_tokens;      /* Σ len */
    int max_len;       /* max len */
    int causal;        /* 1: token i attends to tokens ≤ i */
} enc_batch;

/* A relative position bias added to the attention scores (see above). */
typedef struct enc_rel_bias {
    const float *v; /* [n_heads][2·span − 1]: the bias of key j for query i is v[h][j − i + span − 1] */
    int span;       /* the longest sequence the table covers (every len of a batch must be ≤ span) */
} enc_rel_bias;

/* Per-batch scratch, sized once before the layer loop. */
typedef struct enc_scratch {
    float *h;      /* [n_tokens][hidden]: layer-norm output, then attention context */
    float *qkv;    /* [n_tokens][3·hidden] */
    float *ff;     /* [n_tokens][intermediate] */
    float *scores; /* [n_workers][max_len][max_len] */
    int max_len;
} enc_scratch;

/* enc_scratch_alloc: scratch for batches of up to n_tokens tokens and sequences of up to max_len
 * tokens, used by up to n_workers threads. Release with enc_scratch_free. VT_ENOMEM on failure. */
int enc_scratch_alloc(enc_scratch *s, const enc_dims *d, int n_tokens, int max_len, int n_workers,
                      vt_error *err);
void enc_scratch_free(enc_scratch *s);

/* enc_layer_free: releases the weights of one layer (half-loaded layers are accepted). */
void enc_layer_free(enc_layer *l);

/* enc_layer_norm_rows: y[r] = layer_norm(x[r]) for rows r < rows of width n, split over pool.
 * y may equal x. Cannot fail. */
void enc_layer_norm_rows(vt_pool *pool, const float *x, float *y, int rows, int n, const float *w,
                         const float *b, float eps);

/* enc_attention: for every sequence and head, ctx = softmax(q·kᵀ/√d (+causal mask))·v, reading
 * q, k, v from qkv ([n_tokens][3·hidden]) and writing ctx ([n_tokens][hidden]). Cannot fail. */
void enc_attention(vt_pool *pool, const enc_dims *d, const enc_batch *b, const float *qkv,
                   float *ctx, enc_scratch *s);

/* enc_attention_rel: enc_attention with the relative position bias rb added to the scores
 * before the softmax (rb NULL: none). Cannot fail. */
void enc_attention_rel(vt_pool *pool, const enc_dims *d, const enc_batch *b, const float *qkv,
                       float *ctx, enc_scratch *s, const enc_rel_bias *rb);

/* enc_layer_forward_postln: one post-LN layer (BERT, MPNet) over the packed batch x
 * ([n_tokens][hidden]), in place, with the relative position bias rb (NULL: none; MPNet passes
 * its table to every layer). Cannot fail. */
void enc_layer_forward_postln(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                              const enc_batch *b, enc_scratch *s, const enc_rel_bias *rb);

/* enc_layer_forward_postln_pick: the last post-LN layer when only one row per sequence is wanted
 * (CLS or last-token pooling): keys and values from every token, the attention output, the
 * residuals, the MLP and both LayerNorms only for row pick[i] of sequence i, into out
 * ([n_seq][hidden]). x is not changed. Cannot fail. */
void enc_layer_forward_postln_pick(const enc_layer *l, const enc_dims *d, vt_pool *pool, const float *x,
                                   const enc_batch *b, const int *pick, enc_scratch *s,
                                   const enc_rel_bias *rb, float *out);

/* enc_layer_forward_preln: one pre-LN layer over the packed batch x ([n_tokens][hidden]), in
 * place. Cannot fail. */
void enc_layer_forward_preln(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                             const enc_batch *b, enc_scratch *s);

/* enc_layer_forward_preln_pick: the last layer when only one row per sequence is wanted (CLIP
 * pools one token): keys and values come from every token, but the attention output, the
 * residuals and the MLP are computed only for row pick[i] of sequence i. The n_seq results go to
 * out ([n_seq][hidden]); x is used as scratch. For ViT-B/32 this skips 3/4 of the last layer.
 * s must have room for n_seq extra rows in ff (it always has: n_seq ≤ n_tokens). Cannot fail. */
void enc_layer_forward_preln_pick(const enc_layer *l, const enc_dims *d, vt_pool *pool, float *x,
                                  const enc_batch *b, const int *pick, enc_scratch *s, float *out);

/* enc_forward_preln_pooled: a whole pre-LN stack of n_layers layers when only row pick[i] of each
 * sequence is wanted: every layer but the last over all tokens, the last through
 * enc_layer_forward_preln_pick; with no layers, the picked rows of x are copied. Results in out
 * ([n_seq][hidden]); x is used as scratch. Cannot fail. */
void enc_forward_preln_pooled(const enc_layer *layers, int n_layers, const enc_dims *d, vt_pool *pool,
                              float *x, const enc_batch *b, const int *pick, enc_scratch *s, float *out);

#endif
