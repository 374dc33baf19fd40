/*
 * clip.h — the CLIP model: configuration, weights and the two forward passes.
 *
 * A CLIP folder is read as transformers reads it (CLIPModel): config.json (text_config,
 * vision_config, projection_dim), model.safetensors, preprocessor_config.json. Any width, depth,
 * head count, patch and image size in the CLIP family runs on the same code.
 *
 * The forward passes compute exactly transformers' CLIPTextModel/CLIPVisionModel + projections
 * in float32 (see clip_text.c and clip_vision.c). They take a pool for the parallel parts; scratch
 * is sized once per batch, nothing is allocated inside the layer loop.
 */
#ifndef VT_MODELS_CLIP_H
#define VT_MODELS_CLIP_H

#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "base/pool.h"
#include "models/encoder.h"

typedef struct clip_tower_config {
    int hidden;           /* hidden_size */
    int intermediate;     /* intermediate_size */
    int n_layers;         /* num_hidden_layers */
    int n_heads;          /* num_attention_heads */
    int act;              /* ENC_ACT_QUICK_GELU or ENC_ACT_GELU */
    float ln_eps;         /* layer_norm_eps */
    /* text only */
    int vocab_size, max_positions, eos_token_id;
    /* vision only */
    int image_size, patch_size, n_channels;
} clip_tower_config;

typedef struct clip_preprocess_config {
    int shortest_edge;  /* resize target of the shortest edge */
    int crop_h, crop_w; /* center crop */
    int do_resize, do_center_crop, do_rescale, do_normalize;
    float rescale;      /* rescale_factor (1/255) */
    float mean[3], std[3];
} clip_preprocess_config;

typedef struct clip_config {
    clip_tower_config text, vision;
    int projection_dim;
    clip_preprocess_config pre;
} clip_config;

typedef struct clip_model {
    clip_config cfg;
    /* text tower */
    float *tok_emb;        /* [vocab][hidden] */
    float *pos_emb_text;   /* [max_positions][hidden] */
    enc_layer *text_layers;
    float *final_ln_w, *final_ln_b;
    gemm_weights *text_proj;   /* [projection_dim][hidden], no bias */
    /* vision tower */
    float *class_emb;      /* [hidden] */
    gemm_weights *patch_w; /* [hidden][channels·patch·patch] (the conv as a product) */
    float *pos_emb_vision; /* [n_patches + 1][hidden] */
    float *pre_ln_w, *pre_ln_b, *post_ln_w, *post_ln_b;
    enc_layer *vision_layers;
    gemm_weights *vision_proj; /* [projection_dim][hidden], no bias */
} clip_model;

/* clip_config_load: reads dir/config.json and dir/preprocessor_config.json into *cfg. Errors name
 * the file and the field. */
int clip_config_load(const char *dir, clip_config *cfg, vt_error *err);

/* clip_config_parse: the same from dir/config.json already parsed into j (borrowed); reads
 * dir/preprocessor_config.json. */
int clip_config_parse(const json_t *j, const char *dir, clip_config *cfg, vt_error *err);

/* clip_load: reads the weights of dir/model.safetensors for cfg into *m (zeroed by the caller).
 * On failure everything loaded so far is released. */
int clip_load(const char *dir, const clip_config *cfg, clip_model *m, vt_error *err);

/* clip_init_random: fills *m (zeroed by the caller) with seeded random weights of the geometry
 * cfg — for benchmarks, which need the real shapes but no checkpoint. */
int clip_init_random(const clip_config *cfg, uint64_t seed, clip_model *m, vt_error *err);

/* clip_config_vit_b_32: openai/clip-vit-base-patch32's geometry and preprocessing. */
void clip_config_vit_b_32(clip_config *cfg);

/* clip_free: releases the weights of m (a half-loaded model is accepted). */
void clip_free(clip_model *m);

/* clip_text_forward: embeds n token sequences (ids[i] of len[i] tokens, each ≤ max_positions) into
 * out (n × projection_dim, projected, not normalised). VT_ENOMEM when scratch cannot be had. */
int clip_text_forward(const clip_model *m, vt_pool *pool, int n, const int32_t *const *ids,
                      const int *len, float *out, vt_error *err);

/* clip_vision_forward: embeds n images given as normalised CHW float32 (3 × S × S each,
 * contiguous) into out (n × projection_dim, projected, not normalised). */
int clip_vision_forward(const clip_model *m, vt_pool *pool, int n, const float *pixels,
                        float *out, vt_error *err);

#endif
