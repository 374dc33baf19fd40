/*
 * bert.h — the BERT and MPNet text encoders (transformers' BertModel / MPNetModel) and the
 * sentence pooling of sentence-transformers.
 *
 * Both are post-LN transformer encoders over token embeddings; they differ in the embeddings and
 * in attention:
 *   BERT   x = LayerNorm(word[id] + token_type[0] + position[t]) for t = 0 … L−1;
 *          plain scaled dot-product attention.
 *   MPNet  x = LayerNorm(word[id] + position[p]) where the position ids count from the padding
 *          index: p = pad + (number of non-pad tokens up to and including t), and p = pad for a
 *          pad token itself (create_position_ids_from_input_ids); attention adds a relative
 *          position bias, one table of relative_attention_num_buckets × heads shared by all
 *          layers, looked up by the T5-style bucket of (key − query) (bert_config.c).
 * Layers, activation (erf GELU) and layer_norm_eps come from config.json. Everything runs in
 * float32 over packed batches without padding (encoder.h): the attention mask of a padded batch
 * is the packing itself.
 *
 * Pooling (sentence-transformers' Pooling module) turns the last hidden states of one sequence
 * into its sentence embedding: CLS (the first token), max, mean, mean / √len, weighted mean
 * (weights 1 … L) and last token, concatenated in that order when several are chosen.
 */
#ifndef VT_MODELS_BERT_H
#define VT_MODELS_BERT_H

#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "base/pool.h"
#include "models/encoder.h"

enum bert_arch { BERT_ARCH_BERT = 1, BERT_ARCH_MPNET = 2 };

typedef struct bert_config {
    int arch;            /* enum bert_arch (model_type "bert" or "mpnet") */
    int hidden;          /* hidden_size */
    int intermediate;    /* intermediate_size */
    int n_layers;        /* num_hidden_layers */
    int n_heads;         /* num_attention_heads */
    int act;             /* ENC_ACT_GELU (hidden_act "gelu") */
    float ln_eps;        /* layer_norm_eps */
    int vocab_size;      /* vocab_size */
    int max_positions;   /* max_position_embeddings */
    int type_vocab_size; /* BERT: type_vocab_size (token type 0 is used) */
    int pad_token_id;    /* MPNet: pad_token_id, the padding index the position ids count from */
    int n_buckets;       /* MPNet: relative_attention_num_buckets */
} bert_config;

/* bert_config_parse: the fields of a parsed config.json j (from path, for messages) into *cfg,
 * with transformers' BertConfig / MPNetConfig defaults for absent fields. VT_EUNSUPPORTED for
 * another model_type, another hidden_act or position_embedding_type; VT_ECORRUPT for
 * inconsistent values (hidden not divisible by heads, …). */
int bert_config_parse(const json_t *j, const char *path, bert_config *cfg, vt_error *err);

/* bert_config_load: bert_config_parse of dir/config.json. */
int bert_config_load(const char *dir, bert_config *cfg, vt_error *err);

/* bert_max_tokens: the longest sequence the position embeddings allow (MPNet loses pad + 1
 * positions to the padding offset: 512 of 514). Cannot fail. */
int bert_max_tokens(const bert_config *cfg);

/* mpnet_bucket: MPNet's relative_position_bucket(relative_position, num_buckets, 128) for one
 * relative position (key − query), computed in float32 exactly as torch does on the CPU. */
int mpnet_bucket(int relative_position, int num_buckets);

/* bert_config_mpnet_base / bert_config_minilm_l6: the geometries of
 * sentence-transformers/all-mpnet-base-v2 (768 wide, 12 layers, 12 heads) and all-MiniLM-L6-v2
 * (384 wide, 6 layers, 12 heads), for benchmarks. */
void bert_config_mpnet_base(bert_config *cfg);
void bert_config_minilm_l6(bert_config *cfg);

typedef struct bert_model {
    bert_config cfg;
    float *word_emb;       /* [vocab_size][hidden] */
    float *pos_emb;        /* [max_positions][hidden] */
    float *type_emb;       /* BERT: [hidden], row 0 of token_type_embeddings; NULL for MPNet */
    float *emb_ln_w, *emb_ln_b; /* [hidden] each: the embeddings' LayerNorm */
    enc_layer *layers;     /* [n_layers] */
    float *rel_bias;       /* MPNet: [n_heads][2·rel_span − 1] (enc_rel_bias); NULL for BERT */
    int rel_span;          /* MPNet: bert_max_tokens, the longest sequence the table covers */
} bert_model;

/* bert_load: the weights of dir/model.safetensors for cfg into *m (zeroed by the caller), with
 * transformers' BertModel / MPNetModel names, optionally behind a "bert." / "mpnet." prefix
 * (checkpoints of the *ForMaskedLM classes). Every tensor is checked against the shape cfg
 * implies. On failure everything loaded so far is released. */
int bert_load(const char *dir, const bert_config *cfg, bert_model *m, vt_error *err);

/* bert_init_random: seeded random weights of the geometry cfg into *m (zeroed by the caller),
 * for benchmarks. */
int bert_init_random(const bert_config *cfg, uint64_t seed, bert_model *m, vt_error *err);

/* bert_rel_bias_table: MPNet's per-distance bias table m->rel_bias (and rel_span) from the
 * [n_buckets][n_heads] bucket weights of m->cfg. VT_ENOMEM on failure. */
int bert_rel_bias_table(bert_model *m, const float *buckets);

/* bert_free: releases the weights of m (a half-loaded model is accepted). */
void bert_free(bert_model *m);

/* Pooling modes, a bit set; the concatenation order is the order of the bits. */
enum pool_mode {
    POOL_CLS = 1,           /* the first token */
    POOL_MAX = 2,           /* the maximum of each dimension over the tokens */
    POOL_MEAN = 4,          /* the mean over the tokens */
    POOL_MEAN_SQRT_LEN = 8, /* the sum over the tokens / √len */
    POOL_WEIGHTED_MEAN = 16, /* Σ (t+1)·x_t / Σ (t+1) */
    POOL_LAST = 32          /* the last token */
};
#define POOL_ALL 63

/* pool_count: the number of modes set in modes. Cannot fail. */
int pool_count(unsigned modes);

/* pool_name: "mean", "cls+max", … for modes into buf (cap bytes). Returns buf. Cannot fail. */
const char *pool_name(unsigned modes, char *buf, size_t cap);

/* pool_sequence: the pooled vector of one sequence x ([len][hidden], len ≥ 1) into out
 * (pool_count(modes) × hidden floats). Sums are accumulated in double. Cannot fail. */
void pool_sequence(unsigned modes, const float *x, int len, int hidden, float *out);

/* bert_forward: n token sequences (ids[i] of len[i] tokens, 1 ≤ len ≤ bert_max_tokens) through the
 * encoder, then pooled with modes into out (n × pool_count(modes)·hidden floats). Sequences are
 * run in packed chunks of at most BERT_CHUNK_TOKENS tokens (a longer single sequence is a chunk
 * of its own), so memory is bounded for any n. VT_EINVAL for a length or id out of range,
 * VT_ENOMEM when scratch cannot be had. */
#define BERT_CHUNK_TOKENS 8192
int bert_forward(const bert_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                 const int *len, unsigned modes, float *out, vt_error *err);

/* bert_hidden: the last hidden states of n sequences, packed: sequence i's rows start after the
 * Σ len[j<i] rows of the ones before it ([Σ len][hidden] floats into out). For tests and
 * debugging layer by layer against transformers' last_hidden_state. */
int bert_hidden(const bert_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                const int *len, float *out, vt_error *err);

#endif
