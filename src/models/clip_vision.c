/*
 * clip_vision.c — CLIP's vision tower: normalised pixels in, projected image embeddings out.
 *
 * transformers' CLIPVisionTransformer, in float32, for an S × S image with patch P (G = S/P):
 *   patches: the G² non-overlapping P × P squares, each flattened as [channel][y][x] — which makes
 *            the stride-P convolution (no bias) one product with its [hidden][3·P·P] weight
 *   x = [class_embedding, patch embeddings…] + position_embedding      (G² + 1 tokens)
 *   x = pre_layrnorm(x);  pre-LN encoder layers (no mask; the last computed only for the class
 *       token, the only row that is pooled)
 *   pooled = post_layernorm(x[0]);  out = pooled · visual_projectionᵀ
 * A batch is packed as encoder.h describes, every sequence G² + 1 tokens long.
 */
#include <string.h>

#include "base/alloc.h"
#include "clip.h"
#include "tensor/kernels.h"

#define IMAGES_PER_CHUNK 32 /* 32 × 50 tokens for ViT-B/32: products of 1600 rows */

/* gather_patches: patches of image img (CHW, S×S) into rows of dst ([G²][3·P·P]). */
static void gather_patches(const float *img, int S, int P, float *dst) {
    int G = S / P;
    for (int py = 0; py < G; py++)
        for (int px = 0; px < G; px++) {
            float *row = dst + (size_t)(py * G + px) * 3 * P * P;
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < P; y++)
                    memcpy(row + (size_t)(ch * P + y) * P, img + ((size_t)ch * S + (size_t)py * P + y) * S + (size_t)px * P,
                           (size_t)P * sizeof(float));
        }
}

typedef struct {
    const float *pixels;
    float *patches;
    int S, P;
} gather_job;

static void gather_task(void *ctx, int task, int worker) {
    (void)worker;
    const gather_job *j = ctx;
    int G = j->S / j->P;
    gather_patches(j->pixels + (size_t)task * 3 * j->S * j->S, j->S, j->P,
                   j->patches + (size_t)task * G * G * 3 * j->P * j->P);
}

int clip_vision_forward(const clip_model *m, vt_pool *pool, int n, const float *pixels,
                        float *out, vt_error *err) {
    const clip_tower_config *c = &m->cfg.vision;
    int D = c->hidden, P = c->patch_size, S = c->image_size, G = S / P, T = G * G + 1;
    int K = 3 * P * P, PD = m->cfg.projection_dim;
    enc_dims dims = {D, c->intermediate, c->n_heads, c->act, c->ln_eps};
    int chunk = n < IMAGES_PER_CHUNK ? n : IMAGES_PER_CHUNK;
    enc_scratch s;
    int rc = enc_scratch_alloc(&s, &dims, chunk * T, T, vt_pool_size(pool), err);
    if (rc) return rc;
    float *x = vt_malloc((size_t)chunk * T * D * sizeof(float));
    float *patches = vt_malloc((size_t)chunk * (T - 1) * K * sizeof(float));
    float *emb = vt_malloc((size_t)chunk * (T - 1) * D * sizeof(float));
    float *pooled = vt_malloc((size_t)chunk * D * sizeof(float));
    int *offset = vt_malloc((size_t)chunk * sizeof(int)), *len = vt_malloc((size_t)chunk * sizeof(int));
    int *pick = vt_calloc((size_t)chunk, sizeof(int)); /* the class token: row 0 of each image */
    if (!x || !patches || !emb || !pooled || !offset || !len || !pick) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory for a batch of %d images", chunk);
        goto done;
    }
    for (int first = 0; first < n; first += chunk) {
        int cn = n - first < chunk ? n - first : chunk;
        gather_job gj = {pixels + (size_t)first * 3 * S * S, patches, S, P};
        vt_pool_run(pool, cn, gather_task, &gj);
        gemm_linear(pool, cn * (T - 1), patches, K, m->patch_w, NULL, emb, D, 0);
        enc_batch b = {cn, offset, len, cn * T, T, 0};
        for (int i = 0; i < cn; i++) {
            offset[i] = i * T;
            len[i] = T;
            float *xi = x + (size_t)i * T * D;
            for (int d = 0; d < D; d++) xi[d] = m->class_emb[d] + m->pos_emb_vision[d];
            for (int t = 1; t < T; t++) {
                const float *e = emb + ((size_t)i * (T - 1) + t - 1) * D, *pe = m->pos_emb_vision + (size_t)t * D;
                float *row = xi + (size_t)t * D;
                for (int d = 0; d < D; d++) row[d] = e[d] + pe[d];
            }
        }
        enc_layer_norm_rows(pool, x, x, cn * T, D, m->pre_ln_w, m->pre_ln_b, c->ln_eps);
        /* every layer but the last over all tokens; the last only for the class tokens */
        enc_forward_preln_pooled(m->vision_layers, c->n_layers, &dims, pool, x, &b, pick, &s, pooled);
        enc_layer_norm_rows(pool, pooled, pooled, cn, D, m->post_ln_w, m->post_ln_b, c->ln_eps);
        gemm_linear(pool, cn, pooled, D, m->vision_proj, NULL, out + (size_t)first * PD, PD, 0);
    }
done:
    vt_free(x);
    vt_free(patches);
    vt_free(emb);
    vt_free(pooled);
    vt_free(offset);
    vt_free(len);
    vt_free(pick);
    enc_scratch_free(&s);
    return rc;
}
