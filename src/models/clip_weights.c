/*
 * clip_weights.c — loading a CLIP checkpoint's tensors (transformers' CLIPModel names).
 *
 * Every tensor is fetched with the shape the config implies (st_get_f32 checks it and converts
 * F16/BF16 to float32), so a checkpoint that disagrees with its config.json is refused with the
 * tensor's name. Linear weights are packed for the GEMM kernel; q, k and v of a layer are stacked
 * into one [3·hidden][hidden] matrix first so attention's input is one product. The float32
 * copies needed only for packing are released at once. Unused tensors (logit_scale, the int64
 * position_ids buffers of older checkpoints) are ignored.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "clip.h"
#include "tensor/safetensors.h"

typedef struct {
    const st_file *st;
    vt_error *err;
} loader;

static int get(loader *ld, const char *name, int n_dims, int64_t d0, int64_t d1, float **out) {
    int64_t shape[2] = {d0, d1};
    return st_get_f32(ld->st, name, n_dims, shape, out, ld->err);
}

/* get_linear: packs name ([n][k]) into *w. */
static int get_linear(loader *ld, const char *name, int n, int k, gemm_weights **w) {
    float *f;
    int rc = get(ld, name, 2, n, k, &f);
    if (rc) return rc;
    rc = gemm_weights_pack(f, n, k, w);
    vt_free(f);
    if (rc) return vt_fail(ld->err, rc, "%s: tensor %s: out of memory packing", st_file_name(ld->st), name);
    return VT_OK;
}

static int load_layer(loader *ld, const char *prefix, const clip_tower_config *c, enc_layer *l) {
    char name[256];
    int D = c->hidden, F = c->intermediate, rc;
#define NAME(suffix) (snprintf(name, sizeof name, "%s.%s", prefix, suffix), name)
    if ((rc = get(ld, NAME("layer_norm1.weight"), 1, D, 0, &l->ln1_w)) ||
        (rc = get(ld, NAME("layer_norm1.bias"), 1, D, 0, &l->ln1_b)) ||
        (rc = get(ld, NAME("layer_norm2.weight"), 1, D, 0, &l->ln2_w)) ||
        (rc = get(ld, NAME("layer_norm2.bias"), 1, D, 0, &l->ln2_b)) ||
        (rc = get_linear(ld, NAME("self_attn.out_proj.weight"), D, D, &l->out)) ||
        (rc = get(ld, NAME("self_attn.out_proj.bias"), 1, D, 0, &l->out_b)) ||
        (rc = get_linear(ld, NAME("mlp.fc1.weight"), F, D, &l->fc1)) ||
        (rc = get(ld, NAME("mlp.fc1.bias"), 1, F, 0, &l->fc1_b)) ||
        (rc = get_linear(ld, NAME("mlp.fc2.weight"), D, F, &l->fc2)) ||
        (rc = get(ld, NAME("mlp.fc2.bias"), 1, D, 0, &l->fc2_b)))
        return rc;
    /* q, k, v stacked into one product */
    size_t dd = (size_t)D * D;
    float *qkv = vt_malloc(3 * dd * sizeof(float));
    l->qkv_b = vt_malloc(3 * (size_t)D * sizeof(float));
    if (!qkv || !l->qkv_b) {
        vt_free(qkv);
        return vt_fail(ld->err, VT_ENOMEM, "%s: out of memory", st_file_name(ld->st));
    }
    static const char *const parts[3] = {"q_proj", "k_proj", "v_proj"};
    for (int p = 0; p < 3; p++) {
        float *w = NULL, *b = NULL;
        char wn[64], bn[64];
        snprintf(wn, sizeof wn, "self_attn.%s.weight", parts[p]);
        snprintf(bn, sizeof bn, "self_attn.%s.bias", parts[p]);
        if ((rc = get(ld, NAME(wn), 2, D, D, &w)) || (rc = get(ld, NAME(bn), 1, D, 0, &b))) {
            vt_free(w);
            vt_free(qkv);
            return rc;
        }
        memcpy(qkv + p * dd, w, dd * sizeof(float));
        memcpy(l->qkv_b + p * D, b, (size_t)D * sizeof(float));
        vt_free(w);
        vt_free(b);
    }
#undef NAME
    rc = gemm_weights_pack(qkv, 3 * D, D, &l->qkv);
    vt_free(qkv);
    if (rc) return vt_fail(ld->err, rc, "%s: out of memory packing %s", st_file_name(ld->st), prefix);
    return VT_OK;
}

