/*
 * clip_random.c — a CLIP model with random weights, for benchmarks.
 *
 * The benchmark must run at the geometry of a real checkpoint (openai/clip-vit-base-patch32)
 * without shipping one, so the weights are drawn here: uniform in ±1/√fan_in for products (keeps
 * activations O(1), so no denormals or overflow skew the timing), 1 for layer-norm gains, small
 * for biases and embeddings. The generator is splitmix64, seeded, so runs are repeatable.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "random_weights.h"
#include "clip.h"

static int layers(rw_rng *r, const clip_tower_config *c, enc_layer **out) {
    int D = c->hidden, F = c->intermediate;
    *out = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer));
    if (!*out) return VT_ENOMEM;
    for (int i = 0; i < c->n_layers; i++) {
        enc_layer *l = &(*out)[i];
        if (!(l->ln1_w = rw_fill(r, D, 0.1f, 1)) || !(l->ln1_b = rw_fill(r, D, 0.1f, 0)) || !(l->ln2_w = rw_fill(r, D, 0.1f, 1)) ||
            !(l->ln2_b = rw_fill(r, D, 0.1f, 0)) || !(l->qkv_b = rw_fill(r, 3 * (size_t)D, 0.1f, 0)) ||
            !(l->out_b = rw_fill(r, D, 0.1f, 0)) || !(l->fc1_b = rw_fill(r, F, 0.1f, 0)) || !(l->fc2_b = rw_fill(r, D, 0.1f, 0)) ||
            rw_linear(r, 3 * D, D, &l->qkv) || rw_linear(r, D, D, &l->out) || rw_linear(r, F, D, &l->fc1) ||
            rw_linear(r, D, F, &l->fc2))
            return VT_ENOMEM;
    }
    return VT_OK;
}

int clip_init_random(const clip_config *cfg, uint64_t seed, clip_model *m, vt_error *err) {
    rw_rng r = {seed};
    m->cfg = *cfg;
    const clip_tower_config *t = &cfg->text, *v = &cfg->vision;
    int G = v->image_size / v->patch_size, P = cfg->projection_dim;
    if (!(m->tok_emb = rw_fill(&r, (size_t)t->vocab_size * t->hidden, 0.1f, 0)) ||
        !(m->pos_emb_text = rw_fill(&r, (size_t)t->max_positions * t->hidden, 0.1f, 0)) || layers(&r, t, &m->text_layers) ||
        !(m->final_ln_w = rw_fill(&r, t->hidden, 0.1f, 1)) || !(m->final_ln_b = rw_fill(&r, t->hidden, 0.1f, 0)) ||
        rw_linear(&r, P, t->hidden, &m->text_proj) || !(m->class_emb = rw_fill(&r, v->hidden, 0.1f, 0)) ||
        rw_linear(&r, v->hidden, 3 * v->patch_size * v->patch_size, &m->patch_w) ||
        !(m->pos_emb_vision = rw_fill(&r, (size_t)(G * G + 1) * v->hidden, 0.1f, 0)) ||
        !(m->pre_ln_w = rw_fill(&r, v->hidden, 0.1f, 1)) || !(m->pre_ln_b = rw_fill(&r, v->hidden, 0.1f, 0)) ||
        layers(&r, v, &m->vision_layers) || !(m->post_ln_w = rw_fill(&r, v->hidden, 0.1f, 1)) ||
        !(m->post_ln_b = rw_fill(&r, v->hidden, 0.1f, 0)) || rw_linear(&r, P, v->hidden, &m->vision_proj)) {
        clip_free(m);
        return vt_fail(err, VT_ENOMEM, "out of memory for random CLIP weights");
    }
    return VT_OK;
}

void clip_config_vit_b_32(clip_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->text = (clip_tower_config){.hidden = 512, .intermediate = 2048, .n_layers = 12, .n_heads = 8,
                                    .act = ENC_ACT_QUICK_GELU, .ln_eps = 1e-5f, .vocab_size = 49408,
                                    .max_positions = 77, .eos_token_id = 2};
    cfg->vision = (clip_tower_config){.hidden = 768, .intermediate = 3072, .n_layers = 12, .n_heads = 12,
                                      .act = ENC_ACT_QUICK_GELU, .ln_eps = 1e-5f, .image_size = 224,
                                      .patch_size = 32, .n_channels = 3};
    cfg->projection_dim = 512;
    cfg->pre = (clip_preprocess_config){.shortest_edge = 224, .crop_h = 224, .crop_w = 224, .do_resize = 1,
                                        .do_center_crop = 1, .do_rescale = 1, .do_normalize = 1,
                                        .rescale = 1.0f / 255, .mean = {0.48145466f, 0.4578275f, 0.40821073f},
                                        .std = {0.26862954f, 0.26130258f, 0.27577711f}};
}
