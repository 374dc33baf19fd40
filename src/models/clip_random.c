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
#include "clip.h"

typedef struct {
    uint64_t state;
} rng;

static float uniform(rng *r, float a) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return a * (2.0f * (float)(z >> 40) / (float)(1ull << 24) - 1.0f);
}

static float *fill(rng *r, size_t n, float a, float base) {
    float *v = vt_malloc(n * sizeof(float));
    if (v)
        for (size_t i = 0; i < n; i++) v[i] = base + uniform(r, a);
    return v;
}

static int linear(rng *r, int n, int k, gemm_weights **w) {
    float *f = fill(r, (size_t)n * k, 1.0f / sqrtf((float)k), 0);
    if (!f) return VT_ENOMEM;
    int rc = gemm_weights_pack(f, n, k, w);
    vt_free(f);
    return rc;
}

static int layers(rng *r, const clip_tower_config *c, enc_layer **out) {
    int D = c->hidden, F = c->intermediate;
    *out = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer));
    if (!*out) return VT_ENOMEM;
    for (int i = 0; i < c->n_layers; i++) {
        enc_layer *l = &(*out)[i];
        if (!(l->ln1_w = fill(r, D, 0.1f, 1)) || !(l->ln1_b = fill(r, D, 0.1f, 0)) || !(l->ln2_w = fill(r, D, 0.1f, 1)) ||
            !(l->ln2_b = fill(r, D, 0.1f, 0)) || !(l->qkv_b = fill(r, 3 * (size_t)D, 0.1f, 0)) ||
            !(l->out_b = fill(r, D, 0.1f, 0)) || !(l->fc1_b = fill(r, F, 0.1f, 0)) || !(l->fc2_b = fill(r, D, 0.1f, 0)) ||
            linear(r, 3 * D, D, &l->qkv) || linear(r, D, D, &l->out) || linear(r, F, D, &l->fc1) ||
            linear(r, D, F, &l->fc2))
            return VT_ENOMEM;
    }
    return VT_OK;
}

int clip_init_random(const clip_config *cfg, uint64_t seed, clip_model *m, vt_error *err) {
    rng r = {seed};
    m->cfg = *cfg;
    const clip_tower_config *t = &cfg->text, *v = &cfg->vision;
    int G = v->image_size / v->patch_size, P = cfg->projection_dim;
    if (!(m->tok_emb = fill(&r, (size_t)t->vocab_size * t->hidden, 0.1f, 0)) ||
        !(m->pos_emb_text = fill(&r, (size_t)t->max_positions * t->hidden, 0.1f, 0)) || layers(&r, t, &m->text_layers) ||
        !(m->final_ln_w = fill(&r, t->hidden, 0.1f, 1)) || !(m->final_ln_b = fill(&r, t->hidden, 0.1f, 0)) ||
        linear(&r, P, t->hidden, &m->text_proj) || !(m->class_emb = fill(&r, v->hidden, 0.1f, 0)) ||
        linear(&r, v->hidden, 3 * v->patch_size * v->patch_size, &m->patch_w) ||
        !(m->pos_emb_vision = fill(&r, (size_t)(G * G + 1) * v->hidden, 0.1f, 0)) ||
        !(m->pre_ln_w = fill(&r, v->hidden, 0.1f, 1)) || !(m->pre_ln_b = fill(&r, v->hidden, 0.1f, 0)) ||
        layers(&r, v, &m->vision_layers) || !(m->post_ln_w = fill(&r, v->hidden, 0.1f, 1)) ||
        !(m->post_ln_b = fill(&r, v->hidden, 0.1f, 0)) || linear(&r, P, v->hidden, &m->vision_proj)) {
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