static int load_layers(loader *ld, const char *tower, const clip_tower_config *c, enc_layer **out) {
    *out = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer));
    if (!*out) return vt_fail(ld->err, VT_ENOMEM, "%s: out of memory", st_file_name(ld->st));
    for (int i = 0; i < c->n_layers; i++) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.encoder.layers.%d", tower, i);
        int rc = load_layer(ld, prefix, c, &(*out)[i]);
        if (rc) return rc;
    }
    return VT_OK;
}

int clip_load(const char *dir, const clip_config *cfg, clip_model *m, vt_error *err) {
    m->cfg = *cfg;
    char *path = vt_path_join(dir, "model.safetensors");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    st_file *st = NULL;
    int rc = st_open(path, &st, err);
    vt_free(path);
    if (rc) return rc;
    loader ld = {st, err};
    const clip_tower_config *t = &cfg->text, *v = &cfg->vision;
    int P = cfg->projection_dim, np = v->image_size / v->patch_size;
    int patch_len = v->n_channels * v->patch_size * v->patch_size;
    float *patch = NULL;
    int64_t conv_shape[4] = {v->hidden, v->n_channels, v->patch_size, v->patch_size};
    if ((rc = get(&ld, "text_model.embeddings.token_embedding.weight", 2, t->vocab_size, t->hidden, &m->tok_emb)) ||
        (rc = get(&ld, "text_model.embeddings.position_embedding.weight", 2, t->max_positions, t->hidden, &m->pos_emb_text)) ||
        (rc = load_layers(&ld, "text_model", t, &m->text_layers)) ||
        (rc = get(&ld, "text_model.final_layer_norm.weight", 1, t->hidden, 0, &m->final_ln_w)) ||
        (rc = get(&ld, "text_model.final_layer_norm.bias", 1, t->hidden, 0, &m->final_ln_b)) ||
        (rc = get_linear(&ld, "text_projection.weight", P, t->hidden, &m->text_proj)) ||
        (rc = get(&ld, "vision_model.embeddings.class_embedding", 1, v->hidden, 0, &m->class_emb)) ||
        (rc = st_get_f32(st, "vision_model.embeddings.patch_embedding.weight", 4, conv_shape, &patch, err)) ||
        (rc = get(&ld, "vision_model.embeddings.position_embedding.weight", 2, np * np + 1, v->hidden, &m->pos_emb_vision)) ||
        (rc = get(&ld, "vision_model.pre_layrnorm.weight", 1, v->hidden, 0, &m->pre_ln_w)) ||
        (rc = get(&ld, "vision_model.pre_layrnorm.bias", 1, v->hidden, 0, &m->pre_ln_b)) ||
        (rc = load_layers(&ld, "vision_model", v, &m->vision_layers)) ||
        (rc = get(&ld, "vision_model.post_layernorm.weight", 1, v->hidden, 0, &m->post_ln_w)) ||
        (rc = get(&ld, "vision_model.post_layernorm.bias", 1, v->hidden, 0, &m->post_ln_b)) ||
        (rc = get_linear(&ld, "visual_projection.weight", P, v->hidden, &m->vision_proj)))
        goto fail;
    /* the patch convolution (stride = kernel, no bias) is a product with the [hidden][c·p·p]
     * view of its weight: the conv weight [out][c][ky][kx] is already that layout */
    rc = gemm_weights_pack(patch, v->hidden, patch_len, &m->patch_w);
    vt_free(patch);
    patch = NULL;
    if (rc) {
        rc = vt_fail(err, rc, "%s: out of memory packing the patch embedding", st_file_name(st));
        goto fail;
    }
    st_close(st);
    return VT_OK;
fail:
    vt_free(patch);
    st_close(st);
    clip_free(m);
    return rc;
}

void clip_free(clip_model *m) {
    if (m->text_layers)
        for (int i = 0; i < m->cfg.text.n_layers; i++) enc_layer_free(&m->text_layers[i]);
    if (m->vision_layers)
        for (int i = 0; i < m->cfg.vision.n_layers; i++) enc_layer_free(&m->vision_layers[i]);
    vt_free(m->text_layers);
    vt_free(m->vision_layers);
    vt_free(m->tok_emb);
    vt_free(m->pos_emb_text);
    vt_free(m->final_ln_w);
    vt_free(m->final_ln_b);
    gemm_weights_free(m->text_proj);
    vt_free(m->class_emb);
    gemm_weights_free(m->patch_w);
    vt_free(m->pos_emb_vision);
    vt_free(m->pre_ln_w);
    vt_free(m->pre_ln_b);
    vt_free(m->post_ln_w);
    vt_free(m->post_ln_b);
    gemm_weights_free(m->vision_proj);
    memset(m, 0, sizeof *m);
}
